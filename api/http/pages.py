"""Server-rendered pages in Dutch (Jinja2). Each page calls the same compose / service function as
the JSON endpoint and the CLI; what is here only turns form fields into arguments and results into
template context."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.params import FromQuery, MultipartBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from markupsafe import Markup, escape

from api import compose, format_nl
from api.access.identity import roles_nl
from api.format_nl import date_nl, date_table_nl, datetime_nl, euro
from api.http.guards import Caller
from api.http.routes_api import assess, in_thread, verification
from ledger.errors import LedgerError
from ledger.store import Store
from rules import loader
from rules.brp_historie import BrpError
from rules.casebook import Malformed
from rules.engine import FactsError
from rules.glossary import error_text, in_words, label

EXAMPLE = """[context]
t0 = 2026-01-01

[context.regions.ijssel-vecht]
name = "IJssel-Vecht"
centrumgemeente = "GM0193"
members = ["GM0148", "GM0160", "GM0166", "GM0175", "GM0180", "GM1708", "GM1896", "GM0193"]

[[case]]
id = "K01"
title = "Inwoner van Kampen, geplaatst in Zwolle"
melding = { date = 2026-03-02, gemeente = "GM0166" }
addresses = [
  { gemeente = "GM0166", function = "W", from = 2019-05-01 },
]
placement = { location = "GM0193", fronting = "GM0193", from = 2026-04-01 }
"""


def _sources(ids) -> list[dict[str, Any]]:
    """The citations of a rule, short (as explain_nl shows them) and in full."""
    cites = loader.citation_register()
    out = []
    for cid in ids:
        if cid in cites:
            c = cites[cid]
            short = c.reference.split(":")[0]
            out.append({"id": cid, "kort": short if len(short) <= 90 else short[:87] + "…", "volledig": c.reference,
                        "url": c.url})
        else:
            out.append({"id": cid, "kort": cid, "volledig": cid, "url": None})
    return out


def _value(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def _summary(kind: str, p: dict[str, Any]) -> str:
    """One line in Dutch for the ledger table; the full payload is shown under it."""
    name = compose.municipality_name
    if kind in ("determination", "redetermination") and isinstance(p.get("outcome"), dict):
        o = p["outcome"]
        status = label("line_status", "provisional" if p.get("provisional") else "definitive")
        return f"kostendrager {name(o.get('cost_bearer'))}, {status}"
    if kind == "cost_line" and isinstance(p.get("amount_cents"), int):
        return (f"{euro(p['amount_cents'])} {name(p.get('fronting_party'))} → {name(p.get('cost_bearer'))}, "
                f"{_day(p.get('period_from'))} t/m {_day(p.get('period_to'))}")
    if kind == "placement" and isinstance(p.get("start_date"), str):
        end = f" t/m {date_nl(p['end_date'])}" if p.get("end_date") else ", lopend"
        return (f"{p.get('product')} bij {p.get('provider')}, vanaf {date_nl(p['start_date'])}{end}; "
                f"{name(p.get('fronting_party'))} voor {name(p.get('cost_bearer'))}")
    if kind in ("acceptance", "objection", "reversal") and isinstance(p.get("reason"), str):
        return p["reason"][:80]
    return _capital(label("entry_kind", kind))


def _day(value: Any) -> str:
    """A payload's date as a person reads it; a value that is no date is shown as it is."""
    try:
        return format_nl.date_nl(value)
    except (TypeError, ValueError):
        return str(value)


def _capital(text: str) -> str:
    """A label at the start of a table cell: its first letter upper case (`Beoordeling (N3)`)."""
    return text[:1].upper() + text[1:]


def _nl(code: Any, section: str, default: str | None = None) -> str:
    """The Jinja filter `nl`: `{{ f.name|nl('flag') }}`, `{{ status|nl('dispute_status') }}` (rules/glossary.py)."""
    return label(section, code if code is None or isinstance(code, str) else str(code), default)


