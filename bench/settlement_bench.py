"""Settlement benchmark: 1,000,000 cost-line entries in SQLite and in PostgreSQL.

    .venv/bin/python bench/settlement_bench.py [--entries 1000000]

Setup (not timed as a goal, reported): the cost-line entries are inserted in bulk into
ledger_entries (statements in the real format; signatures are not checked here, the settle path
never reads them), then the settlement index is built from the statements (`sync_index`, what every
booking does incrementally). The entries cover eight quarters (2025K1-2026K4); 2026K1 is settled.

Measured in the same run:
 (a) settling the quarter (ledger.settlement.settle: reading the rows and computing every pair's
     totals per class, the disputed split, pools and every net position) against a plain SQL
     GROUP BY (fronting, bearer) SUM(amount) over the same rows in the same database; goal <= 1.5x;
 (b) writing every municipality's XLSX statement (ledger.reports.xlsx) against writing the same
     cells with openpyxl's write-only mode; goal <= 1.5x (SQLite data; writing does not touch the DB);
 (c) end to end, database to every municipality's XLSX, CSV and JSON, reported per backend.
PostgreSQL: BWLEDGER_TEST_PG_URL, in a schema of its own that is dropped afterwards. The last line
printed is one JSON object: {"bench": "settlement", "figures": {...}, "goals": {...}}.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from ledger.reports import statements as st  # noqa: E402
from ledger.service import init_ledger  # noqa: E402
from ledger.settlement import store as sstore  # noqa: E402
from ledger.settlement.catalogue import load_catalogue  # noqa: E402
from ledger.settlement.quarters import Quarter, months  # noqa: E402
from ledger.settlement.settle import settle  # noqa: E402
from ledger.store import ENTRY_COLUMNS  # noqa: E402

PG_URL = os.environ.get("BWLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
QUARTER = "2026K1"


def log(msg: str) -> None:
    print(msg, flush=True)


def synthetic_rows(n: int, start_seq: int, seed: int = 2026):
    """n cost-line entry rows over 2025K1-2026K4: monthly lines of synthetic placements."""
    cat = load_catalogue()
    rnd = random.Random(seed)
    bearers = sorted(cat.region_of)
    fronting = sorted({c["holder"] for c in cat.contracts.values()})
    products = sorted(cat.products)
    month_list = months(date(2025, 1, 1), date(2026, 12, 31))
    tariffs: dict = {}
    at = datetime(2027, 1, 5, tzinfo=timezone.utc)
    seq = start_seq
    made = 0
    client = 0
    while made < n:
        client += 1
        f, b, prod = rnd.choice(fronting), rnd.choice(bearers), rnd.choice(products)
        hist = rnd.random() < 0.08
        if hist:
            f, b = "GM0193", "GM0193" if rnd.random() < 0.5 else "GM0193"
        status = "provisional" if rnd.random() < 0.15 else "definitive"
        first = rnd.randrange(len(month_list))
        for ma, mb in month_list[first:first + rnd.randrange(1, 13)]:
            key = (f, prod, ma)
            if key not in tariffs:
                tariffs[key] = cat.tariff_segments(f, prod, ma, ma)[0][2].cents_per_day
            units = (mb - ma).days + 1
            t = tariffs[key]
            cl = f"PSN-b-{client:07d}"
            # the canonical form (sorted keys, no spaces), written out for speed
            statement = (f'{{"author":"{f}","authored_at":"2027-01-05T00:00:00.000000Z","client":"{cl}",'
                         f'"idempotency_key":"b-{seq}","key_id":"{"a" * 64}","kind":"cost_line","payload":'
                         f'{{"agreement_version":null,"amount_cents":{units * t},"booking_quarter":"{Quarter.of(ma).code}",'
                         f'"corrects_period":null,"cost_bearer":"{b}","determination":null,"fronting_party":"{f}",'
                         f'"historical_budget":{"true" if hist else "false"},"location":null,'
                         f'"period_from":"{ma.isoformat()}","period_to":"{mb.isoformat()}",'
                         f'"placement_id":"pl-{client}","product":"{prod}","status":"{status}",'
                         f'"tariff_cents":{t},"units":{units}}},"v":1}}').encode()
            yield (seq, at, b"\0" * 32, seq.to_bytes(32, "big"), "cost_line", f, "a" * 64,
                   f"b-{seq}", cl, statement, b"\0" * 64)
            seq += 1
            made += 1
            if made >= n:
                return


def dispute_rows(start_seq: int, count: int = 100):
    at = datetime(2027, 1, 5, tzinfo=timezone.utc)
    for i in range(count):
        seq = start_seq + i
        p = {"deadline": None, "determination": {"entry_hash": "0" * 64, "seq": 1}, "dispute_id": f"bench-{i}",
             "documents": [], "note": "", "participants": ["GM0166", "GM0193"], "previous_status": "DETERMINED",
             "status": "OBJECTED"}
        s = json.dumps({"authored_at": "2027-01-05T00:00:00.000000Z", "author": "GM0166",
                        "client": f"PSN-b-{1 + i * 97:07d}", "idempotency_key": f"d-{seq}", "key_id": "a" * 64,
                        "kind": "dispute_event", "payload": p, "v": 1}, sort_keys=True, separators=(",", ":")).encode()
        yield (seq, at, b"\0" * 32, hashlib.sha256(seq.to_bytes(8, "big")).digest(), "dispute_event", "GM0166",
               "a" * 64, f"d-{seq}", f"PSN-b-{1 + i * 97:07d}", s, b"\0" * 64)


def bulk_load(store, n: int) -> int:
    start = store.size()
    rows_iter = synthetic_rows(n, start)
    total = 0
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            cur = conn.connection.driver_connection.cursor()
            with cur.copy(f"COPY ledger_entries ({', '.join(ENTRY_COLUMNS)}) FROM STDIN") as copy:
                for r in rows_iter:
                    copy.write_row(r)
                    total += 1
                for r in dispute_rows(start + total):
                    copy.write_row(r)
                    total += 1
        else:
            ph = ", ".join("?" * len(ENTRY_COLUMNS))
            sql = f"INSERT INTO ledger_entries ({', '.join(ENTRY_COLUMNS)}) VALUES ({ph})"
            batch = []

            def fix(r):
                return r[:1] + (r[1].replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),) + r[2:]
            for r in rows_iter:
                batch.append(fix(r))
                if len(batch) == 50000:
                    conn.exec_driver_sql(sql, batch)
                    total += len(batch)
                    batch = []
            batch.extend(fix(r) for r in dispute_rows(start + total + len(batch)))
            conn.exec_driver_sql(sql, batch)
            total += len(batch)
        conn.execute(sa.text("UPDATE ledger_tree_state SET tree_size = :n WHERE id = 1"), {"n": start + total})
    return total


def best(fn, reps: int = 3) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def reference_group_by(store) -> list:
    with store.engine.connect() as c:
        return c.execute(sa.text("SELECT fronting, bearer, SUM(amount_cents), COUNT(*) FROM settlement_lines "
                                 "WHERE booking_quarter = :q GROUP BY fronting, bearer"), {"q": QUARTER}).all()


def openpyxl_reference(s, per, out: Path) -> None:
    import openpyxl

    from ledger.reports.xlsx import Money

    for party in sorted(per):
        wb = openpyxl.Workbook(write_only=True)
        for title, _w, rows in st.xlsx_sheets(s, per[party]):
            ws = wb.create_sheet(title[:31].replace("/", "_").replace(":", "_"))
            for r in rows:
                ws.append([(v / 100 if type(v) is Money else (str(v) if isinstance(v, str) else v)) for v in r])
        wb.save(out / f"ref-{party.replace(':', '_')}.xlsx")


def ours_xlsx(s, per, out: Path) -> None:
    from ledger.reports.xlsx import Workbook

    for party in sorted(per):
        with Workbook(out / f"ours-{party.replace(':', '_')}.xlsx") as wb:
            for title, widths, rows in st.xlsx_sheets(s, per[party]):
                ws = wb.sheet(title, widths)
                for r in rows:
                    ws.row(r)


def run_backend(name: str, url: str, schema: str | None, n: int, work: Path, figures: dict, xlsx_bench: bool) -> None:
    store = init_ledger(url, work / f"keys-{name}", schema=schema)
    t = time.perf_counter()
    loaded = bulk_load(store, n)
    figures[f"{name}_bulk_load_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    indexed = sstore.sync_index(store)
    figures[f"{name}_index_build_s"] = round(time.perf_counter() - t, 1)
    log(f"{name}: loaded {loaded:,} entries in {figures[f'{name}_bulk_load_s']} s, indexed {indexed:,} in "
        f"{figures[f'{name}_index_build_s']} s")
    with store.engine.begin() as c:
        c.exec_driver_sql("ANALYZE" if store.dialect == "sqlite" else "ANALYZE settlement_lines")
    if store.dialect == "postgresql":  # index-only scans need the visibility map
        with store.engine.connect() as c:
            c.connection.driver_connection.autocommit = True
            c.exec_driver_sql("VACUUM ANALYZE settlement_lines")
    s = settle(store, QUARTER)
    ref = {(r[0], r[1]): int(r[2]) for r in reference_group_by(store)}
    mine: dict = {}
    for f in s.flows:
        if f.kind == "kosten":
            mine[(f.creditor, f.debtor)] = f.total_cents
    for party, cents in s.own_costs.items():
        mine[(party, party)] = cents
    assert mine == ref, "settle and the GROUP BY disagree"
    assert sum(p.net_cents for p in s.positions) == 0
    rows_q = sum(v for v in (r[3] for r in reference_group_by(store)))
    t_settle = best(lambda: settle(store, QUARTER), 7)
    t_ref = best(lambda: reference_group_by(store), 7)
    figures[f"{name}_quarter_rows"] = rows_q
    figures[f"{name}_settle_s"] = round(t_settle, 3)
    figures[f"{name}_group_by_s"] = round(t_ref, 3)
    figures[f"{name}_settle_vs_group_by"] = round(t_settle / t_ref, 3)
    log(f"{name}: settle {QUARTER} ({rows_q:,} rows, {len(s.flows)} flows, {len(s.positions)} parties) "
        f"{t_settle:.3f} s vs GROUP BY {t_ref:.3f} s = {t_settle / t_ref:.2f}x")
    if xlsx_bench:
        t = time.perf_counter()
        per = st.collect(store, s)
        figures["collect_rows_s"] = round(time.perf_counter() - t, 2)
        d1, d2 = work / "ours", work / "ref"
        d1.mkdir()
        d2.mkdir()
        t_ours = best(lambda: ours_xlsx(s, per, d1), 1)
        t_open = best(lambda: openpyxl_reference(s, per, d2), 1)
        figures["xlsx_ours_s"] = round(t_ours, 2)
        figures["xlsx_openpyxl_write_only_s"] = round(t_open, 2)
        figures["xlsx_vs_openpyxl"] = round(t_ours / t_open, 3)
        figures["xlsx_files"] = len(per)
        log(f"xlsx: {len(per)} statements, ours {t_ours:.2f} s vs openpyxl write-only {t_open:.2f} s "
            f"= {t_ours / t_open:.2f}x")
    t = time.perf_counter()
    res = st.write_statements(store, QUARTER, work / f"out-{name}")
    figures[f"{name}_end_to_end_s"] = round(time.perf_counter() - t, 2)
    figures[f"{name}_end_to_end_files"] = 3 * len(res.files) + 1
    log(f"{name}: end to end (DB to {3 * len(res.files) + 1} XLSX/CSV/JSON files, {res.lines:,} statement lines) "
        f"{figures[f'{name}_end_to_end_s']} s")
    store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=1_000_000)
    args = ap.parse_args()
    figures: dict = {"entries": args.entries, "quarter": QUARTER}
    work = Path(tempfile.mkdtemp(prefix="settle-bench-"))
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL)
    try:
        run_backend("sqlite", f"sqlite:///{work / 'ledger.db'}", None, args.entries, work, figures, True)
        with engine.begin() as c:
            c.exec_driver_sql(f"CREATE SCHEMA {schema}")
        run_backend("postgres", PG_URL, schema, args.entries, work, figures, False)
    finally:
        with engine.begin() as c:
            c.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        engine.dispose()
        shutil.rmtree(work, ignore_errors=True)

    def goal(value, target):
        return {"value": round(value, 3), "goal": target, "met": bool(value <= target)}

    goals = {"settle_vs_group_by_sqlite": goal(figures["sqlite_settle_vs_group_by"], 1.5),
             "settle_vs_group_by_postgres": goal(figures["postgres_settle_vs_group_by"], 1.5),
             "xlsx_vs_openpyxl_write_only": goal(figures["xlsx_vs_openpyxl"], 1.5)}
    print(json.dumps({"bench": "settlement", "figures": figures, "goals": goals}))


if __name__ == "__main__":
    main()
