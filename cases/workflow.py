"""The dispute workflow as data: statuses, the transition table, roles and deadlines per status.

The table is cases/data/workflow.toml (domain specification 3.2 completed by 8.10). Everything here
is pure: a case's state is folded from its events (signed ledger entries), and a proposed transition
is checked against the table, the acting party's role and the conditions of the edge.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from ledger.entries import COMMITTEE, DISPUTE_STATUSES, OPERATOR

from .errors import (ACTOR_NOT_ALLOWED, DEADLINE_NOT_PASSED, DECISION_INVALID, EVENT_DATE_INVALID, NOT_BOOKED,
                     PRIOR_ATTEMPTS_MISSING, TRANSITION_NOT_ALLOWED, CaseError)
from .termijnen import Term, term

DATA = Path(__file__).parent / "data" / "workflow.toml"
STATUSES = DISPUTE_STATUSES
TERMINAL = frozenset({"WITHDRAWN", "INADMISSIBLE", "CLOSED"})  # CLOSED may still enter COURT_REVIEW
OPEN_EXCLUDED = frozenset({"WITHDRAWN", "INADMISSIBLE", "CLOSED", "SETTLED", "ACCEPTED", "IMPLEMENTED"})
ROLES = ("claiming", "responding", "committee", "operator")

STATUS_NL = {
    "DETERMINED": "beoordeeld (N3 verzonden)", "ACCEPTED": "aanvaard", "OBJECTED": "bezwaar gemaakt",
    "NO_RESPONSE": "geen reactie binnen termijn", "CONSULTATION": "overleg contactpersonen",
    "ESCALATED": "regioadviseur betrokken", "FILED": "ingediend bij de commissie",
    "ADMISSIBILITY": "toets bevoegdheid", "EXCHANGE": "uitwisseling stukken", "HEARING": "hoorzitting",
    "DECIDED": "uitspraak gedaan", "COURT_REVIEW": "voorgelegd aan de rechter", "UPHELD": "uitspraak blijft staan",
    "ANNULLED": "uitspraak vernietigd", "SETTLED": "geschikt", "WITHDRAWN": "ingetrokken",
    "INADMISSIBLE": "niet-ontvankelijk", "IMPLEMENTED": "uitgevoerd (geboekt)", "CLOSED": "gesloten",
}


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


def check_transition(state: CaseState | None, target: str, actor: str, on: date, *, parties: Parties,
                     attempts: list[dict] = (), decision: dict | None = None, booked: bool = False,
                     workflow: Workflow | None = None) -> Edge:
    """The edge for `state.status -> target` by `actor` on `on`, or a CaseError with a stable code."""
    wf = workflow or load_workflow()
    source = state.status if state else None
    if target not in STATUSES:
        raise CaseError(TRANSITION_NOT_ALLOWED, f"unknown status {target}")
    edge = wf.edge(source, target) if source else None
    if edge is None:
        allowed = ", ".join(wf.targets(source)) if source else "-"
        raise CaseError(TRANSITION_NOT_ALLOWED, f"{source} -> {target} is not an allowed transition "
                                                f"(from {source}: {allowed or 'none, terminal'})")
    role = parties.role_of(actor)
    if role not in edge.by:
        raise CaseError(ACTOR_NOT_ALLOWED, f"{source} -> {target} is made by {', '.join(sorted(edge.by))}; "
                                           f"{actor} is {role or 'not a party to this case'}")
    if state.last_date and on < state.last_date:
        raise CaseError(EVENT_DATE_INVALID, f"event date {on} is before the previous event ({state.last_date})")
    if edge.after_deadline:
        dl = {d.name: d for d in deadlines_for(source, state.since, parties.committee, wf)}[edge.after_deadline]
        if on <= dl.due:
            raise CaseError(DEADLINE_NOT_PASSED, f"{target} only after the {edge.after_deadline} term ends "
                                                 f"({dl.due}); {on} is not past it")
    if edge.requires_attempt:
        have = {a["kind"] for a in list(state.attempts) + list(attempts)}
        missing = [k for k in edge.requires_attempt if k not in have]
        if missing:
            raise CaseError(PRIOR_ATTEMPTS_MISSING, "prior attempts to settle are required (Reglement art. 3.1): "
                                                    f"no recorded {' and '.join(missing)} attempt with evidence")
    if edge.requires_decision and not decision:
        raise CaseError(DECISION_INVALID, f"{target} needs the decision with the cost bearer per period")
    if not edge.requires_decision and decision:
        raise CaseError(DECISION_INVALID, f"{target} does not carry a decision")
    if edge.requires_booking and not booked:
        raise CaseError(NOT_BOOKED, f"{target} only once the decision's corrections are booked")
    return edge


def apply_event(state: CaseState | None, payload: dict, on: date, parties: Parties | None = None) -> CaseState:
    """Fold one dispute_event payload into the state (`parties` for the first event: from the
    determination, its author claiming and its addressee responding)."""
    if state is None:
        if parties is None:
            parties = Parties(payload.get("claiming") or payload["participants"][0],
                              payload.get("responding") or payload["participants"][1])
        if payload.get("provider") and parties.provider is None:
            parties = Parties(parties.claiming, parties.responding, parties.committee, payload["provider"])
        state = CaseState(payload["dispute_id"], parties, payload["status"], on)
    elif payload.get("action", "transition") == "transition":
        if payload.get("previous_status") != state.status:
            # signed against a state that had already changed (two parties acting at once): the first
            # transition in ledger order wins; this one is kept in the history but not applied
            state.conflicts.append(payload)
            return state
        state.status = payload["status"]
        state.since = on
    state.attempts.extend(payload.get("attempts") or ())
    if payload.get("decision"):
        state.decision = payload["decision"]
    if payload.get("bookings"):
        state.bookings.extend(payload["bookings"])
        state.booked_decision = state.decision
    state.last_date = on
    return state
