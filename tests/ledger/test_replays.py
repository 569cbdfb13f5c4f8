"""A replay answers the original entry (`duplicate`), whatever admission would say of it now: a key
entry that already applied, and an entry whose key was revoked after it was stored (issue 11)."""
from ledger.crypto import new_signer
from ledger.keystatements import registration, revocation
from ledger.service import revoke_key
from ledger_helpers import cost_line


def test_a_replayed_key_registration_answers_the_original(backend, tmp_path):
    from ledger_helpers import LedgerEnv

    e = LedgerEnv.create(*backend, tmp_path / "keys")
    try:
        st = registration(e.store.operator, "GM0200", new_signer("GM0200").public_key, authored_at=e.store.clock())
        first = e.store.append(*st.as_item())
        again = e.store.append(*st.as_item())  # admission alone would say "already registered"
        assert again.duplicate and again.seq == first.seq and again.entry_hash == first.entry_hash
        gone = revocation(e.signers["GM0193"], "GM0193", e.signers["GM0193"].key_id, "laptop kwijt",
                          authored_at=e.store.clock())
        first = e.store.append(*gone.as_item())
        assert e.store.append(*gone.as_item()).seq == first.seq
    finally:
        e.store.dispose()


def test_a_replay_after_its_key_was_revoked_answers_the_original(sqlite_env):
    e = sqlite_env
    st = e.sign("GM0166", "cost_line", cost_line(), key="before-revocation")
    first = e.store.append(*st.as_item())
    revoke_key(e.store, "GM0166", e.signers["GM0166"].key_id, "sleutel uitgelekt", by=e.signers["OPERATOR"])
    again = e.store.append(*st.as_item())
    assert again.duplicate and again.seq == first.seq
    size = e.store.size()
    fresh = e.sign("GM0166", "cost_line", cost_line(), key="after-revocation")
    try:
        e.store.append(*fresh.as_item())
        raise AssertionError("a new entry signed with the revoked key was admitted")
    except Exception as exc:  # noqa: BLE001 - the code is what matters
        assert getattr(exc, "code", None) == "KEY_NOT_VALID"
    assert e.store.size() == size
