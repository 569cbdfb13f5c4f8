"""The dispute workflow for cases/: the table, the fold and the edge check live in ledger/disputes.py
(the ledger refuses a dispute_event that breaks them, whatever path it comes by); this module offers the
Dutch status names (from the glossary, rules/glossary.py) and raises the ledger's refusal as a CaseError
with the same code and message.
"""
from __future__ import annotations

from datetime import date

from ledger.disputes import (OPEN_EXCLUDED, ROLES, STATUSES, TERMINAL, CaseState, Deadline, DeadlineRule, Edge,
                             Parties, Workflow, apply_event, deadlines_for, load_workflow, opening_problem,
                             subject_parties, transition_problem)
from rules import glossary

from .errors import CaseError

__all__ = ["STATUS_NL", "STATUSES", "TERMINAL", "OPEN_EXCLUDED", "ROLES", "CaseState", "Deadline", "DeadlineRule",
           "Edge", "Parties", "Workflow", "apply_event", "check_opening", "check_transition", "deadlines_for",
           "load_workflow", "subject_parties"]

#: each status as a person reads it: the glossary's section dispute_status (rules/data/glossary.toml)
STATUS_NL = glossary.section("dispute_status")


def check_transition(state: CaseState | None, target: str, actor: str, on: date, *, parties: Parties,
                     attempts: list[dict] = (), decision: dict | None = None, booked: bool = False,
                     workflow: Workflow | None = None) -> Edge:
    """The edge for `state.status -> target` by `actor` on `on`, or a CaseError with the ledger's code."""
    err = transition_problem(state, target, actor, on, parties=parties, attempts=attempts, decision=decision,
                             booked=booked, workflow=workflow)
    if err:
        raise CaseError(err.code, err.message)
    return (workflow or load_workflow()).edge(state.status, target)


def check_opening(parties: Parties, actor: str) -> None:
    """The ledger's rule of who may open a case (ledger.disputes.opening_problem), as a CaseError."""
    err = opening_problem(parties, actor)
    if err:
        raise CaseError(err.code, err.message)
