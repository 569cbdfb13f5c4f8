"""Tampering: every stored column mutated by raw SQL (triggers dropped) is found by verify, which
names the affected sequence number; deleted, inserted and reordered rows are found too.

One store of >= 1,000 entries per backend and worker; each example mutates, verifies, and undoes.
"""
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from ledger.checkpoints import note_from
from ledger.store import UTCDateTime
from ledger.verify import verify_store
from ledger_helpers import PG_PARAM, LedgerEnv, cost_line, determination, ref
from tamper_helpers import drop_append_only_triggers, execute, insert_by_hand, remove_by_hand

N_ENTRIES = 1000
ENTRY_TEXT = ["kind", "author", "key_id", "idempotency_key", "client"]
ENTRY_BYTES = ["prev_hash", "leaf_hash", "statement", "signature"]
CHECKPOINT_COLUMNS = {"tree_size": "int", "root_hash": "bytes", "created_at": "ts", "key_id": "text",
                      "signature": "bytes", "note": "bytes"}


def _build(url, schema, keys: Path) -> LedgerEnv:
    e = LedgerEnv.create(url, schema, keys)
    det = e.append("GM0166", "determination", determination())
    e.append("GM0193", "acceptance", {"determination": ref(det)})
    parties = [("GM0166", "GM0193"), ("GM0193", "GM0200"), ("GM0200", "GM0166")]
    for chunk in range(4):
        items = []
        for i in range(250):
            f, b = parties[i % 3]
            items.append(e.sign(f, "cost_line", cost_line(fronting=f, bearer=b, units=1 + i % 30),
                                client=None if False else f"PSN-{chunk}-{i:04d}").as_item())
        e.store.append_batch(items)
    drop_append_only_triggers(e.store)
    assert e.store.size() >= N_ENTRIES
    return e


