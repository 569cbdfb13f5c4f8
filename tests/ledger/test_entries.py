"""Entry kinds, payload validation and the entitlement table, kind by kind."""
import pytest

from ledger.entitlements import load_entitlements
from ledger.entries import PAYLOADS
from ledger.errors import (ACTOR_NOT_ALLOWED, ALREADY_REVERSED, TRANSITION_NOT_ALLOWED, CLOCK_SKEW, IDEMPOTENCY_CONFLICT, KEY_NOT_VALID, NOT_ENTITLED, PAYLOAD_INVALID,
                           REFERENCE_INVALID, SIGNATURE_INVALID, STATEMENT_INVALID, UNKNOWN_KIND, LedgerError)
from ledger.canonical import canonical_json
from ledger.entries import make_statement
from ledger.crypto import new_signer
from ledger.service import register_key, revoke_key, rotate_key, sign_statement
from ledger_helpers import cost_line, determination, ref
from datetime import datetime, timedelta, timezone


def refused(code, fn, *a, **kw):
    with pytest.raises(LedgerError) as info:
        fn(*a, **kw)
    assert info.value.code == code, info.value
    return info.value


def test_entitlement_table_covers_every_kind():
    assert set(load_entitlements()) == set(PAYLOADS)


def test_determination_and_n4_responses(sqlite_env):
    e = sqlite_env
    det = e.append("GM0166", "determination", determination(addressee="GM0193"))
    refused(NOT_ENTITLED, e.append, "COMMITTEE", "determination", determination())
    # only the addressee may accept or object (N4)
    refused(NOT_ENTITLED, e.append, "GM0200", "acceptance", {"determination": ref(det), "note": ""})
    e.append("GM0193", "acceptance", {"determination": ref(det), "note": "akkoord"})
    e.append("GM0193", "objection", {"determination": ref(det), "reasons": "woonadres onjuist"})
    refused(PAYLOAD_INVALID, e.append, "GM0193", "objection", {"determination": ref(det), "reasons": ""})
    bad = dict(ref(det), entry_hash="0" * 64)
    refused(REFERENCE_INVALID, e.append, "GM0193", "acceptance", {"determination": bad})
    refused(REFERENCE_INVALID, e.append, "GM0193", "acceptance", {"determination": {"seq": 10**6, "entry_hash": "0" * 64}})
    # re-determination (N8) by the original determining party or the operator
    redet = dict(determination(addressee="GM0200"), previous=ref(det), trigger="RETRO_BRP", changes=["cost bearer"])
    refused(NOT_ENTITLED, e.append, "GM0193", "redetermination", redet)
    r2 = e.append("GM0166", "redetermination", redet)
    e.append("GM0200", "acceptance", {"determination": ref(r2)})
    e.append("OPERATOR", "redetermination", dict(redet, previous=ref(r2), outcome={**redet["outcome"],
                                                                               "cost_bearer": "GM0193"}))
    # one that changes nothing of the one it replaces records nothing (issue 14)
    refused("REDETERMINATION_UNCHANGED", e.append, "OPERATOR", "redetermination", dict(redet, previous=ref(r2)))


def test_notices_n1_n2_n5(sqlite_env):
    e = sqlite_env
    n1 = {"placing_party": "GM0166", "host_region": "RG:ijssel-vecht", "host_municipality": "GM0193",
          "cost_bearer": "GM0166", "location": "Zwolle-01", "start_date": "2026-01-05",
          "expected_duration_days": 365, "contract_used": "RG-contract-7", "legal_basis": "pseudoniem"}
    e.append("GM0166", "placement_notice", n1)
    refused(NOT_ENTITLED, e.append, "GM0193", "placement_notice", n1)
    refused(STATEMENT_INVALID, e.append, "GM0166", "placement_notice", n1, client=None)
    n2 = {"sender": "GM0166", "host_municipality": "GM0193", "host_region": "RG:ijssel-vecht",
          "end_date": "2026-06-30", "new_municipality": "GM0193", "responsible_until": "2027-06-30",
          "legal_basis": "pseudoniem"}
    e.append("GM0166", "outflow_notice", n2)
    refused(NOT_ENTITLED, e.append, "GM0200", "outflow_notice", n2)
    n5 = {"meldgemeente": "GM0200", "to_party": "GM0166", "reasons": "meeste kans van slagen",
          "proposed_date": "2026-03-01", "legal_basis": "mandaat"}
    e.append("GM0200", "handover_request", n5)
    refused(NOT_ENTITLED, e.append, "GM0166", "handover_request", n5)


