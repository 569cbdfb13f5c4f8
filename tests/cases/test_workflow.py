"""The workflow table: every allowed transition, every refused pair, roles, and signed histories."""
from datetime import date, timedelta

import pytest

from case_helpers import CLAIMING, RESPONDING, attempt_docs
from cases import service
from cases.errors import CaseError
from cases.workflow import STATUSES, CaseState, Parties, check_transition, deadlines_for, load_workflow
from ledger.entries import COMMITTEE, OPERATOR

PARTIES = Parties(CLAIMING, RESPONDING)
ACTOR = {"claiming": CLAIMING, "responding": RESPONDING, "committee": COMMITTEE, "operator": OPERATOR}
ATTEMPTS = [{"kind": "contactpersonen", "held_on": "2026-11-02", "summary": "s", "evidence": ["a" * 64]},
            {"kind": "regioadviseur", "held_on": "2026-11-20", "summary": "s", "evidence": ["b" * 64]}]
DECISION = {"nature": "binding_advice", "decided_on": "2026-12-01",
            "cost_bearers": [{"period_from": "2026-01-01", "period_to": "2026-06-30", "cost_bearer": CLAIMING}]}
WF = load_workflow()
ON = date(2026, 12, 1)


def _state(status, since=date(2026, 1, 1), booked=None):
    return CaseState("GS-1", PARTIES, status, since, attempts=list(ATTEMPTS), last_date=since, booked_decision=booked)


def _edge_state(edge, since):
    # an upheld decision goes to IMPLEMENTED only when it was booked before, else back to DECIDED
    # (ledger/disputes.py)
    return _state(edge.source, since, DECISION if (edge.source, edge.target) == ("UPHELD", "IMPLEMENTED") else None)


def _edge_kwargs(edge):
    return {"decision": DECISION if edge.requires_decision else None, "booked": edge.requires_booking}


def test_table_is_8_10_complete():
    edges = set(WF.edges)
    assert {("DETERMINED", t) for t in ("ACCEPTED", "OBJECTED", "NO_RESPONSE")} <= edges
    for s in ("OBJECTED", "NO_RESPONSE", "CONSULTATION", "ESCALATED", "FILED", "ADMISSIBILITY", "EXCHANGE", "HEARING"):
        assert (s, "SETTLED") in edges
    for s in STATUSES[:STATUSES.index("DECIDED")]:
        assert (s, "WITHDRAWN") in edges and WF.edges[(s, "WITHDRAWN")].by == {"claiming"}
    assert ("ADMISSIBILITY", "INADMISSIBLE") in edges
    for s in ("DECIDED", "IMPLEMENTED", "CLOSED"):
        assert (s, "COURT_REVIEW") in edges
    assert {("COURT_REVIEW", "UPHELD"), ("COURT_REVIEW", "ANNULLED"), ("UPHELD", "IMPLEMENTED"), ("UPHELD", "DECIDED"),
            ("ANNULLED", "IMPLEMENTED")} <= edges
    for s in ("ACCEPTED", "IMPLEMENTED", "SETTLED"):
        assert (s, "CLOSED") in edges
    assert not [e for e in edges if e[0] in ("WITHDRAWN", "INADMISSIBLE")]
    assert [e for e in edges if e[0] == "CLOSED"] == [("CLOSED", "COURT_REVIEW")]


@pytest.mark.parametrize("edge", list(WF.edges.values()), ids=lambda e: f"{e.source}->{e.target}")
def test_every_allowed_transition(edge):
    since = date(2026, 1, 1)
    for role in sorted(edge.by):
        assert check_transition(_edge_state(edge, since), edge.target, ACTOR[role], ON, parties=PARTIES,
                                **_edge_kwargs(edge)) is edge
    for role in sorted(set(ACTOR) - edge.by):
        with pytest.raises(CaseError) as exc:
            check_transition(_edge_state(edge, since), edge.target, ACTOR[role], ON, parties=PARTIES,
                             **_edge_kwargs(edge))
        assert exc.value.code == "ACTOR_NOT_ALLOWED"
    with pytest.raises(CaseError) as exc:
        check_transition(_edge_state(edge, since), edge.target, "GM0200", ON, parties=PARTIES, **_edge_kwargs(edge))
    assert exc.value.code == "ACTOR_NOT_ALLOWED" and "not a party" in exc.value.message


