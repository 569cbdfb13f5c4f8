"""Thin compositions of service functions that the CLI, the JSON endpoints and the pages share.

Nothing here decides anything about who pays or what the ledger accepts: it picks the case out of
the input, calls `rules.engine.determine` / `ledger.service`, and shapes the result for an edge.
"""
from __future__ import annotations

import base64
import json
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from api.format_nl import ZONE
from ledger import parties, service
from ledger.entries import PARTY_RE
from ledger.store import CheckpointRow, Store
from rules import brp_historie, day_range, glossary, loader
from rules.casebook import parse_case, read_case
from rules.dates import dutch_date
from rules.context import Context
from rules.engine import Determination, determine
from rules.explain import explain_nl
from rules.facts import CaseFacts



def iso(ts: datetime) -> str:
    """A UTC timestamp as the ledger writes it: 2026-01-31T10:00:00.000000Z."""
    return ts.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


class RequestInvalid(ValueError):
    """Input at an edge (a query parameter, a body field) that is not of the form asked for (or, with
    its own `code`, names something that does not exist: PARTY_UNKNOWN)."""

    code = "REQUEST_INVALID"

    def __init__(self, field: str, message: str, code: str | None = None):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message
        if code is not None:
            self.code = code


# ------------------------------------------------------------------------------------------ rules
@dataclass(frozen=True)
class Assessment:
    """A determination with what an edge shows next to it."""

    determination: Determination
    context: Context
    explanation_nl: str
    #: what the BRP adapter read from a verblijfplaatshistorie response (rules/brp_historie.py), in Dutch
    brp_report: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"determination": self.determination.to_dict(), "digest": self.determination.digest,
               "explanation_nl": self.explanation_nl}
        if self.brp_report is not None:
            out["brp_report"] = list(self.brp_report)
        return out


def case_from_text(text: str, fmt: str = "toml", case_id: str | None = None) -> tuple[CaseFacts, Context]:
    """One case of a casebook fragment with its context (`rules.casebook.parse_case` on the loaded data);
    without `[context]` the verified region table and dated parameters apply."""
    return parse_case(text, fmt, case_id, loader.parameter_table(), loader.municipality_register(),
                      loader.default_context())


def institution_marks(items: list[str]) -> dict[str, str]:
    """`2025-10-01=ggz_clinical` items (the CLI's repeated --instelling, the page's lines) as {period start:
    institution type}; the adapter checks the dates and the types against the BRP response."""
    out: dict[str, str] = {}
    for item in items:
        start, sep, kind = item.partition("=")
        if not sep or not start.strip() or not kind.strip():
            raise RequestInvalid("instellingen", f"{item[:40]!r}: verwacht BEGINDATUM=SOORT, bijvoorbeeld "
                                                 "2025-10-01=ggz_clinical")
        out[start.strip()] = kind.strip()
    return out


def assess(text: str, fmt: str = "toml", case_id: str | None = None, brp: str | None = None,
           institutions: dict[str, str] | None = None) -> Assessment:
    """Determine one case given as text, with its Dutch explanation (rules.explain.explain_nl).

    `brp`: the JSON text of a Haal Centraal BRP `verblijfplaatshistorie` response that supplies the
    address history (rules/brp_historie.py; the fragment may carry it as its member `brp` instead),
    `institutions` the BRP periods that are an institution's address. The response is read, never
    stored: only the facts derived from it go on."""
    response = brp_historie.parse(brp) if brp is not None else None
    facts, ctx, mapping = read_case(text, fmt, case_id, loader.parameter_table(), loader.municipality_register(),
                                    loader.default_context(), brp=response, institutions=institutions)
    det = determine(facts, ctx)
    return Assessment(det, ctx, explain_nl(det, ctx.municipalities),
                      mapping.report if mapping is not None else None)


def municipality_name(code: str | None) -> str:
    """A party as a person reads it: a municipality's name, `regio IJssel-Vecht`, `geschillencommissie`."""
    if not code:
        return "-"
    if code.startswith("GM"):
        return loader.municipality_register().name(code)
    if code.startswith("RG:"):
        regions = {r.id: r.name for r in loader.verified_regions()}
        return f"regio {regions[code[3:]]}" if code[3:] in regions else code
    return glossary.label("party", code)


# ----------------------------------------------------------------------------------------- ledger
def check_party(party: str) -> str:
    """A party code from an edge, through the one check (ledger.parties.party_code_problem): a code of the
    wrong form is REQUEST_INVALID, one the registers do not know PARTY_UNKNOWN (both with a Dutch message)."""
    party = (party or "").strip()
    err = parties.party_code_problem(party)
    if err:
        raise RequestInvalid("party", err.message, err.code if PARTY_RE.match(party) else None)
    return party


def is_number_text(value: str, digits: int = 15) -> bool:
    """A sequence number or id as text from the edge: 1 to `digits` ASCII digits (str.isdigit also takes
    '²' and other digits int() refuses, and no more than 15 digits keeps it inside a database integer)."""
    return 0 < len(value) <= digits and value.isascii() and value.isdigit()


def is_party(value: Any) -> bool:
    return isinstance(value, str) and PARTY_RE.match(value) is not None


def parse_day(value: str | None, field: str, default: date | None = None) -> date:
    if value is None or value == "":
        if default is None:
            raise RequestInvalid(field, "verplicht (JJJJ-MM-DD)")
        return default
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RequestInvalid(field, f"geen datum (JJJJ-MM-DD): {value!r}") from None
    reason = day_range.out_of_range(day)
    if reason:
        raise RequestInvalid(field, reason)
    return day


