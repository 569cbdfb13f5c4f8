"""Service functions for disputes (the CLI, the HTTP API and the demo call these; no settings here).

Every transition is a signed `dispute_event` ledger entry by the acting party; a case's history is
read back from the ledger (the sequence of its dispute_event entries), never from a mutable table.
Only document metadata lives in a table of its own (cases.store, append-only).

Arguments: the ledger `Store`, a `Signer` for the acting party, the documents directory; results
are dataclasses. Refusals raise CaseError (cases.errors) or LedgerError (ledger.errors), each with a
stable code, and store nothing.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ledger import service as ledger_service
from ledger.admission import local_date  # the Dutch calendar date deadlines count in
from ledger.crypto import Signer
from ledger.disputes import decision_problem
from ledger.drafts import Draft  # one unsigned statement of a write
from ledger.entries import COMMITTEE, OPERATOR
from ledger.errors import LedgerError
from ledger.store import AppendResult, EntryRow, Store, entries as entries_table

from .documents import DEFAULT_MAX_BYTES, ContentStore, check_content
from .errors import (CASE_EXISTS, CASE_NOT_FOUND, COST_LINE_NOT_FOUND, DECISION_INVALID, DETERMINATION_NOT_FOUND,
                     DOCUMENT_NOT_FOUND, EVIDENCE_MISMATCH, EVENT_DATE_INVALID, SETTLEMENT_UNAVAILABLE, SUBJECT_INVALID,
                     TRANSITION_NOT_ALLOWED, CaseError)
from .store import CaseStore, DocumentRecord
from .workflow import (STATUS_NL, CaseState, Deadline, Parties, apply_event, check_opening, check_transition,
                       deadlines_for, load_workflow, subject_parties)

DETERMINATION_KINDS = ("determination", "redetermination")
POSITION_REQUIRED = "POSITION_REQUIRED"


def today(store: Store) -> date:
    """The ledger's today (its clock, Dutch calendar date)."""
    return local_date(store.clock())


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseEvent:
    seq: int
    entry_hash: str
    received_at: datetime
    author: str
    key_id: str
    signature: str
    status: str
    previous_status: str | None
    action: str
    effective_date: date
    note: str
    position: str
    documents: tuple[str, ...]
    attempts: tuple[dict, ...]
    decision: dict | None
    bookings: tuple[dict, ...]
    deadline: date | None
    question: str = ""


@dataclass
class CaseView:
    """A case as its signed events say it is. Its subject is a determination (N3/N8) or a cost line
    (`subject_kind`); the `determination_*` fields are the subject's (seq, hash, signed payload, author,
    receipt), whichever kind it is."""

    case_id: str
    determination_seq: int
    determination_hash: str
    determination: dict  # the signed payload of the subject (a determination, or a cost line)
    determination_author: str
    determination_received: datetime
    client: str
    parties: Parties
    status: str
    since: date
    events: list[CaseEvent]
    deadlines: list[Deadline]
    state: CaseState
    question: str = ""
    positions: dict[str, list[str]] = field(default_factory=dict)  # party -> positions, in order
    subject_kind: str = "determination"  # determination | redetermination | cost_line

    @property
    def subject_ref(self) -> dict:
        """The subject as every event of the case names it: {"determination": ref} or {"cost_line": ref}."""
        name = "cost_line" if self.subject_kind == "cost_line" else "determination"
        return {name: {"seq": self.determination_seq, "entry_hash": self.determination_hash}}

    @property
    def next_deadline(self) -> Deadline | None:
        return min(self.deadlines, key=lambda d: d.due) if self.deadlines else None

    @property
    def decision(self) -> dict | None:
        return self.state.decision

    @property
    def is_open(self) -> bool:
        return self.state.is_open

    def overdue(self, on: date) -> list[Deadline]:
        return [d for d in self.deadlines if d.due < on] if self.is_open else []

    @property
    def status_nl(self) -> str:
        return STATUS_NL[self.status]

    @property
    def signed_documents(self) -> dict[str, int]:
        """document SHA-256 -> seq of the first event that lists it (as a document or attempt evidence)."""
        out: dict[str, int] = {}
        for e in self.events:
            for h in list(e.documents) + [x for a in e.attempts for x in a.get("evidence", ())]:
                out.setdefault(h, e.seq)
        return out


@dataclass(frozen=True)
class OverdueItem:
    case_id: str
    status: str
    deadline: Deadline
    days_overdue: int


@dataclass(frozen=True)
class OpenDispute:
    case_id: str
    status: str
    parties: Parties
    next_deadline: Deadline | None
    overdue: bool


@dataclass(frozen=True)
class UndisputedDetermination:
    seq: int
    entry_hash: str
    received_at: datetime
    author: str
    addressee: str
    determination_id: str
    reference_date: date
    flags: tuple[str, ...]
    objection_deadline: date


