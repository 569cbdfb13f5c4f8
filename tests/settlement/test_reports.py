"""Statements, charts and reports: formats, entry ids, byte-identical output."""
import csv
import hashlib
import io
import json
import zipfile
from datetime import date

import openpyxl
import pytest

from ledger.reports.statements import id_ranges
from ledger.reports.xlsx import Money, Workbook
from ledger.settlement import service
from ledger.settlement.costlines import Placement


@pytest.fixture
def booked(sqlite_env):
    e = sqlite_env
    ps = [Placement("p1", "PSN-client-1", "GM0193", "GM0166", "15B02", date(2025, 10, 5), None, location="Zwolle A"),
          Placement("p2", "PSN-client-2", "GM0505", "GM0193", "15C02", date(2025, 11, 1), date(2026, 2, 20)),
          Placement("p3", "PSN-client-3", "GM0193", "GM0193", "15A03", date(2025, 10, 1), None, historical_budget=True),
          Placement("p4", "PSN-client-4", "GM0166", "GM0193", "15D01", date(2025, 12, 1), None, historical_budget=True,
                    status="provisional"),
          Placement("p5", "PSN-client-5", "GM0228", "GM0148", "15B01", date(2026, 1, 10), None)]
    service.book_placements(e.store, e.signer_for, [e.based(p) for p in ps], until=date(2026, 3, 31))
    return e


def _digests(d):
    return {p.relative_to(d).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*"))
            if p.is_file()}


def test_statements_are_byte_identical_and_carry_entry_ids(booked, tmp_path):
    e = booked
    outs = []
    for run in ("a", "b"):
        res = service.write_statements(e.store, "2025K4", tmp_path / run)
        service.write_charts(e.store, "2025K4", res.directory)
        outs.append(_digests(tmp_path / run))
    assert outs[0] == outs[1] and len(outs[0]) == len(res.files) * 3 + 1 + 6 and len(res.files) == 9
    # zip entries carry the fixed timestamp, docProps the fixed date
    x = next((tmp_path / "a").rglob("*GM0166.xlsx"))
    with zipfile.ZipFile(x) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in z.read("docProps/core.xml")
    svg = next((tmp_path / "a").rglob("nettoposities-*.svg")).read_text()
    assert "<dc:date>" not in svg
    png = next((tmp_path / "a").rglob("nettoposities-*.png")).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"Software" not in png


def test_statement_formats(booked, tmp_path):
    e = booked
    res = service.write_statements(e.store, "2025K4", tmp_path)
    s = res.settlement
    f = next(x for x in res.files if x.party == "GM0166")
    wb = openpyxl.load_workbook(f.xlsx)
    assert wb.sheetnames[0] == "Samenvatting" and "GM0193 Zwolle" in wb.sheetnames
    summary = [r for r in wb["Samenvatting"].iter_rows() if r[0].value == "GM0193"][0]
    assert summary[5].number_format == "#,##0.00"
    pos = s.position("GM0166")
    assert round(summary[8].value * 100) == pos.net_payable_cents
    detail = list(wb["GM0193 Zwolle"].iter_rows(min_row=3, values_only=True))
    ids = [r[0] for r in detail if isinstance(r[0], int)]
    assert ids and all(isinstance(i, int) for i in ids)
    # CSV: BOM, ';', decimal comma; the lines add up to the position
    raw = f.csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Kwartaal", "Gemeente", "Tegenpartij", "Naam tegenpartij", "Regel-id"]
    amounts = [r[rows[0].index("Bedrag (€)")] for r in rows[1:]]
    assert all("," in a and "." not in a for a in amounts)
    total = sum(int(a.replace(",", "")) for a, r in zip(amounts, rows[1:]) if r[2] != "GM0166")
    assert total == pos.net_cents
    # JSON: every line has entry ids; the party's lines sum to its net
    doc = json.loads(f.json.read_text(encoding="utf-8"))
    assert all(ln["entry_ids"] for ln in doc["lines"])
    assert sum(ln["amount_cents"] for ln in doc["lines"] if ln["counterparty"] != "GM0166") == pos.net_cents
    assert sum(c["net_cents"] for c in doc["counterparties"]) == pos.net_cents
    # Zwolle's solidarity lines carry the ids of the historical lines they share
    z = json.loads(next(x for x in res.files if x.party == "GM0193").json.read_text(encoding="utf-8"))
    pool = [ln for ln in z["lines"] if ln["kind"] == "pool"]
    assert pool and all(len(ln["entry_ids"]) >= 1 for ln in pool)
    assert sum(p["net_cents"] for p in json.loads(res.summary_json.read_text())["positions"]) == 0