def template_filters() -> dict[str, Any]:
    """Filters for what a person reads: glossary labels, dates (`2 december 2026`; `02-12-2026` in tables),
    times in Europe/Amsterdam, quarters as `2026-K1`, amounts (api/format_nl.py)."""
    return {"nl": _nl, "datum": format_nl.date_nl, "datum_kort": format_nl.date_table_nl,
            "tijd": lambda value: datetime_nl(value, seconds=True), "tijd_kort": datetime_nl,
            "kwartaal": format_nl.quarter_nl, "euro": euro, "hoofdletter": _capital, "in_woorden": in_words}


def _csrf_field(request) -> Markup:
    """The hidden field every form that writes carries: the session's CSRF token (api/http/guards.py)."""
    caller = getattr(request.state, "caller", None)
    token = caller.csrf if caller is not None else ""
    return Markup(f'<input type="hidden" name="csrf" value="{escape(token)}">')


def _party_name(code: str | None) -> str:
    from api.compose_notices import party_name

    return party_name(code)


def template_globals() -> dict[str, Any]:
    return {"csrf_field": _csrf_field, "datum": date_nl, "datum_tabel": date_table_nl,
            "partijnaam": _party_name, "gemeente": compose.municipality_name, "tijd": lambda value: datetime_nl(value, seconds=True),
            "rollen": roles_nl,
            "soort": lambda k: _capital(label("entry_kind", k)), "signaleringssoort": lambda k: label("flag_kind", k),
            "bronnen": _sources, "waarde": _value, "json_tekst": lambda v: json.dumps(v, ensure_ascii=False, indent=1), "samenvatting": _summary, "euro": euro,
            "status_nl": lambda s: label("dispute_status", s), "rol": lambda r: label("case_role", r),
            "klasse": lambda k: label("class", k, "nog niet bepaald"),
            "budget": lambda b: label("budget", b), "boeking": lambda e: label("booking", e)}


def _page(name: str, status: int = 200, **context: Any) -> Template:
    return Template(template_name=name, context=context, status_code=status, media_type=MediaType.HTML)


@get("/", name="start", include_in_schema=False, operation_id="start")
async def start(store: NamedDependency[Store], state: State, caller: NamedDependency[Caller]) -> Template:
    from api.access.notice_reads import NoticeReads
    from api.compose_notices import actions_today
    from api.http.routes_notices import person_of

    reads = NoticeReads(state.access.engine, state.access.clock)
    return _page("start.html", actief="start", overzicht=await in_thread(compose.overview, store),
                 verificatie=getattr(state, "last_verification", None), timer=state.timer.status(),
                 vandaag=await in_thread(actions_today, store, reads, caller.party, person_of(caller)))


@post("/verificatie", include_in_schema=False, operation_id="runVerification")
async def run_verification(reader: NamedDependency[Store], state: State) -> Redirect:
    report = await verification(reader, state)
    report["at"] = datetime.now(UTC).isoformat()
    return Redirect(path="/", status_code=HTTP_303_SEE_OTHER)


@dataclass
class FactsForm:
    feiten: str = ""
    casus: str = ""
    formaat: str = "toml"
    bestand: UploadFile | None = None
    #: a Haal Centraal BRP verblijfplaatshistorie response (JSON): the address history (rules/brp_historie.py)
    brp: UploadFile | None = None
    #: with `brp`: lines BEGINDATUM=SOORT marking BRP periods that are an institution's address
    instellingen: str = ""


@get("/beoordeling", name="beoordeling", include_in_schema=False, operation_id="assessmentForm")
async def assessment_form(voorbeeld: FromQuery[bool] = False) -> Template:
    return _page("beoordeling.html", actief="beoordeling", feiten=EXAMPLE if voorbeeld else "", casus="",
                 formaat="toml", resultaat=None, instellingen="")