@dataclass(frozen=True)
class WorkList:
    on: date
    disputes: list[OpenDispute]
    provisional: list[UndisputedDetermination]


@dataclass(frozen=True)
class BookingResult:
    case: CaseView
    booked: list[Any]  # AppendResults of the reversals and new cost lines


# ---------------------------------------------------------------------------------------------
# Reading cases back from the ledger
# ---------------------------------------------------------------------------------------------
def _payload(row: EntryRow) -> dict:
    return json.loads(row.statement)["payload"]


def _event(row: EntryRow) -> CaseEvent:
    p = _payload(row)
    eff = date.fromisoformat(p["effective_date"]) if p.get("effective_date") else local_date(row.received_at)
    return CaseEvent(row.seq, row.leaf_hash.hex(), row.received_at, row.author, row.key_id, row.signature.hex(),
                     p["status"], p.get("previous_status"), p.get("action", "transition"), eff, p.get("note", ""),
                     p.get("position", ""), tuple(p.get("documents", ())), tuple(p.get("attempts", ())),
                     p.get("decision"), tuple(p.get("bookings", ())),
                     date.fromisoformat(p["deadline"]) if p.get("deadline") else None, p.get("question", ""))


def _dispute_rows(store: Store) -> dict[str, list[EntryRow]]:
    out: dict[str, list[EntryRow]] = {}
    for row in store.rows_where(entries_table.c.kind == "dispute_event"):
        out.setdefault(_payload(row)["dispute_id"], []).append(row)
    return out


def _build(store: Store, case_id: str, rows: list[EntryRow], det_row: EntryRow | None = None) -> CaseView:
    first = _payload(rows[0])
    if det_row is None:
        subject = first.get("determination") or first["cost_line"]
        det_row = store.get_rows([subject["seq"]])[subject["seq"]]
    state: CaseState | None = None
    events = []
    positions: dict[str, list[str]] = {}
    for row in rows:
        ev = _event(row)
        events.append(ev)
        state = apply_event(state, _payload(row), ev.effective_date,
                            subject_parties(det_row.kind, det_row.author, _payload(det_row)), row.seq)
        if ev.position:
            positions.setdefault(ev.author, []).append(ev.position)
    assert state is not None
    return CaseView(case_id, det_row.seq, det_row.leaf_hash.hex(), _payload(det_row), det_row.author,
                    det_row.received_at, rows[0].client or "", state.parties, state.status, state.since, events,
                    deadlines_for(state.status, state.since, state.parties.committee), state,
                    first.get("question", ""), positions, det_row.kind)


def case_view(store: Store, case_id: str) -> CaseView:
    """The case as its signed events say it is."""
    rows = store.rows_where(entries_table.c.kind == "dispute_event")
    mine = [r for r in rows if _payload(r)["dispute_id"] == case_id]
    if not mine:
        raise CaseError(CASE_NOT_FOUND, f"no case {case_id}")
    return _build(store, case_id, mine)


def list_cases(store: Store) -> list[CaseView]:
    return [_build(store, cid, rows) for cid, rows in sorted(_dispute_rows(store).items())]


def case_id_for(subject_seq: int) -> str:
    """The id of the case about entry `subject_seq` (a determination or a cost line: seqs are unique)."""
    return f"GS-{subject_seq:06d}"


# ---------------------------------------------------------------------------------------------
# Writing events: each write is a *draft* (reads the store, runs every check, returns the unsigned
# statements in order) and the step that signs and appends them (`record_draft`). The HTTP draft
# endpoint returns a draft's statements for the party to sign on its own machine; the functions
# below (open_case, transition, submit, ...) sign them here with the Signer they are given. Either
# way the ledger's admission judges what arrives.
# ---------------------------------------------------------------------------------------------
def _ref(seq: int, entry_hash: str) -> dict:
    return {"seq": seq, "entry_hash": entry_hash}


@dataclass(frozen=True)
class CaseDraft:
    """The statements one write of `party` on case `case_id` consists of, in order (all or nothing:
    an objection is the N4 objection and the dispute_event)."""

    case_id: str
    party: str
    items: tuple[Draft, ...]

    def statements(self, key_id: str, authored_at: datetime) -> list[bytes]:
        return [d.statement(self.party, key_id, authored_at) for d in self.items]


def record_draft(store: Store, signer: Signer, draft: CaseDraft) -> list[AppendResult]:
    """Sign a draft's statements with `signer` (its party must be the draft's) and append them as one batch."""
    if signer.party != draft.party:
        raise CaseError("ACTOR_NOT_ALLOWED", f"the draft is for {draft.party}; the key is of {signer.party}")
    raws = draft.statements(signer.key_id, store.clock())
    return ledger_service.record_batch(store, [ledger_service.SignedStatement(r, signer.sign(r)) for r in raws])


