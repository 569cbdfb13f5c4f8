"""The case steps a person takes on the case pages: what the page offers (cases.steps), the form read into
the arguments of the same cases.service draft functions POST /v1/geschillen/concepten calls, and the
statements prepared with the account's registered key for the browser to sign (sign.js posts them as one
batch to /v1/grootboek/regels). Nothing here decides what the ledger accepts: the drafts check, admission
judges. Every refusal a person reads is Dutch, with the form field it belongs to."""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from api.access.account_keys import AccountKeys
from api.compose import RequestInvalid, is_number_text, is_party
from api.compose_notices import NO_KEY, REFUSAL_NL
from api.format_nl import date_nl
from ledger.errors import LedgerError
from ledger.store import Store
from rules import glossary
from rules.glossary import party_name

#: rows of the decision's table form (cost bearer per period)
DECISION_ROWS = 3
NATURE_NL = glossary.section("decision_nature")
ATTEMPT_NL = glossary.section("attempt")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

#: a refusal of the draft (cases.service / ledger), as a person reads it: (form field, Dutch text)
CASE_ERROR_NL: dict[str, tuple[str, str]] = {
    "EVENT_DATE_INVALID": ("datum", "De datum ligt in de toekomst of vóór de vorige stap van het geschil."),
    "DEADLINE_PASSED": ("datum", "De termijn voor deze stap is verstreken."),
    "ATTEMPT_INVALID": ("samenvatting", ("Een poging tot schikken heeft een soort, een samenvatting en ten minste "
                                         "één stuk als bewijs.")),
    "DOCUMENT_NOT_FOUND": ("stukken", "Een gekozen stuk hoort niet bij dit geschil."),
    "DECISION_INVALID": ("kostendrager_1", ("De uitspraak noemt voor ten minste één periode de kostendrager; de "
                                            "perioden mogen elkaar niet overlappen.")),
    "PARTY_ROLE_INVALID": ("kostendrager_1", "De kostendrager is een gemeente (niet de commissie of de beheerder)."),
    "PARTY_UNKNOWN": ("kostendrager_1", "Deze gemeente is onbekend."),
    "PRIOR_ATTEMPTS_MISSING": ("stap", ("Leg eerst de pogingen tot schikken vast (overleg contactpersonen en "
                                        "bemiddeling regioadviseur, met bewijsstukken).")),
    "TRANSITION_NOT_ALLOWED": ("stap", "Deze stap is bij de huidige status van het geschil niet mogelijk."),
    "ACTOR_NOT_ALLOWED": ("stap", "Deze stap is niet aan uw partij."),
    "CASE_EXISTS": ("regel", "Over deze regel is al een geschil geopend."),
    "DETERMINATION_NOT_FOUND": ("regel", "Deze regel is geen beoordeling."),
    "COST_LINE_NOT_FOUND": ("regel", "Deze regel is geen kostenregel."),
    "SUBJECT_INVALID": ("regel", "Een geschil gaat over een beoordeling of een kostenregel."),
    NO_KEY: ("stap", REFUSAL_NL[NO_KEY]),
}


class StepInvalid(Exception):
    """A step's form refused: the field it belongs to, the Dutch text, and the code."""

    def __init__(self, field: str, message: str, code: str = "REQUEST_INVALID") -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.code = field, message, code


def refusal(exc: Exception, step: str = "") -> StepInvalid:
    """A CaseError / LedgerError / RequestInvalid of the draft, as the field and Dutch text of the form."""
    if isinstance(exc, RequestInvalid):
        return StepInvalid(exc.field, exc.message)
    code = getattr(exc, "code", "ERROR")
    message = getattr(exc, "message", str(exc))
    if code == "POSITION_REQUIRED":
        if step == "open":
            return StepInvalid("vraag", "Geef de vraag aan de commissie (één zin).", code)
        if step == "submit":
            return StepInvalid("standpunt", "Geef een standpunt of kies ten minste één stuk.", code)
        return StepInvalid("standpunt", "Geef de redenen van het bezwaar (uw standpunt).", code)
    field, text = CASE_ERROR_NL.get(code, ("stap", f"Het grootboek weigert dit: {message}"))
    m = re.search(r"cost_bearers\[(\d+)\]", message)
    if m and field.startswith("kostendrager"):
        field = f"kostendrager_{int(m.group(1)) + 1}"
    return StepInvalid(field, text, code)


