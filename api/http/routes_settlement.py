"""Settlement (issue 4): the JSON endpoints and the "Verrekening" page over ledger.settlement.service."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK

from api import compose
from api.http.downloads import download
from api.http.guards import Caller
from api.http.routes_api import in_thread
from ledger.errors import LedgerError
from ledger.store import Store
from rules.glossary import error_text


@get("/v1/verrekeningen/{quarter:str}", operation_id="getSettlement")
async def settlement(reader: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                     quarter: FromPath[str]) -> dict:
    """Pair totals, net positions (definitive, provisional, disputed apart) and pool shares of a quarter,
    of the caller's own party (an auditor: of all); `digest` is the whole settlement's."""
    return await state.pools.run("settlement", compose.settlement_dict, reader, quarter, caller.sees_party)


#: a statement's format per media type, for `Accept` (the format asked for when there is no `?format=`)
FORMAT_OF_MEDIA = {media.split(";")[0]: fmt for fmt, media in compose.STATEMENT_MEDIA.items()}


def statement_format(fmt: str | None, accept: str) -> str:
    """`?format=` (xlsx, csv or json: checked by the service), else the first of the `Accept` header's media
    types that is a statement's, else json."""
    if fmt:
        return fmt
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in FORMAT_OF_MEDIA:
            return FORMAT_OF_MEDIA[media]
    return "json"


@get("/v1/verrekeningen/{quarter:str}/overzichten/{party:str}", operation_id="getStatement")
async def statement(request: Request, reader: NamedDependency[Store], state: State, caller: NamedDependency[Caller],
                    quarter: FromPath[str], party: FromPath[str], format: FromQuery[str | None] = None) -> Response:
    """One municipality's statement as xlsx, csv (';', decimal comma, BOM) or json: `?format=`, or the
    `Accept` header (default json)."""
    who = compose.check_party(party)
    fmt = statement_format(format, request.headers.get("accept", ""))
    made = await in_thread(compose.cached_statement, reader, quarter, who, fmt, caller.party)  # no pool place
    if made is None:
        made = await state.pools.run("settlement", compose.statement_file, reader, quarter, who, fmt, caller.party)
    return download(*made)


@post("/v1/verrekeningen/concepten", status_code=HTTP_200_OK, operation_id="draftSettlementStatements")
async def draft(store: NamedDependency[Store], caller: NamedDependency[Caller], data: JSONBody[dict[str, Any]]) -> dict:
    """The next statement of a settlement write for the acting party to sign on its own machine:
    {action: accept_tariff | book_accepted_tariff, party, key_id, line_seq | acceptance_seq, arguments}
    -> {action, party, key_id, authored_at, line_seq, acceptance_seq, statements: [{kind,
    idempotency_key, statement (base64)}], admitted: {reversal, definitive}}; submit it signed to
    POST /v1/grootboek/regels and ask again (booking is the reversal, then the definitive line) until
    no statements are left. Nothing is written here; a refusal is the service's code."""
    if compose.is_party(data.get("party")):  # a malformed one the draft refuses as REQUEST_INVALID
        caller.require_party(data["party"], "deze verrekenhandeling")
    return await in_thread(compose.settlement_draft, store, data)


@post("/v1/boekingen", status_code=HTTP_200_OK, operation_id="draftMonthBooking")
async def draft_month_booking(store: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                              data: JSONBody[dict[str, Any]]) -> dict:
    """The statements that book a month's cost lines for the fronting party, from the placements it recorded
    x the contract tariffs: {month: "2026-03", party, keyId} -> {month, party, keyId, authoredAt, placements,
    alreadyBooked, statements: [{kind, idempotencyKey, statement (base64)}]} (reversals first); sign them on
    the party's own machine and submit them as one batch to POST /v1/grootboek/regels (`bwledger book
    --server`). Nothing is written here; none left means the month stands as the placements say."""
    if compose.is_party(data.get("party")):  # a malformed one the draft refuses as REQUEST_INVALID
        caller.require_party(data["party"], "deze boeking")
    return await state.pools.run("settlement", compose.month_booking_draft, store, data)