def _check_on(store: Store, on: date | None) -> date:
    t = today(store)
    on = on or t
    if on > t:
        raise CaseError(EVENT_DATE_INVALID, f"event date {on} is in the future (today is {t})")
    return on


def draft_open_case(store: Store, party: str, determination_seq: int | None = None, *,
                    cost_line_seq: int | None = None, question: str, position: str = "",
                    provider: str | None = None, documents: Sequence[str] = ()) -> CaseDraft:
    """The opening of the case of a determination or of a cost line (exactly one; status DETERMINED,
    from the day the subject was received), by `party`.

    Who may open (ledger/disputes.py, opening_problem): either party of the subject (a determination's
    author, claiming, and its addressee, responding; a cost line's fronting party and its cost bearer)
    or the operator. A cost line is disputed with or without a determination behind it."""
    if (determination_seq is None) == (cost_line_seq is None):
        raise CaseError(SUBJECT_INVALID, "a case is about a determination or a cost line (exactly one)")
    seq = determination_seq if cost_line_seq is None else cost_line_seq
    kinds, name = (DETERMINATION_KINDS, "determination") if cost_line_seq is None else (("cost_line",), "cost_line")
    row = store.get_rows([seq]).get(seq)
    if row is None or row.kind not in kinds:
        raise CaseError(DETERMINATION_NOT_FOUND if name == "determination" else COST_LINE_NOT_FOUND,
                        f"seq {seq} is not a {name.replace('_', ' ')} entry")
    case_id = case_id_for(seq)
    if _dispute_rows(store).get(case_id):
        raise CaseError(CASE_EXISTS, f"case {case_id} already exists for {name.replace('_', ' ')} seq {seq}")
    subject = subject_parties(row.kind, row.author, _payload(row))
    parties = Parties(subject.claiming, subject.responding, provider=provider)
    check_opening(parties, party)
    if not question.strip():
        raise CaseError(POSITION_REQUIRED, "the question of the case is required (one sentence)")
    received = local_date(row.received_at)
    dl = deadlines_for("DETERMINED", received, parties.committee)
    payload = {"dispute_id": case_id, name: _ref(row.seq, row.leaf_hash.hex()), "status": "DETERMINED",
               "previous_status": None, "participants": list(parties.participants()), "note": "",
               "deadline": dl[0].due.isoformat() if dl else None, "documents": list(documents),
               "effective_date": received.isoformat(), "claiming": parties.claiming,
               "responding": parties.responding, "provider": provider, "question": question, "position": position}
    return CaseDraft(case_id, party, (Draft("dispute_event", payload, f"case:{case_id}:0:DETERMINED", row.client),))


def open_case(store: Store, signer: Signer, determination_seq: int, *, question: str, position: str = "",
              provider: str | None = None, documents: Sequence[str] = ()) -> CaseView:
    """Open the case of a determination (status DETERMINED, from the day N3 was received), signed by
    `signer`: either party of the determination or the operator (see draft_open_case)."""
    draft = draft_open_case(store, signer.party, determination_seq, question=question, position=position,
                            provider=provider, documents=documents)
    record_draft(store, signer, draft)
    return case_view(store, draft.case_id)


def open_case_on_cost_line(store: Store, signer: Signer, cost_line_seq: int, *, question: str, position: str = "",
                           provider: str | None = None, documents: Sequence[str] = ()) -> CaseView:
    """Open the case of a cost line (with or without a determination behind it), signed by its fronting
    party, its cost bearer or the operator."""
    draft = draft_open_case(store, signer.party, cost_line_seq=cost_line_seq, question=question,
                            position=position, provider=provider, documents=documents)
    record_draft(store, signer, draft)
    return case_view(store, draft.case_id)


def _norm_decision(decision: dict | None) -> dict | None:
    if decision is None:
        return None
    try:
        cb = [{"period_from": date.fromisoformat(str(p["period_from"])).isoformat(),
               "period_to": date.fromisoformat(str(p["period_to"])).isoformat(),
               "cost_bearer": p["cost_bearer"], "historical_budget": bool(p.get("historical_budget", False))}
              for p in decision["cost_bearers"]]
        out = {"nature": decision["nature"], "decided_on": date.fromisoformat(str(decision["decided_on"])).isoformat(),
               "cost_bearers": cb, "summary": decision.get("summary", "")}
    except (KeyError, TypeError, ValueError) as exc:
        raise CaseError(DECISION_INVALID, f"decision: {exc}") from None
    err = decision_problem(out)  # the ledger's rule: at least one period, none overlapping
    if err:
        raise CaseError(err.code, err.message)
    return out


def _event_base(view: CaseView) -> dict:
    """The fields every later event of a case carries: its id, subject and parties."""
    return {"dispute_id": view.case_id, **view.subject_ref, "participants": list(view.parties.participants()),
            "claiming": view.parties.claiming, "responding": view.parties.responding,
            "provider": view.parties.provider}


