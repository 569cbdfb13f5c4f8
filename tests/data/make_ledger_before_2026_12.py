"""How tests/data/ledger_before_2026_12.db was made (kept for the record; it needs the code of that
commit, e.g. `git worktree add /tmp/old dd2f8a9`, and is not run by the tests).

Build a small ledger with the code before the admission rules of 2026-12 (commit dd2f8a9), received
in 2026-06: entries those rules would now refuse but the rules of their time admitted."""
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, "/tmp/old")
from ledger.crypto import new_signer  # noqa: E402
from ledger.service import init_ledger, register_key, sign_statement  # noqa: E402

out = Path(sys.argv[1])
out.unlink(missing_ok=True)
T = [datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)]


def clock():
    T[0] += timedelta(seconds=7)
    return T[0]


store = init_ledger(f"sqlite:///{out}", Path(sys.argv[2]), clock=clock)
s = {p: new_signer(p) for p in ("GM0166", "GM0193", "GM0200", "COMMITTEE")}
for sig in s.values():
    register_key(store, sig)


def add(party, kind, payload, key, client="PSN-old-1"):
    return store.append(*sign_statement(s[party], kind, payload, idempotency_key=key, client=client,
                                        authored_at=T[0]).as_item())


# a party registers a second key for itself (allowed then)
extra = new_signer("GM0166")
register_key(store, extra, by=s["GM0166"])
det = add("GM0166", "determination", {
    "determination_id": "det-old", "determination_digest": "a" * 64, "input_digest": "b" * 64,
    "ruleset_version": "rules-1", "context_version": "ctx-1", "reference_date": "2026-03-01",
    "outcome": {"cost_bearer": "GM0193", "budget": "woonplaats", "client_class": "NEW", "new_client": True,
                "statutory_college": "GM0193", "entry_kind": "inter_regional"},
    "flags": [], "provisional": False, "addressee": "GM0193"}, "det-old")
ref = {"seq": det.seq, "entry_hash": det.entry_hash.hex()}
# a cost line with no determination, an unknown product and any tariff (allowed then)
add("GM0166", "cost_line", {"fronting_party": "GM0166", "cost_bearer": "GM0200", "period_from": "2026-01-01",
                            "period_to": "2026-01-31", "product": "BW-24h", "units": 31, "tariff_cents": 12345,
                            "amount_cents": 31 * 12345, "status": "definitive"}, "cl-old")
# a dispute event that skips the workflow (allowed then), and an N1 to an unknown region in 1990
add("GM0193", "dispute_event", {"dispute_id": "D-old", "determination": ref, "status": "OBJECTED",
                                "previous_status": "DETERMINED", "participants": ["GM0166", "GM0193"]}, "ev-old")
add("GM0166", "placement_notice", {"placing_party": "GM0166", "host_region": "RG:nergens",
                                   "host_municipality": "GM0193", "cost_bearer": "GM0166", "location": "x",
                                   "start_date": "1990-01-01", "contract_used": "c"}, "n1-old")
store.checkpoint()
print(store.size(), "entries")