@post("/v1/plaatsingen", status_code=HTTP_200_OK, operation_id="draftPlacement")
async def draft_placement(store: NamedDependency[Store], caller: NamedDependency[Caller],
                          data: JSONBody[dict[str, Any]]) -> dict:
    """The record of a placement the fronting party books its cost lines from (entry kind `placement`):
    {party, keyId, client, placementId, costBearer, provider, product, startDate, endDate?, contract?,
    location?, determinationSeq, noticeSeq?} -> {party, keyId, authoredAt, statements: [{kind, idempotencyKey,
    statement (base64)}]}; a change of a recorded placement replaces its newest record. Sign it on the party's
    own machine and submit it to POST /v1/grootboek/regels (`bwledger placement --server`). Nothing is written."""
    if compose.is_party(data.get("party")):
        caller.require_party(data["party"], "deze plaatsing")
    return await in_thread(compose.placement_draft, store, data)


@dataclass
class MonthForm:
    maand: str = ""
    partij: str = ""


@post("/verrekening/boeken", include_in_schema=False, operation_id="monthBookingSubmit")
async def month_booking_submit(store: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                               data: Annotated[MonthForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
                               ) -> Template:
    """The button of the fronting party: prepares the month's booking (the same drafts as POST /v1/boekingen)
    and says what it holds; the statements are signed with the party's own key (`bwledger book --server`,
    in the browser once signing on the pages is there)."""
    caller.require_party(data.partij, "deze boeking")
    return await state.pools.run("settlement", _booking_page, store, caller, data.maand)


def _booking_page(store: Store, caller: Caller, maand: str) -> Template:
    from api.format_nl import month_nl
    from ledger.admission import local_date
    from ledger.settlement import service as settlement_service

    page = _settlement_page(store, caller, None)
    ctx = page.context
    ctx["maand"] = maand
    try:
        d = settlement_service.draft_month(store, maand, caller.party or "", today=local_date(store.clock()))
    except LedgerError as exc:
        ctx["boekfout"] = f"{exc.message} ({exc.code})"
        return Template("verrekening.html", context=ctx, status_code=422, media_type=MediaType.HTML)
    ctx["boeking"] = {"maand": month_nl(d.month), "code": d.month, "plaatsingen": d.placements, "regels": d.lines,
                      "tegenboekingen": d.reversals, "al": d.already, "partij": d.party}
    return Template("verrekening.html", context=ctx, media_type=MediaType.HTML)


def _settlement_page(store: Store, caller: Caller, kwartaal: str | None) -> Template:
    from ledger.settlement import service as settlement_service
    from ledger.settlement.quarters import Quarter

    sealed = settlement_service.sealed(store)
    today = date.today()
    ctx: dict[str, Any] = {"actief": "verrekening", "kwartaal": kwartaal or "", "verzegeld": sorted(sealed),
                           "s": None, "fout": None, "huidig": Quarter.of(today).code,
                           "boekt": caller.party is not None and caller.party.startswith("GM")
                           and "finance" in (caller.identity.roles if caller.identity else ()),
                           "partij": caller.party or "", "maand": "", "vorige_maand": _previous_month(today),
                           "boeking": None, "boekfout": None}
    if kwartaal:
        try:
            ctx["s"], _digest = compose.settlement_for(store, kwartaal, caller.sees_party)
            ctx["kwartaal"] = ctx["s"].quarter
        except LedgerError as exc:
            ctx["fout"] = error_text(exc.code, exc.message)
            return Template("verrekening.html", context=ctx, status_code=400, media_type=MediaType.HTML)
    return Template("verrekening.html", context=ctx, media_type=MediaType.HTML)


@get("/verrekening", name="verrekening", include_in_schema=False, operation_id="settlementPage")
async def settlement_page(reader: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                          kwartaal: FromQuery[str | None] = None) -> Template:
    if not kwartaal:
        return await in_thread(_settlement_page, reader, caller, kwartaal)
    return await state.pools.run("settlement", _settlement_page, reader, caller, kwartaal)


def _previous_month(today: date) -> str:
    return f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"


ROUTES = [draft, draft_month_booking, draft_placement, month_booking_submit, settlement, statement, settlement_page]
