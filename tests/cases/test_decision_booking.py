"""A decision books reversals and new cost lines through the settlement corrections; a court's
annulment replaces it and books again."""
from datetime import date

import pytest

from case_helpers import CLAIMING, RESPONDING, attempt_docs
from cases import service
from cases.errors import CaseError
from ledger.entries import COMMITTEE, OPERATOR
from ledger.service import party_signer, verify_ledger
from ledger.store import entries


def _live_bearers(store, client):
    import json

    rows = store.rows_where(entries.c.client == client, entries.c.kind.in_(("cost_line", "reversal")))
    pay = {r.seq: json.loads(r.statement)["payload"] for r in rows}
    reversed_ = {p["reverses"]["seq"] for r, p in zip(rows, pay.values()) if r.kind == "reversal"}
    return sorted((p["period_from"], p["period_to"], p["cost_bearer"]) for r in rows
                  if r.kind == "cost_line" and r.seq not in reversed_ for p in [pay[r.seq]])


def _to_exchange(env, case_id):
    service.transition(env.store, env.signer(RESPONDING), case_id, "OBJECTED", position="R7: de keten loopt door")
    service.transition(env.store, env.signer(CLAIMING), case_id, "CONSULTATION")
    a, b = attempt_docs(env, case_id)
    service.record_attempt(env.store, env.signer(CLAIMING), case_id, kind="contactpersonen",
                           held_on=date(2026, 11, 2), summary="overleg", evidence=[a.sha256])
    service.transition(env.store, env.signer(CLAIMING), case_id, "ESCALATED")
    service.record_attempt(env.store, env.signer(RESPONDING), case_id, kind="regioadviseur",
                           held_on=date(2026, 11, 20), summary="advies", evidence=[b.sha256])
    service.transition(env.store, env.signer(CLAIMING), case_id, "FILED")
    service.transition(env.store, env.signer(COMMITTEE), case_id, "ADMISSIBILITY")
    service.transition(env.store, env.signer(COMMITTEE), case_id, "EXCHANGE")
    return service.transition(env.store, env.signer(COMMITTEE), case_id, "HEARING")


def test_decision_is_booked_and_a_court_can_replace_it(cenv):
    from ledger.settlement.costlines import Placement
    from ledger.settlement.service import book_placements

    env = cenv
    client = "PSN-client-0001"
    r = env.determination(client=client)
    signer_for = lambda p: party_signer(env.store, env.home / "keys", p)  # noqa: E731
    book_placements(env.store, signer_for, [Placement(
        placement_id="pl-1", client=client, fronting_party=CLAIMING, cost_bearer=RESPONDING, product="15A01",
        start=date(2026, 1, 1), stop=date(2026, 6, 30), determination={"seq": r.seq, "entry_hash": r.entry_hash.hex()})],
        until=date(2026, 6, 30), today=date(2026, 12, 1))
    before = _live_bearers(env.store, client)
    assert before and {b for *_, b in before} == {RESPONDING}
    v = service.open_case(env.store, env.signer(CLAIMING), r.seq, question="Wie betaalt vanaf april?")
    v = _to_exchange(env, v.case_id)
    with pytest.raises(CaseError) as exc:
        service.book_decision(env.store, env.store.operator, signer_for, v.case_id)
    assert exc.value.code == "TRANSITION_NOT_ALLOWED"
    with pytest.raises(CaseError) as exc:  # overlapping periods
        service.decide(env.store, env.signer(COMMITTEE), v.case_id, nature="advice", cost_bearers=[
            {"period_from": "2026-01-01", "period_to": "2026-04-30", "cost_bearer": RESPONDING},
            {"period_from": "2026-04-01", "period_to": "2026-06-30", "cost_bearer": "GM0200"}])
    assert exc.value.code == "DECISION_INVALID"
    with pytest.raises(CaseError) as exc:  # only the committee decides
        service.decide(env.store, env.signer(CLAIMING), v.case_id, nature="advice", cost_bearers=[
            {"period_from": "2026-01-01", "period_to": "2026-06-30", "cost_bearer": RESPONDING}])
    assert exc.value.code == "ACTOR_NOT_ALLOWED"
    v = service.decide(env.store, env.signer(COMMITTEE), v.case_id, nature="binding_advice", cost_bearers=[
        {"period_from": "2026-01-01", "period_to": "2026-03-31", "cost_bearer": RESPONDING},
        {"period_from": "2026-04-01", "period_to": "2026-06-30", "cost_bearer": "GM0200"}], summary="vanaf april GM0200")
    assert v.status == "DECIDED" and v.next_deadline.name == "booking"
    res = service.book_decision(env.store, env.store.operator, signer_for, v.case_id)
    assert res.case.status == "IMPLEMENTED" and res.case.events[-1].author == OPERATOR
    assert len(res.booked) == 6 and res.case.events[-1].bookings  # 3 reversals and 3 new lines
    from cases.zgw import zgw_case
    besluit = zgw_case(env.store, v.case_id)["besluit"]
    assert besluit["datum"] == v.decision["decided_on"] and len(besluit["_bwledger"]["cost_bearers"]) == 2
    after = _live_bearers(env.store, client)
    assert {b for f, t, b in after if f >= "2026-04-01"} == {"GM0200"}
    assert {b for f, t, b in after if t <= "2026-03-31"} == {RESPONDING}
    # the court annuls the binding advice and fixes GM0193 for the whole period: booked again
    v = service.transition(env.store, env.signer(RESPONDING), v.case_id, "COURT_REVIEW", note="dagvaarding")
    v = service.court_ruling(env.store, env.signer(RESPONDING), v.case_id, annulled=True, cost_bearers=[
        {"period_from": "2026-01-01", "period_to": "2026-06-30", "cost_bearer": RESPONDING}], summary="vernietigd")
    assert v.status == "ANNULLED" and v.decision["nature"] == "court_ruling"
    assert v.next_deadline.name == "rebooking"
    res = service.book_decision(env.store, env.store.operator, signer_for, v.case_id)
    assert res.case.status == "IMPLEMENTED" and len(res.booked) == 6
    assert {b for *_, b in _live_bearers(env.store, client)} == {RESPONDING}
    # upheld after a booked decision goes back to IMPLEMENTED without booking
    v = service.transition(env.store, env.signer(CLAIMING), v.case_id, "COURT_REVIEW")
    v = service.court_ruling(env.store, env.signer(CLAIMING), v.case_id, annulled=False, summary="in stand")
    with pytest.raises(CaseError):
        service.transition(env.store, env.store.operator, v.case_id, "DECIDED")
    v = service.transition(env.store, env.store.operator, v.case_id, "IMPLEMENTED")
    v = service.transition(env.store, env.store.operator, v.case_id, "CLOSED")
    assert v.status == "CLOSED"
    # the case file shows the decision in force, the reversals and the new lines
    import re

    from pypdf import PdfReader

    from cases.dossier import render_dossier
    summary = render_dossier(env.store, env.docs, v.case_id, env.home / "d.pdf")
    flat = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(str(env.home / "d.pdf")).pages))
    assert "uitspraakvanderechter" in flat and flat.count("tegengeboekt") == 6 and "correctieop2026-K2" in flat
    assert summary.bundle_entries > 20
    report = verify_ledger(env.store, workers=1, deep=True)
    assert report.ok, report.problems
