"""Prometheus metrics (issue 15, "Running it for real"): `GET /metrics` in the text exposition format 0.0.4.

Multi-worker: no metric lives in a worker's memory. What the database already knows is read from it at each
scrape (the ledger's size, the last checkpoint, the last verification of ledger/verification_runs.py, the
replica's lag); what only a request sees (an append's latency, a failed login) is added to a row of
`metric_counters` (migration 0009_operations) with one upsert. So `bwledger serve --workers N` gives one
answer whichever worker Prometheus reaches, and a restart loses nothing (prometheus_client's multiprocess
mode would need a shared folder per host and loses its counts with it).

| metric | type | what |
|---|---|---|
| `bwledger_ledger_entries_total` | counter | entries in the ledger (its tree size); `rate(...[5m])` is the append rate |
| `bwledger_append_duration_seconds` | histogram | time of one submission to `POST /v1/grootboek/regels` that appended (a batch counts once) |
| `bwledger_checkpoint_age_seconds` | gauge | seconds since the newest signed checkpoint |
| `bwledger_checkpoint_tree_size`, `bwledger_entries_waiting_for_checkpoint` | gauge | what the newest checkpoint covers, and what it does not yet |
| `bwledger_verification_ok`, `_problems`, `_entries`, `_last_run_timestamp_seconds` | gauge | the last full verification (`bwledger ledger verify` or `GET /v1/grootboek/controle`), label `source` (primary, replica) |
| `bwledger_login_failures_total` | counter | refused logins, label `step` (`password`, `second_factor`) |
| `bwledger_read_replica_lag_entries` | gauge | entries the read replica has not replayed yet (only with BWLEDGER_READ_DATABASE_URL) |

Access: the operation `getMetrics` of api/access/policy.toml, an auditor or the operator's beheer, in practice a
machine's API token (`bwledger accounts token add --party OPERATOR --roles beheer`) in Prometheus'
`authorization` (docs/deployment.md, "What to monitor"). Nothing personal is in the metrics.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from ledger.store import Store
from ledger.verification_runs import latest as latest_verification

log = logging.getLogger("bwledger.metrics")

#: the exposition format's media type (the server adds `; charset=utf-8`, giving CONTENT_TYPE)
MEDIA_TYPE = "text/plain; version=0.0.4"
CONTENT_TYPE = MEDIA_TYPE + "; charset=utf-8"
APPEND = "bwledger_append_duration_seconds"
LOGIN_FAILURES = "bwledger_login_failures_total"
LOGIN_STEPS = ("password", "second_factor")
#: the upper bounds (seconds) of the append histogram's buckets; +Inf is added
APPEND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

metadata = sa.MetaData()
metric_counters = sa.Table(
    "metric_counters", metadata,
    sa.Column("series", sa.String(200), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
)


def _add(engine: Engine, amounts: dict[str, float]) -> None:
    """Add to each series in one short transaction (an upsert each, in name order: two never wait crosswise).
    A counter lost in a crash costs nothing, so on PostgreSQL the commit does not wait for its WAL flush."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        for series, amount in sorted(amounts.items()):
            stmt = insert(metric_counters).values(series=series, value=amount)
            conn.execute(stmt.on_conflict_do_update(index_elements=[metric_counters.c.series],
                                                    set_={"value": metric_counters.c.value + amount}))


def _safely(fn: Callable[[], None]) -> None:
    """Metrics never fail the request they measure: a refused write is logged and dropped."""
    try:
        fn()
    except sa.exc.SQLAlchemyError as exc:
        log.warning("metric not recorded: %s", exc.__class__.__name__)


def _bucket_of(seconds: float) -> str:
    for bound in APPEND_BUCKETS:
        if seconds <= bound:
            return _num(bound)
    return "+Inf"


def observe_append(engine: Engine, seconds: float) -> None:
    """One submission that appended took `seconds` (the histogram's bucket, its sum and its count)."""
    _safely(lambda: _add(engine, {f"{APPEND}:bucket:{_bucket_of(seconds)}": 1, f"{APPEND}:sum": seconds,
                                  f"{APPEND}:count": 1}))


