"""Statement lines that say why: after a binding decision the lines it settles read "definitief" (JSON,
CSV and XLSX), a reversal carries its reason and the decision behind it, and every line names its
ledger entry and its determination."""
from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "cases"))
from case_helpers import CLAIMING, RESPONDING, CaseEnv, attempt_docs

from cases import service as cases
from ledger.entries import COMMITTEE
from ledger.reports.statements import DETAIL_HEADER
from ledger.service import party_signer
from ledger.settlement import service
from ledger.settlement.costlines import Placement

CLIENT = "PSN-client-0001"


@pytest.fixture
def cenv(backend, tmp_path):
    e = CaseEnv.create(backend[0], backend[1], tmp_path)
    yield e
    e.store.dispose()


def _hearing(env: CaseEnv, det_seq: int) -> str:
    v = cases.open_case(env.store, env.signer(CLAIMING), det_seq, question="Wie betaalt vanaf april?")
    cid = v.case_id
    cases.transition(env.store, env.signer(RESPONDING), cid, "OBJECTED", position="R7: de keten loopt door")
    cases.transition(env.store, env.signer(CLAIMING), cid, "CONSULTATION")
    a, b = attempt_docs(env, cid)
    cases.record_attempt(env.store, env.signer(CLAIMING), cid, kind="contactpersonen", held_on=date(2026, 11, 2),
                         summary="overleg", evidence=[a.sha256])
    cases.transition(env.store, env.signer(CLAIMING), cid, "ESCALATED")
    cases.record_attempt(env.store, env.signer(RESPONDING), cid, kind="regioadviseur", held_on=date(2026, 11, 20),
                         summary="advies", evidence=[b.sha256])
    cases.transition(env.store, env.signer(CLAIMING), cid, "FILED")
    for target in ("ADMISSIBILITY", "EXCHANGE", "HEARING"):
        cases.transition(env.store, env.signer(COMMITTEE), cid, target)
    return cid


def _booked(env: CaseEnv):
    """A flagged (provisional) determination Kampen -> Zwolle, its placement booked January-June 2026."""
    det = env.determination(client=CLIENT)
    signer_for = lambda p: party_signer(env.store, env.home / "keys", p)
    service.book_placements(env.store, signer_for, [Placement(
        "pl-1", CLIENT, CLAIMING, RESPONDING, "15A01", date(2026, 1, 1), date(2026, 6, 30), status="provisional",
        determination={"seq": det.seq, "entry_hash": det.entry_hash.hex()})], until=date(2026, 6, 30),
        today=date(2026, 12, 1))
    return det, signer_for


def _decide(env: CaseEnv, det, signer_for, nature: str) -> str:
    cid = _hearing(env, det.seq)
    cases.decide(env.store, env.signer(COMMITTEE), cid, nature=nature, cost_bearers=[
        {"period_from": "2026-01-01", "period_to": "2026-03-31", "cost_bearer": RESPONDING},
        {"period_from": "2026-04-01", "period_to": "2026-06-30", "cost_bearer": "GM0200"}], summary="vanaf april GM0200")
    return cid


def _statement(env: CaseEnv, quarter: str, party: str, tmp: Path):
    res = service.write_statements(env.store, quarter, tmp, parties=[party])
    f = res.files[0]
    doc = json.loads(f.json.read_text(encoding="utf-8"))
    rows = list(csv.DictReader(io.StringIO(f.csv.read_bytes()[3:].decode("utf-8")), delimiter=";"))
    wb = openpyxl.load_workbook(f.xlsx)
    sheet = [n for n in wb.sheetnames if n.startswith((RESPONDING, CLAIMING, "GM0200"))]
    xrows = []
    for name in sheet:
        values = list(wb[name].iter_rows(values_only=True))
        head = values[1]
        assert list(head[:len(DETAIL_HEADER)]) == DETAIL_HEADER
        xrows += [dict(zip(head, r)) for r in values[2:] if isinstance(r[0], int)]
    return res, doc, rows, xrows