def test_every_pair_outside_the_table_is_refused():
    refused = 0
    for s in STATUSES:
        for t in STATUSES:
            if (s, t) in WF.edges:
                continue
            for actor in ACTOR.values():
                with pytest.raises(CaseError) as exc:
                    check_transition(_state(s), t, actor, ON, parties=PARTIES, decision=DECISION, booked=True)
                assert exc.value.code == "TRANSITION_NOT_ALLOWED"
            refused += 1
    assert refused == len(STATUSES) ** 2 - len(WF.edges) > 300


def test_conditions_of_edges():
    with pytest.raises(CaseError) as exc:  # Reglement art. 3.1
        check_transition(CaseState("GS-1", PARTIES, "ESCALATED", ON), "FILED", CLAIMING, ON, parties=PARTIES)
    assert exc.value.code == "PRIOR_ATTEMPTS_MISSING"
    with pytest.raises(CaseError) as exc:
        check_transition(CaseState("GS-1", PARTIES, "ESCALATED", ON, attempts=ATTEMPTS[:1]), "FILED", CLAIMING, ON,
                         parties=PARTIES)
    assert exc.value.code == "PRIOR_ATTEMPTS_MISSING" and "regioadviseur" in exc.value.message
    with pytest.raises(CaseError) as exc:
        check_transition(_state("EXCHANGE"), "DECIDED", COMMITTEE, ON, parties=PARTIES)
    assert exc.value.code == "DECISION_INVALID"
    with pytest.raises(CaseError) as exc:
        check_transition(_state("DECIDED"), "IMPLEMENTED", OPERATOR, ON, parties=PARTIES)
    assert exc.value.code == "NOT_BOOKED"
    with pytest.raises(CaseError) as exc:  # six weeks from N3 on 2026-12-01 end 2027-01-12
        check_transition(_state("DETERMINED", ON), "NO_RESPONSE", OPERATOR, date(2027, 1, 12), parties=PARTIES)
    assert exc.value.code == "DEADLINE_NOT_PASSED"
    check_transition(_state("DETERMINED", ON), "NO_RESPONSE", OPERATOR, date(2027, 1, 13), parties=PARTIES)
    with pytest.raises(CaseError) as exc:
        check_transition(_state("OBJECTED", ON), "CONSULTATION", CLAIMING, ON - timedelta(days=1), parties=PARTIES)
    assert exc.value.code == "EVENT_DATE_INVALID"


def test_deadlines_per_status_with_termijnenwet():
    d = {x.name: x for x in deadlines_for("EXCHANGE", date(2026, 12, 10))}
    assert d["applicant_documents"].due == date(2026, 12, 24)
    assert d["respondent_answer"].due == date(2027, 1, 7)  # chained to the applicant's term
    (booking,) = deadlines_for("DECIDED", date(2026, 11, 25))
    assert booking.term.calendar_end == date(2026, 12, 25) and booking.due == date(2026, 12, 28)
    assert deadlines_for("CONSULTATION", ON)[0].due == date(2027, 1, 12)
    assert deadlines_for("ESCALATED", ON)[0].due == date(2026, 12, 29)
    assert deadlines_for("FILED", ON) == []


