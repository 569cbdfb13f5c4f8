"""The dispute workflow as data, and the admission rule for a `dispute_event` (pure: no I/O, no clock).

The table is ledger/data/workflow.toml (domain specification 3.2, completed by 8.10): the statuses,
the allowed transitions with the roles that may make each, the conditions of an edge (a deadline that
must have passed, prior attempts to settle, a decision, the bookings) and the deadlines per status.
It is read here only; cases/ folds and shows cases with the same functions.

A case is about a *subject*: a determination (N3/N8) or a cost line. Its parties follow from the
subject, never from what an event claims: the claiming party is the determination's author (or the
cost line's fronting party), the responding party its addressee (or the cost bearer). Who may open a
case: either of them, or the operator (spec 8.10; a cost line without a determination can be
disputed like any other). Every later event must carry the case's own subject and parties, and is a
transition the table allows from the case's current status by the author's role; a submission adds
documents or a position without changing the status.

`dispute_event_problem` is what admission runs for every `dispute_event` (ledger/admission.py);
`transition_problem` is the edge check it shares with cases/ (which offers only allowed steps).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from rules.termijnen import Term, term

from .entries import COMMITTEE, DISPUTE_STATUSES, OPERATOR
from .errors import (
    ACTOR_NOT_ALLOWED,
    CASE_EXISTS,
    CASE_MISMATCH,
    DEADLINE_NOT_PASSED,
    DEADLINE_PASSED,
    DECISION_INVALID,
    EVENT_DATE_INVALID,
    NOT_BOOKED,
    PRIOR_ATTEMPTS_MISSING,
    REFERENCE_INVALID,
    TRANSITION_NOT_ALLOWED,
    LedgerError,
)
from .parties import paying_party_problem

DATA = Path(__file__).parent / "data" / "workflow.toml"
STATUSES = DISPUTE_STATUSES
TERMINAL = frozenset({"WITHDRAWN", "INADMISSIBLE", "CLOSED"})  # CLOSED may still enter COURT_REVIEW
OPEN_EXCLUDED = frozenset({"WITHDRAWN", "INADMISSIBLE", "CLOSED", "SETTLED", "ACCEPTED", "IMPLEMENTED"})
ROLES = ("claiming", "responding", "committee", "operator")
SUBJECT_KINDS = ("determination", "redetermination", "cost_line")
BOOKING_KINDS = ("cost_line", "reversal")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    by: frozenset[str]
    after_deadline: str | None = None
    requires_attempt: tuple[str, ...] = ()
    requires_decision: bool = False
    requires_booking: bool = False


@dataclass(frozen=True)
class DeadlineRule:
    status: str
    name: str
    days: int
    weeks: int
    who: tuple[str, ...]
    text: str
    after: str | None = None
    per_committee: bool = False


@dataclass(frozen=True)
class Workflow:
    edges: dict[tuple[str, str], Edge]
    deadlines: dict[str, tuple[DeadlineRule, ...]]
    committees: dict[str, dict]

    def edge(self, source: str | None, target: str) -> Edge | None:
        return self.edges.get((source, target))  # type: ignore[arg-type]

    def targets(self, source: str) -> list[str]:
        return [t for (s, t) in self.edges if s == source]


@lru_cache(maxsize=4)
def load_workflow(path: Path = DATA) -> Workflow:
    doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    edges: dict[tuple[str, str], Edge] = {}

    def add(source: str, target: str, by, **kw) -> None:
        for s in (source, target):
            if s not in STATUSES:
                raise ValueError(f"workflow table: unknown status {s}")
        if not set(by) <= set(ROLES):
            raise ValueError(f"workflow table: unknown role in {by}")
        edges[(source, target)] = Edge(source, target, frozenset(by), **kw)

    for t in doc["transition"]:
        req = tuple(x for x in t.get("requires_attempt", "").split(",") if x)
        add(t["from"], t["to"], t["by"], after_deadline=t.get("after_deadline"), requires_attempt=req,
            requires_decision=t.get("requires_decision", False), requires_booking=t.get("requires_booking", False))
    bulk = doc["bulk"]
    for s in bulk["settled_from"]:
        add(s, "SETTLED", bulk["settled_by"])
    for s in bulk["withdrawn_from"]:
        add(s, "WITHDRAWN", bulk["withdrawn_by"])
    deadlines: dict[str, list[DeadlineRule]] = {}
    for d in doc["deadline"]:
        deadlines.setdefault(d["status"], []).append(DeadlineRule(
            d["status"], d["name"], d.get("days", 0), d.get("weeks", 0), tuple(d["who"].split(",")), d["text"],
            d.get("after"), d.get("per_committee", False)))
    return Workflow(edges, {k: tuple(v) for k, v in deadlines.items()}, doc.get("committee", {}))


# ---------------------------------------------------------------------------------------------
# Parties and the state folded from the events
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Parties:
    claiming: str
    responding: str
    committee: str = COMMITTEE
    provider: str | None = None  # a provider is a party to the case but signs nothing in the ledger

    def role_of(self, party: str) -> str | None:
        if party == OPERATOR:
            return "operator"
        if party == self.committee:
            return "committee"
        if party == self.claiming:
            return "claiming"
        if party == self.responding:
            return "responding"
        return None

    def participants(self) -> tuple[str, ...]:
        return (self.claiming, self.responding, self.committee)


def subject_parties(kind: str, author: str, payload: dict[str, Any]) -> Parties:
    """The parties of a case about this subject entry (its kind, author and payload as JSON)."""
    if kind == "cost_line":
        return Parties(payload["fronting_party"], payload["cost_bearer"])
    return Parties(author, payload["addressee"])


@dataclass(frozen=True)
class Deadline:
    name: str
    status: str
    text: str
    who: tuple[str, ...]
    term: Term

    @property
    def due(self) -> date:
        return self.term.end


@dataclass
class CaseState:
    """What the events say so far (a fold; nothing here is stored)."""

    case_id: str
    parties: Parties
    status: str
    since: date  # effective date of the event that entered `status`
    attempts: list[dict] = field(default_factory=list)
    decision: dict | None = None  # the decision in force (committee, or a court's ruling replacing it)
    booked_decision: dict | None = None  # the decision the last booking implemented
    bookings: list[dict] = field(default_factory=list)
    last_date: date | None = None
    conflicts: list[dict] = field(default_factory=list)  # transitions signed against a stale state
    subject_seq: int | None = None  # the determination or cost line the case is about
    decision_seq: int | None = None  # the event that carried the decision in force

    @property
    def is_open(self) -> bool:
        return self.status not in OPEN_EXCLUDED


def deadlines_for(state_status: str, since: date, committee: str = COMMITTEE,
                  workflow: Workflow | None = None) -> list[Deadline]:
    """The deadlines that start when `state_status` is entered on `since`, after the Termijnenwet."""
    wf = workflow or load_workflow()
    overrides = wf.committees.get(committee, {})
    out: dict[str, Deadline] = {}
    for rule in wf.deadlines.get(state_status, ()):
        days, weeks = rule.days, rule.weeks
        if rule.per_committee and rule.name in overrides:
            days, weeks = overrides[rule.name].get("days", 0), overrides[rule.name].get("weeks", 0)
        start = out[rule.after].due if rule.after else since
        out[rule.name] = Deadline(rule.name, state_status, rule.text, rule.who, term(start, days=days, weeks=weeks))
    return list(out.values())


def decision_problem(decision: dict | None) -> LedgerError | None:
    """A decision names a cost bearer for at least one period, never the committee or the operator
    (ledger/parties.py), and its periods do not overlap."""
    if decision is None:
        return None
    for i, p in enumerate(decision.get("cost_bearers", ())):
        err = paying_party_problem(f"decision.cost_bearers[{i}].cost_bearer", p["cost_bearer"])
        if err:
            return err
    spans = sorted((str(p["period_from"]), str(p["period_to"])) for p in decision.get("cost_bearers", ()))
    if not spans:
        return LedgerError(DECISION_INVALID, "a decision names the cost bearer for at least one period")
    for (a0, a1), (b0, _) in zip(spans, spans[1:]):
        if b0 <= a1:
            return LedgerError(DECISION_INVALID, f"decision periods overlap ({a0}..{a1} and {b0}..)")
    return None


def transition_problem(state: CaseState | None, target: str, actor: str, on: date, *, parties: Parties,
                       attempts: list[dict] = (), decision: dict | None = None, booked: bool = False,
                       workflow: Workflow | None = None) -> LedgerError | None:
    """Why `state.status -> target` by `actor` on `on` is not allowed, or None (the edge's conditions)."""
    wf = workflow or load_workflow()
    source = state.status if state else None
    if target not in STATUSES:
        return LedgerError(TRANSITION_NOT_ALLOWED, f"unknown status {target}")
    edge = wf.edge(source, target) if source else None
    if edge is None:
        allowed = ", ".join(wf.targets(source)) if source else "-"
        return LedgerError(TRANSITION_NOT_ALLOWED, f"{source} -> {target} is not an allowed transition "
                                                   f"(from {source}: {allowed or 'none, terminal'})")
    role = parties.role_of(actor)
    if role not in edge.by:
        return LedgerError(ACTOR_NOT_ALLOWED, f"{source} -> {target} is made by {', '.join(sorted(edge.by))}; "
                                              f"{actor} is {role or 'not a party to this case'}")
    if state.last_date and on < state.last_date:
        return LedgerError(EVENT_DATE_INVALID, f"event date {on} is before the previous event ({state.last_date})")
    if edge.after_deadline:
        dl = {d.name: d for d in deadlines_for(source, state.since, parties.committee, wf)}[edge.after_deadline]
        if on <= dl.due:
            return LedgerError(DEADLINE_NOT_PASSED, f"{target} only after the {edge.after_deadline} term ends "
                                                    f"({dl.due}); {on} is not past it")
    err = court_review_problem(state, target, on)
    if err:
        return err
    if edge.requires_attempt:
        have = {a["kind"] for a in list(state.attempts) + list(attempts)}
        missing = [k for k in edge.requires_attempt if k not in have]
        if missing:
            return LedgerError(PRIOR_ATTEMPTS_MISSING, "prior attempts to settle are required (Reglement art. 3.1): "
                                                       f"no recorded {' and '.join(missing)} attempt with evidence")
    if edge.requires_decision and not decision:
        return LedgerError(DECISION_INVALID, f"{target} needs the decision with the cost bearer per period")
    if not edge.requires_decision and decision:
        return LedgerError(DECISION_INVALID, f"{target} does not carry a decision")
    if source == "UPHELD" and target == "DECIDED" and state.booked_decision is not None:
        return LedgerError(TRANSITION_NOT_ALLOWED, "the upheld decision was booked before: UPHELD -> IMPLEMENTED")
    if source == "UPHELD" and target == "IMPLEMENTED":
        booked = state.booked_decision is not None  # the decision stands and was booked before
    if edge.requires_booking and not booked:
        return LedgerError(NOT_BOOKED, f"{target} only once the decision's corrections are booked")
    return decision_problem(decision)


COURT_MONTHS = 2  # spec 8.12: a party may bring the advice before the court within two months


def court_review_problem(state: CaseState, target: str, on: date) -> LedgerError | None:
    """Spec 8.12: COURT_REVIEW is open for two months after the decision in force (its decided_on,
    extended by the Algemene termijnenwet); a case without a recorded decision has no such term."""
    if target != "COURT_REVIEW" or not state.decision:
        return None
    due = term(date.fromisoformat(str(state.decision["decided_on"])), months=COURT_MONTHS).end
    if on > due:
        return LedgerError(DEADLINE_PASSED, f"the court is asked within {COURT_MONTHS} months of the decision "
                                            f"(until {due.isoformat()}); {on.isoformat()} is past it")
    return None


def apply_event(state: CaseState | None, payload: dict, on: date, parties: Parties | None = None,
                seq: int | None = None) -> CaseState:
    """Fold one dispute_event payload into the state (`parties` for the first event: from its subject)."""
    if state is None:
        if parties is None:
            parties = Parties(payload.get("claiming") or payload["participants"][0],
                              payload.get("responding") or payload["participants"][1])
        if payload.get("provider") and parties.provider is None:
            parties = Parties(parties.claiming, parties.responding, parties.committee, payload["provider"])
        subject = payload.get("determination") or payload.get("cost_line")
        state = CaseState(payload["dispute_id"], parties, payload["status"], on,
                          subject_seq=subject["seq"] if subject else None)
    elif payload.get("action", "transition") == "transition":
        if payload.get("previous_status") != state.status:
            # signed against a state that had already changed (admitted before the workflow rules of
            # ledger/data/admission.toml took effect): kept in the history but not applied
            state.conflicts.append(payload)
            return state
        state.status = payload["status"]
        state.since = on
    state.attempts.extend(payload.get("attempts") or ())
    if payload.get("decision"):
        state.decision = payload["decision"]
        state.decision_seq = seq
    if payload.get("bookings"):
        state.bookings.extend(payload["bookings"])
        state.booked_decision = state.decision
    state.last_date = on
    return state


# ---------------------------------------------------------------------------------------------
# The admission rule
# ---------------------------------------------------------------------------------------------
def event_date(payload: dict, received_on: date) -> date:
    """The day the event counts from: its effective_date, else the (Dutch) date it was received."""
    eff = payload.get("effective_date")
    return date.fromisoformat(eff) if eff else received_on


def opening_problem(parties: Parties, author: str) -> LedgerError | None:
    """Who may open a case: either party of its subject (the determination's author or addressee, the
    cost line's fronting party or cost bearer) or the operator (spec 8.10)."""
    if parties.role_of(author) not in ("claiming", "responding", "operator"):
        return LedgerError(ACTOR_NOT_ALLOWED, f"a case is opened by {parties.claiming}, {parties.responding} "
                                              f"or the operator, not {author}")
    return None


def submission_problem(state: CaseState, author: str) -> LedgerError | None:
    """Who may add documents, a position or attempts to a case without changing its status: any party
    of the case (committee included), while the case is not terminal."""
    if state.parties.role_of(author) is None:
        return LedgerError(ACTOR_NOT_ALLOWED, f"{author} is not a party to case {state.case_id}")
    if state.status in TERMINAL:
        return LedgerError(TRANSITION_NOT_ALLOWED, f"case {state.case_id} is {state.status}: "
                                                   "nothing can be submitted")
    return None


def dispute_event_problem(author: str, payload: dict, subject, state: CaseState | None, received_on: date,
                          lookup, client: str | None) -> LedgerError | None:
    """Why this dispute_event may not enter the ledger, or None.

    `payload` is the event as JSON, `subject` the RefInfo of the entry it is about (its determination
    or cost line, already resolved), `state` the case folded from the events admitted before (None:
    no such case yet), `received_on` the Dutch date of receipt, `lookup(seq)` a RefInfo of an earlier
    entry (for the bookings an IMPLEMENTED event lists), `client` the event's client pseudonym (a
    case is about its subject's client)."""
    if subject.kind not in SUBJECT_KINDS:
        return LedgerError(REFERENCE_INVALID, f"a case is about a determination or a cost line, not a {subject.kind}")
    if subject.client != client:
        return LedgerError(CASE_MISMATCH, f"the case's subject, entry {subject.seq}, is about another client")
    parties = subject_parties(subject.kind, subject.author, subject.payload)
    for name, want in (("claiming", parties.claiming), ("responding", parties.responding)):
        if payload.get(name) not in (None, want):
            return LedgerError(CASE_MISMATCH, f"{name} is {payload.get(name)}, the case's {name} party is {want}")
    if tuple(payload["participants"]) != parties.participants():
        return LedgerError(CASE_MISMATCH, f"participants {', '.join(payload['participants'])} are not the case's "
                                          f"({', '.join(parties.participants())})")
    on = event_date(payload, received_on)
    if on > received_on:
        return LedgerError(EVENT_DATE_INVALID, f"event date {on} is after the day it was received ({received_on})")
    status, action = payload["status"], payload.get("action", "transition")
    if state is None:
        if action != "transition" or status != "DETERMINED" or payload.get("previous_status") is not None:
            return LedgerError(TRANSITION_NOT_ALLOWED, f"case {payload['dispute_id']} does not exist: a case opens "
                                                       "with status DETERMINED")
        return opening_problem(parties, author)
    if state.subject_seq is not None and subject.seq != state.subject_seq:
        return LedgerError(CASE_MISMATCH, f"case {state.case_id} is about entry {state.subject_seq}, "
                                          f"not {subject.seq}")
    if (state.parties.claiming, state.parties.responding) != (parties.claiming, parties.responding):
        return LedgerError(CASE_MISMATCH, f"the parties are not those of case {state.case_id}")
    if action == "submission":
        err = submission_problem(state, author)
        if err:
            return err
        if status != state.status or payload.get("previous_status") != state.status:
            return LedgerError(TRANSITION_NOT_ALLOWED, "a submission keeps the case's status "
                                                       f"({state.status})")
        if state.last_date and on < state.last_date:
            return LedgerError(EVENT_DATE_INVALID, f"event date {on} is before the previous event ({state.last_date})")
        if payload.get("decision"):
            return LedgerError(DECISION_INVALID, "a submission does not carry a decision")
        return None
    if payload.get("previous_status") is None and status == "DETERMINED":
        return LedgerError(CASE_EXISTS, f"case {state.case_id} is already open")
    if payload.get("previous_status") != state.status:
        return LedgerError(TRANSITION_NOT_ALLOWED, f"signed against status {payload.get('previous_status')}; "
                                                   f"case {state.case_id} is {state.status}")
    bookings = payload.get("bookings") or ()
    for b in bookings:
        info = lookup(b["seq"])
        if info is None or info.entry_hash.hex() != b["entry_hash"] or info.kind not in BOOKING_KINDS:
            return LedgerError(REFERENCE_INVALID, f"bookings: entry {b['seq']} is not a booked cost line or reversal")
    return transition_problem(state, status, author, on, parties=state.parties,
                              attempts=list(payload.get("attempts") or ()), decision=payload.get("decision"),
                              booked=bool(bookings))