def parse_period(date_from: str | None, date_to: str | None) -> tuple[date, date]:
    d_from = parse_day(date_from, "from", date(2000, 1, 1))
    d_to = parse_day(date_to, "to", date(2100, 12, 31))
    if d_to < d_from:
        raise RequestInvalid("to", f"{dutch_date(d_to)} ligt vóór de begindatum {dutch_date(d_from)}")
    return d_from, d_to


def checkpoint_view(cp: CheckpointRow | None) -> dict[str, Any] | None:
    if cp is None:
        return None
    return {"id": cp.id, "tree_size": cp.tree_size, "root_hash": cp.root_hash.hex(),
            "timestamp": iso(cp.created_at), "key_id": cp.key_id,
            "signature": base64.b64encode(cp.signature).decode(),
            "signed_body": cp.body().decode(),  # the note's text, or the RFC 8785 JSON of before note_from
            **({} if cp.note is None else {"note": cp.note.decode()})}


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


def consistency_view(store: Store, old_size: int, new_size: int | None) -> dict[str, Any]:
    """GET /v1/bewijzen/consistentie: the RFC 9162 2.1.4 proof between two tree sizes (hashes in base64, as
    in the checkpoint note). A range outside the checkpointed log is a 400 on `van`/`tot`."""
    from ledger.errors import PROOF_RANGE_INVALID, LedgerError
    from ledger.proofs import consistency_proof

    try:
        p = consistency_proof(store, old_size, new_size)
    except LedgerError as exc:
        if exc.code == PROOF_RANGE_INVALID:
            raise RequestInvalid("van" if old_size <= 0 else "tot", exc.message, PROOF_RANGE_INVALID) from None
        raise
    return {"van": p.old_size, "tot": p.new_size, "rootVan": _b64(p.old_root), "rootTot": _b64(p.new_root),
            "bewijs": [_b64(h) for h in p.proof]}


def inclusion_view(store: Store, seq: int, tree_size: int | None) -> dict[str, Any]:
    """GET /v1/bewijzen/inclusie: the RFC 9162 2.1.3 audit path of the entry at `seq` in the tree of
    `tree_size` entries (default: the newest checkpoint's), hashes in base64."""
    from ledger.errors import PROOF_RANGE_INVALID, LedgerError
    from ledger.proofs import inclusion_proof

    try:
        p = inclusion_proof(store, seq, tree_size)
    except LedgerError as exc:
        if exc.code == PROOF_RANGE_INVALID:
            raise RequestInvalid("volgnummer" if seq < 0 else "grootte", exc.message, PROOF_RANGE_INVALID) from None
        raise
    return {"volgnummer": p.seq, "grootte": p.tree_size, "leafHash": _b64(p.leaf_hash), "root": _b64(p.root),
            "bewijs": [_b64(h) for h in p.proof]}


def overview(store: Store) -> dict[str, Any]:
    """Size, checkpoints, and what needs the operator's attention (damaged rows: run `ledger verify`)."""
    state = store.tree_state()
    damaged = store.damaged_checkpoints()
    attention = ([f"{len(damaged)} checkpoint(s) onleesbaar (id {', '.join(map(str, damaged[:5]))}): "
                  "voer `bwledger ledger verify` uit"] if damaged else [])
    return {"entries": state.tree_size, "checkpointed_size": state.checkpoint_size,
            "waiting_for_checkpoint": state.tree_size - state.checkpoint_size,
            "last_checkpoint": checkpoint_view(store.latest_checkpoint()), "needs_attention": attention}


def bundle_document(store: Store, party: str, date_from: date, date_to: date, viewer: str | None = None) -> bytes:
    """The bytes of the party's offline bundle (ledger.service.export_bundle) for those dates, as `viewer`
    (the caller's party) may read it."""
    with tempfile.TemporaryDirectory(prefix="bwledger-bundle-") as tmp:
        out = Path(tmp) / "bundle.json"
        service.export_bundle(store, party, date_from, date_to, out, viewer=viewer)
        return out.read_bytes()


def party_entries(store: Store, party: str, date_from: date, date_to: date, viewer: str | None = None
                  ) -> list[dict[str, Any]]:
    """The entries the party authored or is named in, received in those dates (ledger.service.party_entries,
    the selection of the party's bundle), decoded for an edge, as `viewer` (the caller's party; None for a
    reader of no party) may read them: where a SAFETY_CONFIDENTIAL client is is shown only to a party that
    needs it (ledger.confidential_locations: its N1/N2 left out, a location written before the rule masked)."""
    from ledger.confidential_locations import LOCATION_FIELDS, confidentiality

    rows = service.party_entries(store, party, date_from, date_to, viewer=viewer)
    conf = confidentiality(store, {r.client for r in rows if r.kind in LOCATION_FIELDS})
    out = []
    for row in rows:
        if conf.withheld(viewer, row.kind, row.client):
            continue
        st = json.loads(row.statement)
        out.append({"seq": row.seq, "received_at": iso(row.received_at),
                    "kind": row.kind, "author": row.author, "client": row.client,
                    "idempotency_key": row.idempotency_key, "authored_at": st["authored_at"],
                    "entry_hash": row.leaf_hash.hex(),
                    "payload": conf.payload_for(viewer, row.kind, row.client, st["payload"], row.author)})
    return out