def draft_transition(store: Store, party: str, case_id: str, target: str, *, on: date | None = None,
                     note: str = "", position: str = "", documents: Sequence[str] = (),
                     attempts: Sequence[dict] = (), decision: dict | None = None, bookings: Sequence[dict] = (),
                     booked: bool = False, documents_store: CaseStore | None = None) -> CaseDraft:
    """The move of the case to `target` by `party` (its role must have the edge). DETERMINED -> ACCEPTED /
    OBJECTED of a determination's case also records the N4 acceptance / objection entry, first."""
    view = case_view(store, case_id)
    on = _check_on(store, on)
    attempts = [_norm_attempt(a) for a in attempts]
    decision = _norm_decision(decision)
    if view.status == "UPHELD" and target == "IMPLEMENTED":
        booked = view.state.booked_decision is not None
    check_transition(view.state, target, party, on, parties=view.parties, attempts=attempts,
                     decision=decision, booked=booked)
    if target == "OBJECTED" and not position.strip():
        raise CaseError(POSITION_REQUIRED, "an objection gives its reasons (position)")
    _check_documents(documents_store or CaseStore(store), case_id, list(documents) + [h for a in attempts for h in a["evidence"]])
    dls = deadlines_for(target, on, view.parties.committee)
    payload = {**_event_base(view), "status": target, "previous_status": view.status, "note": note,
               "deadline": min(d.due for d in dls).isoformat() if dls else None, "documents": list(documents),
               "effective_date": on.isoformat(), "position": position, "attempts": attempts, "decision": decision,
               "bookings": list(bookings)}
    n = len(view.events)
    items = []
    if view.subject_kind != "cost_line":  # N4 answers a determination (a cost line's case has no N4)
        det_ref = _ref(view.determination_seq, view.determination_hash)
        if target == "OBJECTED":
            items.append(Draft("objection", {"determination": det_ref, "reasons": position,
                                             "evidence": list(documents)}, f"case:{case_id}:{n}:objection", view.client))
        elif target == "ACCEPTED":
            items.append(Draft("acceptance", {"determination": det_ref, "note": note},
                               f"case:{case_id}:{n}:acceptance", view.client))
    items.append(Draft("dispute_event", payload, f"case:{case_id}:{n}:{target}", view.client))
    return CaseDraft(case_id, party, tuple(items))


def transition(store: Store, signer: Signer, case_id: str, target: str, *, on: date | None = None, note: str = "",
               position: str = "", documents: Sequence[str] = (), attempts: Sequence[dict] = (),
               decision: dict | None = None, bookings: Sequence[dict] = (), booked: bool = False,
               documents_store: CaseStore | None = None) -> CaseView:
    """Move the case to `target`, signed by `signer` (its party must have the edge's role).

    DETERMINED -> ACCEPTED / OBJECTED also records the N4 acceptance / objection entry, atomically.
    """
    record_draft(store, signer, draft_transition(
        store, signer.party, case_id, target, on=on, note=note, position=position, documents=documents,
        attempts=attempts, decision=decision, bookings=bookings, booked=booked, documents_store=documents_store))
    return case_view(store, case_id)


def _norm_attempt(a: dict) -> dict:
    try:
        out = {"kind": a["kind"], "held_on": date.fromisoformat(str(a["held_on"])).isoformat(),
               "summary": a["summary"], "evidence": list(a["evidence"])}
    except (KeyError, TypeError, ValueError) as exc:
        raise CaseError("ATTEMPT_INVALID", f"attempt: {exc}") from None
    if out["kind"] not in ("contactpersonen", "regioadviseur") or not str(out["summary"]).strip() or not out["evidence"]:
        raise CaseError("ATTEMPT_INVALID", "an attempt has kind contactpersonen|regioadviseur, a summary and "
                                           "at least one evidence document")
    return out


def _check_documents(docs: CaseStore | None, case_id: str, hashes: Sequence[str]) -> None:
    if docs is None or not hashes:
        return
    known = {d.sha256 for d in docs.list(case_id, role=None)}
    missing = [h for h in hashes if h not in known]
    if missing:
        raise CaseError(DOCUMENT_NOT_FOUND, f"documents not in case {case_id}: {', '.join(h[:16] for h in missing)}")


