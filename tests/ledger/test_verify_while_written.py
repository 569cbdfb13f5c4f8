"""`verify` on a ledger that is written meanwhile (the server's checkpoint timer, submissions): it reads the
tree state, the checkpoints and the extent of the log in one read transaction
(Store.verification_view), so an append or a checkpoint between its reads is never a false problem. Before
that, the start page showed TREE_STATE_MISMATCH while the timer checkpointed an audit anchor."""
from __future__ import annotations

import threading

from ledger_helpers import determination

from ledger import service
from ledger.verify import verify_store


def test_verify_never_reports_a_problem_for_entries_written_meanwhile(env):
    store = env.store
    stop, written, errors = threading.Event(), [], []

    def writer() -> None:  # what the server does: appends, each followed by its checkpoint
        try:
            i = 0
            while not stop.is_set() and i < 400:
                env.append("GM0166", "determination", determination(addressee="GM0193", determination_id=f"w-{i}"),
                           key=f"while-{i}", client=f"PSN-while-{i}")
                service.checkpoint(store)
                written.append(i)
                i += 1
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    reports = []
    try:
        while thread.is_alive() and len(reports) < 40:
            reports.append(verify_store(store, workers=1))
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert len(reports) >= 5 and len(written) >= 5
    for report in reports:
        assert report.ok, report.problems[:3]
    assert len({r.entries for r in reports}) > 1  # it really ran while the log grew
    assert verify_store(store, workers=1).ok
