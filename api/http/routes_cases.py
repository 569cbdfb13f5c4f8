"""Disputes (issue 5): the JSON endpoints and the "Geschillen" pages over cases.service."""
from __future__ import annotations

from typing import Any

from litestar import MediaType, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK

from api import compose
from api.http.downloads import download
from api.http.routes_api import in_thread
from ledger.store import Store


@get("/api/cases")
async def worklist(store: NamedDependency[Store]) -> dict:
    """The committee's work list: open disputes by next deadline, then undisputed provisional determinations."""
    return compose.worklist_dict(await in_thread(compose.worklist, store))


@post("/api/cases/drafts", status_code=HTTP_200_OK, operation_id="draftCaseStatements")
async def draft(store: NamedDependency[Store], data: JSONBody[dict[str, Any]]) -> dict:
    """The exact statements a case write consists of, for the acting party to sign on its own machine:
    {action, party, key_id, case_id | determination_seq | cost_line_seq, arguments} -> {case_id,
    authored_at, statements: [{kind, idempotency_key, statement (base64)}]}, in order; submit them signed
    as one batch to POST /api/ledger/entries. Nothing is written here; a refusal is the service's code."""
    return await in_thread(compose.case_draft, store, data)


@get("/api/cases/{case_id:str}")
async def case(store: NamedDependency[Store], case_id: FromPath[str]) -> dict:
    """A case with its signed history, deadlines, positions and decision."""
    return compose.case_dict(await in_thread(compose.case, store, case_id))


@get("/api/cases/{case_id:str}/dossier")
async def dossier(store: NamedDependency[Store], state: State, case_id: FromPath[str]) -> Response:
    """The case file, PDF/A-3b in Dutch, with the verifiable bundle embedded (as `bwledger case dossier`)."""
    raw, name = await state.pools.run("dossier", compose.dossier_pdf, store, state.settings.documents_dir, case_id)
    return download(raw, name, "application/pdf")


@get("/api/cases/{case_id:str}/bundle")
async def bundle(store: NamedDependency[Store], state: State, case_id: FromPath[str]) -> Response:
    raw, name = await state.pools.run("bundle", compose.case_bundle, store, case_id)
    return download(raw, name, "application/json")


@get("/api/cases/{case_id:str}/zgw")
async def zgw(store: NamedDependency[Store], case_id: FromPath[str]) -> dict:
    """The case as ZGW API resources (zaak, statussen, rollen, zaakinformatieobjecten, besluit)."""
    return await in_thread(compose.case_zgw, store, case_id)


@get("/geschillen", name="geschillen", include_in_schema=False)
async def worklist_page(store: NamedDependency[Store]) -> Template:
    w = await in_thread(compose.worklist, store)
    return Template("geschillen.html", context={"actief": "geschillen", "w": w}, media_type=MediaType.HTML)


def _case_page(store: Store, case_id: str) -> dict:
    return {"actief": "geschillen", "v": compose.case(store, case_id),
            "documenten": compose.case_documents(store, case_id)}


@get("/geschillen/{case_id:str}", include_in_schema=False)
async def case_page(store: NamedDependency[Store], case_id: FromPath[str]) -> Template:
    return Template("geschil.html", context=await in_thread(_case_page, store, case_id), media_type=MediaType.HTML)


ROUTES = [draft, worklist, case, dossier, bundle, zgw, worklist_page, case_page]