def test_history_is_the_signed_entries(cenv):
    env = cenv
    r = env.determination()
    v = service.open_case(env.store, env.signer(CLAIMING), r.seq, question="Wie betaalt?", position="R11")
    assert v.status == "DETERMINED" and v.next_deadline.name == "objection"
    with pytest.raises(CaseError) as exc:
        service.open_case(env.store, env.signer(CLAIMING), r.seq, question="nog eens")
    assert exc.value.code == "CASE_EXISTS"
    with pytest.raises(CaseError) as exc:  # the claiming party cannot object on the responding party's behalf
        service.transition(env.store, env.signer(CLAIMING), v.case_id, "OBJECTED", position="x")
    assert exc.value.code == "ACTOR_NOT_ALLOWED"
    v = service.transition(env.store, env.signer(RESPONDING), v.case_id, "OBJECTED", position="R7: keten")
    v = service.transition(env.store, env.signer(CLAIMING), v.case_id, "CONSULTATION")
    a, b = attempt_docs(env, v.case_id)
    with pytest.raises(CaseError) as exc:
        service.transition(env.store, env.signer(CLAIMING), v.case_id, "ESCALATED")
    assert exc.value.code == "PRIOR_ATTEMPTS_MISSING"
    with pytest.raises(CaseError) as exc:  # evidence must be a document of the case
        service.record_attempt(env.store, env.signer(CLAIMING), v.case_id, kind="contactpersonen",
                               held_on=date(2026, 11, 2), summary="overleg", evidence=["c" * 64])
    assert exc.value.code == "DOCUMENT_NOT_FOUND"
    service.record_attempt(env.store, env.signer(CLAIMING), v.case_id, kind="contactpersonen",
                           held_on=date(2026, 11, 2), summary="overleg", evidence=[a.sha256])
    v = service.transition(env.store, env.signer(CLAIMING), v.case_id, "ESCALATED")
    with pytest.raises(CaseError) as exc:
        service.transition(env.store, env.signer(CLAIMING), v.case_id, "FILED")
    assert exc.value.code == "PRIOR_ATTEMPTS_MISSING"
    service.record_attempt(env.store, env.signer(RESPONDING), v.case_id, kind="regioadviseur",
                           held_on=date(2026, 11, 20), summary="advies", evidence=[b.sha256])
    v = service.transition(env.store, env.signer(CLAIMING), v.case_id, "FILED")
    v = service.transition(env.store, env.signer(COMMITTEE), v.case_id, "ADMISSIBILITY")
    v = service.transition(env.store, env.signer(CLAIMING), v.case_id, "WITHDRAWN", note="ingetrokken")
    with pytest.raises(CaseError) as exc:
        service.transition(env.store, env.signer(COMMITTEE), v.case_id, "EXCHANGE")
    assert exc.value.code == "TRANSITION_NOT_ALLOWED"
    # read back from the ledger: every event a signed dispute_event entry by the acting party, in order
    v = service.case_view(env.store, v.case_id)
    assert [(e.status, e.author) for e in v.events if e.action == "transition"] == [
        ("DETERMINED", CLAIMING), ("OBJECTED", RESPONDING), ("CONSULTATION", CLAIMING), ("ESCALATED", CLAIMING),
        ("FILED", CLAIMING), ("ADMISSIBILITY", COMMITTEE), ("WITHDRAWN", CLAIMING)]
    assert len(v.state.attempts) == 2 and not v.is_open
    from ledger.store import entries
    kinds = [r.kind for r in env.store.rows_where(entries.c.client == "PSN-client-0001")]
    assert kinds.count("dispute_event") == len(v.events) and kinds.count("objection") == 1
    report = service.ledger_service.verify_ledger(env.store, workers=1, deep=True) if hasattr(service, "ledger_service") \
        else None
    assert report is None or report.ok, report.problems