def test_cost_lines_and_reversals(sqlite_env):
    e = sqlite_env
    c = e.append("GM0166", "cost_line", cost_line())
    refused(NOT_ENTITLED, e.append, "GM0193", "cost_line", cost_line())
    refused(PAYLOAD_INVALID, e.append, "GM0166", "cost_line", dict(cost_line(), amount_cents=1))
    e.append("GM0166", "cost_line", cost_line(bearer="GM0166"))  # allowed since issue 4 (pools, monitoring)
    refused(PAYLOAD_INVALID, e.append, "GM0166", "cost_line", dict(cost_line(), period_to="2025-12-01"))
    refused(PAYLOAD_INVALID, e.append, "GM0166", "cost_line", dict(cost_line(), units="31"))  # strict types
    refused(PAYLOAD_INVALID, e.append, "GM0166", "cost_line", dict(cost_line(), extra=1))  # extra=forbid
    refused(STATEMENT_INVALID, e.append, "GM0166", "cost_line", cost_line(), client="123456782")  # a BSN
    refused(NOT_ENTITLED, e.append, "GM0193", "reversal", {"reverses": ref(c), "reason": "x"})
    e.append("GM0166", "reversal", {"reverses": ref(c), "reason": "committee decision"})
    refused(ALREADY_REVERSED, e.append, "GM0166", "reversal", {"reverses": ref(c), "reason": "again"})
    c2 = e.append("GM0166", "cost_line", cost_line())
    # the operator reverses only for a decision (tests/ledger/test_admission_rules.py books one)
    refused(NOT_ENTITLED, e.append, "OPERATOR", "reversal", {"reverses": ref(c2), "reason": "committee decision"})
    det = e.append("GM0166", "determination", determination())
    refused(REFERENCE_INVALID, e.append, "GM0166", "reversal", {"reverses": ref(det), "reason": "x"})
    e.append("GM0166", "cost_line", cost_line(determination=ref(det), historical_budget=True))


def test_settlement_seal_and_disputes(sqlite_env):
    e = sqlite_env
    seal = {"period_from": "2026-01-01", "period_to": "2026-03-31", "through_seq": 3,
            "balances": [{"party": "GM0166", "net_cents": 500}, {"party": "GM0193", "net_cents": -500}]}
    e.append("OPERATOR", "settlement_seal", seal, client=None)
    refused(NOT_ENTITLED, e.append, "GM0166", "settlement_seal", seal, client=None)
    refused(PAYLOAD_INVALID, e.append, "OPERATOR", "settlement_seal",
            dict(seal, balances=[{"party": "GM0166", "net_cents": 1}]), client=None)
    det = e.append("GM0166", "determination", determination())
    opened = {"dispute_id": "D-1", "determination": ref(det), "status": "DETERMINED", "previous_status": None,
              "participants": ["GM0166", "GM0193", "COMMITTEE"], "deadline": "2026-03-01"}
    ev = dict(opened, status="OBJECTED", previous_status="DETERMINED")
    refused(NOT_ENTITLED, e.append, "GM0200", "dispute_event", opened)
    e.append("GM0166", "dispute_event", opened)
    refused(PAYLOAD_INVALID, e.append, "GM0193", "dispute_event", dict(ev, status="LOST"))
    refused(ACTOR_NOT_ALLOWED, e.append, "GM0166", "dispute_event", ev)  # the objection is the addressee's
    e.append("GM0193", "dispute_event", ev)
    refused(TRANSITION_NOT_ALLOWED, e.append, "COMMITTEE", "dispute_event",
            dict(ev, status="DECIDED", previous_status="OBJECTED"))