def failed_login(engine: Engine, step: str) -> None:
    """A login refused at `step` (password, second_factor)."""
    if step not in LOGIN_STEPS:
        raise ValueError(f"not a login step: {step!r}")
    _safely(lambda: _add(engine, {f'{LOGIN_FAILURES}{{step="{step}"}}': 1}))


def counters(engine: Engine) -> dict[str, float]:
    with engine.connect() as conn:
        return {r.series: r.value for r in conn.execute(sa.select(metric_counters))}


def _num(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


class _Text:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]

    def sample(self, name: str, value: float, labels: str = "") -> None:
        self.lines.append(f"{name}{labels} {_num(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def exposition(store: Store, reader: Store | None = None, now: datetime | None = None) -> str:
    """The metrics of the server on `store` (the primary) and its read replica `reader` (None or the primary
    itself: none), as Prometheus' text format."""
    now = now or store.clock()
    out = _Text()
    state = store.tree_state()
    out.family("bwledger_ledger_entries_total", "counter", "Entries in the ledger (its tree size).")
    out.sample("bwledger_ledger_entries_total", state.tree_size)

    seen = counters(store.engine)
    out.family(APPEND, "histogram", "Time of one submission to POST /v1/grootboek/regels that appended.")
    cumulative = 0.0
    for bound in (*map(_num, APPEND_BUCKETS), "+Inf"):
        cumulative += seen.get(f"{APPEND}:bucket:{bound}", 0.0)
        out.sample(f"{APPEND}_bucket", int(cumulative), f'{{le="{bound}"}}')
    out.sample(f"{APPEND}_sum", seen.get(f"{APPEND}:sum", 0.0))
    out.sample(f"{APPEND}_count", int(seen.get(f"{APPEND}:count", 0.0)))

    cp = store.latest_checkpoint()
    out.family("bwledger_checkpoint_tree_size", "gauge", "Entries the newest signed checkpoint covers.")
    out.sample("bwledger_checkpoint_tree_size", cp.tree_size if cp else 0)
    out.family("bwledger_entries_waiting_for_checkpoint", "gauge", "Entries no signed checkpoint covers yet.")
    out.sample("bwledger_entries_waiting_for_checkpoint", state.tree_size - (cp.tree_size if cp else 0))
    if cp is not None:
        out.family("bwledger_checkpoint_age_seconds", "gauge", "Seconds since the newest signed checkpoint.")
        out.sample("bwledger_checkpoint_age_seconds", round(max(0.0, (now - cp.created_at).total_seconds()), 3))

    run = latest_verification(store.engine)
    if run is not None:
        labels = f'{{source="{run.source}"}}'
        for name, kind, text, value in (
                ("bwledger_verification_ok", "gauge", "1 when the last full verification found no problem.", run.ok),
                ("bwledger_verification_problems", "gauge", "Problems the last full verification found.", run.problems),
                ("bwledger_verification_entries", "gauge", "Entries the last full verification checked.", run.entries),
                ("bwledger_verification_last_run_timestamp_seconds", "gauge",
                 "When the last full verification finished (Unix time).", round(run.finished_at.timestamp(), 3))):
            out.family(name, kind, text)
            out.sample(name, value, labels)

    out.family(LOGIN_FAILURES, "counter", "Refused logins, by step.")
    for step in LOGIN_STEPS:
        label = f'{{step="{step}"}}'
        out.sample(LOGIN_FAILURES, int(seen.get(f"{LOGIN_FAILURES}{label}", 0.0)), label)

    if reader is not None and reader is not store:
        out.family("bwledger_read_replica_lag_entries", "gauge", "Entries the read replica has not replayed yet.")
        out.sample("bwledger_read_replica_lag_entries", max(0, state.tree_size - reader.tree_state().tree_size))
    return out.text()