# ---------------------------------------------------------------------------------------------- the form
def _one(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or ()
    return (values[-1] if values else "").strip()


def _day(form: Mapping[str, Sequence[str]], name: str, required: bool = False) -> str | None:
    value = _one(form, name)
    if not value:
        if required:
            raise StepInvalid(name, "Vul een datum in.")
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        raise StepInvalid(name, f"Geen datum (JJJJ-MM-DD): {value}") from None
    return value


def _documents(form: Mapping[str, Sequence[str]]) -> list[str]:
    docs = [v.strip() for v in form.get("stukken") or () if v.strip()]
    for d in docs:
        if not SHA256_RE.match(d):
            raise StepInvalid("stukken", "Kies de stukken uit de lijst van dit geschil.")
    return docs


def decision_rows(form: Mapping[str, Sequence[str]]) -> list[dict]:
    """The filled rows of the decision's table (van_i, tot_i, kostendrager_i, historisch_i)."""
    rows = []
    for i in range(1, DECISION_ROWS + 1):
        start, end, typed = _one(form, f"van_{i}"), _one(form, f"tot_{i}"), _one(form, f"kostendrager_{i}")
        bearer = typed.upper()
        if not (start or end or bearer):
            continue
        _day(form, f"van_{i}", required=True)
        _day(form, f"tot_{i}", required=True)
        if end < start:
            raise StepInvalid(f"tot_{i}", f"Het einde ({date_nl(end)}) ligt vóór het begin ({date_nl(start)}).")
        if not is_party(bearer) or not bearer.startswith("GM"):
            raise StepInvalid(f"kostendrager_{i}", f"Geen gemeentecode (GMxxxx): {typed or '(leeg)'}")
        rows.append({"period_from": start, "period_to": end, "cost_bearer": bearer,
                     "historical_budget": bool(_one(form, f"historisch_{i}"))})
    if not rows:
        raise StepInvalid("van_1", "Vul ten minste één periode met de kostendrager in.")
    return rows


def step_arguments(step, form: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, Any]]:
    """The draft function (cases.service) and its arguments for an offered step (cases.steps.Step) and the
    submitted form; StepInvalid with a Dutch text next to its field."""
    on = _day(form, "datum")
    on_kw = {"on": date.fromisoformat(on)} if on else {}
    documents = _documents(form)
    if step.action == "decide":
        nature = _one(form, "aard")
        if nature not in ("binding_advice", "advice"):
            raise StepInvalid("aard", "Kies bindend advies of advies.")
        return "draft_decide", {"nature": nature, "cost_bearers": decision_rows(form),
                                "summary": _one(form, "samenvatting"), "documents": documents, **on_kw}
    if step.action == "court_ruling":
        annulled = step.target == "ANNULLED"
        return "draft_court_ruling", {"annulled": annulled, "cost_bearers": decision_rows(form) if annulled else [],
                                      "summary": _one(form, "samenvatting"), "documents": documents, **on_kw}
    if step.action == "attempt":
        kind = _one(form, "soort")
        if kind not in ATTEMPT_NL:
            raise StepInvalid("soort", "Kies overleg contactpersonen of bemiddeling regioadviseur.")
        held = _day(form, "gehouden_op", required=True)
        if not _one(form, "samenvatting"):
            raise StepInvalid("samenvatting", "Vat de poging samen.")
        if not documents:
            raise StepInvalid("stukken", "Kies ten minste één stuk als bewijs (upload het eerst hieronder).")
        return "draft_attempt", {"kind": kind, "held_on": held, "summary": _one(form, "samenvatting"),
                                 "evidence": documents}
    if step.action == "submit":
        return "draft_submit", {"position": _one(form, "standpunt"), "note": _one(form, "toelichting"),
                                "documents": documents, **on_kw}
    return "draft_transition", {"target": step.target, "note": _one(form, "toelichting"),
                                "position": _one(form, "standpunt"), "documents": documents, **on_kw}


