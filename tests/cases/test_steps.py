"""The steps a party is offered on the case page (cases/steps.py): for every status and every role, exactly
the table's edges that role may make (the ledger's own transition_problem decides), without the operator's
transitions by time and bookings; a submission for every party of a case that is not terminal."""
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from case_helpers import CLAIMING, RESPONDING

from cases.steps import offered_steps, step_named
from cases.workflow import STATUSES, TERMINAL, CaseState, Parties, load_workflow
from ledger.entries import COMMITTEE, OPERATOR

PARTIES = Parties(CLAIMING, RESPONDING)
ACTOR = {"claiming": CLAIMING, "responding": RESPONDING, "committee": COMMITTEE, "operator": OPERATOR}
ATTEMPTS = [{"kind": "contactpersonen", "held_on": "2026-11-02", "summary": "s", "evidence": ["a" * 64]},
            {"kind": "regioadviseur", "held_on": "2026-11-20", "summary": "s", "evidence": ["b" * 64]}]
ON = date(2026, 12, 1)
WF = load_workflow()


@dataclass
class View:
    """The part of a cases.service.CaseView the steps read (its folded state and parties)."""

    state: CaseState

    @property
    def status(self):
        return self.state.status

    @property
    def parties(self):
        return self.state.parties


def view(status, decision=None, since=ON - timedelta(days=1)):
    return View(CaseState("GS-1", PARTIES, status, since, attempts=list(ATTEMPTS), last_date=since,
                          decision=decision))


@pytest.mark.parametrize("status", sorted(STATUSES))
@pytest.mark.parametrize("role", sorted(ACTOR))
def test_every_status_and_role_is_offered_exactly_its_edges(status, role):
    want = {e.target for e in WF.edges.values()
            if e.source == status and role in e.by and not e.after_deadline and not e.requires_booking}
    got = [s for s in offered_steps(view(status), ACTOR[role], ON) if s.target]
    assert {s.target for s in got} == want
    for s in got:
        assert s.action == {"DECIDED": "decide", "ANNULLED": "court_ruling", "UPHELD": "court_ruling"}.get(
            s.target, "transition")
    keys = {s.key for s in offered_steps(view(status), ACTOR[role], ON)}
    assert ("submit" in keys) == (status not in TERMINAL)
    assert ("attempt" in keys) == (status in ("CONSULTATION", "ESCALATED") and role in ("claiming", "responding"))


def test_no_steps_for_a_party_not_in_the_case_nor_timed_or_booking_steps_for_the_operator():
    assert offered_steps(view("DETERMINED"), "GM0200", ON) == []
    assert offered_steps(view("DETERMINED"), None, ON) == []
    assert [s.key for s in offered_steps(view("DETERMINED"), OPERATOR, ON)] == ["submit"]  # NO_RESPONSE is timed
    assert "IMPLEMENTED" not in {s.key for s in offered_steps(view("DECIDED"), OPERATOR, ON)}


def test_the_court_is_offered_only_within_two_months_of_the_decision():
    decision = {"nature": "binding_advice", "decided_on": "2026-09-01",
                "cost_bearers": [{"period_from": "2026-01-01", "period_to": "2026-06-30", "cost_bearer": CLAIMING}]}
    decided = view("DECIDED", decision, since=date(2026, 9, 1))
    assert step_named(decided, RESPONDING, date(2026, 10, 30), "COURT_REVIEW") is not None
    assert step_named(decided, RESPONDING, date(2026, 11, 3), "COURT_REVIEW") is None  # DEADLINE_PASSED


def test_filing_needs_both_recorded_attempts():
    bare = View(CaseState("GS-1", PARTIES, "ESCALATED", ON, attempts=[], last_date=ON))
    assert step_named(bare, CLAIMING, ON, "FILED") is None
    assert step_named(view("ESCALATED"), CLAIMING, ON, "FILED") is not None
