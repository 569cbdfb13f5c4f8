"""Concurrent writers: 16 (4 processes x 4 threads) on PostgreSQL, 5,120 entries, one valid chain; and
one batch appended by eight threads at once, stored once (both backends)."""
import subprocess
import sys
from pathlib import Path

import pytest
from ledger_helpers import PG_URL, LedgerEnv

from ledger.crypto import save_signer
from ledger.verify import verify_store

WORKER = Path(__file__).with_name("concurrency_worker.py")
PROCS, THREADS, PER_THREAD = 4, 4, 320


@pytest.mark.postgres
def test_sixteen_writers_one_chain(pg_schema, tmp_path):
    e = LedgerEnv.create(PG_URL, pg_schema, tmp_path / "keys")
    base = e.store.size()  # genesis, five party keys and the nine determinations the cost lines rest on
    for s in list(e.signers.values())[1:]:  # the operator key is saved by init
        save_signer(e.keys_dir, s)
    pairs = [("GM0166", "GM0193"), ("GM0193", "GM0200"), ("GM0200", "GM0166"), ("GM0166", "GM0200")]
    procs = [subprocess.Popen([sys.executable, str(WORKER), PG_URL, pg_schema, str(e.keys_dir), f, b, str(p),
                               str(THREADS), str(PER_THREAD)], stdout=subprocess.PIPE, text=True)
             for p, (f, b) in enumerate(pairs[:PROCS])]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    total = PROCS * THREADS * PER_THREAD
    assert total >= 5000
    assert e.store.size() == e.store.count_rows() == base + total
    report = verify_store(e.store)
    assert report.ok, report.problems[:5]
    seqs = [r.seq for r in e.store.iter_rows()]
    assert seqs == list(range(base + total))  # no gap, no duplicate
    e.store.dispose()


def test_the_same_batch_from_eight_threads_is_stored_once(env):
    """Eight threads (each with its own Store, as separate processes would have) append the same
    batch at once: whoever takes the lock first stores it; the others' first attempt meets the unique
    index, rolls back, and their look-up returns the originals. Both backends."""
    import threading

    from ledger_helpers import cost_line

    from ledger.service import open_ledger

    batch = [env.sign("GM0166", "cost_line", cost_line(units=u), key=f"same-{u}").as_item() for u in range(1, 201)]
    size = env.store.size()
    results, errors = {}, []
    start = threading.Barrier(8)

    def run(n: int) -> None:
        store = open_ledger(env.store.url, env.keys_dir, schema=env.store.schema)
        try:
            start.wait()
            results[n] = store.append_batch(batch)
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            store.dispose()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(results) == 8
    seqs = {tuple(r.seq for r in res) for res in results.values()}
    assert seqs == {tuple(range(size, size + 200))}
    kinds = sorted({r.duplicate for r in res} == {True} for res in results.values())
    assert kinds == [False] + [True] * 7  # one stored it all, seven got every entry back as a duplicate
    assert sum(all(not r.duplicate for r in res) for res in results.values()) == 1
    assert env.store.size() == size + 200
    assert verify_store(env.store).ok