def decode_submission(item: dict[str, Any], where: str = "body") -> service.SignedStatement:
    """A submitted signed statement: {"statement": base64, "signature": base64}."""
    if not isinstance(item, dict):
        raise RequestInvalid(where, "expected an object with statement and signature (base64)")
    parts = []
    for name in ("statement", "signature"):
        value = item.get(name)
        if not isinstance(value, str) or not value:
            raise RequestInvalid(f"{where}.{name}", "required, base64")
        try:
            parts.append(base64.b64decode(value, validate=True))
        except ValueError:
            raise RequestInvalid(f"{where}.{name}", "not base64") from None
    return service.SignedStatement(parts[0], parts[1])


def statement_author(signed: service.SignedStatement) -> str | None:
    """The author a submitted statement claims (None when it is no JSON object; the ledger refuses it then)."""
    try:
        parsed = json.loads(signed.statement)
    except (ValueError, RecursionError):  # not JSON, or nested too deep: the ledger refuses it as such
        return None
    return parsed.get("author") if isinstance(parsed, dict) and isinstance(parsed.get("author"), str) else None


def submit(store: Store, items: list[service.SignedStatement]) -> list[dict[str, Any]]:
    """Append signed statements in one batch (all or nothing). Its checkpoint is signed at its end, or by
    the server's timer within a few seconds when the store was opened with checkpoint_on_append=False."""
    return [{"seq": r.seq, "entry_hash": r.entry_hash.hex(),
             "received_at": iso(r.received_at), "duplicate": r.duplicate}
            for r in service.record_batch(store, items)]


def verification(store: Store, workers: int | None = None) -> dict[str, Any]:
    report = service.verify_ledger(store, workers=workers)
    return {"ok": report.ok, "entries": report.entries, "checkpoints": report.checkpoints,
            "seconds": round(report.seconds, 3), "workers": report.workers,
            "problems": [p.to_dict() for p in report.problems],
            # determinations whose replay on their deposits did not run (ledger/determination_replay.py)
            "replay_not_run": report.replay_not_run}


# ------------------------------------------------------------------------------------- settlement
STATEMENT_MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   "csv": "text/csv; charset=utf-8", "json": "application/json"}


def settlement(store: Store, quarter: str):
    """A quarter's settlement (ledger.settlement.service.settle_quarter): pairs, net positions, pools."""
    from ledger.settlement import service as settlement_service

    return settlement_service.settle_quarter(store, quarter)


def settlement_for(store: Store, quarter: str, sees_party) -> Any:
    """The quarter's settlement as far as `sees_party(party)` allows: the flows, positions, pool shares and
    own costs of the parties it sees (all of them for an auditor). Its `digest` stays the whole one's."""
    from dataclasses import replace

    s = settlement(store, quarter)
    seen = replace(s, flows=[f for f in s.flows if sees_party(f.creditor) or sees_party(f.debtor)],
                   positions=[p for p in s.positions if sees_party(p.party)],
                   pool_shares=[p for p in s.pool_shares if sees_party(p.member) or sees_party(p.holder)],
                   own_costs={k: v for k, v in s.own_costs.items() if sees_party(k)})
    return seen, s.digest


def settlement_dict(store: Store, quarter: str, sees_party=lambda _p: True) -> dict[str, Any]:
    s, digest = settlement_for(store, quarter, sees_party)
    return {**s.to_dict(), "digest": digest}


def statement_file(store: Store, quarter: str, party: str, fmt: str, viewer: str | None = None
                   ) -> tuple[bytes, str, str]:
    """One municipality's statement for the quarter as (bytes, file name, media type): the files that
    `bwledger settle` writes (ledger.settlement.service.write_statements), as `viewer` (the caller's
    party) may read it."""
    from ledger.settlement import service as settlement_service

    if fmt not in STATEMENT_MEDIA:
        raise RequestInvalid("format", f"xlsx, csv of json, niet {fmt!r}")
    if not party.startswith("GM"):
        raise RequestInvalid("party", f"een overzicht is er alleen per gemeente (GM en vier cijfers): {party!r}")
    key = _statement_key(store, quarter, party, fmt, viewer)
    with _statement_lock(key):  # one thread makes a file; the others asking for it meanwhile wait for it
        made = _STATEMENTS.get(key)
        if made is None:
            with tempfile.TemporaryDirectory(prefix="bwledger-statement-") as tmp:
                res = settlement_service.write_statements(store, quarter, Path(tmp), parties=[party], viewer=viewer)
                path = getattr(res.files[0], fmt)
                made = path.read_bytes(), path.name, STATEMENT_MEDIA[fmt]
            with _STATEMENTS_LOCK:
                _STATEMENTS[key] = made
                while len(_STATEMENTS) > _STATEMENTS_KEPT:
                    _STATEMENTS.popitem(last=False)
    return made


def cached_statement(store: Store, quarter: str, party: str, fmt: str, viewer: str | None = None
                     ) -> tuple[bytes, str, str] | None:
    """The statement file if this process made it for this ledger state already (no settling, so the
    endpoint asks here before it takes a place in the settlement pool), else None."""
    with _STATEMENTS_LOCK:
        return _STATEMENTS.get(_statement_key(store, quarter, party, fmt, viewer))


# a cache at the boundary: the same ledger (its size), the same day and the same reader give the same file
def _statement_key(store: Store, quarter: str, party: str, fmt: str, viewer: str | None) -> tuple:
    return (id(store), quarter, party, fmt, viewer, store.size(), datetime.now(ZONE).date())


