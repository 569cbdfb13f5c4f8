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

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .store import UTCDateTime

#: where a verification read the ledger
SOURCES = ("primary", "replica")

metadata = sa.MetaData()
verification_runs = sa.Table(
    "verification_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("finished_at", UTCDateTime, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("entries", sa.BigInteger, nullable=False),
    sa.Column("checkpoints", sa.BigInteger, nullable=False),
    sa.Column("problems", sa.Integer, nullable=False),
    sa.Column("replay_not_run", sa.Integer, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
)


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


def record(engine: Engine, report, source: str, now: datetime) -> VerificationRun:
    """Write the outcome of one verification (a ledger.verify.VerifyReport) that read `source`."""
    if source not in SOURCES:
        raise ValueError(f"not a source: {source!r}")
    run = VerificationRun(now, report.ok, report.entries, report.checkpoints, len(report.problems),
                          len(report.replay_not_run), round(report.seconds, 3), source)
    with engine.begin() as conn:
        conn.execute(verification_runs.insert().values(**run.__dict__))
    return run


def latest(engine: Engine) -> VerificationRun | None:
    """The newest recorded verification, or None when none ran on this database."""
    with engine.connect() as conn:
        r = conn.execute(sa.select(*[verification_runs.c[name] for name in VerificationRun.__dataclass_fields__])
                         .order_by(verification_runs.c.id.desc()).limit(1)).first()
    return VerificationRun(*r) if r is not None else None