def draft_submit(store: Store, party: str, case_id: str, *, documents: Sequence[str] = (), position: str = "",
                 attempts: Sequence[dict] = (), note: str = "", on: date | None = None,
                 documents_store: CaseStore | None = None) -> CaseDraft:
    """A submission by `party` without a status change: documents, a position, or prior attempts to settle."""
    view = case_view(store, case_id)
    on = _check_on(store, on)
    role = view.parties.role_of(party)
    if role is None:
        raise CaseError("ACTOR_NOT_ALLOWED", f"{party} is not a party to case {case_id}")
    if view.status in ("WITHDRAWN", "INADMISSIBLE", "CLOSED"):
        raise CaseError(TRANSITION_NOT_ALLOWED, f"case {case_id} is {view.status}: nothing can be submitted")
    if view.state.last_date and on < view.state.last_date:
        raise CaseError(EVENT_DATE_INVALID, f"event date {on} is before the previous event ({view.state.last_date})")
    attempts = [_norm_attempt(a) for a in attempts]
    if not (documents or position.strip() or attempts):
        raise CaseError(POSITION_REQUIRED, "a submission carries documents, a position or attempts")
    _check_documents(documents_store or CaseStore(store), case_id, list(documents) + [h for a in attempts for h in a["evidence"]])
    payload = {**_event_base(view), "status": view.status, "previous_status": view.status, "action": "submission",
               "note": note, "documents": list(documents), "effective_date": on.isoformat(), "position": position,
               "attempts": attempts}
    return CaseDraft(case_id, party, (Draft("dispute_event", payload,
                                            f"case:{case_id}:{len(view.events)}:submission", view.client),))


def submit(store: Store, signer: Signer, case_id: str, *, documents: Sequence[str] = (), position: str = "",
           attempts: Sequence[dict] = (), note: str = "", on: date | None = None,
           documents_store: CaseStore | None = None) -> CaseView:
    """A signed submission without a status change: documents, a position, or prior attempts to settle."""
    record_draft(store, signer, draft_submit(store, signer.party, case_id, documents=documents, position=position,
                                             attempts=attempts, note=note, on=on, documents_store=documents_store))
    return case_view(store, case_id)


def draft_attempt(store: Store, party: str, case_id: str, *, kind: str, held_on: date | str, summary: str,
                  evidence: Sequence[str], documents_store: CaseStore | None = None) -> CaseDraft:
    """A prior attempt to settle (consultation of the contactpersonen, or the regioadviseur), as a submission."""
    return draft_submit(store, party, case_id, documents_store=documents_store,
                        attempts=[{"kind": kind, "held_on": held_on, "summary": summary, "evidence": list(evidence)}])


def record_attempt(store: Store, signer: Signer, case_id: str, *, kind: str, held_on: date, summary: str,
                   evidence: Sequence[str], documents_store: CaseStore | None = None) -> CaseView:
    """Record a prior attempt to settle (consultation of the contactpersonen, or the regioadviseur)."""
    record_draft(store, signer, draft_attempt(store, signer.party, case_id, kind=kind, held_on=held_on,
                                              summary=summary, evidence=evidence, documents_store=documents_store))
    return case_view(store, case_id)


def draft_decide(store: Store, party: str, case_id: str, *, nature: str, cost_bearers: Sequence[dict],
                 summary: str = "", documents: Sequence[str] = (), on: date | None = None,
                 documents_store: CaseStore | None = None) -> CaseDraft:
    """The committee's advice or binding advice, with the cost bearer per period (status DECIDED)."""
    if nature not in ("advice", "binding_advice"):
        raise CaseError(DECISION_INVALID, "the committee gives an advice or a binding advice")
    on = _check_on(store, on)
    dec = {"nature": nature, "decided_on": on, "cost_bearers": list(cost_bearers), "summary": summary}
    return draft_transition(store, party, case_id, "DECIDED", on=on, note=summary, documents=documents,
                            decision=dec, documents_store=documents_store)


def decide(store: Store, committee: Signer, case_id: str, *, nature: str, cost_bearers: Sequence[dict],
           summary: str = "", documents: Sequence[str] = (), on: date | None = None,
           documents_store: CaseStore | None = None) -> CaseView:
    """The committee's advice or binding advice, with the cost bearer per period (status DECIDED)."""
    record_draft(store, committee, draft_decide(store, committee.party, case_id, nature=nature,
                                                cost_bearers=cost_bearers, summary=summary, documents=documents,
                                                on=on, documents_store=documents_store))
    return case_view(store, case_id)


def draft_court_ruling(store: Store, party: str, case_id: str, *, annulled: bool,
                       cost_bearers: Sequence[dict] = (), summary: str = "", documents: Sequence[str] = (),
                       on: date | None = None, documents_store: CaseStore | None = None) -> CaseDraft:
    """The civil court's ruling: UPHELD, or ANNULLED with the cost bearer per period it fixes."""
    on = _check_on(store, on)
    dec = {"nature": "court_ruling", "decided_on": on, "cost_bearers": list(cost_bearers), "summary": summary} \
        if annulled else None
    return draft_transition(store, party, case_id, "ANNULLED" if annulled else "UPHELD", on=on, note=summary,
                            documents=documents, decision=dec, documents_store=documents_store)