def _statement_lock(key: tuple) -> threading.Lock:
    with _STATEMENTS_LOCK:
        lock = _MAKING.get(key)
        if lock is None:
            lock = _MAKING[key] = threading.Lock()
            while len(_MAKING) > _STATEMENTS_KEPT:
                _MAKING.pop(next(iter(_MAKING)))
        return lock


#: statement files made in this process, by (store, quarter, party, format, reader, ledger size, day)
_STATEMENTS: OrderedDict[tuple, tuple[bytes, str, str]] = OrderedDict()
_STATEMENTS_KEPT = 64
_STATEMENTS_LOCK = threading.Lock()
_MAKING: dict[tuple, threading.Lock] = {}  # the lock of each file being made (single flight)


# ------------------------------------------------------------------------------------------ cases
def worklist(store: Store, sees_case=lambda _id, _parties: True, sees_party=lambda _p: True):
    """The committee's work list (cases.service.worklist), as far as the caller sees it: the disputes
    `sees_case(case_id, participants)` allows and the determinations whose author or addressee it sees."""
    from dataclasses import replace

    from cases import service as cases_service

    w = cases_service.worklist(store)
    return replace(w, disputes=[d for d in w.disputes if sees_case(d.case_id, d.parties.participants())],
                   provisional=[u for u in w.provisional if sees_party(u.author) or sees_party(u.addressee)])


def case(store: Store, case_id: str):
    from cases import service as cases_service

    return cases_service.case_view(store, case_id)


def case_documents(store: Store, case_id: str):
    from cases import service as cases_service

    return cases_service.list_documents(store, case_id)


def upload_document(store: Store, documents, case_id: str, data: bytes, *, filename: str | None,
                    title: str | None, author: str | None, on: str | None = None, supersedes: str | None = None,
                    max_bytes: int) -> dict[str, Any]:
    """Store an exhibit of a case sent over HTTP (cases.service.add_document, as `bwledger case
    add-document`): the file's bytes and, as texts from the edge, its name, title, author party, date
    (YYYY-MM-DD, default the ledger's today) and the id of the version it supersedes; `documents` is the
    clients' encrypted store (api.bootstrap.client_documents)."""
    from cases import service as cases_service

    for name, value in (("filename", filename), ("title", title), ("author", author)):
        if not value:
            raise RequestInvalid(name, "required")
    party = check_party(author)
    if supersedes is not None and not is_number_text(supersedes):
        raise RequestInvalid("supersedes", "the id of the earlier version (an integer)")
    day = parse_day(on, "date", cases_service.today(store))
    d = cases_service.add_document(store, documents, case_id, filename=filename, data=data, title=title,
                                   author_party=party, document_date=day,
                                   supersedes=None if supersedes is None else int(supersedes), max_bytes=max_bytes)
    return {"id": d.id, "case_id": d.case_id, "number": d.number, "filename": d.filename, "title": d.title,
            "media_type": d.media_type, "size": d.size, "sha256": d.sha256, "author": d.author_party,
            "document_date": d.document_date.isoformat(), "supersedes": d.supersedes}


def dossier_pdf(store: Store, documents, case_id: str) -> tuple[bytes, str]:
    """The case file as PDF/A-3b (cases.dossier.render_dossier, as `bwledger case dossier`); `documents`
    is the clients' encrypted store (api.bootstrap.client_documents)."""
    from cases.dossier import dossier_filename, render_dossier

    with tempfile.TemporaryDirectory(prefix="bwledger-dossier-") as tmp:
        name = dossier_filename(case_id)
        summary = render_dossier(store, documents, case_id, Path(tmp) / name)
        return summary.path.read_bytes(), name


def case_bundle(store: Store, case_id: str) -> tuple[bytes, str]:
    """The case's verifiable bundle (cases.bundle.export_case_bundle, as `bwledger case bundle`)."""
    from cases.bundle import export_case_bundle

    with tempfile.TemporaryDirectory(prefix="bwledger-casebundle-") as tmp:
        name = f"bundle-{case_id}.json"
        out = Path(tmp) / name
        export_case_bundle(store, case_id, out)
        return out.read_bytes(), name


def _deadline_dict(d) -> dict[str, Any]:
    return {"name": d.name, "status": d.status, "text": d.text, "who": list(d.who), "due": d.due.isoformat(),
            "calendar_end": d.term.calendar_end.isoformat(), "extended_by": list(d.term.articles)}


def case_dict(view) -> dict[str, Any]:
    """A case (cases.service.CaseView) as JSON: parties, status, signed history, deadlines, decision."""
    p = view.parties
    return {
        "case_id": view.case_id, "status": view.status, "status_nl": view.status_nl, "since": view.since.isoformat(),
        "open": view.is_open, "question": view.question, "client": view.client,
        "parties": {"claiming": p.claiming, "responding": p.responding, "committee": p.committee,
                    "provider": p.provider},
        "subject": {"kind": view.subject_kind, "seq": view.determination_seq, "entry_hash": view.determination_hash},
        "determination": None if view.subject_kind == "cost_line" else {
            "seq": view.determination_seq, "entry_hash": view.determination_hash,
            "author": view.determination_author, "payload": view.determination},
        "cost_line": None if view.subject_kind != "cost_line" else {
            "seq": view.determination_seq, "entry_hash": view.determination_hash,
            "author": view.determination_author, "payload": view.determination},
        "events": [{"seq": e.seq, "entry_hash": e.entry_hash, "received_at": iso(e.received_at),
                    "author": e.author, "status": e.status, "previous_status": e.previous_status,
                    "action": e.action, "effective_date": e.effective_date.isoformat(), "note": e.note,
                    "position": e.position, "documents": list(e.documents), "decision": e.decision,
                    "deadline": e.deadline.isoformat() if e.deadline else None} for e in view.events],
        "deadlines": [_deadline_dict(d) for d in view.deadlines],
        "positions": view.positions, "decision": view.decision,
    }


