"""The notices between parties, per party: its inbox (addressed to it) and outbox (sent by it), with what
the party must do and by when (issue 14, "Notices between regions").

A notice is a ledger entry addressed to other parties:
- N1 placement, N2 outflow, N5 handover: to their addressees (ledger/notices.py `addressees`); each
  addressee acknowledges it (an `acknowledgement` entry) within `acknowledgement_working_days` working
  days of its receipt (the admission rule set in force when it was received; Algemene termijnenwet);
- N3 determination and N8 re-determination: to the proposed cost bearer (`addressee`, who accepts or
  objects, N4, by the objection deadline: the payload's, else the workflow's term from DETERMINED; not
  once it was replaced by an N8 or a dispute is about it) and to `copy_to`;
- N4 acceptance and objection: to the author of the determination it answers;
- the answer to an N5 (`handover_answer`, shown as N5): to the author of the request it answers;
- N7 dispute event: to the other participants of the case (its deadline, when it names one, is shown).

An item is overdue when its action is not done and its last day has passed (in the Dutch calendar). What
a party may read of a notice follows ledger/confidential_locations.py: an N1/N2 of a SAFETY_CONFIDENTIAL
client is left out for a party that does not need the location, and payloads are masked as for every view.

Everything here reads the ledger; nothing writes. `acknowledgement_draft` prepares the statement an
addressee signs (in its browser, or on its own machine); the ledger's admission judges it.
"""
from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .admission import local_date, ruleset_at
from .drafts import Draft
from .errors import ACKNOWLEDGEMENT_INVALID, LedgerError
from .notices import NOTICES, acknowledgement_due, acknowledgement_problem
from .notices import addressees as notice_addressees
from .store import EntryRow, Store, entries

#: the notice code of each entry kind shown in a mailbox
CODES = {"placement_notice": "N1", "outflow_notice": "N2", "determination": "N3", "acceptance": "N4",
         "objection": "N4", "handover_request": "N5", "handover_answer": "N5", "dispute_event": "N7",
         "redetermination": "N8"}
#: the kinds of each notice code (a filter names codes)
KINDS_OF = {code: tuple(k for k, c in CODES.items() if c == code) for code in sorted(set(CODES.values()))}
BOXES = ("inbox", "outbox")
ACKNOWLEDGE, RESPOND = "acknowledge", "respond"  # what the addressee must do


@dataclass(frozen=True)
class Notice:
    """One notice as a party's mailbox shows it."""

    seq: int
    entry_hash: str
    kind: str
    code: str
    received_at: datetime
    sender: str
    addressees: tuple[str, ...]
    client: str | None
    payload: dict[str, Any]  # as the reader may read it (masked where it must be)
    action: str | None = None  # inbox: what this party must still do (ACKNOWLEDGE, RESPOND), else None
    due: date | None = None  # the last day of the action (or the dispute step's deadline)
    done: dict[str, int] = field(default_factory=dict)  # party -> seq of its acknowledgement / answer
    overdue: bool = False

    @property
    def waiting_for(self) -> tuple[str, ...]:
        """Outbox: the addressees that have not acknowledged (N1, N2, N5) yet."""
        if self.kind not in NOTICES:
            return ()
        return tuple(p for p in self.addressees if p not in self.done)


def _payload(row: EntryRow) -> dict[str, Any]:
    return json.loads(row.statement)["payload"]


def _ack_due(row: EntryRow) -> date:
    return acknowledgement_due(local_date(row.received_at), ruleset_at(row.received_at).acknowledgement_working_days)


def _objection_due(row: EntryRow, payload: dict[str, Any]) -> date:
    if payload.get("objection_deadline"):
        return date.fromisoformat(payload["objection_deadline"])
    from .disputes import deadlines_for

    return deadlines_for("DETERMINED", local_date(row.received_at))[0].due


