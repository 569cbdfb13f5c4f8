"""Store behaviour on SQLite and PostgreSQL: append-only triggers, batches, checkpoints, threads."""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ledger.merkle import MerkleTree, verify_consistency, verify_inclusion
from ledger.service import checkpoint_due, checkpoint_if_due
from ledger.verify import verify_store
from ledger.errors import NOT_ENTITLED, REFERENCE_INVALID, STATEMENT_INVALID, LedgerError
from ledger_helpers import cost_line, determination, ref


@pytest.mark.parametrize("table,column", [("ledger_entries", "kind"), ("ledger_checkpoints", "key_id")])
def test_triggers_refuse_update_and_delete(env, table, column):
    e = env
    e.append("GM0166", "cost_line", cost_line())
    for sql in (f"UPDATE {table} SET {column} = 'x'", f"DELETE FROM {table}"):
        with pytest.raises(sa.exc.DatabaseError) as info:
            with e.store.engine.begin() as c:
                c.exec_driver_sql(sql)
        assert "append-only" in str(info.value)
    if e.store.dialect == "postgresql":
        with pytest.raises(sa.exc.DatabaseError):
            with e.store.engine.begin() as c:
                c.exec_driver_sql(f"TRUNCATE {table}")
    assert verify_store(e.store).ok


def test_migrate_twice_and_verify(env):
    env.store.migrate()
    assert env.store.size() == 1 + 5 + 9  # genesis + five party keys + the nine bases of ledger_helpers
    assert verify_store(env.store).ok


def test_batch_is_one_transaction_with_checkpoints_every_1000(env):
    e = env
    before = e.store.size()
    items = [e.sign("GM0166", "cost_line", cost_line(units=1 + i % 28)).as_item() for i in range(2100)]
    results = e.store.append_batch(items)
    assert [r.seq for r in results] == list(range(before, before + 2100))
    assert len({r.received_at for r in results}) == 1
    sizes = [cp.tree_size for cp in e.store.checkpoints()]
    assert {1000, 2000, before + 2100} <= set(sizes)
    report = verify_store(e.store)
    assert report.ok, report.problems[:5]
    # proofs against the stored checkpoints
    tree = MerkleTree(e.store.leaf_hashes())
    cps = e.store.checkpoints()
    for a, b in zip(cps, cps[1:]):
        assert verify_consistency(a.tree_size, b.tree_size, tree.consistency_proof(a.tree_size, b.tree_size),
                                  a.root_hash, b.root_hash)
    last = cps[-1]
    assert verify_inclusion(1234, last.tree_size, tree._levels[0][1234], tree.inclusion_proof(1234, last.tree_size),
                            last.root_hash)
    # the same batch again is idempotent: everything is a duplicate, nothing is added
    again = e.store.append_batch(items[:10])
    assert all(r.duplicate for r in again) and e.store.size() == before + 2100


def test_threads_keep_one_linear_order(env):
    e = env
    errors = []
    before = e.store.size()

    def writer(party, bearer):
        try:
            for i in range(15):
                if i % 3:
                    e.append(party, "cost_line", cost_line(fronting=party, bearer=bearer))
                else:
                    e.store.append_batch([e.sign(party, "cost_line", cost_line(fronting=party, bearer=bearer)).as_item()
                                          for _ in range(3)])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=p) for p in
               [("GM0166", "GM0193"), ("GM0193", "GM0166"), ("GM0200", "GM0166"), ("GM0166", "GM0200")]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert e.store.size() == before + 4 * (10 + 5 * 3)
    report = verify_store(e.store)
    assert report.ok, report.problems[:5]


def test_checkpoint_on_timer_only_when_new(env):
    e = env
    assert checkpoint_due(e.store) is False and e.store.pending_checkpoint() == (0, None)
    e.store.operator, op = None, e.store.operator
    first = e.append("GM0166", "cost_line", cost_line())  # without an operator key: no checkpoint yet
    e.append("GM0166", "cost_line", cost_line())
    e.store.operator = op
    assert e.store.pending_checkpoint() == (2, first.received_at)
    at = first.received_at
    assert not checkpoint_due(e.store, max_seconds=5, now=at + timedelta(seconds=4))
    assert checkpoint_due(e.store, max_seconds=5, now=at + timedelta(seconds=5))
    assert checkpoint_due(e.store, max_entries=2, max_seconds=60, now=at)
    assert checkpoint_if_due(e.store, max_seconds=5, now=at + timedelta(seconds=1)) is None
    n = len(e.store.checkpoints())
    cp = checkpoint_if_due(e.store, max_seconds=5, now=at + timedelta(seconds=6))
    assert cp.tree_size == e.store.size() and len(e.store.checkpoints()) == n + 1
    assert e.store.pending_checkpoint() == (0, None) and not checkpoint_due(e.store, max_entries=1, max_seconds=0)
    assert e.store.checkpoint() is None and checkpoint_if_due(e.store, max_entries=1, max_seconds=0) is None
    assert len(e.store.checkpoints()) == n + 1  # nothing new: no-op
    assert verify_store(e.store).ok