def test_a_binding_decision_makes_the_lines_it_settles_definitive(cenv, tmp_path):
    env = cenv
    det, signer_for = _booked(env)
    _r, doc, rows, xrows = _statement(env, "2026K1", CLAIMING, tmp_path / "before")
    assert {ln["status"] for ln in doc["lines"]} == {"provisional"}
    assert {r["Status"] for r in rows} == {"voorlopig"} and {r["Status"] for r in xrows} == {"voorlopig"}
    assert {ln["status_reason"] for ln in doc["lines"]} == {"voorlopig: de beoordeling heeft een open signalering"}

    cid = _decide(env, det, signer_for, "binding_advice")
    _r, doc, rows, _x = _statement(env, "2026K1", CLAIMING, tmp_path / "decided")
    assert {ln["status"] for ln in doc["lines"]} == {"disputed"}  # decided, not yet booked: still disputed
    assert {r["Status"] for r in rows} == {"betwist"}

    res = cases.book_decision(env.store, env.store.operator, signer_for, cid)
    assert res.case.status == "IMPLEMENTED"
    # 2026K1: January-March, the decision names the same cost bearer: nothing rebooked, now definitive
    s, doc, rows, xrows = _statement(env, "2026K1", CLAIMING, tmp_path / "k1")
    assert doc["lines"] and {ln["status"] for ln in doc["lines"]} == {"definitive"}
    assert {r["Status"] for r in rows} == {"definitief"} and {r["Status"] for r in xrows} == {"definitief"}
    why = f"definitief: bindend advies in geschil {cid}"
    assert {ln["status_reason"] for ln in doc["lines"]} == {why}
    assert {r["Waarom deze status"] for r in rows} == {why} == {r["Waarom deze status"] for r in xrows}
    pos = s.settlement.position(CLAIMING)
    assert pos.receivable["provisional"] == 0 and pos.receivable["definitive"] == sum(
        ln["amount_cents"] for ln in doc["lines"])
    # the corrections (April-June to GM0200) are booked in the open quarter: reversals and new lines, definitive
    _s4, doc4, rows4, xrows4 = _statement(env, "2026K4", CLAIMING, tmp_path / "k4")
    kinds = {ln["kind"] for ln in doc4["lines"]}
    assert kinds == {"cost_line", "reversal"}
    assert {ln["status"] for ln in doc4["lines"]} == {"definitive"}
    assert {r["Status"] for r in rows4} == {"definitief"} == {r["Status"] for r in xrows4}
    decision_seq = res.case.state.decision_seq
    for ln in doc4["lines"]:
        assert ln["determination"] == det.seq and len(ln["entry_ids"]) == 1
        if ln["kind"] == "reversal":
            assert ln["reversal_reason"] == f"uitspraak geschillencommissie {cid}"
            assert ln["decision"] == {"case_id": cid, "seq": decision_seq}
            assert ln["reverses"] is not None and ln["counterparty"] == RESPONDING
    rev_csv = [r for r in rows4 if r["Soort"] == "terugboeking"]
    assert rev_csv and {r["Uitspraak (geschil)"] for r in rev_csv} == {cid}
    assert {r["Uitspraak (regel)"] for r in rev_csv} == {str(decision_seq)}
    assert {r["Reden terugboeking"] for r in rev_csv} == {f"uitspraak geschillencommissie {cid}"}
    rev_x = [r for r in xrows4 if r["Soort"] == "terugboeking"]
    assert {r["Uitspraak (regel)"] for r in rev_x} == {decision_seq}


def test_an_advice_does_not_make_lines_definitive(tmp_path):
    env = CaseEnv.create(f"sqlite:///{tmp_path / 'ledger.db'}", None, tmp_path)
    try:
        det, signer_for = _booked(env)
        cid = _decide(env, det, signer_for, "advice")
        cases.book_decision(env.store, env.store.operator, signer_for, cid)
        _s, doc, rows, _x = _statement(env, "2026K1", CLAIMING, tmp_path / "k1")
        assert {ln["status"] for ln in doc["lines"]} == {"provisional"} and {r["Status"] for r in rows} == {"voorlopig"}
        s = service.settle_quarter(env.store, "2026K1")
        assert s.position(CLAIMING).receivable["definitive"] == 0
    finally:
        env.store.dispose()


def test_settlement_totals_follow_the_line_classes(cenv, tmp_path):
    """The settlement (one GROUP BY plus the decided lines) and the statement's lines agree per class."""
    env = cenv
    det, signer_for = _booked(env)
    cid = _decide(env, det, signer_for, "binding_advice")
    cases.book_decision(env.store, env.store.operator, signer_for, cid)
    for q in ("2026K1", "2026K2", "2026K4"):
        _res, doc, _rows, _x = _statement(env, q, CLAIMING, tmp_path / q)
        pos = service.settle_quarter(env.store, q).position(CLAIMING)
        for klass in ("definitive", "provisional", "disputed"):
            lines = sum(ln["amount_cents"] for ln in doc["lines"] if ln["status"] == klass and ln["kind"] != "pool")
            assert pos.receivable[klass] - pos.payable[klass] == lines, (q, klass)