class _Ledger:
    """The rows a mailbox needs: every notice, acknowledgement and answer, with each party's inbox and outbox
    as lists of rows. The ledger is append-only and every reference points back, so the view only grows:
    `catch_up` reads the rows after the last one it holds (a cache at the store's boundary, one per store
    and process, `_view`), and an answer's addressee is known when the answer is read."""

    def __init__(self) -> None:
        self.last_seq = -1
        self.rows: list[EntryRow] = []
        self.by_seq: dict[int, EntryRow] = {}
        self.payloads: dict[int, dict[str, Any]] = {}
        self.to: dict[int, tuple[str, ...]] = {}  # seq -> its addressees
        self.inbox: dict[str, list[EntryRow]] = {}  # party -> the notices addressed to it, oldest first
        self.outbox: dict[str, list[EntryRow]] = {}  # party -> the notices it sent, oldest first
        self.acknowledged: dict[int, dict[str, int]] = {}  # notice seq -> party -> acknowledgement seq
        self.answered: dict[int, dict[str, int]] = {}  # determination seq -> party -> N4 seq
        self.replaced: set[int] = set()  # determinations replaced by a re-determination
        self.disputed: set[int] = set()  # determinations a dispute is about (the case answers them now)
        self.lock = threading.Lock()

    def catch_up(self, store: Store) -> _Ledger:
        with self.lock:
            kinds = sorted({*CODES, "acknowledgement"})
            for r in store.rows_where(entries.c.kind.in_(kinds), entries.c.seq > self.last_seq):
                self._add(r)
        return self

    def _add(self, r: EntryRow) -> None:
        self.last_seq = r.seq
        self.rows.append(r)
        self.by_seq[r.seq] = r
        p = self.payloads[r.seq] = _payload(r)
        if r.kind == "acknowledgement" and isinstance(p.get("notice"), dict):
            self.acknowledged.setdefault(p["notice"]["seq"], {}).setdefault(r.author, r.seq)
        elif r.kind in ("acceptance", "objection") and isinstance(p.get("determination"), dict):
            self.answered.setdefault(p["determination"]["seq"], {}).setdefault(r.author, r.seq)
        elif r.kind == "redetermination" and isinstance(p.get("previous"), dict):
            self.replaced.add(p["previous"]["seq"])
        elif r.kind == "dispute_event" and isinstance(p.get("determination"), dict):
            self.disputed.add(p["determination"]["seq"])
        if r.kind in CODES:
            to = self.to[r.seq] = self._addressees(r, p)
            for party in to:
                self.inbox.setdefault(party, []).append(r)
            self.outbox.setdefault(r.author, []).append(r)

    def addressees(self, row: EntryRow) -> tuple[str, ...]:
        return self.to[row.seq]

    def _addressees(self, row: EntryRow, p: dict[str, Any]) -> tuple[str, ...]:
        if row.kind in NOTICES:
            to = notice_addressees(row.kind, p)
        elif row.kind in ("determination", "redetermination"):
            to = {p.get("addressee"), *(p.get("copy_to") or ())}
        elif row.kind in ("acceptance", "objection"):
            det = self.by_seq.get((p.get("determination") or {}).get("seq"))
            to = {det.author} if det is not None else set()
        elif row.kind == "handover_answer":
            request = self.by_seq.get((p.get("request") or {}).get("seq"))
            to = {request.author} if request is not None else set()
        else:  # dispute_event
            to = set(p.get("participants") or ())
        return tuple(sorted(x for x in to if isinstance(x, str) and x != row.author))

    def notice(self, row: EntryRow, party: str, box: str, payload: dict[str, Any], on: date) -> Notice:
        p = self.payloads[row.seq]
        to = self.addressees(row)
        action = due = None
        done: dict[str, int] = {}
        if row.kind in NOTICES:
            done = dict(self.acknowledged.get(row.seq, {}))
            due = _ack_due(row)
            if box == "inbox" and party not in done:
                action = ACKNOWLEDGE
        elif row.kind in ("determination", "redetermination"):
            done = dict(self.answered.get(row.seq, {}))
            due = _objection_due(row, p)
            if box == "inbox" and party == p.get("addressee") and party not in done \
                    and row.seq not in self.replaced and row.seq not in self.disputed:
                action = RESPOND
        elif row.kind == "dispute_event" and p.get("deadline"):
            due = date.fromisoformat(p["deadline"])
        if box == "outbox" and row.kind in NOTICES:
            overdue = due is not None and due < on and any(a not in done for a in to)
        else:
            overdue = action is not None and due is not None and due < on
        return Notice(row.seq, row.leaf_hash.hex(), row.kind, CODES[row.kind], row.received_at, row.author, to,
                      row.client, payload, action, due, done, overdue)


