"""Which workflow steps a party may take on a case now: the pages offer exactly these.

Nothing here decides on its own: every transition is asked of `ledger.disputes.transition_problem`, the
edge check the ledger's admission runs for each dispute_event, and a submission of
`ledger.disputes.submission_problem`, with the party's role in the case and today's date. What depends on
what the person will type (the decision's periods, the reasons of an objection) is checked again when the
step is drafted (cases.service) and once more when the signed statements arrive (admission).

Steps the pages leave to the operator's own tools are not offered: transitions by time (`after_deadline`,
`bwledger case timed`) and booking a decision (`requires_booking`, `bwledger case book`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledger.disputes import load_workflow, submission_problem, transition_problem
from rules import glossary

from .service import CaseView

#: the Dutch name of each step (the action, or the transition's target)
STEP_NL = glossary.section("case_step")
#: attempts to settle are recorded while the parties still talk (Reglement art. 3.1)
ATTEMPT_STATUSES = ("CONSULTATION", "ESCALATED")


@dataclass(frozen=True)
class Step:
    """One step a party may take: `action` is the draft's (transition, submit, attempt, decide,
    court_ruling), `target` the status it moves the case to (None for a submission or attempt), `key` the
    form's name of the step."""

    action: str
    target: str | None
    label_nl: str

    @property
    def key(self) -> str:
        return self.target or self.action

    @property
    def needs_decision(self) -> bool:
        return self.action == "decide" or self.target == "ANNULLED"


def _placeholder_decision(view: CaseView, on: date) -> dict:
    """A decision of the right shape, for asking whether an edge that carries one is open at all (the
    periods the person types are checked when the step is drafted)."""
    return {"nature": "binding_advice", "decided_on": on.isoformat(), "summary": "",
            "cost_bearers": [{"period_from": on.isoformat(), "period_to": on.isoformat(),
                              "cost_bearer": view.parties.responding, "historical_budget": False}]}


def offered_steps(view: CaseView, party: str | None, on: date) -> list[Step]:
    """The steps `party` may take on the case on `on`, in the workflow table's order; none for a caller
    without a party or a party not in the case."""
    if not party or view.parties.role_of(party) is None:
        return []
    wf = load_workflow()
    out: list[Step] = []
    for target in wf.targets(view.status):
        edge = wf.edge(view.status, target)
        if edge.after_deadline or edge.requires_booking:
            continue
        decision = _placeholder_decision(view, on) if edge.requires_decision else None
        if transition_problem(view.state, target, party, on, parties=view.parties, decision=decision) is not None:
            continue
        action = {"DECIDED": "decide", "ANNULLED": "court_ruling", "UPHELD": "court_ruling"}.get(target, "transition")
        out.append(Step(action, target, STEP_NL[target]))
    if submission_problem(view.state, party) is None:
        if view.status in ATTEMPT_STATUSES and view.parties.role_of(party) in ("claiming", "responding"):
            out.append(Step("attempt", None, STEP_NL["attempt"]))
        out.append(Step("submit", None, STEP_NL["submit"]))
    return out


def step_named(view: CaseView, party: str | None, on: date, key: str) -> Step | None:
    """The offered step with this form key, or None (not offered to this party now)."""
    return next((s for s in offered_steps(view, party, on) if s.key == key), None)


__all__ = ["ATTEMPT_STATUSES", "STEP_NL", "Step", "offered_steps", "step_named"]