def test_key_lifecycle(sqlite_env):
    e = sqlite_env
    s, store = e.signers, e.store
    e.append("GM0166", "cost_line", cost_line())
    new = new_signer("GM0166")
    old = s["GM0166"]
    rotate_key(store, old, new)
    refused(KEY_NOT_VALID, e.append, "GM0166", "cost_line", cost_line())  # old key rotated out
    s["GM0166"] = new
    e.append("GM0166", "cost_line", cost_line())
    # a party may not register keys for another party; the operator may
    other = new_signer("GM0193")
    refused(NOT_ENTITLED, register_key, store, other, by=new)
    register_key(store, other)
    revoke_key(store, "GM0193", other.key_id, "laptop lost", by=s["GM0193"])
    s["GM0193"] = other
    refused(KEY_NOT_VALID, e.append, "GM0193", "objection", {"determination": {"seq": 0, "entry_hash": "0" * 64},
                                                              "reasons": "x"})
    refused(PAYLOAD_INVALID, revoke_key, store, "GM0193", other.key_id, "again", by=e.signers["OPERATOR"])
    # expired and not-yet-valid keys
    later = new_signer("GM0200")
    register_key(store, later, valid_from=datetime.now(timezone.utc) + timedelta(days=1))
    s["GM0200"] = later
    refused(KEY_NOT_VALID, e.append, "GM0200", "cost_line", cost_line(fronting="GM0200"))
    # a key of another party
    refused(KEY_NOT_VALID, store.append, *sign_statement(e.signers["GM0166"].__class__("GM0193", new.private_key),
                                                        "cost_line", cost_line(fronting="GM0193", bearer="GM0166"),
                                                        idempotency_key="x1", client="PSN-client-1").as_item())
    # entries signed before the rotation and revocation still verify
    assert store.append and e.store.registry()
    from ledger.verify import verify_store
    assert verify_store(store).ok


def test_refusal_codes(sqlite_env):
    e = sqlite_env
    st = e.sign("GM0166", "cost_line", cost_line())
    refused(SIGNATURE_INVALID, e.store.append, st.statement, st.signature[:-1] + bytes([st.signature[-1] ^ 1]))
    raw = st.statement.replace(b'"kind":"cost_line"', b'"kind":"cost_lime"')
    refused(UNKNOWN_KIND, e.store.append, raw, e.signers["GM0166"].sign(raw))
    raw = st.statement.replace(b'{"author"', b'{ "author"')
    refused(STATEMENT_INVALID, e.store.append, raw, e.signers["GM0166"].sign(raw))
    refused(KEY_NOT_VALID, e.store.append, *sign_statement(new_signer("GM0166"), "cost_line", cost_line(),
                                                           idempotency_key="z", client="PSN-client-1").as_item())
    old = datetime.now(timezone.utc) - timedelta(hours=1)
    refused(CLOCK_SKEW, e.append, "GM0166", "cost_line", cost_line(), authored_at=old)
    first = e.store.append(*st.as_item())
    again = e.store.append(*e.sign("GM0166", "cost_line", cost_line(), key=st_key(st)).as_item())
    assert again.duplicate and again.seq == first.seq and again.entry_hash == first.entry_hash
    err = refused(IDEMPOTENCY_CONFLICT, e.append, "GM0166", "cost_line", cost_line(units=2), key=st_key(st))
    assert err.seq == first.seq
    size = e.store.size()
    # a batch with one bad item stores nothing
    good = e.sign("GM0166", "cost_line", cost_line())
    bad = e.sign("GM0193", "cost_line", cost_line())
    err = refused(NOT_ENTITLED, e.store.append_batch, [good.as_item(), bad.as_item()])
    assert err.index == 1 and e.store.size() == size


def st_key(st):
    import json
    return json.loads(st.statement)["idempotency_key"]


def test_statement_bytes_are_canonical():
    s = new_signer("GM0166")
    raw = make_statement(kind="cost_line", author="GM0166", key_id=s.key_id, payload=cost_line(),
                         idempotency_key="a", authored_at=datetime(2026, 1, 1, tzinfo=timezone.utc), client="PSN-abcdef")
    import json
    assert canonical_json(json.loads(raw)) == raw
    assert b'"authored_at":"2026-01-01T00:00:00.000000Z"' in raw


