"""append_batch admits non-key entries without references inline (client rule, key window per (key,
author), entitlement) instead of calling check.check_admission: property tests that it accepts and
refuses exactly what check_admission does, with the same code and message."""
import itertools
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings, strategies as st

from ledger.check import check_admission
from ledger.crypto import new_signer
from ledger.entitlements import load_entitlements
from ledger.entries import make_statement, parse_statement
from ledger.errors import LedgerError
from ledger.service import init_ledger, register_key, sign_statement
from ledger_helpers import cost_line, determination

PARTIES = ["GM0166", "GM0193", "GM0200", "RG:ijssel-vecht", "COMMITTEE", "OPERATOR"]

T = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
_ENV: dict = {}
_counter = itertools.count()


def _env():
    """One store (fixed clock) with valid, expired, not yet valid and revoked keys."""
    if not _ENV:
        tmp = Path(tempfile.mkdtemp())
        store = init_ledger(f"sqlite:///{tmp / 'l.db'}", tmp / "keys", clock=lambda: T)
        keys = {"OPERATOR": store.operator}
        for p in PARTIES[:-1]:
            keys[p] = new_signer(p)
            register_key(store, keys[p])
        keys["expired"] = new_signer("GM0200")
        register_key(store, keys["expired"], valid_from=T - timedelta(hours=2), valid_until=T - timedelta(hours=1))
        keys["future"] = new_signer("GM0166")
        register_key(store, keys["future"], valid_from=T + timedelta(hours=1))
        keys["revoked"] = new_signer("GM0193")
        register_key(store, keys["revoked"])
        store.append(*sign_statement(store.operator, "key_revocation", {"party": "GM0193", "key_id": keys["revoked"].key_id,
                                                                        "reason": "lost"},
                                     idempotency_key="revoke-1", authored_at=T).as_item())
        _ENV.update(store=store, keys=keys)
    return _ENV["store"], _ENV["keys"]


def _payload(kind, a, b, c, d):
    if kind == "cost_line":
        return cost_line(fronting=a, bearer=b)
    if kind == "determination":
        return determination(addressee=b)
    if kind == "placement_notice":
        return {"placing_party": a, "host_region": b, "host_municipality": c, "cost_bearer": d, "location": "L1",
                "start_date": "2026-01-01", "contract_used": "c-1"}
    if kind == "outflow_notice":
        return {"sender": a, "host_municipality": b, "host_region": c, "end_date": "2026-01-31"}
    if kind == "handover_request":
        return {"meldgemeente": a, "to_party": b, "reasons": "r", "proposed_date": "2026-02-01"}
    return {"period_from": "2026-01-01", "period_to": "2026-03-31", "through_seq": 0,  # settlement_seal
            "balances": [{"party": a, "net_cents": 100}, {"party": b, "net_cents": -100}]}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["cost_line", "determination", "placement_notice", "outflow_notice",
                             "handover_request", "settlement_seal"]),
       author=st.sampled_from(PARTIES),
       key=st.sampled_from(["own", "own", "own", "other", "expired", "future", "revoked"]),
       other=st.sampled_from(PARTIES),
       client=st.sampled_from([None, "PSN-client-1", "PSN-client-1", "PSN-client-1"]),
       parties=st.tuples(*[st.sampled_from(PARTIES)] * 4))
def test_inline_admission_equals_check_admission(kind, author, key, other, client, parties):
    store, keys = _env()
    signer = keys[author] if key == "own" else keys[other] if key == "other" else keys[key]
    raw = make_statement(kind=kind, author=author, key_id=signer.key_id, payload=_payload(kind, *parties),
                         idempotency_key=f"p-{next(_counter)}", authored_at=T, client=client)
    sig = signer.sign(raw)
    st_ = parse_statement(raw)
    size = store.size()
    want = check_admission(st_, size, T, store.registry(), lambda _seq: None, rules=load_entitlements())
    try:
        result = store.append_batch([(raw, sig)])
        got = None
    except LedgerError as exc:
        got = (exc.code, exc.message)
        assert exc.index == 0 and store.size() == size
    event(got[0] if got else "admitted")
    assert got == ((want.code, want.message) if want else None)
    if got is None:
        assert result[0].seq == size and store.size() == size + 1


def test_key_entries_inside_a_batch_change_the_inline_key_windows(tmp_path):
    """A key entry in a batch empties the per-(key, author) windows: a revocation refuses the same
    key's later entries of that batch, a registration admits them."""
    from ledger.errors import KEY_NOT_VALID
    from ledger_helpers import LedgerEnv

    e = LedgerEnv.create(f"sqlite:///{tmp_path / 'l.db'}", None, tmp_path / "keys", parties=["GM0166"])
    gm, op = e.signers["GM0166"], e.store.operator
    line = lambda: sign_statement(gm, "cost_line", cost_line(), idempotency_key=f"b-{next(_counter)}",  # noqa: E731
                                  client="PSN-client-1").as_item()
    revoke = sign_statement(op, "key_revocation", {"party": "GM0166", "key_id": gm.key_id, "reason": "lost"},
                            idempotency_key="revoke-gm").as_item()
    size = e.store.size()
    try:
        e.store.append_batch([line(), line(), revoke, line()])
        raise AssertionError("a revoked key's entry was admitted")
    except LedgerError as exc:
        assert exc.code == KEY_NOT_VALID and exc.index == 3 and "revoked" in exc.message
    assert e.store.size() == size
    new = new_signer("GM0166")
    now = datetime.now(timezone.utc)
    register = sign_statement(op, "key_registration", {
        "party": "GM0166", "key_id": new.key_id, "public_key": new.public_key.hex(),
        "valid_from": (now - timedelta(seconds=1)).isoformat(), "valid_until": None},
        idempotency_key="register-new").as_item()
    with_new = sign_statement(new, "cost_line", cost_line(), idempotency_key="with-new", client="PSN-client-1").as_item()
    results = e.store.append_batch([line(), revoke, register, with_new])
    assert [r.seq for r in results] == list(range(size, size + 4))
    e.store.dispose()


_AT = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)).map(
    lambda d: d.replace(tzinfo=timezone.utc))


@settings(max_examples=300, deadline=None)
@given(registered=st.integers(0, 20), ended=st.one_of(st.none(), st.integers(0, 40)), seq=st.integers(0, 45),
       valid_from=_AT, valid_for=st.one_of(st.none(), st.integers(0, 400)), at=_AT,
       owner=st.sampled_from(["GM0166", "GM0193"]), author=st.sampled_from(["GM0166", "GM0193"]),
       registered_at_all=st.booleans())
def test_the_key_window_admits_exactly_when_key_problem_finds_none(registered, ended, seq, valid_from, valid_for,
                                                                   at, owner, author, registered_at_all):
    """KeyWindow.admits (the per-entry test of the inline admissions) and KeyRegistry.key_problem
    (the messages) state the same conditions."""
    from ledger.registry import KeyRecord, KeyRegistry

    reg = KeyRegistry()
    if registered_at_all:
        until = valid_from + timedelta(days=valid_for) if valid_for is not None else None
        reg.records["k1"] = KeyRecord("k1", owner, b"\x00" * 32, valid_from, until, registered,
                                      ended, "revoked" if ended is not None else None)
    w = reg.window("k1", author)
    admitted = w is not None and w.admits(seq, at)
    event(f"admitted={admitted}")
    assert admitted == (reg.key_problem("k1", author, seq, at) is None)
