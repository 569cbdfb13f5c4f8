"""Settlement (issue 4): the JSON endpoints and the "Verrekening" page over ledger.settlement.service."""
from __future__ import annotations

from datetime import date
from typing import Any

from litestar import MediaType, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK

from api import compose
from api.http.downloads import download
from api.http.guards import Caller
from api.http.routes_api import in_thread
from ledger.errors import LedgerError
from ledger.store import Store
from rules.glossary import error_text


@get("/api/settlement/{quarter:str}", operation_id="getSettlement")
async def settlement(store: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                     quarter: FromPath[str]) -> dict:
    """Pair totals, net positions (definitive, provisional, disputed apart) and pool shares of a quarter,
    of the caller's own party (an auditor: of all); `digest` is the whole settlement's."""
    return await state.pools.run("settlement", compose.settlement_dict, store, quarter, caller.sees_party)


@get("/api/settlement/{quarter:str}/statements/{party:str}/{fmt:str}", operation_id="getStatement")
async def statement(store: NamedDependency[Store], state: State, caller: NamedDependency[Caller],
                    quarter: FromPath[str], party: FromPath[str], fmt: FromPath[str]) -> Response:
    """One municipality's statement as xlsx, csv (';', decimal comma, BOM) or json."""
    who = compose.check_party(party)
    return download(*await state.pools.run("settlement", compose.statement_file, store, quarter, who, fmt,
                                           caller.party))


@post("/api/settlement/drafts", status_code=HTTP_200_OK, operation_id="draftSettlementStatements")
async def draft(store: NamedDependency[Store], caller: NamedDependency[Caller], data: JSONBody[dict[str, Any]]) -> dict:
    """The next statement of a settlement write for the acting party to sign on its own machine:
    {action: accept_tariff | book_accepted_tariff, party, key_id, line_seq | acceptance_seq, arguments}
    -> {action, party, key_id, authored_at, line_seq, acceptance_seq, statements: [{kind,
    idempotency_key, statement (base64)}], admitted: {reversal, definitive}}; submit it signed to
    POST /api/ledger/entries and ask again (booking is the reversal, then the definitive line) until
    no statements are left. Nothing is written here; a refusal is the service's code."""
    if compose.is_party(data.get("party")):  # a malformed one the draft refuses as REQUEST_INVALID
        caller.require_party(data["party"], "deze verrekenhandeling")
    return await in_thread(compose.settlement_draft, store, data)


def _settlement_page(store: Store, caller: Caller, kwartaal: str | None) -> Template:
    from ledger.settlement import service as settlement_service
    from ledger.settlement.quarters import Quarter

    sealed = settlement_service.sealed(store)
    ctx: dict[str, Any] = {"actief": "verrekening", "kwartaal": kwartaal or "", "verzegeld": sorted(sealed),
                           "s": None, "fout": None, "huidig": Quarter.of(date.today()).code}
    if kwartaal:
        try:
            ctx["s"], _digest = compose.settlement_for(store, kwartaal, caller.sees_party)
            ctx["kwartaal"] = ctx["s"].quarter
        except LedgerError as exc:
            ctx["fout"] = error_text(exc.code, exc.message)
            return Template("verrekening.html", context=ctx, status_code=400, media_type=MediaType.HTML)
    return Template("verrekening.html", context=ctx, media_type=MediaType.HTML)


@get("/verrekening", name="verrekening", include_in_schema=False, operation_id="settlementPage")
async def settlement_page(store: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                          kwartaal: FromQuery[str | None] = None) -> Template:
    if not kwartaal:
        return await in_thread(_settlement_page, store, caller, kwartaal)
    return await state.pools.run("settlement", _settlement_page, store, caller, kwartaal)


ROUTES = [draft, settlement, statement, settlement_page]
