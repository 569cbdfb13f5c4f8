"""The replay of admission in verify reads the log in chunks: references to entries of an earlier
chunk, of the same chunk, and to a refused entry (which is no entry to refer to) are judged as the
append judged them."""
from ledger import verify
from ledger.verify import verify_store
from ledger_helpers import cost_line, determination, ref


def test_references_across_replay_chunks(sqlite_env, monkeypatch):
    e = sqlite_env
    dets = [e.append("GM0166", "determination", determination(determination_id=f"d{i}"), client=f"PSN-ch-{i:03d}")
            for i in range(7)]
    for i, d in enumerate(dets):
        e.append("GM0166", "cost_line", cost_line(determination=ref(d)), client=f"PSN-ch-{i:03d}")
    monkeypatch.setattr(verify, "CHUNK", 4)  # chunks of four rows: references cross them both ways
    report = verify_store(e.store)
    assert report.ok, report.problems