def court_ruling(store: Store, signer: Signer, case_id: str, *, annulled: bool, cost_bearers: Sequence[dict] = (),
                 summary: str = "", documents: Sequence[str] = (), on: date | None = None,
                 documents_store: CaseStore | None = None) -> CaseView:
    """Record the civil court's ruling: UPHELD, or ANNULLED with the cost bearer per period it fixes."""
    record_draft(store, signer, draft_court_ruling(store, signer.party, case_id, annulled=annulled,
                                                   cost_bearers=cost_bearers, summary=summary, documents=documents,
                                                   on=on, documents_store=documents_store))
    return case_view(store, case_id)


#: booking a decision: the corrections, then the IMPLEMENTED transition
BOOKING_STAGES = 2


def draft_book_decision(store: Store, party: str, case_id: str) -> CaseDraft:
    """The next stage of booking the decision in force (DECIDED, or ANNULLED with the court's ruling),
    for the operator (`party`) to sign: first the settlement corrections it orders (reversals and new
    cost lines, one batch, each with the decision as its basis), then, once those are admitted (found
    by the decision they name), the transition to IMPLEMENTED that lists them. Staged because the
    transition names the bookings' seqs and entry hashes; a booking that stopped between the stages
    resumes with the second."""
    if party != OPERATOR:
        raise CaseError("ACTOR_NOT_ALLOWED", "a decision is booked by the ledger operator")
    view = case_view(store, case_id)
    if view.status not in ("DECIDED", "ANNULLED") or not view.decision:
        raise CaseError(TRANSITION_NOT_ALLOWED, f"case {case_id} is {view.status}: only a DECIDED or ANNULLED case "
                                                "is booked")
    try:
        from ledger.settlement.corrections import draft_rebook
    except ImportError as exc:
        raise CaseError(SETTLEMENT_UNAVAILABLE, f"the settlement correction function is not available: {exc}") from None
    periods = [(date.fromisoformat(p["period_from"]), date.fromisoformat(p["period_to"]), p["cost_bearer"],
                bool(p.get("historical_budget", False))) for p in view.decision["cost_bearers"]]
    what = "uitspraak rechter" if view.decision["nature"] == "court_ruling" else "uitspraak geschillencommissie"
    decided = store.get_rows([view.state.decision_seq])[view.state.decision_seq]
    decision = _ref(decided.seq, decided.leaf_hash.hex())
    corrections = draft_rebook(store, client=view.client, periods=periods, reason=f"{what} {case_id}",
                               today=today(store), ref=_ref(view.determination_seq, view.determination_hash),
                               decision=decision)
    if corrections:
        return CaseDraft(case_id, party, tuple(d for _fronting, d in corrections))
    booked = [r for r in store.rows_where(entries_table.c.client == view.client, entries_table.c.author == OPERATOR,
                                          entries_table.c.kind.in_(("reversal", "cost_line")))
              if _payload(r).get("decision") == decision]
    bookings = [_ref(r.seq, r.leaf_hash.hex()) for r in booked]
    return draft_transition(store, party, case_id, "IMPLEMENTED", bookings=bookings, booked=True,
                            note=f"{len(bookings)} boekingen (tegenboekingen en nieuwe kostenregels)")


def book_decision(store: Store, operator: Signer, signer_for: Callable[[str], Signer] | None, case_id: str
                  ) -> BookingResult:
    """Book the decision in force through the settlement corrections (reversals and new cost lines),
    then move the case to IMPLEMENTED (draft_book_decision, stage by stage); the operator signs
    everything, with the decision as the basis of each line (no party's key is needed: `signer_for`
    is no longer used)."""
    booked: list[AppendResult] = []
    for _stage in range(BOOKING_STAGES):
        draft = draft_book_decision(store, operator.party, case_id)
        results = record_draft(store, operator, draft)
        if draft.items[-1].kind == "dispute_event":
            return BookingResult(case_view(store, case_id), booked)
        booked = list(results)
    raise CaseError(TRANSITION_NOT_ALLOWED, f"case {case_id} was not booked in {BOOKING_STAGES} stages")


def draft_timed_transitions(store: Store, party: str, on: date | None = None) -> list[CaseDraft]:
    """8.10: the transitions by time that are due, for the operator to sign: DETERMINED -> NO_RESPONSE
    after six weeks (one draft per case)."""
    on = _check_on(store, on)
    if party != OPERATOR:
        raise CaseError("ACTOR_NOT_ALLOWED", "transitions by time are signed by the ledger operator")
    out = []
    for view in list_cases(store):
        if view.status == "DETERMINED":
            dl = {d.name: d for d in view.deadlines}.get("objection")
            if dl and on > dl.due:
                out.append(draft_transition(store, party, view.case_id, "NO_RESPONSE", on=on,
                                            note=f"geen aanvaarding of bezwaar binnen de termijn (tot en met {dl.due})"))
    return out