def test_statements_read_dutch(booked, tmp_path):
    """What finance staff read in a statement (issue 14): statuses and kinds in words from the glossary, dates as
    02-12-2026, the quarter as 2025-K4; the codes stay in the JSON statement."""
    from dutch_text import problems

    e = booked
    res = service.write_statements(e.store, "2025K4", tmp_path)
    for f in res.files:
        text = f.csv.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        body = " ".join(" ".join(r) for r in rows[1:])
        assert not problems(body), (f.party, problems(body))
        assert {r[0] for r in rows[1:]} <= {"2025-K4"}
        wb = openpyxl.load_workbook(f.xlsx)
        cells = " ".join(str(c) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for c in r
                         if isinstance(c, str))
        assert not problems(cells), (f.party, problems(cells))
        dated = [c for ws in wb.worksheets for r in ws.iter_rows() for c in r if c.is_date]
        assert dated and {c.number_format for c in dated} == {"dd-mm-yyyy"}
    z = next(f for f in res.files if f.party == "GM0193")
    rows = list(csv.reader(io.StringIO(z.csv.read_bytes().decode("utf-8-sig")), delimiter=";"))
    status = rows[0].index("Status")
    assert {r[status] for r in rows[1:]} <= {"definitief", "voorlopig", "betwist"} and len(rows) > 2
    assert any("naar inwonertal" in r[rows[0].index("Correctie")] for r in rows[1:])  # the pool's verdeelsleutel
    doc = json.loads(z.json.read_text(encoding="utf-8"))
    assert {ln["status"] for ln in doc["lines"]} <= {"definitive", "provisional", "disputed"}  # codes in JSON


def test_xlsx_writer_edges(tmp_path):
    p = tmp_path / "x.xlsx"
    with Workbook(p) as wb:
        ws = wb.sheet("a/b:c*?[x]" * 5)
        ws.row(["<&>\x01", Money(-5), Money(123456789), date(2026, 2, 28), 3, None, True])
        wb.sheet("a_b_c___x_" * 3)
    wb2 = openpyxl.load_workbook(p)
    assert len(wb2.sheetnames) == 2 and len(set(n.lower() for n in wb2.sheetnames)) == 2
    row = next(wb2.worksheets[0].iter_rows(values_only=True))
    assert row[:5] == ("<&>", -0.05, 1234567.89, row[3], 3) and row[3].date() == date(2026, 2, 28)
    assert id_ranges([9, 3, 4, 5, 11, 12]) == "3-5, 9, 11-12"


def test_monitoring_and_projection(booked, tmp_path):
    e = booked
    m = service.monitoring(e.store, 2025, tmp_path)
    doc = json.loads(m.json.read_text(encoding="utf-8"))
    ijv = next(r for r in doc["regions"] if r["region"] == "ijssel-vecht")
    assert sum(ijv["instroom"].values()) >= 3
    assert ijv["financial"]["own_cents"] > 0 and ijv["financial"]["between_parties_cents"] > 0
    assert openpyxl.load_workbook(m.xlsx).sheetnames[0] == "In- uit- en doorstroom"
    from ledger.service import sign_statement
    e.store.append(*sign_statement(e.signer_for("GM0505"), "outflow_notice",
                                   {"sender": "GM0505", "host_municipality": "GM0505", "host_region": "RG:zuid-holland-zuid",
                                    "end_date": "2026-02-20", "new_municipality": "GM0505", "legal_basis": "pseudoniem"},
                                   idempotency_key="n2-1", client="PSN-client-2").as_item())
    m26 = json.loads(service.monitoring(e.store, 2026, tmp_path).json.read_text(encoding="utf-8"))
    ijv26 = next(r for r in m26["regions"] if r["region"] == "ijssel-vecht")
    assert ijv26["origin_outflow"] == [{"origin": "GM0193", "outflow": "GM0505", "n": 1}]
    assert ijv26["uitstroom"] == {"zelfstandig_intensief": 1} and ijv26["duration_days"]["n"] == 1
    p = service.budget_projection("ijssel-vecht", historical_budget_cents=7_000_00, objective_budget_cents=7_000_00,
                                  on=date(2026, 1, 1), out_dir=tmp_path)
    assert p.ingroeipad.years == 7
    by_year = {y.year: y for y in p.years}
    assert by_year[2022].historical_cents == 7_000_00 and by_year[2023].historical_cents == 6_000_00
    assert by_year[2029].historical_cents == 0 and by_year[2029].objective_cents == 7_000_00
    assert service.budget_projection("zuid-holland-zuid", historical_budget_cents=1, objective_budget_cents=1,
                                     on=date(2026, 1, 1)).ingroeipad.years == 5
    assert service.budget_projection("zeeland", historical_budget_cents=1, objective_budget_cents=1,
                                     on=date(2026, 1, 1)).ingroeipad.years == 10
