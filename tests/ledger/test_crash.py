"""SIGKILL a process that appends in a loop, at random moments, ten times per backend; afterwards
verify passes and every entry whose append returned is present exactly once."""
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from ledger.crypto import save_signer
from ledger.verify import verify_store

WORKER = Path(__file__).with_name("crash_worker.py")
KILLS = 10


def _run_and_kill(url, schema, keys, run, rng):
    proc = subprocess.Popen([sys.executable, str(WORKER), url, schema or "-", str(keys), str(run)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "READY"
    time.sleep(rng.uniform(0.05, 0.6))
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    return [line.split() for line in out.splitlines() if line.startswith("OK ")]


def test_sigkill_during_appends(env):
    e = env
    save_signer(e.keys_dir, e.signers["GM0166"])
    rng = random.Random(1234)
    returned = []
    for run in range(KILLS):
        returned += _run_and_kill(e.store.url, e.store.schema, e.keys_dir, run, rng)
    assert len(returned) > KILLS
    report = verify_store(e.store)
    assert report.ok, report.problems[:5]
    rows = {r.idempotency_key: r.seq for r in e.store.iter_rows() if r.idempotency_key.startswith("crash-")}
    for _ok, key, seq in returned:
        assert rows.get(key) == int(seq), key  # present, exactly once (unique index), at the seq it got
    assert e.store.count_rows() == e.store.size()