# --- the entitlement table, kind by kind: one entitled author is admitted, one other is refused ----
def _kind_cases(e):
    """kind -> (payload, entitled author, refused author, client) with the entries they refer to made."""
    det = e.append("GM0166", "determination", determination(addressee="GM0193"))
    line = e.append("GM0166", "cost_line", cost_line())
    deviating = e.append("GM0166", "cost_line", cost_line(tariff=20_000))
    new_gm = new_signer("GM0200")
    n1 = {"placing_party": "GM0166", "host_region": "RG:ijssel-vecht", "host_municipality": "GM0193",
          "cost_bearer": "GM0166", "location": "Zwolle-01", "start_date": "2026-01-05", "contract_used": "c-7",
          "legal_basis": "pseudoniem"}
    n2 = {"sender": "GM0166", "host_municipality": "GM0193", "host_region": "RG:ijssel-vecht", "end_date": "2026-06-30",
          "legal_basis": "pseudoniem"}
    n5 = {"meldgemeente": "GM0200", "to_party": "GM0166", "reasons": "kans van slagen", "proposed_date": "2026-03-01",
          "legal_basis": "pseudoniem"}
    notice = e.append("GM0166", "placement_notice", n1)
    size = e.store.size()  # a fresh placement id each call (a second record of one replaces the first)
    n5_entry = e.append("GM0200", "handover_request", n5)
    seal = {"period_from": "2026-01-01", "period_to": "2026-03-31", "through_seq": 3,
            "balances": [{"party": "GM0166", "net_cents": 5}, {"party": "GM0193", "net_cents": -5}]}
    ev = {"dispute_id": "D-9", "determination": ref(det), "status": "DETERMINED",
          "participants": ["GM0166", "GM0193", "COMMITTEE"]}
    redet = dict(determination(addressee="GM0200"), previous=ref(det), trigger="RETRO_BRP")
    reg = {"party": "GM0200", "key_id": new_gm.key_id, "public_key": new_gm.public_key.hex(),
           "valid_from": e.store.clock().isoformat(), "valid_until": None}
    gm0193 = e.signers["GM0193"]
    rot = {"party": "GM0193", "old_key_id": gm0193.key_id, "new_key_id": new_gm.key_id,
           "new_public_key": new_gm.public_key.hex(), "valid_until": None}
    rev = {"party": "GM0193", "key_id": gm0193.key_id, "reason": "laptop kwijt"}
    return {
        "determination": (determination(), "RG:ijssel-vecht", "COMMITTEE", "PSN-client-1"),
        "acceptance": ({"determination": ref(det)}, "GM0193", "GM0166", "PSN-client-1"),
        "objection": ({"determination": ref(det), "reasons": "onjuist"}, "GM0193", "GM0200", "PSN-client-1"),
        "placement_notice": (n1, "GM0166", "GM0193", "PSN-client-1"),
        "placement": ({"placement_id": f"pl-{size}", "fronting_party": "GM0166", "cost_bearer": "GM0193",
                       "provider": "Zorgaanbieder De Brug", "product": "15A01", "start_date": "2026-01-05",
                       "determination": ref(det), "notice": ref(notice)}, "GM0166", "GM0193", "PSN-client-1"),
        "outflow_notice": (n2, "GM0166", "GM0193", "PSN-client-1"),
        "handover_request": (n5, "GM0200", "GM0166", "PSN-client-1"),
        "redetermination": (redet, "GM0166", "GM0193", "PSN-client-1"),
        "cost_line": (cost_line(fronting="GM0193", bearer="GM0200"), "GM0193", "GM0200", "PSN-client-1"),
        "reversal": ({"reverses": ref(line), "reason": "fout"}, "GM0166", "GM0193", "PSN-client-1"),
        "tariff_acceptance": ({"cost_line": ref(deviating), "period_from": "2026-01-01", "period_to": "2026-01-31",
                               "product": "15A01", "units": 31, "tariff_cents": 20_000}, "GM0193", "GM0166",
                              "PSN-client-1"),
        "acknowledgement": ({"notice": ref(notice)}, "GM0193", "GM0200", "PSN-client-1"),
        "handover_answer": ({"request": ref(n5_entry), "accepted": True, "take_over_date": "2026-03-01"}, "GM0166",
                            "GM0193", "PSN-client-1"),
        "settlement_seal": (seal, "OPERATOR", "GM0166", None),
        "audit_anchor": ({"access_size": 3, "access_hash": "a" * 64, "processing_size": 3,
                          "processing_hash": "b" * 64}, "OPERATOR", "GM0166", None),
        "dispute_event": (ev, "GM0166", "GM0200", "PSN-client-1"),
        "key_registration": (reg, "OPERATOR", "GM0166", None),
        "key_rotation": (rot, "GM0193", "GM0166", None),
        "key_revocation": (rev, "GM0193", "GM0200", None),
    }


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_entitlement_kind_by_kind(sqlite_env, kind):
    e = sqlite_env
    cases = _kind_cases(e)
    assert set(cases) == set(PAYLOADS)  # a new kind needs its line here
    payload, allowed, other, client = cases[kind]
    size = e.store.size()
    refused(NOT_ENTITLED, e.append, other, kind, payload, client=client)
    assert e.store.size() == size  # nothing stored
    e.append(allowed, kind, payload, client=client)
    assert e.store.size() == size + 1
    from ledger.verify import verify_store
    assert verify_store(e.store).ok