def worklist_dict(w) -> dict[str, Any]:
    return {
        "on": w.on.isoformat(),
        "disputes": [{"case_id": d.case_id, "status": d.status, "claiming": d.parties.claiming,
                      "responding": d.parties.responding, "overdue": d.overdue,
                      "next_deadline": _deadline_dict(d.next_deadline) if d.next_deadline else None}
                     for d in w.disputes],
        "provisional": [{"seq": u.seq, "entry_hash": u.entry_hash, "received_at": iso(u.received_at),
                         "author": u.author, "addressee": u.addressee, "determination_id": u.determination_id,
                         "reference_date": u.reference_date.isoformat(), "flags": list(u.flags),
                         "objection_deadline": u.objection_deadline.isoformat()} for u in w.provisional],
    }


def case_zgw(store: Store, case_id: str) -> dict[str, Any]:
    """The case in the shapes of the ZGW APIs (cases.zgw.zgw_case, as `bwledger case export-zgw`)."""
    from cases.zgw import zgw_case

    return zgw_case(store, case_id)


# ----------------------------------------------------------------------------------- case drafts
_TEXT, _TEXTS, _OBJECTS, _OBJECT, _BOOL, _DAY = "text", "texts", "objects", "object", "bool", "day"
#: per action: the service's draft function, where its subject comes from, and the arguments it takes
#: (name -> JSON form); everything else about an action is checked by the draft itself
DRAFT_ACTIONS: dict[str, tuple[str, str, dict[str, str]]] = {
    "open": ("draft_open_case", "subject", {"question": _TEXT, "position": _TEXT, "provider": _TEXT,
                                            "documents": _TEXTS}),
    "transition": ("draft_transition", "case", {"target": _TEXT, "on": _DAY, "note": _TEXT, "position": _TEXT,
                                                "documents": _TEXTS, "attempts": _OBJECTS, "decision": _OBJECT}),
    "submit": ("draft_submit", "case", {"documents": _TEXTS, "position": _TEXT, "attempts": _OBJECTS,
                                        "note": _TEXT, "on": _DAY}),
    "attempt": ("draft_attempt", "case", {"kind": _TEXT, "held_on": _DAY, "summary": _TEXT, "evidence": _TEXTS}),
    "decide": ("draft_decide", "case", {"nature": _TEXT, "cost_bearers": _OBJECTS, "summary": _TEXT,
                                        "documents": _TEXTS, "on": _DAY}),
    "court_ruling": ("draft_court_ruling", "case", {"annulled": _BOOL, "cost_bearers": _OBJECTS, "summary": _TEXT,
                                                    "documents": _TEXTS, "on": _DAY}),
    # the operator books the decision in force: the corrections it orders, then (asked again) IMPLEMENTED
    "book": ("draft_book_decision", "case", {}),
    # the operator's transitions by time: every due case, one batch (no case_id; each statement names its case)
    "timed": ("draft_timed_transitions", "none", {"on": _DAY}),
}
_REQUIRED = {"open": ("question",), "transition": ("target",), "attempt": ("kind", "held_on", "summary", "evidence"),
             "decide": ("nature", "cost_bearers"), "court_ruling": ("annulled",)}


def _argument(name: str, form: str, value: Any) -> Any:
    where = f"arguments.{name}"
    ok = {_TEXT: isinstance(value, str), _BOOL: isinstance(value, bool), _OBJECT: isinstance(value, dict),
          _TEXTS: isinstance(value, list) and all(isinstance(v, str) for v in value),
          _OBJECTS: isinstance(value, list) and all(isinstance(v, dict) for v in value),
          _DAY: isinstance(value, str)}[form]
    if not ok:
        raise RequestInvalid(where, {_TEXT: "text", _BOOL: "true or false", _OBJECT: "an object",
                                     _TEXTS: "a list of texts", _OBJECTS: "a list of objects",
                                     _DAY: "a date (YYYY-MM-DD)"}[form])
    return parse_day(value, where) if form == _DAY else value


def _seq(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63):
        raise RequestInvalid(name, "a sequence number (an integer)")
    return value


def _draft_signer(body: dict[str, Any]) -> tuple[str, str]:
    """The party and the key id a draft is prepared for (the fields every draft request names)."""
    party = check_party(body.get("party") if isinstance(body.get("party"), str) else "")
    key_id = body.get("key_id")
    if not isinstance(key_id, str) or len(key_id) != 64 or any(c not in "0123456789abcdef" for c in key_id):
        raise RequestInvalid("key_id", "the signing key's id: 64 lowercase hexadecimal characters")
    return party, key_id


def _draft_item(d, raw: bytes, **extra: Any) -> dict[str, Any]:
    return {"kind": d.kind, "idempotency_key": d.idempotency_key, **extra,
            "statement": base64.b64encode(raw).decode("ascii")}