def run_timed_transitions(store: Store, operator: Signer, on: date | None = None) -> list[CaseView]:
    """8.10: transitions by time, signed by the operator: DETERMINED -> NO_RESPONSE after six weeks."""
    out = []
    for draft in draft_timed_transitions(store, operator.party, on):
        record_draft(store, operator, draft)
        out.append(case_view(store, draft.case_id))
    return out


# ---------------------------------------------------------------------------------------------
# Documents and evidence
# ---------------------------------------------------------------------------------------------
def data_owner(view: CaseView) -> str:
    """Whose personal data a case's documents are: its client (pseudonym), whose own key encrypts them
    (cases/documents.py); a case without a client keeps them under a key of the case."""
    return view.client or f"case:{view.case_id}"


def add_document(store: Store, documents: ContentStore, case_id: str, *, filename: str, data: bytes, title: str,
                 author_party: str, document_date: date, supersedes: int | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> DocumentRecord:
    """Store an exhibit of a case (checked, encrypted with its client's key, content-addressed, metadata row);
    never overwrites."""
    view = case_view(store, case_id)
    if view.parties.role_of(author_party) is None:
        raise CaseError("ACTOR_NOT_ALLOWED", f"{author_party} is not a party to case {case_id}")
    if not title.strip():
        raise CaseError("DOCUMENT_INVALID", f"{filename}: a document needs a title")
    if document_date > today(store):
        raise CaseError("DOCUMENT_INVALID", f"{filename}: document date {document_date} is in the future")
    checked = check_content(filename, data, max_bytes=max_bytes)
    cs = CaseStore(store)
    if supersedes is not None:
        old = cs.get(supersedes)
        if old is None or old.case_id != case_id:
            raise CaseError(DOCUMENT_NOT_FOUND, f"document {supersedes} is not in case {case_id}")
    documents.put(data_owner(view), data)
    return cs.add(case_id=case_id, role="exhibit", sha256=checked.sha256, size=checked.size,
                  media_type=checked.media_type, filename=Path(filename).name, title=title, author_party=author_party,
                  document_date=document_date, supersedes=supersedes)


def list_documents(store: Store, case_id: str) -> list[DocumentRecord]:
    return CaseStore(store).list(case_id)


def attach_evidence(store: Store, documents: ContentStore, case_id: str, *, determination: dict,
                    facts: dict | None = None, author_party: str | None = None) -> list[DocumentRecord]:
    """Keep the engine's full determination (trail, flags, alternatives) and the minimal, pseudonymised
    facts for the dossier. The trail must have the digest that the signed determination entry carries."""
    from rules.engine import canonical_json, sha256_canonical

    view = case_view(store, case_id)
    if sha256_canonical(determination) != view.determination["determination_digest"]:
        raise CaseError(EVIDENCE_MISMATCH, "the determination's digest is not the one signed in the ledger entry")
    author = author_party or view.parties.claiming
    cs = CaseStore(store)
    out = []
    have = {d.role for d in cs.list(case_id, role=None)}
    for role, doc in (("trail", determination), ("facts", facts)):
        if doc is None or role in have:
            continue
        raw = canonical_json(doc)
        sha = documents.put(data_owner(view), raw)
        out.append(cs.add(case_id=case_id, role=role, sha256=sha, size=len(raw), media_type="application/json",
                          filename=f"{role}.json", title="beoordeling (spoor)" if role == "trail" else "feiten",
                          author_party=author, document_date=local_date(view.determination_received)))
    return out


def evidence(store: Store, documents: ContentStore, case_id: str) -> dict[str, dict]:
    """The stored trail and facts of a case (role -> JSON), when attached; CLIENT_ERASED after its client's
    erasure."""
    out = {}
    owner = data_owner(case_view(store, case_id))
    for d in CaseStore(store).list(case_id, role=None):
        if d.role in ("trail", "facts"):
            out[d.role] = json.loads(documents.get(owner, d.sha256))
    return out


# ---------------------------------------------------------------------------------------------
# Work lists
# ---------------------------------------------------------------------------------------------
def overdue(store: Store, on: date | None = None) -> list[OverdueItem]:
    """Every deadline of an open case that has passed, most overdue first."""
    on = on or today(store)
    items = [OverdueItem(v.case_id, v.status, d, (on - d.due).days) for v in list_cases(store) for d in v.overdue(on)]
    return sorted(items, key=lambda i: (-i.days_overdue, i.case_id))


def worklist(store: Store, on: date | None = None) -> WorkList:
    """The committee's work list: open disputes by next deadline; then every provisional determination
    nobody has disputed yet (no case, no objection, not replaced by a re-determination), oldest first."""
    on = on or today(store)
    cases = list_cases(store)
    disputes = [OpenDispute(v.case_id, v.status, v.parties, v.next_deadline, bool(v.overdue(on)))
                for v in cases if v.is_open]
    disputes.sort(key=lambda d: (d.next_deadline.due if d.next_deadline else date.max, d.case_id))
    disputed = {v.determination_seq for v in cases}
    replaced: set[int] = set()
    for row in store.rows_where(entries_table.c.kind.in_(("objection", "redetermination"))):
        p = _payload(row)
        ref = p.get("determination") or p.get("previous")
        if ref:
            (disputed if row.kind == "objection" else replaced).add(ref["seq"])
    provisional = []
    for row in store.rows_where(entries_table.c.kind.in_(DETERMINATION_KINDS)):
        p = _payload(row)
        if not p.get("provisional") or row.seq in disputed or row.seq in replaced:
            continue
        n3 = local_date(row.received_at)
        provisional.append(UndisputedDetermination(
            row.seq, row.leaf_hash.hex(), row.received_at, row.author, p["addressee"], p["determination_id"],
            date.fromisoformat(p["reference_date"]), tuple(p.get("flags", ())),
            deadlines_for("DETERMINED", n3)[0].due))
    provisional.sort(key=lambda d: (d.received_at, d.seq))
    return WorkList(on, disputes, provisional)


#: the work list's status groups: decided (a decision in force, before or after the court), closed (no
#: longer open: accepted, settled, withdrawn, inadmissible, implemented, closed) and open (the rest)
DECIDED_STATUSES = ("DECIDED", "COURT_REVIEW", "UPHELD", "ANNULLED")
CASE_GROUPS = ("open", "beslist", "gesloten", "alle")


@dataclass(frozen=True)
class CaseRow:
    """One case of the work list: its group, who must act next (parties) and by when."""

    case_id: str
    status: str
    group: str  # open | beslist | gesloten
    parties: Parties
    next_deadline: Deadline | None
    next_actors: tuple[str, ...]
    overdue: bool
    decision: dict | None


def case_group(view: CaseView) -> str:
    if view.status in DECIDED_STATUSES:
        return "beslist"
    return "open" if view.is_open else "gesloten"


def next_actors(view: CaseView) -> tuple[str, ...]:
    """Who must act next on a case: the parties of its next deadline, else the parties whose role has an
    edge from its status in the workflow table (transitions by time aside); none for a terminal case."""
    roles: tuple[str, ...] = ()
    if view.next_deadline is not None:
        roles = view.next_deadline.who
    elif view.is_open or view.status in DECIDED_STATUSES:
        wf = load_workflow()
        seen: list[str] = []
        for target in wf.targets(view.status):
            edge = wf.edge(view.status, target)
            if not edge.after_deadline:
                seen.extend(r for r in sorted(edge.by) if r not in seen)
        roles = tuple(seen)
    p = view.parties
    of = {"claiming": p.claiming, "responding": p.responding, "committee": p.committee, "operator": OPERATOR}
    return tuple(dict.fromkeys(of[r] for r in roles))


def case_list(store: Store, on: date | None = None, *, group: str = "open", party: str | None = None,
              actor: str | None = None) -> list[CaseRow]:
    """Every case of a status group (CASE_GROUPS), optionally of a party and of who must act next, by next
    deadline (cases without one last)."""
    on = on or today(store)
    rows = []
    for v in list_cases(store):
        g = case_group(v)
        if group != "alle" and g != group:
            continue
        if party and party not in (v.parties.claiming, v.parties.responding):
            continue
        actors = next_actors(v)
        if actor and actor not in actors:
            continue
        rows.append(CaseRow(v.case_id, v.status, g, v.parties, v.next_deadline, actors, bool(v.overdue(on)),
                            v.decision))
    rows.sort(key=lambda r: (r.next_deadline.due if r.next_deadline else date.max, r.case_id))
    return rows


def workflow_table() -> list[tuple[str, str, tuple[str, ...]]]:
    """(from, to, roles) of every allowed transition, for documentation and pages."""
    wf = load_workflow()
    return [(e.source, e.target, tuple(sorted(e.by))) for e in wf.edges.values()]


__all__ = [
    "CaseEvent", "CaseView", "OverdueItem", "OpenDispute", "UndisputedDetermination", "WorkList", "BookingResult",
    "Draft", "CaseDraft", "record_draft", "draft_open_case", "draft_transition", "draft_submit", "draft_attempt",
    "draft_decide", "draft_court_ruling", "draft_book_decision", "draft_timed_transitions", "open_case_on_cost_line",
    "open_case", "transition", "submit", "record_attempt", "decide", "court_ruling", "book_decision",
    "run_timed_transitions", "add_document", "list_documents", "attach_evidence", "evidence", "case_view",
    "list_cases", "overdue", "worklist", "CaseRow", "CASE_GROUPS", "case_list", "case_group", "next_actors",
    "workflow_table", "today", "case_id_for", "COMMITTEE", "LedgerError",
]
