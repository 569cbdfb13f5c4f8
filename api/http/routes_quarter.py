"""The quarter page of one municipality (finance staff, issue 14), its position chart (SVG served by the
app), the reconciliation upload on that page, and a ledger entry's own page. Thin: arguments in, the
service's result to the template (api/compose_quarter.py, ledger.settlement.service)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import MediaType, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, MultipartBody
from litestar.response import Template

from api import compose_quarter as cq
from api.compose import RequestInvalid
from api.format_nl import date_nl, date_table_nl, datetime_nl
from api.http.guards import Caller
from api.http.routes_api import in_thread
from ledger.errors import LedgerError
from ledger.store import Store

#: the request may be this large, so that a file over the limit gets its Dutch message next to the field
UPLOAD_REQUEST_BYTES = 2 * cq.RECONCILE_MAX_BYTES


_short = date_table_nl  # 02-12-2026 (dates in tables)


def _quarter_nl(code: str) -> str:
    from ledger.settlement.quarters import Quarter

    return Quarter.parse(code).label


def _context(**extra: Any) -> dict[str, Any]:
    from ledger.reports.reconcile import OUTCOME_NL
    from ledger.reports.statements import KIND_NL

    return {"actief": "verrekening", "datum_tabel": _short, "datum_lang": date_nl, "kw": _quarter_nl,
            "regelsoort": lambda k: KIND_NL.get(k, k), "uitkomst": lambda o: OUTCOME_NL.get(o, o), **extra}


def _page(status: int = 200, **context: Any) -> Template:
    return Template("kwartaal.html", context=_context(**context), status_code=status, media_type=MediaType.HTML)


def _checked(kwartaal: str, partij: str) -> tuple[str, str]:
    return cq.check_quarter(kwartaal), cq.check_municipality(partij)


def _problem(status: int, code: str, detail: str, uitleg: str, instance: str, actief: str) -> Template:
    return Template("fout.html", context={"actief": actief, "uitleg": uitleg, "problem": {
        "status": status, "code": code, "detail": detail, "instance": instance}}, status_code=status,
        media_type=MediaType.HTML)


def _refused(exc: RequestInvalid) -> Template:
    return _problem(400, exc.code, f"{exc.field}: {exc.message}", "verkeerde invoer", "/verrekening", "verrekening")


def _quarter_page(store: Store, caller: Caller, kwartaal: str, partij: str, lezing: str | None,
                  sleutel: list[str], status: int = 200, **extra: Any) -> Template:
    ctx = cq.quarter(store, kwartaal, partij, viewer=caller.party, sees_party=caller.sees_party,
                     reading=lezing or None, keys=sleutel)
    return _page(status, kwartaal=kwartaal, partij=partij, **ctx, **extra)


@get("/verrekening/{kwartaal:str}/{partij:str}", name="kwartaal", include_in_schema=False,
     operation_id="quarterPage")
async def quarter_page(reader: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                       kwartaal: FromPath[str], partij: FromPath[str], lezing: FromQuery[str | None] = None,
                       sleutel: FromQuery[list[str] | None] = None) -> Template:
    """The quarter of one municipality: its position per counterparty (chart and table), what is
    definitive, provisional and disputed and why, its lines with their links, the reconciliation
    upload, and a what-if chosen from the flags' alternative readings and the verdeelsleutels."""
    try:
        q, party = _checked(kwartaal, partij)
    except RequestInvalid as exc:
        return _refused(exc)
    return await state.pools.run("settlement", _quarter_page, reader, caller, q, party, lezing, sleutel or [])


@get("/verrekening/{kwartaal:str}/{partij:str}/positie.svg", include_in_schema=False,
     operation_id="quarterPositionChart")
async def position_chart(reader: NamedDependency[Store], state: State, kwartaal: FromPath[str],
                         partij: FromPath[str]) -> Response:
    """The party's position per counterparty, definitive / provisional / disputed, as SVG."""
    from ledger.settlement import service

    try:
        q, party = _checked(kwartaal, partij)
    except RequestInvalid as exc:
        raise NotFoundException(f"{exc.field}: {exc.message}") from None
    svg = await state.pools.run("settlement", service.position_chart_svg, reader, q, party)
    return Response(svg, media_type="image/svg+xml", headers={"cache-control": "private, no-store"})


@dataclass
class ReconcileForm:
    bestand: UploadFile | None = None
    csrf: str = ""


@post("/verrekening/{kwartaal:str}/{partij:str}/aansluiting", include_in_schema=False, status_code=200,
      operation_id="quarterReconcile", request_max_body_size=UPLOAD_REQUEST_BYTES)
async def reconcile_upload(store: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                           kwartaal: FromPath[str], partij: FromPath[str],
                           data: MultipartBody[ReconcileForm]) -> Template:
    """Their own file of the quarter against the ledger: the mismatch table in Dutch on the quarter page,
    or the refusal next to the file field (the chosen file's name kept)."""
    try:
        q, party = _checked(kwartaal, partij)
    except RequestInvalid as exc:
        return _refused(exc)
    upload = data.bestand
    name = upload.filename if upload is not None else ""
    raw = await upload.read() if upload is not None else b""
    try:
        rec = await state.pools.run("settlement", cq.reconcile_upload, store, q, party, name, raw)
    except LedgerError as exc:
        message = cq.RECONCILE_NL.get(exc.code, exc.message)
        return await state.pools.run("settlement", _quarter_page, store, caller, q, party, None, [], 422,
                                     aansluiting_fout=message, aansluiting_code=exc.code, gekozen=name)
    return await state.pools.run("settlement", _quarter_page, store, caller, q, party, None, [],
                                 aansluiting=rec, gekozen=name)


def _entry_page(store: Store, caller: Caller, seq: str) -> Template:
    e = cq.entry(store, seq, sees_all=caller.grant == "any", viewer=caller.party)
    if e is None:
        return _problem(404, "NOT_FOUND", f"Regel {seq} bestaat niet of u mag hem niet zien.", "niet gevonden",
                        f"/grootboek/{seq}", "grootboek")
    return Template("regel.html", context={"actief": "grootboek", "e": e, "tijd_nl": datetime_nl, "spoor": e["trail"]},
                    media_type=MediaType.HTML)


@get("/grootboek/{seq:str}", include_in_schema=False, operation_id="entryPage")
async def entry_page(store: NamedDependency[Store], caller: NamedDependency[Caller], seq: FromPath[str]) -> Template:
    """One ledger entry: what it says in Dutch, its signed payload, the entries it refers to."""
    return await in_thread(_entry_page, store, caller, seq)


ROUTES = [quarter_page, position_chart, reconcile_upload, entry_page]