_VIEWS: weakref.WeakKeyDictionary[Store, _Ledger] = weakref.WeakKeyDictionary()
_VIEWS_LOCK = threading.Lock()


def _view(store: Store) -> _Ledger:
    """This process's mailbox view of `store`, brought up to the ledger's last entry."""
    with _VIEWS_LOCK:
        view = _VIEWS.get(store)
        if view is None:
            view = _VIEWS[store] = _Ledger()
    return view.catch_up(store)


def warm(store: Store) -> None:
    """Read the mailbox view of `store` now (a server calls this as it starts, so that the first inbox asked
    for does not pay for reading every notice of the ledger)."""
    _view(store)


def mailbox(store: Store, party: str, box: str = "inbox", *, codes: tuple[str, ...] = (),
            date_from: date | None = None, date_to: date | None = None, counterparty: str | None = None,
            viewer: str | None = None, on: date | None = None) -> list[Notice]:
    """`party`'s inbox or outbox, newest first: the notices of `codes` (N1..N8; none: all) received on
    `date_from`..`date_to` (Dutch calendar, inclusive), from (inbox) or to (outbox) `counterparty`, as
    `viewer` (default: the party itself) may read them, with what is due on `on` (default: the ledger's today)."""
    from .confidential_locations import LOCATION_FIELDS, confidentiality

    if box not in BOXES:
        raise ValueError(f"box: inbox or outbox, not {box!r}")
    viewer = viewer or party
    on = on or local_date(store.clock())
    kinds = {k for c in codes for k in KINDS_OF[c]} if codes else set(CODES)
    led = _view(store)
    picked = []
    for row in (led.inbox if box == "inbox" else led.outbox).get(party, ()):
        if row.kind not in kinds:
            continue
        day = local_date(row.received_at)
        if date_from and day < date_from or date_to and day > date_to:
            continue
        to = led.addressees(row)
        if counterparty and (row.author != counterparty if box == "inbox" else counterparty not in to):
            continue
        picked.append(row)
    conf = confidentiality(store, {r.client for r in picked if r.kind in LOCATION_FIELDS})
    out = [led.notice(r, party, box, conf.payload_for(viewer, r.kind, r.client, led.payloads[r.seq], r.author), on)
           for r in picked if not conf.withheld(viewer, r.kind, r.client)]
    return sorted(out, key=lambda n: -n.seq)


def notice(store: Store, party: str, seq: int, *, viewer: str | None = None, on: date | None = None) -> Notice | None:
    """Notice `seq` as `party` sees it in its inbox or outbox, or None when it is in neither (or withheld)."""
    for box in BOXES:
        for n in mailbox(store, party, box, viewer=viewer, on=on):
            if n.seq == seq:
                return n
    return None


class _NoticeRef:
    """What ledger/notices.py `acknowledgement_problem` reads of the notice referred to."""

    def __init__(self, row: EntryRow) -> None:
        self.seq, self.kind, self.client, self.payload = row.seq, row.kind, row.client, _payload(row)


def acknowledgement_draft(store: Store, party: str, notice_seq: int, note: str = "") -> Draft:
    """The acknowledgement `party` signs for notice `notice_seq` (an N1, N2 or N5 addressed to it, not
    acknowledged by it before): the same rule the ledger applies at admission, asked first so a page can
    say why before anyone signs."""
    rows = store.rows_where(entries.c.seq == notice_seq)
    if not rows or rows[0].kind not in NOTICES:
        raise LedgerError(ACKNOWLEDGEMENT_INVALID, f"entry {notice_seq} is no placement, outflow or handover notice")
    row = rows[0]
    done = {(row.seq, r.author) for r in store.rows_where(entries.c.kind == "acknowledgement", entries.c.client == row.client)
            if (_payload(r).get("notice") or {}).get("seq") == row.seq}
    err = acknowledgement_problem(party, row.client, _NoticeRef(row), done)
    if err:
        raise err
    payload = {"notice": {"seq": row.seq, "entry_hash": row.leaf_hash.hex()}, "note": note}
    return Draft("acknowledgement", payload, f"ack-{row.seq}", row.client)


__all__ = ["warm", "ACKNOWLEDGE", "BOXES", "CODES", "KINDS_OF", "RESPOND", "Notice", "acknowledgement_draft", "mailbox",
           "notice"]