def test_expired_key_and_clock_skew(backend, tmp_path):
    """A key past its valid_until is refused, what it signed before still verifies; authored_at more
    than max_skew from received_at (either way) is refused; max_skew is configurable."""
    from ledger.verify import verify_store
    from ledger_helpers import LedgerEnv

    now = [datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)]
    e = LedgerEnv.create(backend[0], backend[1], tmp_path / "keys", parties=["GM0193"], clock=lambda: now[0],
                         max_skew=timedelta(seconds=30))
    try:
        gm = new_signer("GM0166")
        register_key(e.store, gm, valid_from=now[0] - timedelta(days=1), valid_until=now[0] + timedelta(hours=1))
        e.signers["GM0166"] = gm
        first = e.append("GM0166", "cost_line", cost_line(), authored_at=now[0])
        refused(CLOCK_SKEW, e.append, "GM0166", "cost_line", cost_line(), authored_at=now[0] - timedelta(seconds=31))
        refused(CLOCK_SKEW, e.append, "GM0166", "cost_line", cost_line(), authored_at=now[0] + timedelta(seconds=31))
        e.append("GM0166", "cost_line", cost_line(), authored_at=now[0] + timedelta(seconds=29))
        now[0] += timedelta(hours=2)
        err = refused(KEY_NOT_VALID, e.append, "GM0166", "cost_line", cost_line(), authored_at=now[0])
        assert "expired" in err.message
        report = verify_store(e.store)
        assert report.ok and report.entries == first.seq + 2, report.problems
    finally:
        e.store.dispose()


def test_idempotency_on_both_backends(env):
    e = env
    st = e.sign("GM0166", "cost_line", cost_line(), key="idem-1")
    first = e.store.append(*st.as_item())
    again = e.store.append(*e.sign("GM0166", "cost_line", cost_line(), key="idem-1").as_item())  # re-signed later
    assert again.duplicate and (again.seq, again.entry_hash) == (first.seq, first.entry_hash)
    size = e.store.size()
    err = refused(IDEMPOTENCY_CONFLICT, e.append, "GM0166", "cost_line", cost_line(units=3), key="idem-1")
    assert err.seq == first.seq and e.store.size() == size
    # the same key by another author is another entry
    assert not e.append("GM0193", "cost_line", cost_line(fronting="GM0193", bearer="GM0166"), key="idem-1").duplicate
    # within one batch: a repeat is the same entry, a conflict refuses the whole batch
    batch = [e.sign("GM0166", "cost_line", cost_line(), key="idem-2").as_item()] * 2
    r = e.store.append_batch(batch)
    assert r[0].seq == r[1].seq and r[1].duplicate
    size = e.store.size()
    refused(IDEMPOTENCY_CONFLICT, e.store.append_batch,
            [e.sign("GM0166", "cost_line", cost_line(), key="idem-3").as_item(),
             e.sign("GM0166", "cost_line", cost_line(units=4), key="idem-3").as_item()])
    assert e.store.size() == size


def test_parse_statement_validators_are_the_models_own():
    """parse_statement calls each statement model's pydantic-core validator directly: every model must
    be complete (no deferred rebuild that model_validate_json would have triggered)."""
    import pydantic_core

    from ledger.entries import _VALIDATORS, STATEMENT_MODELS

    assert set(_VALIDATORS) == set(STATEMENT_MODELS)
    for kind, model in STATEMENT_MODELS.items():
        assert isinstance(_VALIDATORS[kind], pydantic_core.SchemaValidator)
        assert _VALIDATORS[kind] is model.__pydantic_validator__