@post("/beoordeling", include_in_schema=False, operation_id="assessmentSubmit")
async def assessment_submit(state: State, data: MultipartBody[FactsForm]) -> Template:
    text = data.feiten or ""
    base = dict(actief="beoordeling", casus=data.casus, instellingen=data.instellingen, resultaat=None)
    if data.bestand is not None and data.bestand.filename:
        raw = await data.bestand.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _page("beoordeling.html", 400, feiten="", formaat=data.formaat, fout="Het bestand is geen UTF-8-tekst.",
                         code="REQUEST_INVALID", **base)
        fmt = "json" if data.bestand.filename.lower().endswith(".json") else "toml"
    else:
        fmt = data.formaat if data.formaat in ("toml", "json") else "toml"
    ctx: dict[str, Any] = dict(feiten=text, formaat=fmt, **base)
    brp_text = None
    if data.brp is not None and data.brp.filename:
        try:
            brp_text = (await data.brp.read()).decode("utf-8-sig")
        except UnicodeDecodeError:
            return _brp_refused(ctx, "REQUEST_INVALID", "Het BRP-bestand is geen UTF-8-tekst (verwacht: het JSON-antwoord "
                                                        "van BRP historie bevragen).")
    try:
        marks = compose.institution_marks([line for line in data.instellingen.splitlines() if line.strip()])
    except compose.RequestInvalid as exc:
        return _page("beoordeling.html", 400, fout=exc.message, code=exc.code, instellingen_fout=exc.message, **ctx)
    if marks and brp_text is None:
        message = "Instellingsadressen horen bij een BRP-antwoord: kies ook het BRP-bestand."
        return _page("beoordeling.html", 400, fout=message, code="REQUEST_INVALID", instellingen_fout=message, **ctx)
    if not text.strip():
        return _page("beoordeling.html", 400, fout="Plak de feiten of kies een bestand.", code="REQUEST_INVALID",
                     **ctx)
    try:
        result = await assess(state, text, fmt, data.casus.strip() or None, brp=brp_text, institutions=marks or None)
    except BrpError as exc:
        return _brp_refused(ctx, exc.code, f"Het BRP-antwoord is niet te verwerken: {exc}")
    except Malformed as exc:
        return _page("beoordeling.html", 422, fout=f"De invoer klopt niet: {exc}", code="CASEBOOK_MALFORMED", **ctx)
    except FactsError as exc:
        return _page("beoordeling.html", 422, fout=f"De feiten worden niet geaccepteerd: {exc}", code=exc.code,
                     **ctx)
    ctx["resultaat"] = result
    if brp_text is not None:  # "Vastleggen als N3" carries the facts read from the BRP, never the response
        from cases.determinations import intake_json, read_intake

        ctx["vastleggen_feiten"] = intake_json(read_intake(text, fmt, data.casus.strip() or None, brp_text,
                                                           marks or None))
    ctx["d"] = result.determination
    ctx["regels"] = [s.as_dict() for s in result.determination.trail]
    ctx["regio"] = {r.id: r.name for r in result.context.regions}.get(result.determination.meldregio)
    return _page("beoordeling.html", **ctx)


@dataclass
class RecordForm:
    """The /beoordeling result's "Vastleggen als N3": the same facts again, and the client's pseudonym."""

    feiten: str = ""
    casus: str = ""
    formaat: str = "toml"
    instellingen: str = ""
    client: str = ""


@post("/beoordeling/vastleggen", include_in_schema=False, operation_id="recordDeterminationPage")
async def record_determination_page(store: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                                    data: MultipartBody[RecordForm]) -> Template:
    """Determine the facts again, deposit them and the trail encrypted for the client, and show the N3 the
    caller's party signs (cases/determinations.py, as POST /v1/vastgelegde-beoordelingen). Signing in the
    browser (/static/sign.js) is the integrity issue's; until this page has it, the page shows the statement
    and the command that signs it with the party's key."""
    from api.compose_determinations import record_draft
    from cases.errors import CaseError

    fmt = data.formaat if data.formaat in ("toml", "json") else "toml"
    ctx: dict[str, Any] = dict(actief="beoordeling", feiten=data.feiten, casus=data.casus, formaat=fmt,
                               instellingen=data.instellingen, client=data.client)
    if not data.client.strip():
        return _page("vastleggen.html", 400, fout="Vul het pseudoniem van de cliënt in (PSN-...).",
                     code="REQUEST_INVALID", client_fout="Het pseudoniem is verplicht.", **ctx)
    marks = [line for line in data.instellingen.splitlines() if line.strip()]
    body = {"client": data.client.strip(), "invoer": data.feiten, "formaat": fmt,
            **({"casus": data.casus.strip()} if data.casus.strip() else {}),
            **({"instellingen": marks} if marks else {})}
    try:
        rec = await in_thread(record_draft, store, state.deposits, caller.party, body)
    except compose.RequestInvalid as exc:
        return _page("vastleggen.html", 400, fout=exc.message, code=exc.code,
                     client_fout=exc.message if exc.field == "client" else None, **ctx)
    except (CaseError, LedgerError, BrpError) as exc:
        return _page("vastleggen.html", 422, fout=str(getattr(exc, "message", exc)), code=exc.code, **ctx)
    except (Malformed, FactsError) as exc:
        return _page("vastleggen.html", 422, fout=f"De feiten worden niet geaccepteerd: {exc}",
                     code=getattr(exc, "code", "CASEBOOK_MALFORMED"), **ctx)
    ctx.update(d=rec.determination, payload=rec.draft.payload, partij=caller.party,
               verklaring_json=json.dumps(rec.draft.payload, indent=2, ensure_ascii=False))
    return _page("vastleggen.html", **ctx)