# ---------------------------------------------------------------------------------------------- prepared
@dataclass(frozen=True)
class PreparedStatement:
    kind: str
    statement: bytes
    text_nl: str

    @property
    def b64(self) -> str:
        return base64.b64encode(self.statement).decode("ascii")

    @property
    def payload(self) -> dict:
        return json.loads(self.statement)["payload"]

    @property
    def pretty_json(self) -> str:
        return json.dumps(json.loads(self.statement), indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class PreparedBatch:
    case_id: str
    party: str
    key_id: str
    statements: tuple[PreparedStatement, ...]

    @property
    def b64_list(self) -> str:
        """The statements as the form's data-statements (a JSON list of base64 strings)."""
        return json.dumps([s.b64 for s in self.statements])


def _status(code: str | None) -> str:
    from cases.workflow import STATUS_NL

    return STATUS_NL.get(code or "", code or "-")


def statement_nl(kind: str, party: str, payload: dict) -> str:
    """One statement of a case write, in Dutch."""
    who = party_name(party)
    if kind == "objection":
        return (f"{who} maakt bezwaar (N4) tegen de beoordeling in grootboekregel {payload['determination']['seq']}: "
                f"{payload.get('reasons', '')}")
    if kind == "acceptance":
        return f"{who} aanvaardt de beoordeling in grootboekregel {payload['determination']['seq']} (N4)."
    if kind != "dispute_event":
        return f"{who}: {kind}"
    case_id = payload["dispute_id"]
    parts = []
    if payload.get("previous_status") is None and payload["status"] == "DETERMINED":
        subject = payload.get("determination") or payload.get("cost_line")
        what = "de kostenregel" if payload.get("cost_line") else "de beoordeling"
        parts.append(f"{who} opent geschil {case_id} over {what} in grootboekregel {subject['seq']}, met de vraag: "
                     f"„{payload.get('question', '')}”.")
    elif payload.get("action") == "submission":
        parts.append(f"{who} dient in bij geschil {case_id} (status blijft „{_status(payload['status'])}”).")
    else:
        parts.append(f"{who} zet geschil {case_id} van „{_status(payload.get('previous_status'))}” naar "
                     f"„{_status(payload['status'])}”, per {date_nl(payload.get('effective_date'))}.")
    if payload.get("position"):
        parts.append(f"Standpunt: {payload['position']}")
    if payload.get("note"):
        parts.append(f"Toelichting: {payload['note']}")
    for a in payload.get("attempts") or ():
        parts.append(f"Poging: {ATTEMPT_NL.get(a['kind'], a['kind'])} op {date_nl(a['held_on'])}: {a['summary']} "
                     f"({len(a['evidence'])} bewijsstuk(ken)).")
    if payload.get("documents"):
        parts.append(f"Stukken: {len(payload['documents'])}.")
    d = payload.get("decision")
    if d:
        bearers = "; ".join(f"{date_nl(p['period_from'])} t/m {date_nl(p['period_to'])}: {party_name(p['cost_bearer'])}"
                            for p in d["cost_bearers"])
        parts.append(f"Uitspraak ({NATURE_NL.get(d['nature'], d['nature'])}) van {date_nl(d['decided_on'])}, "
                     f"kostendrager per periode: {bearers}.")
    return " ".join(parts)


def prepare_draft(store: Store, keys: AccountKeys, username: str | None, draft) -> PreparedBatch:
    """A case draft (cases.service.CaseDraft) as the exact statements to sign with the account's registered
    key, authored now; LedgerError KEY_NOT_REGISTERED when the account has none for the draft's party."""
    key = keys.signing_key(username)
    if key is None or key.party != draft.party:
        raise LedgerError(NO_KEY, "the account has no registered key of its party")
    raws = draft.statements(key.key_id, store.clock())
    return PreparedBatch(draft.case_id, draft.party, key.key_id, tuple(
        PreparedStatement(d.kind, raw, statement_nl(d.kind, draft.party, json.loads(raw)["payload"]))
        for d, raw in zip(draft.items, raws)))


def prepare_step(store: Store, keys: AccountKeys, username: str | None, party: str, case_id: str,
                 form: Mapping[str, Sequence[str]]) -> PreparedBatch:
    """The step named in the form's `stap`, if cases.steps offers it to `party` now, drafted with the form's
    values and prepared for signing; StepInvalid (Dutch, with its field) otherwise."""
    from cases import service as cases_service
    from cases.steps import step_named

    view = cases_service.case_view(store, case_id)
    key = _one(form, "stap")
    step = step_named(view, party, cases_service.today(store), key)
    if step is None:
        raise StepInvalid("stap", "Deze stap is nu niet aan uw partij.", "ACTOR_NOT_ALLOWED")
    fn_name, kwargs = step_arguments(step, form)
    try:
        draft = getattr(cases_service, fn_name)(store, party, case_id, **kwargs)
        return prepare_draft(store, keys, username, draft)
    except StepInvalid:
        raise
    except Exception as exc:  # only the coded refusals (CaseError, LedgerError); anything else is a bug
        if not hasattr(exc, "code"):
            raise
        raise refusal(exc, step.action) from None


def opening_subject(store: Store, seq: int | None):
    """The entry a case would be opened on (a determination, re-determination or cost line), or None."""
    if seq is None:
        return None
    row = store.get_rows([seq]).get(seq)
    if row is None or row.kind not in ("determination", "redetermination", "cost_line"):
        return None
    return row


def may_open(store: Store, party: str | None, seq: int, existing: set[str] | None = None) -> bool:
    """Whether `party` may open a case on entry `seq` (ledger.disputes.opening_problem) and none exists yet
    (`existing`: the ids of the cases there are, when the caller asks for many entries)."""
    from cases import service as cases_service
    from ledger.disputes import opening_problem, subject_parties

    row = opening_subject(store, seq)
    if row is None or not party:
        return False
    if existing is None:
        existing = {v.case_id for v in cases_service.list_cases(store)}
    if cases_service.case_id_for(seq) in existing:
        return False
    return opening_problem(subject_parties(row.kind, row.author, json.loads(row.statement)["payload"]), party) is None


def prepare_opening(store: Store, keys: AccountKeys, username: str | None, party: str,
                    form: Mapping[str, Sequence[str]]) -> PreparedBatch:
    """The opening of a case on the form's `regel` (a determination or a cost line), prepared for signing."""
    from cases import service as cases_service

    raw = _one(form, "regel")
    if not raw.isdigit():
        raise StepInvalid("regel", f"Geen regelnummer: {raw or '(leeg)'}")
    row = opening_subject(store, int(raw))
    if row is None:
        raise StepInvalid("regel", f"Regel {raw} is geen beoordeling of kostenregel.")
    subject = {"cost_line_seq": row.seq} if row.kind == "cost_line" else {"determination_seq": row.seq}
    try:
        draft = cases_service.draft_open_case(store, party, question=_one(form, "vraag"),
                                              position=_one(form, "standpunt"), documents=(), **subject)
        return prepare_draft(store, keys, username, draft)
    except Exception as exc:  # only the coded refusals (CaseError, LedgerError); anything else is a bug
        if not hasattr(exc, "code"):
            raise
        raise refusal(exc, "open") from None


#: an exhibit refused, as a person reads it (cases.documents' codes)
DOCUMENT_ERROR_NL = {
    "DOCUMENT_TYPE_REFUSED": ("bestand", ("Dit soort bestand wordt niet aangenomen: kies een PDF, PNG, JPEG, Word- "
                                          "(.docx), Excel- (.xlsx) of e-mailbestand (.eml).")),
    "DOCUMENT_TOO_LARGE": ("bestand", "Het bestand is te groot."),
    "DOCUMENT_CONTENT_MISMATCH": ("bestand", "De inhoud van het bestand past niet bij zijn soort (naam)."),
    "DOCUMENT_EMPTY": ("bestand", "Het bestand is leeg."),
    "DOCUMENT_INVALID": ("titel", "Geef het stuk een titel en een datum die niet in de toekomst ligt."),
    "DOCUMENT_NOT_FOUND": ("bestand", "Het stuk dat dit vervangt hoort niet bij dit geschil."),
    "ACTOR_NOT_ALLOWED": ("bestand", "Uw partij is geen partij in dit geschil."),
}


def upload_exhibit(store: Store, documents, case_id: str, party: str | None, *, filename: str, data: bytes,
                   title: str, on: str | None, max_bytes: int) -> dict[str, Any]:
    """An exhibit uploaded on the case page, as the caller's own party (api.compose.upload_document, as POST
    /v1/geschillen/{id}/stukken); StepInvalid in Dutch next to its field."""
    from api.compose import upload_document

    if not filename or not data:
        raise StepInvalid("bestand", "Kies een bestand.")
    if not title.strip():
        raise StepInvalid("titel", "Geef het stuk een titel.")
    if on:
        _day({"datum": [on]}, "datum")
    try:
        return upload_document(store, documents, case_id, data, filename=filename, title=title.strip(), author=party,
                               on=on or None, max_bytes=max_bytes)
    except RequestInvalid as exc:
        raise StepInvalid({"date": "datum", "title": "titel"}.get(exc.field, "bestand"), exc.message) from None
    except Exception as exc:  # only the coded refusals (CaseError, LedgerError); anything else is a bug
        if not hasattr(exc, "code"):
            raise
        field, text = DOCUMENT_ERROR_NL.get(exc.code, ("bestand", f"Het stuk is geweigerd: {exc.message}"))
        if exc.code == "DOCUMENT_TOO_LARGE":
            text = f"Het bestand is te groot: ten hoogste {max_bytes // (1024 * 1024)} MB."
        raise StepInvalid(field, text, exc.code) from None


def exhibit(store: Store, documents, case_id: str, document_id: int) -> tuple[bytes, str, str] | None:
    """An exhibit's bytes, file name and media type (decrypted with its client's key), or None when the
    case has no such document."""
    from cases import service as cases_service
    from cases.store import CaseStore

    if not is_number_text(str(document_id)):  # beyond a database integer: no such document
        return None
    d = CaseStore(store).get(document_id)
    if d is None or d.case_id != case_id:
        return None
    owner = cases_service.data_owner(cases_service.case_view(store, case_id))
    return documents.get(owner, d.sha256), d.filename, d.media_type


GROUP_NL = glossary.section("case_group")
ACTOR_CHOICES = ("", "mij", "COMMITTEE", "OPERATOR")


def worklist_filters(status: str | None, partij: str | None, wie: str | None, own: str | None
                     ) -> tuple[str, str | None, str | None]:
    """The work list's filters (status group, party, who must act next: `mij` is the caller's own party),
    StepInvalid in Dutch next to the field."""
    from cases.service import CASE_GROUPS

    group = (status or "open").strip()
    if group not in CASE_GROUPS:
        raise StepInvalid("status", f"Kies open, beslist, gesloten of alle, niet „{group}”.")
    party = (partij or "").strip().upper() or None
    if party and not is_party(party):
        raise StepInvalid("partij", f"Geen partijcode (bv. GM0193): {party}")
    actor = (wie or "").strip()
    if actor not in ACTOR_CHOICES:
        raise StepInvalid("wie", "Kies wie als volgende aan zet is uit de lijst.")
    if actor == "mij":
        actor = own or ""
    return group, party, actor or None


def case_rows(store: Store, sees_case, group: str, party: str | None, actor: str | None):
    """The cases of the work list (cases.service.case_list) that the caller sees."""
    from cases import service as cases_service

    return [r for r in cases_service.case_list(store, group=group, party=party, actor=actor)
            if sees_case(r.case_id, r.parties.participants())]


def case_row_dict(r) -> dict[str, Any]:
    """A work list row (cases.service.CaseRow) as JSON."""
    d = r.next_deadline
    return {"case_id": r.case_id, "status": r.status, "group": r.group, "claiming": r.parties.claiming,
            "responding": r.parties.responding, "next_actors": list(r.next_actors), "overdue": r.overdue,
            "next_deadline": None if d is None else {"name": d.name, "text": d.text, "due": d.due.isoformat(),
                                                     "who": list(d.who)},
            "decision": None if r.decision is None else {"nature": r.decision["nature"],
                                                         "decided_on": r.decision["decided_on"]}}


__all__ = [
    "ACTOR_CHOICES",
    "CASE_ERROR_NL",
    "DECISION_ROWS",
    "DOCUMENT_ERROR_NL",
    "GROUP_NL",
    "NATURE_NL",
    "PreparedBatch",
    "PreparedStatement",
    "StepInvalid",
    "case_row_dict",
    "case_rows",
    "decision_rows",
    "exhibit",
    "may_open",
    "opening_subject",
    "prepare_draft",
    "prepare_opening",
    "prepare_step",
    "refusal",
    "statement_nl",
    "step_arguments",
    "upload_exhibit",
    "worklist_filters",
]