@pytest.fixture(scope="module", params=["sqlite", PG_PARAM])
def tampered_env(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tamper")
    if request.param == "sqlite":
        e = _build(f"sqlite:///{tmp / 'ledger.db'}", None, tmp / "keys")
        yield e
        e.store.dispose()
        return
    from ledger_helpers import PG_URL

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    e = _build(PG_URL, schema, tmp / "keys")
    yield e
    e.store.dispose()
    with admin.begin() as c:
        c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


def _exec(e, sql, **params):
    return execute(e.store, sql, **params)


def _get(e, table, column, where):
    col = sa.column(column, UTCDateTime() if column in ("received_at", "created_at", "last_received_at") else None)
    with e.store.engine.connect() as c:
        return c.execute(sa.select(col).select_from(sa.table(table)).where(sa.text(where))).scalar_one()


def _taken(e, seq, key) -> bool:
    """Whether the author of entry `seq` has another entry with idempotency key `key` (the keys are
    numbered by a counter shared by the whole test session, so a one-character change can hit one)."""
    with e.store.engine.connect() as c:
        return c.execute(sa.text("SELECT count(*) FROM ledger_entries WHERE idempotency_key = :k AND author = "
                                 "(SELECT author FROM ledger_entries WHERE seq = :s)"), {"k": key, "s": seq}).scalar_one() > 0


def _mutate_text(value: str, pos: int, char: str) -> str:
    i = pos % len(value)
    new = char if char != value[i] else ("a" if value[i] != "a" else "b")
    return value[:i] + new + value[i + 1:]


def _mutate_bytes(value: bytes, pos: int, delta: int) -> bytes:
    i = pos % len(value)
    return value[:i] + bytes([value[i] ^ delta]) + value[i + 1:]


def _shift_seq(e, start, delta):
    with e.store.engine.connect() as c:
        seqs = [r[0] for r in c.exec_driver_sql(f"SELECT seq FROM ledger_entries WHERE seq >= {start} ORDER BY seq")]
    with e.store.engine.begin() as c:
        for s in (reversed(seqs) if delta > 0 else seqs):
            c.exec_driver_sql(f"UPDATE ledger_entries SET seq = seq + ({delta}) WHERE seq = {s}")


FAST = settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("column", ["seq", "received_at"] + ENTRY_TEXT + ENTRY_BYTES)
@FAST
@given(data=st.data())
def test_entry_column_mutation_is_found(tampered_env, column, data):
    e = tampered_env
    size = e.store.size()
    seq = data.draw(st.integers(0, size - 1), label="seq")
    if column == "seq":
        _shift_seq(e, seq, +1)
        try:
            report = verify_store(e.store)
        finally:
            _shift_seq(e, seq + 1, -1)
        assert seq in report.seqs(), report.problems[:5]
        return
    where = f"seq = {seq}"
    old = _get(e, "ledger_entries", column, where)
    if column == "received_at":
        new = old + timedelta(seconds=data.draw(st.sampled_from([-1, 1]), label="shift"))
    elif column in ENTRY_TEXT:
        pos = data.draw(st.integers(0, 200), label="pos")
        char = data.draw(st.characters(min_codepoint=48, max_codepoint=122), label="char")
        new = _mutate_text(old, pos, char) if old else "PSN-added"
        if column == "idempotency_key" and _taken(e, seq, new):
            new += "~"  # another entry's key: the unique index would refuse the UPDATE itself
    else:
        old = bytes(old)
        new = _mutate_bytes(old, data.draw(st.integers(0, 10_000), label="pos"), data.draw(st.integers(1, 255)))
    schemas = data.draw(st.booleans(), label="schemas")  # the fast path with and without schema checks
    _exec(e, f"UPDATE ledger_entries SET {column} = :v WHERE {where}", v=new)
    try:
        report = verify_store(e.store, schemas=schemas)
    finally:
        _exec(e, f"UPDATE ledger_entries SET {column} = :v WHERE {where}", v=old)
    assert seq in report.seqs(), (column, report.problems[:5])


@pytest.mark.parametrize("column", sorted(CHECKPOINT_COLUMNS))
@FAST
@given(data=st.data())
def test_checkpoint_column_mutation_is_found(tampered_env, column, data):
    e = tampered_env
    cps = e.store.checkpoints()
    cp = cps[data.draw(st.integers(0, len(cps) - 1), label="checkpoint")]
    where = f"id = {cp.id}"
    old = _get(e, "ledger_checkpoints", column, where)
    kind = CHECKPOINT_COLUMNS[column]
    if kind == "int":
        new = old + 1
    elif kind == "ts" and cp.note is not None:
        # a checkpoint note carries no time (c2sp.org/tlog-checkpoint): its created_at is what the row says
        # about it, held to the note's format by its date (a JSON checkpoint before note_from)
        new = note_from() - timedelta(seconds=data.draw(st.integers(1, 10**6), label="before"))
    elif kind == "ts":
        new = old + timedelta(seconds=1)
    elif kind == "text":
        new = _mutate_text(old, data.draw(st.integers(0, 63)), data.draw(st.sampled_from("0123456789abcdef")))
    elif old is None:  # the note of a JSON checkpoint: a note added to it
        new = e.store.latest_checkpoint_note()
    else:
        old = bytes(old)
        new = _mutate_bytes(old, data.draw(st.integers(0, len(old) - 1)), data.draw(st.integers(1, 255)))
    _exec(e, f"UPDATE ledger_checkpoints SET {column} = :v WHERE {where}", v=new)
    try:
        report = verify_store(e.store)
    finally:
        _exec(e, f"UPDATE ledger_checkpoints SET {column} = :v WHERE {where}", v=old)
    named = [p.seq for p in report.problems if p.checkpoint_id == cp.id]
    assert named, (column, report.problems[:5])
    assert set(named) <= {cp.tree_size - 1, cp.tree_size}  # the last entry it covers (as stored)


def _copy_row(e, seq):
    with e.store.engine.connect() as c:
        return dict(c.execute(sa.text(f"SELECT * FROM ledger_entries WHERE seq = {seq}")).mappings().one())


def _insert_row(e, row):
    cols = ", ".join(row)
    vals = ", ".join(f":{k}" for k in row)
    with e.store.engine.begin() as c:
        c.execute(sa.text(f"INSERT INTO ledger_entries ({cols}) VALUES ({vals})"), row)


def test_deleted_rows_are_found(tampered_env):
    e = tampered_env
    size = e.store.size()
    for seq in (500, size - 1, 0):
        row = _copy_row(e, seq)
        _exec(e, f"DELETE FROM ledger_entries WHERE seq = {seq}")
        try:
            report = verify_store(e.store)
        finally:
            _insert_row(e, row)
        assert seq in report.seqs(), (seq, report.problems[:5])
    assert verify_store(e.store).ok


def test_inserted_row_is_found(tampered_env):
    e = tampered_env
    row = _copy_row(e, 300)
    _shift_seq(e, 301, +1)
    forged = dict(row, seq=301, idempotency_key=row["idempotency_key"] + "-forged")
    _insert_row(e, forged)
    try:
        report = verify_store(e.store)
    finally:
        _exec(e, "DELETE FROM ledger_entries WHERE seq = 301")
        _shift_seq(e, 302, -1)
    assert 301 in report.seqs(), report.problems[:5]
    # an extra row appended at the end, copied from another
    last = e.store.size()
    _insert_row(e, dict(_copy_row(e, 10), seq=last, idempotency_key="appended-by-hand"))
    try:
        report = verify_store(e.store)
    finally:
        _exec(e, f"DELETE FROM ledger_entries WHERE seq = {last}")
    assert last in report.seqs(), report.problems[:5]
    assert verify_store(e.store).ok


def test_reordered_rows_are_found(tampered_env):
    e = tampered_env

    def swap(a, b):
        with e.store.engine.begin() as c:
            c.exec_driver_sql(f"UPDATE ledger_entries SET seq = -1 WHERE seq = {a}")
            c.exec_driver_sql(f"UPDATE ledger_entries SET seq = {a} WHERE seq = {b}")
            c.exec_driver_sql(f"UPDATE ledger_entries SET seq = {b} WHERE seq = -1")

    swap(600, 601)
    try:
        report = verify_store(e.store)
    finally:
        swap(600, 601)
    assert {600, 601} <= report.seqs(), report.problems[:5]
    assert verify_store(e.store).ok


TREE_STATE_COLUMNS = {"tree_size": "int", "head_hash": "bytes", "frontier": "bytes", "last_received_at": "ts",
                      "checkpoint_size": "int"}


@pytest.mark.parametrize("column", sorted(TREE_STATE_COLUMNS))
@FAST
@given(data=st.data())
def test_tree_state_column_mutation_is_found(tampered_env, column, data):
    e = tampered_env
    last = e.store.size() - 1
    old = _get(e, "ledger_tree_state", column, "id = 1")
    kind = TREE_STATE_COLUMNS[column]
    if kind == "int":
        new = old + data.draw(st.sampled_from([-1, 1]), label="delta")
    elif kind == "ts":
        new = old + timedelta(seconds=data.draw(st.sampled_from([-1, 1]), label="shift"))
    else:
        old = bytes(old)
        new = _mutate_bytes(old, data.draw(st.integers(0, 10_000), label="pos"), data.draw(st.integers(1, 255)))
    _exec(e, f"UPDATE ledger_tree_state SET {column} = :v WHERE id = 1", v=new)
    try:
        report = verify_store(e.store)
    finally:
        _exec(e, f"UPDATE ledger_tree_state SET {column} = :v WHERE id = 1", v=old)
    found = [p for p in report.problems if p.code == "TREE_STATE_MISMATCH"]
    assert found and found[0].seq == last and column in found[0].message, (column, report.problems[:5])
    assert verify_store(e.store).ok


def test_signed_but_never_admitted_entry_is_found_by_deep_verify(tampered_env):
    """An entry that was signed with a valid key but never passed admission (a payload its schema
    refuses, put in by raw SQL with a correct chain, tree state and checkpoint) is invisible to the
    signature and chain checks: schemas=True or deep=True re-validate payloads and report it."""
    e = tampered_env
    store = e.store
    bad = e.sign("GM0166", "cost_line", cost_line(units=2, tariff=10, amount_cents=21))  # 2 * 10 != 21
    with pytest.raises(Exception):
        store.append(*bad.as_item())  # refused on admission
    seq, state = insert_by_hand(store, bad)
    try:
        for kw in ({}, {"deep": True}):  # the replay of admission validates every payload schema
            report = verify_store(store, **kw)
            assert [(p.seq, p.code) for p in report.problems] == [(seq, "PAYLOAD_INVALID")], (kw, report.problems)
    finally:
        remove_by_hand(store, seq, state)
    assert verify_store(store).ok


def test_an_entry_by_a_party_not_entitled_is_found_by_every_verify(tampered_env):
    """A cost line signed by a party other than its fronting party (the entitlement table refuses
    it), stored by raw SQL with a correct chain: the verifier's inline admission reports
    NOT_ENTITLED on the plain path (payload as parsed JSON) and on the schema path (payload model)."""
    e = tampered_env
    store = e.store
    bad = e.sign("GM0193", "cost_line", cost_line(fronting="GM0166", bearer="GM0200"))
    with pytest.raises(Exception):
        store.append(*bad.as_item())  # refused on admission
    seq, state = insert_by_hand(store, bad)
    try:
        for kw in ({}, {"schemas": True}, {"deep": True}):
            report = verify_store(store, **kw)
            assert [(p.seq, p.code) for p in report.problems] == [(seq, "NOT_ENTITLED")], (kw, report.problems)
    finally:
        remove_by_hand(store, seq, state)
    assert verify_store(store).ok