def _brp_refused(ctx: dict[str, Any], code: str, message: str) -> Template:
    """A wrong BRP file: the message next to its field (and in the alert); what was typed stays."""
    return _page("beoordeling.html", 422 if code != "REQUEST_INVALID" else 400, fout=message, code=code,
                 brp_fout=message + " Kies het bestand opnieuw na het verbeteren.", **ctx)


#: the ledger page shows at most this many (the latest) entries; the bundle download has them all
MAX_ROWS = 200


def _parties() -> list[tuple[str, str]]:
    """Parties to choose from: the municipalities of the verified regions, the regions, operator, committee."""
    reg = loader.municipality_register()
    codes = sorted({c for r in loader.verified_regions() for c in r.members})
    out = [(c, f"{reg.name(c)} ({c})") for c in codes]
    out += [(f"RG:{r.id}", f"regio {r.name}") for r in loader.verified_regions()]
    return out + [("OPERATOR", "beheerder van het grootboek"), ("COMMITTEE", "geschillencommissie")]


@get("/grootboek", name="grootboek", include_in_schema=False, operation_id="ledgerPage")
async def ledger_page(store: NamedDependency[Store], caller: NamedDependency[Caller],
                      partij: FromQuery[str | None] = None, van: FromQuery[str | None] = None,
                      tot: FromQuery[str | None] = None) -> Template:
    return await in_thread(_ledger_page, store, caller, partij, van, tot)


def _ledger_page(store: Store, caller: Caller, partij: str | None, van: str | None, tot: str | None) -> Template:
    partijen = [(code, name) for code, name in _parties() if caller.sees_party(code)]
    ctx: dict[str, Any] = dict(actief="grootboek", partijen=partijen, partij=partij or "", van=van or "",
                               tot=tot or "", regels=None, fout=None, overzicht=compose.overview(store))
    if not partij:
        return _page("grootboek.html", **ctx)
    try:
        party = compose.check_party(partij)
        d_from, d_to = compose.parse_period(van, tot)
        rows = compose.party_entries(store, party, d_from, d_to, caller.party)
        ctx["totaal"], ctx["regels"] = len(rows), rows[-MAX_ROWS:]
    except compose.RequestInvalid as exc:
        veld = {"party": "partij", "from": "van", "to": "tot"}.get(exc.field, exc.field)
        ctx["fout"] = f"{veld}: {exc.message}"
        return _page("grootboek.html", 400, **ctx)
    except LedgerError as exc:
        ctx["fout"] = f"Het grootboek weigert: {error_text(exc.code, exc.message)}"
        return _page("grootboek.html", 409, **ctx)
    ctx["download"] = "/v1/grootboek/bundel?" + urlencode({"party": party, "from": d_from.isoformat(),
                                                         "to": d_to.isoformat()})
    ctx["periode"] = (d_from, d_to)
    return _page("grootboek.html", **ctx)


ROUTES = [start, run_verification, assessment_form, assessment_submit, record_determination_page, ledger_page]
