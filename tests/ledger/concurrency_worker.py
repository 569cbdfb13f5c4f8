"""One process of the concurrency test: THREADS writer threads, each appending PER_THREAD entries.

Usage: concurrency_worker.py URL SCHEMA KEYS_DIR PARTY BEARER PROC THREADS PER_THREAD
"""
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger.crypto import find_signers, load_signer  # noqa: E402
from ledger.service import open_ledger, sign_statement  # noqa: E402
from ledger_helpers import cost_line, find_basis  # noqa: E402

url, schema, keys, party, bearer, proc, threads, per = sys.argv[1:9]
store = open_ledger(url, Path(keys), schema=schema)
signer = load_signer(find_signers(Path(keys), party)[0], party)
payload = cost_line(fronting=party, bearer=bearer, units=1, determination=find_basis(store, party, bearer))
errors = []


def writer(t: int) -> None:
    try:
        done = 0
        while done < int(per):
            n = 1 if done % 50 == 0 else min(8, int(per) - done)
            items = [sign_statement(signer, "cost_line", payload, idempotency_key=f"cc-{proc}-{t}-{done + j}",
                                    client="PSN-client-1").as_item() for j in range(n)]
            store.append_batch(items)
            done += n
    except Exception as exc:
        errors.append(repr(exc))


ts = [threading.Thread(target=writer, args=(t,)) for t in range(int(threads))]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("ERRORS" if errors else "DONE", *errors[:3], flush=True)
sys.exit(1 if errors else 0)