def case_draft(store: Store, body: Any) -> dict[str, Any]:
    """The statements a case write consists of, prepared for `party` and its `key_id` (cases.service's
    draft functions: every check of the write runs there, and a refusal is the CaseError of the local
    path), canonical and in order, for the party to sign on its own machine and submit as one batch.

    Body: {action, party, key_id, case_id (every action but open and timed) | determination_seq |
    cost_line_seq (open), arguments: {...}}; `timed` (the operator's transitions by time) drafts every
    case that is due, each statement naming its case; `book` (the operator) is staged: the reversals
    and new cost lines the decision orders, then, asked again once they are admitted, the transition
    to IMPLEMENTED that lists them."""
    from cases import service as cases_service

    if not isinstance(body, dict):
        raise RequestInvalid("body", "expected an object {action, party, key_id, ...}")
    action = body.get("action")
    if not isinstance(action, str) or action not in DRAFT_ACTIONS:
        raise RequestInvalid("action", f"one of {', '.join(DRAFT_ACTIONS)}, not {action!r}")
    fn_name, subject, forms = DRAFT_ACTIONS[action]
    unknown = sorted(set(body) - {"action", "party", "key_id", "case_id", "determination_seq", "cost_line_seq",
                                  "arguments"})
    if unknown:
        raise RequestInvalid(unknown[0], "not a field of a draft request")
    party, key_id = _draft_signer(body)
    arguments = body.get("arguments", {})
    if not isinstance(arguments, dict):
        raise RequestInvalid("arguments", "an object")
    extra = sorted(set(arguments) - set(forms))
    if extra:
        raise RequestInvalid(f"arguments.{extra[0]}", f"not an argument of {action} ({', '.join(forms)})")
    for name in _REQUIRED.get(action, ()):
        if name not in arguments:
            raise RequestInvalid(f"arguments.{name}", f"required for {action}")
    kwargs = {name: _argument(name, forms[name], value) for name, value in arguments.items()}
    fn = getattr(cases_service, fn_name)
    if subject == "none":
        for name in ("case_id", "determination_seq", "cost_line_seq"):
            if body.get(name) is not None:
                raise RequestInvalid(name, f"{action} names no case or subject")
        drafts = fn(store, party, **kwargs)
    elif subject == "subject":
        det, line = _seq(body, "determination_seq"), _seq(body, "cost_line_seq")
        if body.get("case_id") is not None or (det is None) == (line is None):
            raise RequestInvalid("determination_seq", "open names determination_seq or cost_line_seq (one)")
        drafts = [fn(store, party, det, cost_line_seq=line, **kwargs)]
    else:
        case_id = body.get("case_id")
        if not isinstance(case_id, str) or not case_id:
            raise RequestInvalid("case_id", f"required for {action}")
        if body.get("determination_seq") is not None or body.get("cost_line_seq") is not None:
            raise RequestInvalid("determination_seq", f"only open names its subject; {action} names case_id")
        if action == "transition":
            kwargs["target"] = kwargs["target"].upper()
        drafts = [fn(store, party, case_id, **kwargs)]
    authored_at = store.clock()
    return {"action": action, "case_id": drafts[0].case_id if subject != "none" else None, "party": party,
            "key_id": key_id, "authored_at": iso(authored_at),
            "statements": [_draft_item(d, raw, case_id=draft.case_id)
                           for draft in drafts for d, raw in zip(draft.items, draft.statements(key_id, authored_at))]}


#: per settlement write: the entry its subject is (the request's field) and the arguments it takes
SETTLEMENT_DRAFT_ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "accept_tariff": ("line_seq", ("note",)),  # the cost bearer accepts the deviating tariff of a line
    "book_accepted_tariff": ("acceptance_seq", ()),  # the fronting party books the accepted line definitive
}


def _admitted(result) -> dict[str, Any] | None:
    return None if result is None else {"seq": result.seq, "entry_hash": result.entry_hash.hex()}


def settlement_draft(store: Store, body: Any) -> dict[str, Any]:
    """The next statement of a settlement write, prepared for `party` and its `key_id`
    (ledger.settlement.tariff_acceptance's draft functions), for the party to sign on its own machine
    and submit to POST /v1/grootboek/regels.

    Body: {action: accept_tariff | book_accepted_tariff, party, key_id, line_seq (accept_tariff) |
    acceptance_seq (book_accepted_tariff), arguments: {note}}. Answer: {action, party, key_id,
    authored_at, line_seq, acceptance_seq, statements: [{kind, idempotency_key, statement (base64)}],
    admitted: {reversal, definitive}}. Booking is two steps (the reversal, then the definitive line
    naming it): ask again after each submission; no statements means done, and `admitted` names the
    entries ({seq, entry_hash}) already in the ledger."""
    from ledger.admission import local_date
    from ledger.settlement import tariff_acceptance

    if not isinstance(body, dict):
        raise RequestInvalid("body", "expected an object {action, party, key_id, ...}")
    action = body.get("action")
    if action not in SETTLEMENT_DRAFT_ACTIONS:
        raise RequestInvalid("action", f"one of {', '.join(SETTLEMENT_DRAFT_ACTIONS)}, not {action!r}")
    subject, forms = SETTLEMENT_DRAFT_ACTIONS[action]
    unknown = sorted(set(body) - {"action", "party", "key_id", subject, "arguments"})
    if unknown:
        raise RequestInvalid(unknown[0], f"not a field of a {action} draft request")
    party, key_id = _draft_signer(body)
    seq = _seq(body, subject)
    if seq is None:
        raise RequestInvalid(subject, f"required for {action}")
    arguments = body.get("arguments", {})
    if not isinstance(arguments, dict):
        raise RequestInvalid("arguments", "an object")
    for name, value in arguments.items():
        if name not in forms:
            raise RequestInvalid(f"arguments.{name}", f"not an argument of {action} ({', '.join(forms) or 'none'})")
        _argument(name, _TEXT, value)
    if action == "accept_tariff":
        drafts = [tariff_acceptance.draft_accept_tariff(store, seq, note=arguments.get("note", ""))]
        line_seq, acceptance_seq, admitted = seq, None, {}
    else:
        step = tariff_acceptance.draft_book_accepted_tariff(store, party, seq, today=local_date(store.clock()))
        drafts = [] if step.next is None else [step.next]
        line_seq, acceptance_seq = step.line_seq, seq
        admitted = {"reversal": _admitted(step.reversal), "definitive": _admitted(step.definitive)}
    authored_at = store.clock()
    return {"action": action, "party": party, "key_id": key_id, "authored_at": iso(authored_at),
            "line_seq": line_seq, "acceptance_seq": acceptance_seq,
            "statements": [_draft_item(d, d.statement(party, key_id, authored_at)) for d in drafts],
            "admitted": admitted}


