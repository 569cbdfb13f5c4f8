"""The indexes of ledger_entries on PostgreSQL (migration 0009): the kind index leaves out cost lines and
received_at has a BRIN index, and the queries they serve still use them (the plans are read here on a
table of 20,000 rows spread over two weeks); an upgrade from 0008 keeps every row."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from ledger_helpers import PG_URL
from sqlalchemy import event

import ledger.store
from ledger.settlement import store as sstore
from ledger.store import ENTRY_COLUMNS, Store

pytestmark = pytest.mark.postgres

START = datetime(2026, 1, 1, tzinfo=UTC)
RARE = ["key_registration", "dispute_event", "determination", "placement_notice", "settlement_seal"]


def _migrate(store: Store, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(ledger.store.__file__).parent / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _fill(store: Store, n: int) -> None:
    """n rows straight into the table (what the plans are about, not valid entries): 19 of 20 cost lines,
    received a minute apart, with the generated sequence numbers."""
    kinds = ", ".join(f"'{k}'" for k in RARE)
    cols = ", ".join(ENTRY_COLUMNS)
    with store.engine.begin() as c:
        c.exec_driver_sql(
            f"INSERT INTO ledger_entries ({cols}) SELECT i, %(start)s + i * interval '1 minute', "
            "'\\x00'::bytea, '\\x00'::bytea, "
            f"CASE WHEN i %% 20 = 19 THEN (ARRAY[{kinds}])[1 + (i / 20) %% {len(RARE)}] ELSE 'cost_line' END, "
            "'GM0166', 'k', 'idem-' || i, 'PSN-' || (i %% 500), '\\x7b227061796c6f6164223a7b7d7d'::bytea, '\\x00'::bytea "
            "FROM generate_series(0, %(last)s) AS i", {"start": START, "last": n - 1})
        c.exec_driver_sql("ANALYZE ledger_entries")


def _plans_of(store: Store, call) -> list[str]:
    """EXPLAIN of every SELECT on ledger_entries that `call` runs, with its own parameters."""
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "ledger_entries" in statement:
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    assert seen
    with store.engine.connect() as c:
        return ["\n".join(r[0] for r in c.exec_driver_sql("EXPLAIN " + sql, params).all()) for sql, params in seen]


@pytest.fixture
def store(pg_schema):
    s = Store(PG_URL, schema=pg_schema)
    s.migrate()
    yield s
    s.dispose()


def test_the_kind_index_leaves_out_cost_lines_and_received_at_is_brin(store):
    with store.engine.connect() as c:
        defs = dict(c.exec_driver_sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ledger_entries' "
                                      "AND schemaname = current_schema()").all())
    assert "WHERE ((kind)::text <> 'cost_line'::text)" in defs["ledger_entries_kind"]
    assert "USING brin (received_at)" in defs["ledger_entries_received"]
    assert "UNIQUE" in defs["ledger_entries_idem"] and "UNIQUE" in defs["ledger_entries_pkey"]


def test_the_queries_on_few_kinds_and_on_a_period_still_use_an_index(store):
    _fill(store, 20_000)
    day = START + timedelta(days=7)
    calls = {
        "key rows": lambda: store.key_rows(),
        "entries of a kind": lambda: sstore.entries_of_kind(store, ["dispute_event", "settlement_seal"]),
        "rows of a kind by author": lambda: store.rows_where(sa.text("kind = 'placement_notice'"),
                                                             sa.text("author = 'GM0166'")),
    }
    for name, call in calls.items():
        for plan in _plans_of(store, call):
            assert "ledger_entries_kind" in plan, (name, plan)
    for plan in _plans_of(store, lambda: store.rows_received_between(day, day + timedelta(days=1))):
        assert "ledger_entries_received" in plan, plan
    # what the index leaves out: a query for cost lines reads the table (most of it is cost lines)
    assert "ledger_entries_kind" not in _plans_of(
        store, lambda: store.rows_where(sa.text("kind = 'cost_line'")))[0]
    rows = store.rows_received_between(day, day + timedelta(days=1))
    assert len(rows) == 24 * 60 and all(day <= r.received_at < day + timedelta(days=1) for r in rows)


def test_an_upgrade_from_0008_keeps_every_row_and_makes_the_new_indexes(pg_schema):
    s = Store(PG_URL, schema=pg_schema)
    try:
        _migrate(s, "0008_account_keys_notice_reads")
        with s.engine.connect() as c:
            old = c.exec_driver_sql("SELECT indexdef FROM pg_indexes WHERE indexname = 'ledger_entries_kind' "
                                    "AND schemaname = current_schema()").scalar_one()
        assert "WHERE" not in old
        _fill(s, 2_000)
        s.migrate()
        with s.engine.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM ledger_entries").scalar_one() == 2_000
        assert len(s.rows_where(sa.text("kind = 'dispute_event'"))) == 20
        day = START + timedelta(hours=5)
        assert [r.seq for r in s.rows_received_between(day, day + timedelta(minutes=3))] == [300, 301, 302]
    finally:
        s.dispose()
