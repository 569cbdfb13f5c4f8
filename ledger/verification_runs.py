"""The record of full verifications (issue 15, "verification status" in the metrics): every run of
`bwledger ledger verify` and of `GET /v1/grootboek/controle` writes one row to `verification_runs`
(migration 0009_operations) in the primary database, whichever database it read, so the monitoring
(api/metrics.py) can say whether the last verification passed and how long ago it ran.

`record(engine, report, source, now)` writes one; `latest(engine)` reads the newest. The verify service
(ledger/service.py `verify_ledger`, `record_on=`) calls `record`; nothing else writes the table.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .store import VERIFICATION_RUN_COLUMNS, insert_verification_run, latest_verification_run

#: where a verification read the ledger
SOURCES = ("primary", "replica")


@dataclass(frozen=True)
class VerificationRun:
    finished_at: datetime
    ok: bool
    entries: int
    checkpoints: int
    problems: int
    replay_not_run: int
    seconds: float
    source: str


def record(engine, report, source: str, now: datetime) -> VerificationRun:
    """Write the outcome of one verification (a ledger.verify.VerifyReport) that read `source`."""
    if source not in SOURCES:
        raise ValueError(f"not a source: {source!r}")
    run = VerificationRun(now, report.ok, report.entries, report.checkpoints, len(report.problems),
                          len(report.replay_not_run), round(report.seconds, 3), source)
    insert_verification_run(engine, {name: getattr(run, name) for name in VERIFICATION_RUN_COLUMNS})
    return run


def latest(engine) -> VerificationRun | None:
    """The newest recorded verification, or None when none ran on this database."""
    row = latest_verification_run(engine)
    return VerificationRun(*row) if row is not None else None
