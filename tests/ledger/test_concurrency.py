"""16 concurrent writers (4 processes x 4 threads) on PostgreSQL, 5,120 entries, one valid chain."""
import subprocess
import sys
from pathlib import Path

import pytest

from ledger_helpers import PG_URL
from ledger.crypto import save_signer
from ledger.verify import verify_store
from ledger_helpers import LedgerEnv

WORKER = Path(__file__).with_name("concurrency_worker.py")
PROCS, THREADS, PER_THREAD = 4, 4, 320


@pytest.mark.postgres
def test_sixteen_writers_one_chain(pg_schema, tmp_path):
    e = LedgerEnv.create(PG_URL, pg_schema, tmp_path / "keys")
    for s in list(e.signers.values())[1:]:  # the operator key is saved by init
        save_signer(e.keys_dir, s)
    pairs = [("GM0166", "GM0193"), ("GM0193", "GM0200"), ("GM0200", "GM0166"), ("GM0166", "GM0200")]
    procs = [subprocess.Popen([sys.executable, str(WORKER), PG_URL, pg_schema, str(e.keys_dir), f, b, str(p),
                               str(THREADS), str(PER_THREAD)], stdout=subprocess.PIPE, text=True)
             for p, (f, b) in enumerate(pairs[:PROCS])]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    base = 6
    total = PROCS * THREADS * PER_THREAD
    assert total >= 5000
    assert e.store.size() == e.store.count_rows() == base + total
    report = verify_store(e.store)
    assert report.ok, report.problems[:5]
    seqs = [r.seq for r in e.store.iter_rows()]
    assert seqs == list(range(base + total))  # no gap, no duplicate
    e.store.dispose()
