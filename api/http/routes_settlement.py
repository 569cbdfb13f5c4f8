"""Settlement (issue 4): the JSON endpoints and the "Verrekening" page over ledger.settlement.service."""
from __future__ import annotations

from datetime import date
from typing import Any

from litestar import MediaType, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from api import compose
from api.http.downloads import download
from api.http.routes_api import in_thread
from ledger.errors import LedgerError
from ledger.store import Store


@get("/api/settlement/{quarter:str}")
async def settlement(store: NamedDependency[Store], state: State, quarter: FromPath[str]) -> dict:
    """Pair totals, net positions (definitive, provisional, disputed apart) and pool shares of a quarter."""
    return await state.pools.run("settlement", compose.settlement_dict, store, quarter)


@get("/api/settlement/{quarter:str}/statements/{party:str}/{fmt:str}")
async def statement(store: NamedDependency[Store], state: State, quarter: FromPath[str], party: FromPath[str],
                    fmt: FromPath[str]) -> Response:
    """One municipality's statement as xlsx, csv (';', decimal comma, BOM) or json."""
    who = compose.check_party(party)
    return download(*await state.pools.run("settlement", compose.statement_file, store, quarter, who, fmt))


def _settlement_page(store: Store, kwartaal: str | None) -> Template:
    from ledger.settlement import service as settlement_service
    from ledger.settlement.quarters import Quarter

    sealed = settlement_service.sealed(store)
    ctx: dict[str, Any] = {"actief": "verrekening", "kwartaal": kwartaal or "", "verzegeld": sorted(sealed),
                           "s": None, "fout": None, "huidig": Quarter.of(date.today()).code}
    if kwartaal:
        try:
            ctx["s"] = compose.settlement(store, kwartaal)
            ctx["kwartaal"] = ctx["s"].quarter
        except LedgerError as exc:
            ctx["fout"] = f"{exc.message} ({exc.code})"
            return Template("verrekening.html", context=ctx, status_code=400, media_type=MediaType.HTML)
    return Template("verrekening.html", context=ctx, media_type=MediaType.HTML)


@get("/verrekening", name="verrekening", include_in_schema=False)
async def settlement_page(store: NamedDependency[Store], state: State,
                          kwartaal: FromQuery[str | None] = None) -> Template:
    if not kwartaal:
        return await in_thread(_settlement_page, store, kwartaal)
    return await state.pools.run("settlement", _settlement_page, store, kwartaal)


ROUTES = [settlement, statement, settlement_page]