# ------------------------------------------------------------------------------------ booking a month
def month_booking_draft(store: Store, body: Any) -> dict[str, Any]:
    """The statements that book a month for a fronting party (ledger.settlement.booking.draft_month: its
    cost lines from the placements it recorded x the contract tariffs, and the reversals of lines its
    changed placements no longer give), prepared for the party's `keyId`, to sign on its own machine and
    submit as one batch to POST /v1/grootboek/regels (POST /v1/boekingen, `bwledger book --server`).

    Body (camelCase): {month: "2026-03", party: "GM0166", keyId}. Answer: {month, party, keyId, authoredAt,
    placements, alreadyBooked, statements: [{kind, idempotencyKey, statement (base64), reverses}]}: reversals
    first, each with the line it reverses as stored ({seq, receivedAt, prevHash, signature, statement}), so the
    party checks what it reverses against the entry hash it signs; none when the month stands as the
    placements say. Nothing is written here."""
    from ledger.admission import local_date
    from ledger.settlement import service as settlement

    if not isinstance(body, dict):
        raise RequestInvalid("body", "verwacht een object {month, party, keyId}")
    unknown = sorted(set(body) - {"month", "party", "keyId"})
    if unknown:
        raise RequestInvalid(unknown[0], "geen veld van een boekingsverzoek (month, party, keyId)")
    if not isinstance(body.get("month"), str):
        raise RequestInvalid("month", "de maand, bijvoorbeeld 2026-03")
    try:
        party, key_id = _draft_signer({"party": body.get("party"), "key_id": body.get("keyId")})
    except RequestInvalid as exc:  # the field as this request names it
        raise RequestInvalid({"key_id": "keyId"}.get(exc.field, exc.field), exc.message) from None
    d = settlement.draft_month(store, body["month"], party, today=local_date(store.clock()))
    authored_at = store.clock()
    reversed_rows = store.get_rows([x.payload["reverses"]["seq"] for x in d.drafts if x.kind == "reversal"])

    def item(x) -> dict[str, Any]:
        out = {"kind": x.kind, "idempotencyKey": x.idempotency_key,
               "statement": base64.b64encode(x.statement(party, key_id, authored_at)).decode("ascii")}
        if x.kind == "reversal":  # the line it reverses, as stored: its entry hash can be recomputed from it
            row = reversed_rows[x.payload["reverses"]["seq"]]
            out["reverses"] = {"seq": row.seq, "receivedAt": iso(row.received_at), "prevHash": row.prev_hash.hex(),
                               "signature": base64.b64encode(row.signature).decode("ascii"),
                               "statement": base64.b64encode(row.statement).decode("ascii")}
        return out

    return {"month": d.month, "party": party, "keyId": key_id, "authoredAt": iso(authored_at),
            "placements": d.placements, "alreadyBooked": d.already, "statements": [item(x) for x in d.drafts]}


#: the fields of a placement request (POST /v1/plaatsingen): camelCase name -> (keyword, form, required)
PLACEMENT_FIELDS: dict[str, tuple[str, str, bool]] = {
    "client": ("client", "pseudonym", True), "placementId": ("placement_id", "text", True),
    "costBearer": ("cost_bearer", "party", True), "provider": ("provider", "text", True),
    "product": ("product", "text", True), "startDate": ("start", "date", True), "endDate": ("end", "date", False),
    "contract": ("contract", "text", False), "location": ("location", "text", False),
    "determinationSeq": ("determination_seq", "seq", True), "noticeSeq": ("notice_seq", "seq", False)}