def test_checkpoint_left_to_the_timer(tmp_path):
    from ledger_helpers import LedgerEnv

    e = LedgerEnv.create(f"sqlite:///{tmp_path / 'l.db'}", None, tmp_path / "keys", checkpoint_every=5,
                         checkpoint_on_append=False)
    base = e.store.size()  # init and key registrations: the checkpoints at multiples of 5 only
    assert [cp.tree_size for cp in e.store.checkpoints()] == [s for s in range(5, base + 1, 5)]
    e.store.append_batch([e.sign("GM0166", "cost_line", cost_line()).as_item() for _ in range(7)])
    sizes = [cp.tree_size for cp in e.store.checkpoints()]
    assert sizes == [s for s in range(5, base + 8, 5)] and sizes[-1] < e.store.size()
    assert checkpoint_due(e.store, max_entries=1) and checkpoint_if_due(e.store, max_entries=1).tree_size == base + 7
    assert verify_store(e.store).ok


def test_refusal_late_in_a_batch_stores_nothing(env):
    """On PostgreSQL the rows stream into a COPY while the batch is checked: a refusal after 1,500
    written rows (and a checkpoint boundary) still stores nothing, and the store stays usable."""
    e = env
    state = e.store.tree_state()
    rows, cps = e.store.count_rows(), len(e.store.checkpoints())
    items = [e.sign("GM0166", "cost_line", cost_line(units=1 + i % 28)).as_item() for i in range(1500)]
    for bad, code in ((e.sign("GM0193", "cost_line", cost_line()), NOT_ENTITLED),
                      (e.sign("GM0166", "cost_line", cost_line(), client=None), STATEMENT_INVALID)):
        with pytest.raises(LedgerError) as info:
            e.store.append_batch(items + [bad.as_item()])
        assert info.value.code == code and info.value.index == 1500
        assert e.store.tree_state() == state
        assert e.store.count_rows() == rows and len(e.store.checkpoints()) == cps
    results = e.store.append_batch(items)
    assert [r.seq for r in results] == list(range(state.tree_size, state.tree_size + 1500))
    assert verify_store(e.store).ok


def test_batch_refers_to_stored_and_to_its_own_entries(env):
    e = env
    det = e.append("GM0166", "determination", determination(addressee="GM0193"))
    other = e.append("GM0166", "determination", determination(addressee="GM0200", determination_id="det-2"))
    before = e.store.size()
    new_det = e.sign("GM0166", "determination", determination(addressee="GM0193", determination_id="det-3"))
    items = [e.sign("GM0193", "acceptance", {"determination": ref(det), "note": ""}).as_item(),
             e.sign("GM0166", "cost_line", cost_line(bearer="GM0200", determination=ref(other))).as_item(),
             new_det.as_item()]
    results = e.store.append_batch(items)
    # an acceptance of the determination appended earlier in this same batch
    same_batch = {"seq": results[2].seq, "entry_hash": results[2].entry_hash.hex()}
    results += e.store.append_batch([
        e.sign("GM0166", "determination", determination(addressee="GM0193", determination_id="det-4")).as_item(),
        e.sign("GM0193", "objection", {"determination": same_batch, "reasons": "onjuist"}).as_item()])
    assert e.store.size() == before + 5
    # refused: the addressee of `other` is GM0200, a wrong hash, a reference to a later entry
    for item, code in (
            (e.sign("GM0193", "acceptance", {"determination": ref(other), "note": ""}), NOT_ENTITLED),
            (e.sign("GM0193", "acceptance", {"determination": dict(ref(det), entry_hash="0" * 64)}), REFERENCE_INVALID),
            (e.sign("GM0193", "acceptance", {"determination": {"seq": e.store.size() + 1, "entry_hash": "0" * 64}}),
             REFERENCE_INVALID)):
        with pytest.raises(LedgerError) as info:
            e.store.append_batch([e.sign("GM0166", "cost_line", cost_line()).as_item(), item.as_item()])
        assert info.value.code == code and info.value.index == 1
    assert e.store.size() == before + 5
    assert verify_store(e.store).ok


def test_append_batch_restores_the_garbage_collector(sqlite_env):
    import gc

    e = sqlite_env
    item = e.sign("GM0166", "cost_line", cost_line()).as_item()
    assert gc.isenabled()
    e.store.append_batch([item])
    assert gc.isenabled()
    with pytest.raises(LedgerError):  # a refusal switches it back on too
        e.store.append_batch([e.sign("GM0193", "cost_line", cost_line()).as_item()])
    assert gc.isenabled()
    gc.disable()
    try:  # off stays off
        e.store.append_batch([e.sign("GM0166", "cost_line", cost_line()).as_item()])
        assert not gc.isenabled()
    finally:
        gc.enable()