def test_a_key_revoked_through_another_store_is_refused_at_the_next_append(env):
    """A Store keeps its key registry between batches and skips the registry query when nothing was
    appended since its own last batch; an entry appended by another Store (another process) on the
    same database must still be seen under the write lock."""
    from ledger.service import open_ledger

    store = env.store
    env.append("GM0166", "cost_line", cost_line())
    env.append("GM0166", "cost_line", cost_line())  # this store's registry is now up to date
    other = open_ledger(store.url, env.keys_dir, schema=store.schema)
    try:
        revoke_key(other, "GM0166", env.signers["GM0166"].key_id, "laptop lost", by=env.signers["GM0166"])
    finally:
        other.dispose()
    refused(KEY_NOT_VALID, env.append, "GM0166", "cost_line", cost_line())
    fresh = new_signer("GM0166")
    register_key(store, fresh)
    env.signers["GM0166"] = fresh
    assert env.append("GM0166", "cost_line", cost_line()).seq > 0


def test_a_batch_with_replays_returns_the_originals_and_stores_the_rest_once(env):
    """The first attempt of a batch does not look up its idempotency keys; a replayed key makes the
    unique index refuse it and the batch is stored again with the look-up (both backends)."""
    first = env.append("GM0166", "cost_line", cost_line(), key="replay-1")
    size = env.store.size()
    replay = env.sign("GM0166", "cost_line", cost_line(), key="replay-1")
    new_a, new_b = env.sign("GM0166", "cost_line", cost_line()), env.sign("GM0166", "cost_line", cost_line())
    results = env.store.append_batch([new_a.as_item(), replay.as_item(), new_b.as_item(), replay.as_item()])
    assert [r.duplicate for r in results] == [False, True, False, True]
    assert results[1].seq == results[3].seq == first.seq and results[1].entry_hash == first.entry_hash
    assert [r.seq for r in results if not r.duplicate] == [size, size + 1]
    assert env.store.size() == size + 2
    # other content under a stored key: refused, with its index, and nothing of the batch is stored
    other = env.sign("GM0166", "cost_line", cost_line(units=7), key="replay-1")
    err = refused(IDEMPOTENCY_CONFLICT, env.store.append_batch,
                  [env.sign("GM0166", "cost_line", cost_line()).as_item(), other.as_item()])
    assert err.index == 1 and err.seq == first.seq and env.store.size() == size + 2
    from ledger.verify import verify_store

    assert verify_store(env.store).ok


def test_only_the_idempotency_index_makes_a_batch_retry(env):
    """_idempotency_key_taken tells the unique index on (author, idempotency_key) from any other
    integrity error (here: a duplicate sequence number), on the real driver of each backend."""
    import sqlalchemy as sa

    from ledger.store import ENTRY_COLUMNS, _idempotency_key_taken, entries

    env.append("GM0166", "cost_line", cost_line(), key="idx-1")
    with env.store.engine.connect() as conn:
        row = conn.execute(
            sa.select(*[entries.c[c] for c in ENTRY_COLUMNS]).where(entries.c.idempotency_key == "idx-1")).one()
    values = dict(zip(ENTRY_COLUMNS, row))
    caught = {}
    for label, change in (("same key", {"seq": 10_000_000}), ("same seq", {"idempotency_key": "idx-other"})):
        with env.store.engine.connect() as conn:
            try:
                with conn.begin():
                    conn.execute(entries.insert().values(**{**values, **change}))
            except Exception as exc:  # noqa: BLE001
                caught[label] = exc
    assert set(caught) == {"same key", "same seq"}
    assert _idempotency_key_taken(caught["same key"]) is True
    assert _idempotency_key_taken(caught["same seq"]) is False
    assert _idempotency_key_taken(ValueError("ledger_entries.author, ledger_entries.idempotency_key")) is False


def test_referenced_seqs_are_the_reference_fields_and_a_dispute_events_bookings():
    """What the store reads before a batch and verify before a chunk: every entry a payload refers to."""
    import json

    from ledger.entries import PAYLOADS

    h = "ab" * 32
    line = PAYLOADS["cost_line"].model_validate_json(json.dumps(
        {**cost_line(), "determination": {"seq": 3, "entry_hash": h}, "replaces": {"seq": 9, "entry_hash": h}}))
    assert sorted(line.referenced_seqs()) == [3, 9]
    event = PAYLOADS["dispute_event"].model_validate_json(json.dumps(
        {"dispute_id": "GS-1", "determination": {"seq": 3, "entry_hash": h}, "status": "IMPLEMENTED",
         "previous_status": "DECIDED", "participants": ["GM0166", "GM0193"],
         "bookings": [{"seq": 11, "entry_hash": h}, {"seq": 12, "entry_hash": h}]}))
    assert sorted(event.referenced_seqs()) == [3, 11, 12]