def placement_request(body: Any) -> tuple[str, str, dict[str, Any]]:
    """(party, keyId, the keywords of ledger.settlement.booking.draft_placement_by_seq) of a placement request;
    RequestInvalid naming the field otherwise."""
    from pydantic import TypeAdapter, ValidationError

    from ledger.entries import Pseudonym

    if not isinstance(body, dict):
        raise RequestInvalid("body", "verwacht een object {party, keyId, client, placementId, ...}")
    unknown = sorted(set(body) - set(PLACEMENT_FIELDS) - {"party", "keyId"})
    if unknown:
        raise RequestInvalid(unknown[0], "geen veld van een plaatsing")
    try:
        party, key_id = _draft_signer({"party": body.get("party"), "key_id": body.get("keyId")})
    except RequestInvalid as exc:
        raise RequestInvalid({"key_id": "keyId"}.get(exc.field, exc.field), exc.message) from None
    out: dict[str, Any] = {}
    for name, (keyword, form, required) in PLACEMENT_FIELDS.items():
        value = body.get(name)
        if value is None:
            if required:
                raise RequestInvalid(name, "verplicht")
            continue
        if form == "seq":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**53:
                raise RequestInvalid(name, "een volgnummer in het grootboek")
        elif not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise RequestInvalid(name, "tekst van 1 tot 200 tekens")
        elif form == "date":
            value = parse_day(value, name)
        elif form == "party":
            value = check_party(value)
        elif form == "pseudonym":
            try:
                value = TypeAdapter(Pseudonym).validate_python(value, strict=True)
            except ValidationError:
                raise RequestInvalid(name, "het pseudoniem van de cliënt") from None
        out[keyword] = value
    return party, key_id, out


def placement_draft(store: Store, body: Any) -> dict[str, Any]:
    """The record of a placement the fronting party books from (ledger.settlement.booking.draft_placement_by_seq:
    its determination and N1 named by seq; a change replaces the newest record of the placement), prepared for
    the party's `keyId` to sign on its own machine and submit to POST /v1/grootboek/regels (POST /v1/plaatsingen,
    `bwledger placement --server`). Answer: {party, keyId, authoredAt, statements: [{kind, idempotencyKey,
    statement}]}. Nothing is written; the ledger's admission judges it (ledger/placements.py)."""
    from ledger.settlement import service as settlement

    party, key_id, fields = placement_request(body)
    client = fields.pop("client")
    d = settlement.draft_placement_by_seq(store, party, client, **fields)
    authored_at = store.clock()
    return {"party": party, "keyId": key_id, "authoredAt": iso(authored_at),
            "statements": [{"kind": d.kind, "idempotencyKey": d.idempotency_key,
                            "statement": base64.b64encode(d.statement(party, key_id, authored_at)).decode("ascii")}]}


# ------------------------------------------------------------------------------------ key actions
def key_action(store: Store, kind: str, key_id: str | None, item: Any) -> tuple[dict[str, Any], bool]:
    """A signed key statement submitted to its own endpoint (ledger.service.submit_key_action):
    (the appended entry as JSON, whether it is new)."""
    r = service.submit_key_action(store, kind, key_id, decode_submission(item))
    return {"seq": r.seq, "entry_hash": r.entry_hash.hex(), "received_at": iso(r.received_at),
            "duplicate": r.duplicate}, not r.duplicate


# ---------------------------------------------------------------------------------------- clients
def client_pseudonym(secret: bytes, bsn: Any) -> dict[str, str]:
    """The pseudonym of a client for its BSN (ledger.pseudonyms.pseudonym: 11-proef, keyed HMAC-SHA256), as
    `bwledger clients pseudonym` prints it and POST /v1/clienten/pseudoniemen answers it. The BSN is never
    repeated, stored or logged; BSN_INVALID (Dutch) when it is not one."""
    from ledger.pseudonyms import pseudonym

    if not isinstance(bsn, str):
        raise RequestInvalid("bsn", "het BSN als tekst van negen cijfers")
    return {"pseudonym": pseudonym(bsn, secret)}


def seal_place(documents, body: Any, *, by: str | None) -> dict[str, str]:
    """Keep the place of a SAFETY_CONFIDENTIAL client encrypted with its data key (cases.confidential_places):
    {"client": PSN, "place": text} -> the `location_ref` the placing party signs into its N1."""
    from cases.confidential_places import seal_place as seal
    from ledger.entries import Pseudonym
    from pydantic import TypeAdapter, ValidationError

    if not isinstance(body, dict) or set(body) != {"client", "place"}:
        raise RequestInvalid("body", 'JSON verwacht met precies: {"client": "PSN-...", "place": "..."}')
    try:
        client = TypeAdapter(Pseudonym).validate_python(body["client"], strict=True)
    except ValidationError:
        raise RequestInvalid("client", "het pseudoniem van de cliënt") from None
    if not isinstance(body["place"], str):
        raise RequestInvalid("place", "de plaats als tekst")
    return {"client": client, "location_ref": seal(documents, client, body["place"], by=by or "")}


def read_place(store: Store, documents, seq: str, *, viewer: str | None) -> dict[str, Any]:
    """The place an N1 of a SAFETY_CONFIDENTIAL client refers to, for a party that needs it
    (cases.confidential_places.read_place); PLACE_NOT_FOUND for anyone else."""
    from cases.confidential_places import read_place as read

    if not is_number_text(seq):
        raise RequestInvalid("seq", "het volgnummer van de plaatsingsmelding (N1)")
    return read(store, documents, int(seq), viewer=viewer)


def erase_client(store: Store, documents, client: str, *, by: str, reason: str,
                 outputs_dir: Path | None = None) -> dict[str, Any]:
    """Erase a client's personal data (cases.erasure.erase_client): its data key destroyed, its documents
    and the outputs holding its data removed, the erasure recorded; the ledger untouched."""
    from cases.erasure import erase_client as erase

    r = erase(store, documents, client, by=by, reason=reason, outputs_dir=outputs_dir)
    return {"client": r.erasure.client, "erased_at": iso(r.erasure.erased_at), "erased_by": r.erasure.erased_by,
            "reason": r.erasure.reason, "cases": list(r.case_ids), "documents_removed": r.documents_removed,
            "outputs_removed": [p.name for p in r.outputs_removed]}
