"""One test per problem code of verify that no other test provokes on its own: each tampers a small
store by raw SQL so that exactly that fault is left (the leaf hashes, the chain, the checkpoint
roots and signatures and the tree state are recomputed around it, tamper_helpers.rechain) and checks
that verify_store reports that code, and nothing else, at the right sequence number (and checkpoint).

Only the public behaviour is tested: report.problems with seq, code and checkpoint_id.

The store (tamper_helpers.SmallLog), on SQLite and PostgreSQL: the key entries LedgerEnv makes (the
operator's and the parties'), checkpoint A; a determination, its acceptance, one batch of six cost
lines, checkpoint B; six cost lines appended one by one, checkpoint C.  Sequence numbers are taken
from it, not written out, so that the tests hold whatever the key entries are.
"""
from datetime import timedelta

import pytest

from ledger.errors import (CHAIN_BROKEN, CHECKPOINT_BEYOND_LOG, CHECKPOINT_ORDER, CHECKPOINT_ROOT_MISMATCH,
                           DUPLICATE_IDEMPOTENCY_KEY, RECEIVED_AT_REGRESSION, SEQ_GAP, TREE_STATE_MISMATCH)
from ledger.merkle import MerkleTree
from ledger.verify import verify_store
from tamper_helpers import (build_small_log, checkpoint_rows, entry_rows, execute, insert_by_hand, rechain, set_tree,
                            sign_checkpoint)


@pytest.fixture
def log(backend, tmp_path):
    log = build_small_log(backend[0], backend[1], tmp_path / "keys")
    assert verify_store(log.store).ok
    yield log
    log.store.dispose()


def found(store, ignore=()):
    return [(p.seq, p.code, p.checkpoint_id) for p in verify_store(store).problems if p.code not in ignore]


def _flip(b: bytes) -> bytes:
    return bytes([b[0] ^ 1]) + b[1:]


def test_seq_gap(log):
    """The middle one of three more entries is missing (deleted, the next chained to the one before):
    SEQ_GAP at its seq.  The tree state's size with a hole in the log has no single right value, so
    a TREE_STATE_MISMATCH is allowed."""
    store, n = log.store, log.size
    for units in (20, 21, 22):
        log.env.append("GM0166", "cost_line", log.line(units))
    execute(store, f"DELETE FROM ledger_entries WHERE seq = {n + 1}")
    rechain(store, n + 2)
    assert found(store, ignore=(TREE_STATE_MISMATCH,)) == [(n + 1, SEQ_GAP, None)]


def test_chain_broken(log):
    """An entry's prev_hash is not the previous entry's hash (its own leaf hash and everything after
    it recomputed, the checkpoint over them signed again)."""
    seq = log.singles[2]
    rechain(log.store, seq, change=lambda row, _prev: row.update(prev_hash=_flip(row["prev_hash"])))
    assert found(log.store) == [(seq, CHAIN_BROKEN, None)]


def test_received_at_regression(log):
    """An entry is received a microsecond before the previous one (and after the one before that)."""
    seq = log.singles[2]
    rows = entry_rows(log.store)
    assert rows[seq - 2]["received_at"] < rows[seq - 1]["received_at"] - timedelta(microseconds=1)
    rechain(log.store, seq,
            change=lambda row, prev: row.update(received_at=prev["received_at"] - timedelta(microseconds=1)))
    assert found(log.store) == [(seq, RECEIVED_AT_REGRESSION, None)]


def test_duplicate_idempotency_key(log):
    """A second cost line by GM0166 under the idempotency key of one in the batch, stored by hand
    (with a correct chain and checkpoint) after the unique index is dropped: reported at the later seq."""
    store = log.store
    execute(store, "DROP INDEX ledger_entries_idem")
    key = entry_rows(store)[log.batch[1]]["idempotency_key"]
    seq, _ = insert_by_hand(store, log.env.sign("GM0166", "cost_line", log.line(99), key=key))
    assert seq == log.size
    assert found(store) == [(seq, DUPLICATE_IDEMPOTENCY_KEY, None)]


def test_checkpoint_root_mismatch(log):
    """Checkpoint B signed by the operator over another root."""
    b = checkpoint_rows(log.store)[1]
    sign_checkpoint(log.store, b["id"], b["tree_size"], _flip(b["root_hash"]), b["created_at"])
    assert found(log.store) == [(b["tree_size"] - 1, CHECKPOINT_ROOT_MISMATCH, b["id"])]


def test_checkpoint_beyond_log(log):
    """The last entry is gone (the tree state follows the entries left): checkpoint C covers it."""
    store, last = log.store, log.size - 1
    hashes = [r["leaf_hash"] for r in entry_rows(store)]
    execute(store, f"DELETE FROM ledger_entries WHERE seq = {last}")
    set_tree(store, hashes[:last])
    c = checkpoint_rows(store)[2]
    assert found(store) == [(last, CHECKPOINT_BEYOND_LOG, c["id"])]


def test_checkpoint_order(log):
    """Checkpoint A says B's size and B, made after it, A's (both with the right root, signed by the
    operator, at the time of B, which is after every entry they cover): B goes back in size."""
    store = log.store
    a, b, _ = checkpoint_rows(store)
    tree = MerkleTree([r["leaf_hash"] for r in entry_rows(store)])
    sign_checkpoint(store, a["id"], b["tree_size"], tree.root(b["tree_size"]), b["created_at"])
    sign_checkpoint(store, b["id"], a["tree_size"], tree.root(a["tree_size"]), b["created_at"])
    assert found(store) == [(a["tree_size"] - 1, CHECKPOINT_ORDER, b["id"])]


def test_worker_processes_report_what_one_process_does(log, monkeypatch):
    """The cryptographic pass on worker processes, in stretches of 4 rows stitched together (the tree
    built from each stretch's hashes with merkle.Frontier.extend), reports exactly what one process
    does: on the clean log, and with a row gone (not rechained) and a signature changed, whose
    faults (the gap, the chain, the signature, the checkpoint roots past the gap, the tree state) span
    stretches that no longer start at a multiple of their length."""
    from ledger import verify

    store = log.store
    monkeypatch.setattr(verify, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(verify, "SPAN", 4)

    def both():
        one, many = verify_store(store, workers=1), verify_store(store, workers=2)
        assert (one.workers, many.workers) == (1, 2)
        return [(p.seq, p.code, p.checkpoint_id) for p in one.problems], \
               [(p.seq, p.code, p.checkpoint_id) for p in many.problems]

    assert both() == ([], [])
    drop = log.batch[2]
    changed = log.singles[3]
    execute(store, f"DELETE FROM ledger_entries WHERE seq = {drop}")
    signature = {r["seq"]: r["signature"] for r in entry_rows(store)}[changed]
    execute(store, "UPDATE ledger_entries SET signature = :s WHERE seq = :q", s=_flip(signature), q=changed)
    one, many = both()
    codes = {code for _seq, code, _cp in one}
    assert {SEQ_GAP, CHAIN_BROKEN, CHECKPOINT_ROOT_MISMATCH, "SIGNATURE_INVALID"} <= codes, one
    assert many == one
