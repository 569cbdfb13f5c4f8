"""Appends in a loop until killed; prints 'OK <idempotency key> <seq>' after each append returns.

Usage: crash_worker.py URL SCHEMA|- KEYS_DIR RUN
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger.crypto import find_signers, load_signer  # noqa: E402
from ledger.service import open_ledger, sign_statement  # noqa: E402
from ledger_helpers import cost_line, find_basis  # noqa: E402

url, schema, keys, run = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
store = open_ledger(url, keys, schema=None if schema == "-" else schema)
gm = load_signer(find_signers(keys, "GM0166")[0], "GM0166")
payload = cost_line(units=2, determination=find_basis(store, "GM0166", "GM0193"))
print("READY", flush=True)
i = 0
while True:
    if i % 4 == 3:  # every fourth round a batch of three
        keys_ = [f"crash-{run}-{i}-{j}" for j in range(3)]
        results = store.append_batch([sign_statement(gm, "cost_line", payload, idempotency_key=k,
                                                     client="PSN-client-1").as_item() for k in keys_])
        print("\n".join(f"OK {k} {r.seq}" for k, r in zip(keys_, results)), flush=True)
    else:
        k = f"crash-{run}-{i}"
        r = store.append(*sign_statement(gm, "cost_line", payload, idempotency_key=k, client="PSN-client-1").as_item())
        print(f"OK {k} {r.seq}", flush=True)
    i += 1
