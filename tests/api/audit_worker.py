"""One process of the audit concurrency test: THREADS threads, each recording PER_THREAD audit records.

Usage: audit_worker.py URL SCHEMA PROC THREADS PER_THREAD   (SCHEMA "-" for none)
"""
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from api.access import audit  # noqa: E402
from api.access.identity import Identity  # noqa: E402
from ledger.store import Store  # noqa: E402

url, schema, proc, threads, per = sys.argv[1:6]
store = Store(url, schema=None if schema == "-" else schema)
errors = []


def writer(t: int) -> None:
    me = Identity(f"worker-{proc}-{t}", "GM0166", frozenset({"finance"}), "local")
    try:
        for i in range(int(per)):
            audit.record(store, me, "getCase", "case", {"case_id": f"c-{proc}-{t}-{i}", "parties": ["GM0166"]},
                         "behandeling geschil", "allowed", 200, address="127.0.0.1")
    except Exception as exc:
        errors.append(repr(exc))


ts = [threading.Thread(target=writer, args=(t,)) for t in range(int(threads))]
for t in ts:
    t.start()
for t in ts:
    t.join()
store.dispose()
print("ERRORS" if errors else "DONE", *errors[:3], flush=True)
sys.exit(1 if errors else 0)
