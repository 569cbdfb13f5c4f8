"""The public reference data (ADR: open, every origin may read it): GET /v1/gemeenten, /v1/gemeenten/{code},
/v1/regios, /v1/regios/{id}, over api/reference.py. The lists are paginated (api/http/pagination.py)."""
from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter

from api.http.camel import Json
from api import compose, reference
from api.http.pagination import PageNumber, PageSize, page_of

Peildatum = Annotated[str | None, QueryParameter(name="peildatum", description="alleen wat op deze dag "
                                                                              "(YYYY-MM-DD) geldt")]


def _on(peildatum: str | None):
    return compose.parse_day(peildatum, "peildatum") if peildatum else None


@get("/v1/gemeenten", operation_id="listMunicipalities")
async def municipalities(request: Request, peildatum: Peildatum = None, page: PageNumber = None,
                         page_size: PageSize = None) -> Response:
    """The municipalities of the register (CBS statcode, name, validity, successors after a merger)."""
    got = page_of(request, reference.municipalities(_on(peildatum)), page, page_size)
    return Json({"count": len(got.items), "total": got.total, "gemeenten": got.items}, headers=got.headers)


@get("/v1/gemeenten/{code:str}", operation_id="getMunicipality")
async def municipality(code: FromPath[str]) -> dict:
    found = reference.municipality(code)
    if found is None:
        raise NotFoundException(f"geen gemeente met code {code[:20]!r}")
    return found


@get("/v1/regios", operation_id="listRegions")
async def regions(request: Request, peildatum: Peildatum = None, page: PageNumber = None,
                  page_size: PageSize = None) -> Response:
    """The verified BW regions with their centrumgemeente, member municipalities and t0."""
    got = page_of(request, reference.regions(_on(peildatum)), page, page_size)
    return Json({"count": len(got.items), "total": got.total, "regios": got.items}, headers=got.headers)


@get("/v1/regios/{region_id:str}", operation_id="getRegion")
async def region(region_id: FromPath[str]) -> dict:
    found = reference.region(region_id)
    if found is None:
        raise NotFoundException(f"geen regio met id {region_id[:40]!r}")
    return found


ROUTES = [municipalities, municipality, regions, region]
