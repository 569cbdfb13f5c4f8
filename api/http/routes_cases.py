"""Disputes (issue 5): the JSON endpoints and the "Geschillen" pages over cases.service."""
from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api import compose
from api.http.downloads import download
from api.http.guards import Caller
from api.http.routes_api import in_thread
from ledger.store import Store


def _worklist(store: Store, caller: Caller):
    return compose.worklist(store, caller.sees_case, caller.sees_party)


@get("/v1/geschillen", operation_id="listCases")
async def worklist(store: NamedDependency[Store], caller: NamedDependency[Caller]) -> dict:
    """The work list as far as the caller sees it: open disputes by next deadline, then undisputed
    provisional determinations (the committee's secretary sees all; a party its own)."""
    return compose.worklist_dict(await in_thread(_worklist, store, caller))


@post("/v1/geschillen/concepten", status_code=HTTP_200_OK, operation_id="draftCaseStatements")
async def draft(store: NamedDependency[Store], caller: NamedDependency[Caller], data: JSONBody[dict[str, Any]]) -> dict:
    """The exact statements a case write consists of, for the acting party to sign on its own machine:
    {action, party, key_id, case_id | determination_seq | cost_line_seq, arguments} -> {case_id,
    authored_at, statements: [{kind, idempotency_key, statement (base64)}]}, in order; submit them signed
    as one batch to POST /v1/grootboek/regels. Nothing is written here; a refusal is the service's code."""
    if compose.is_party(data.get("party")):  # a malformed one the draft refuses as REQUEST_INVALID
        caller.require_party(data["party"], "deze zaakhandeling")
    return await in_thread(compose.case_draft, store, data)


@get("/v1/geschillen/{case_id:str}", operation_id="getCase")
async def case(store: NamedDependency[Store], case_id: FromPath[str]) -> dict:
    """A case with its signed history, deadlines, positions and decision."""
    return compose.case_dict(await in_thread(compose.case, store, case_id))


def upload_route(max_document_bytes: int):
    """POST /v1/geschillen/{case_id}/stukken, whose body may be as large as an exhibit may be
    (BWLEDGER_MAX_DOCUMENT_BYTES; the other endpoints keep BWLEDGER_MAX_REQUEST_BYTES)."""

    @post("/v1/geschillen/{case_id:str}/stukken", status_code=HTTP_201_CREATED,
          operation_id="uploadCaseDocument", request_max_body_size=max_document_bytes)
    async def upload(request: Request, store: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                     case_id: FromPath[str],
                     filename: FromQuery[str | None] = None, title: FromQuery[str | None] = None,
                     author: FromQuery[str | None] = None, date: FromQuery[str | None] = None,
                     supersedes: FromQuery[str | None] = None) -> dict:
        """Store an exhibit of a case (as `bwledger case add-document`, cases.service.add_document): the
        file is the raw request body (any Content-Type; the media type is read from the content and the
        name: PDF, PNG, JPEG, .docx, .xlsx, .eml); in the query `filename` (its name, for the type),
        `title`, `author` (the party it is from, a party of the case), optionally `date` (YYYY-MM-DD,
        default today) and `supersedes` (the id of the earlier version). Query values are UTF-8,
        percent-encoded. A body over BWLEDGER_MAX_DOCUMENT_BYTES is refused (413) before it is read.
        -> 201 {id, case_id, number, filename, title, media_type, size, sha256, author, document_date,
        supersedes}; a refusal is the service's code (DOCUMENT_TYPE_REFUSED, ACTOR_NOT_ALLOWED, ...)."""
        if compose.is_party(author):  # one may upload only as one's own party (a malformed one is refused below)
            caller.require_party(author, "dit stuk")
        data = await request.body()
        settings = state.settings
        return await in_thread(compose.upload_document, store, state.documents, case_id, data,
                               filename=filename, title=title, author=author, on=date, supersedes=supersedes,
                               max_bytes=settings.max_document_bytes)

    return upload


@get("/v1/geschillen/{case_id:str}/dossier", operation_id="getCaseDossier")
async def dossier(store: NamedDependency[Store], state: State, case_id: FromPath[str]) -> Response:
    """The case file, PDF/A-3b in Dutch, with the verifiable bundle embedded (as `bwledger case dossier`)."""
    raw, name = await state.pools.run("dossier", compose.dossier_pdf, store, state.documents, case_id)
    return download(raw, name, "application/pdf")


@get("/v1/geschillen/{case_id:str}/bundel", operation_id="getCaseBundle")
async def bundle(store: NamedDependency[Store], state: State, case_id: FromPath[str]) -> Response:
    raw, name = await state.pools.run("bundle", compose.case_bundle, store, case_id)
    return download(raw, name, "application/json")


@get("/v1/geschillen/{case_id:str}/zgw", operation_id="getCaseZgw")
async def zgw(store: NamedDependency[Store], case_id: FromPath[str]) -> dict:
    """The case as ZGW API resources (zaak, statussen, rollen, zaakinformatieobjecten, besluit)."""
    return await in_thread(compose.case_zgw, store, case_id)


@get("/geschillen", name="geschillen", include_in_schema=False, operation_id="worklistPage")
async def worklist_page(store: NamedDependency[Store], caller: NamedDependency[Caller]) -> Template:
    w = await in_thread(_worklist, store, caller)
    return Template("geschillen.html", context={"actief": "geschillen", "w": w}, media_type=MediaType.HTML)


def _case_page(store: Store, case_id: str) -> dict:
    return {"actief": "geschillen", "v": compose.case(store, case_id),
            "documenten": compose.case_documents(store, case_id)}


@get("/geschillen/{case_id:str}", include_in_schema=False, operation_id="casePage")
async def case_page(store: NamedDependency[Store], case_id: FromPath[str]) -> Template:
    return Template("geschil.html", context=await in_thread(_case_page, store, case_id), media_type=MediaType.HTML)


ROUTES = [draft, worklist, case, dossier, bundle, zgw, worklist_page, case_page]