def test_no_response_by_time_is_signed_by_the_operator(senv):
    env = senv
    r = env.determination()
    v = service.open_case(env.store, env.signer(CLAIMING), r.seq, question="Wie betaalt?")
    due = v.next_deadline.due
    env.advance((due - service.today(env.store)).days)
    assert service.run_timed_transitions(env.store, env.store.operator) == []
    assert service.overdue(env.store) == []
    env.advance(1)
    (over,) = service.overdue(env.store)
    assert over.case_id == v.case_id and over.deadline.name == "objection" and over.days_overdue == 1
    with pytest.raises(CaseError):
        service.run_timed_transitions(env.store, env.signer(CLAIMING))
    (moved,) = service.run_timed_transitions(env.store, env.store.operator)
    assert moved.status == "NO_RESPONSE" and moved.events[-1].author == OPERATOR
    v = service.transition(env.store, env.signer(RESPONDING), v.case_id, "CONSULTATION")
    v = service.transition(env.store, env.signer(RESPONDING), v.case_id, "SETTLED", note="geschikt")
    v = service.transition(env.store, env.store.operator, v.case_id, "CLOSED")
    assert v.status == "CLOSED" and not v.is_open


def test_worklist_lists_open_disputes_and_undisputed_provisional_determinations(senv):
    env = senv
    r1 = env.determination(det_id="d1", client="PSN-client-0001")
    r2 = env.determination(det_id="d2", client="PSN-client-0002")
    r3 = env.determination(det_id="d3", client="PSN-client-0003", provisional=False)
    r4 = env.determination(det_id="d4", client="PSN-client-0004")
    v = service.open_case(env.store, env.signer(CLAIMING), r2.seq, question="Wie betaalt?")
    w = service.worklist(env.store)
    assert [d.case_id for d in w.disputes] == [v.case_id]
    assert w.disputes[0].next_deadline.name == "objection"
    assert [p.seq for p in w.provisional] == [r1.seq, r4.seq]  # oldest first; r2 disputed, r3 definitive
    assert w.provisional[0].flags == ("BOUNDARY_365",)
    assert r3.seq not in [p.seq for p in w.provisional]


def test_a_transition_signed_against_a_stale_state_is_refused(senv):
    """Two parties acting at once: the first transition in ledger order wins, and the ledger refuses
    the one signed against the status before it (it used to be stored and ignored by the fold)."""
    from ledger.errors import LedgerError
    from ledger.service import record

    env = senv
    r = env.determination()
    v = service.open_case(env.store, env.signer(CLAIMING), r.seq, question="Wie betaalt?")
    v = service.transition(env.store, env.signer(RESPONDING), v.case_id, "OBJECTED", position="R7")
    stale = {"dispute_id": v.case_id, "determination": {"seq": r.seq, "entry_hash": r.entry_hash.hex()},
             "status": "ACCEPTED", "previous_status": "DETERMINED", "participants": [CLAIMING, RESPONDING, COMMITTEE]}
    size = env.store.size()
    with pytest.raises(LedgerError) as exc:
        record(env.store, env.signer(RESPONDING), "dispute_event", stale, idempotency_key="stale",
               client="PSN-client-0001")
    assert exc.value.code == "TRANSITION_NOT_ALLOWED" and env.store.size() == size
    v = service.case_view(env.store, v.case_id)
    assert v.status == "OBJECTED" and not v.state.conflicts
    assert service.transition(env.store, env.signer(CLAIMING), v.case_id, "CONSULTATION").status == "CONSULTATION"


def test_the_court_is_asked_within_two_months_of_the_decision():
    """Spec 8.12: COURT_REVIEW is open for two months after the decision (Algemene termijnenwet)."""
    decided = dict(DECISION, decided_on="2026-01-05")
    state = CaseState("GS-1", PARTIES, "DECIDED", date(2026, 1, 5), last_date=date(2026, 1, 5), decision=decided)
    assert check_transition(state, "COURT_REVIEW", CLAIMING, date(2026, 3, 5), parties=PARTIES)
    with pytest.raises(CaseError) as exc:
        check_transition(state, "COURT_REVIEW", CLAIMING, date(2026, 3, 6), parties=PARTIES)
    assert exc.value.code == "DEADLINE_PASSED"
    # ending on a Saturday, the term runs on to Monday (art. 1)
    state.decision = dict(DECISION, decided_on="2026-01-07")  # + 2 months = Saturday 7 March 2026
    assert check_transition(state, "COURT_REVIEW", CLAIMING, date(2026, 3, 9), parties=PARTIES)
