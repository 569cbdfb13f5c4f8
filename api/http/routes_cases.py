"""Disputes (issue 5): the JSON endpoints and the "Geschillen" pages over cases.service."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_303_SEE_OTHER

from api import compose
from api import compose_cases as cc
from api.access.account_keys import AccountKeys
from api.compose import RequestInvalid
from api.http.downloads import download
from api.http.guards import AccessDenied, Caller
from api.http.routes_api import in_thread
from api.http.routes_notices import ENTRIES_URL, person_of
from ledger.store import Store


def _worklist(store: Store, caller: Caller):
    return compose.worklist(store, caller.sees_case, caller.sees_party)


@get("/v1/geschillen", operation_id="listCases")
async def worklist(store: NamedDependency[Store], caller: NamedDependency[Caller], status: FromQuery[str | None] = None,
                   partij: FromQuery[str | None] = None,
                   aan_zet: Annotated[str | None, QueryParameter(name="aanZet")] = None) -> dict:
    """The work list as far as the caller sees it: open disputes by next deadline, then undisputed
    provisional determinations (the committee's secretary sees all; a party its own); `cases`: the cases of
    the status group `status` (open | beslist | gesloten | alle, default open), of the party `partij` and of
    who must act next `aanZet` (mij | COMMITTEE | OPERATOR), each with who must act next and by when (as the
    page /geschillen shows them)."""
    try:
        group, party, actor = cc.worklist_filters(status, partij, aan_zet, caller.party)
    except cc.StepInvalid as exc:
        raise RequestInvalid({"wie": "aanZet"}.get(exc.field, exc.field), exc.message) from None
    out = compose.worklist_dict(await in_thread(_worklist, store, caller))
    rows = await in_thread(cc.case_rows, store, caller.sees_case, group, party, actor)
    return {**out, "cases": [cc.case_row_dict(r) for r in rows]}


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


@get("/v1/geschillen/{case_id:str}/stukken/{document_id:int}", operation_id="getCaseDocument")
async def document(store: NamedDependency[Store], state: State, case_id: FromPath[str],
                   document_id: FromPath[int]) -> Response:
    """One exhibit of a case, as it was uploaded (its SHA-256 is in the case's document list)."""
    got = await in_thread(cc.exhibit, store, state.documents, case_id, document_id)
    if got is None:
        raise AccessDenied(404, "DOCUMENT_NOT_FOUND", f"geschil {case_id} heeft geen stuk {document_id}")
    raw, name, media = got
    return download(raw, name, media)


@dataclass
class ExhibitForm:
    titel: str = ""
    datum: str = ""
    bestand: UploadFile | None = None


def upload_page_route(max_document_bytes: int):
    """POST /geschillen/{case_id}/stukken: an exhibit uploaded on the case page (multipart), as the caller's own
    party, with the limits of POST /v1/geschillen/{id}/stukken; back to the case page with its SHA-256."""

    @post("/geschillen/{case_id:str}/stukken", include_in_schema=False, operation_id="uploadCaseDocumentForm",
          request_max_body_size=max_document_bytes + 64 * 1024, status_code=200)
    async def upload_page(store: NamedDependency[Store], state: State, caller: NamedDependency[Caller],
                          case_id: FromPath[str], data: MultipartBody[ExhibitForm]) -> Any:
        raw = await data.bestand.read() if data.bestand is not None else b""
        name = data.bestand.filename if data.bestand is not None else ""
        try:
            done = await in_thread(cc.upload_exhibit, store, state.documents, case_id, caller.party, filename=name,
                                   data=raw, title=data.titel, on=data.datum or None,
                                   max_bytes=state.settings.max_document_bytes)
        except cc.StepInvalid as exc:
            ctx = await in_thread(_case_page, store, _keys(state), caller, case_id,
                                  max_bytes=state.settings.max_document_bytes)
            ctx.update(stuk_form={"titel": data.titel, "datum": data.datum}, stuk_fout=exc.message,
                       stuk_veld=exc.field, stuk_code=exc.code)
            return _page("geschil.html", ctx, 400)
        return Redirect(path=f"/geschillen/{case_id}?stuk={done['id']}#stukken", status_code=HTTP_303_SEE_OTHER)

    return upload_page


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
async def worklist_page(store: NamedDependency[Store], caller: NamedDependency[Caller],
                        status: FromQuery[str | None] = None, partij: FromQuery[str | None] = None,
                        wie: FromQuery[str | None] = None) -> Template:
    """The work list: the cases of a status group (open, beslist, gesloten, alle), of a party and of who must
    act next, with that party and the deadline; then the provisional determinations nobody disputed yet."""
    form = {"status": status or "open", "partij": partij or "", "wie": wie or ""}
    ctx: dict[str, Any] = {"actief": "geschillen", "form": form, "fout": None, "veld": None, "zaken": [],
                           "partij": caller.party, "groepen": cc.GROUP_NL}
    code = 200
    try:
        group, party, actor = cc.worklist_filters(status, partij, wie, caller.party)
        ctx["zaken"] = await in_thread(cc.case_rows, store, caller.sees_case, group, party, actor)
    except cc.StepInvalid as exc:
        ctx.update(fout=exc.message, veld=exc.field)
        code = 400
    ctx["w"] = await in_thread(_worklist, store, caller)
    ctx["openen"] = await in_thread(_openable, store, caller.party, [u.seq for u in ctx["w"].provisional])
    return _page("geschillen.html", ctx, code)


def _openable(store: Store, party: str | None, seqs: list[int]) -> set[int]:
    from cases import service as cases_service

    existing = {v.case_id for v in cases_service.list_cases(store)}
    return {s for s in seqs if cc.may_open(store, party, s, existing)}


# ------------------------------------------------------------------------------------------ the case page
def _keys(state: State) -> AccountKeys:
    return AccountKeys(state.access.engine, state.access.clock)


def _case_page(store: Store, keys: AccountKeys, caller: Caller, case_id: str, **extra: Any) -> dict:
    from cases import service as cases_service
    from cases.steps import offered_steps

    view = compose.case(store, case_id)
    person = person_of(caller)
    key = keys.signing_key(person) if person else None
    documents = compose.case_documents(store, case_id)
    return {"actief": "geschillen", "v": view, "documenten": documents,
            "stappen": offered_steps(view, caller.party, cases_service.today(store)),
            "sleutel": key if key is not None and key.party == caller.party else None, "account": person,
            "partij": caller.party, "rijen": range(1, cc.DECISION_ROWS + 1), "aard_nl": cc.NATURE_NL,
            "poging_nl": cc.ATTEMPT_NL, "vandaag": cases_service.today(store).isoformat(),
            "form": {}, "stap": None, "fout": None, "veld": None, "code": None, "gekozen": [], "regel": None,
            "stuk": None, "stuk_form": {}, "stuk_fout": None, "stuk_veld": None, "stuk_code": None,
            "max_bytes": extra.pop("max_bytes", None), **extra}


def _page(name: str, context: dict, status: int = 200) -> Template:
    return Template(name, context=context, status_code=status, media_type=MediaType.HTML)


@get("/geschillen/{case_id:str}", include_in_schema=False, operation_id="casePage")
async def case_page(store: NamedDependency[Store], state: State, caller: NamedDependency[Caller],
                    case_id: FromPath[str], regel: FromQuery[int | None] = None,
                    stuk: FromQuery[int | None] = None) -> Template:
    """The case with the steps the caller's party may take now (cases.steps), each a form whose statements
    the server prepares and the browser signs; `regel` (after signing) and `stuk` (after an upload) say
    what was just recorded."""
    ctx = await in_thread(_case_page, store, _keys(state), caller, case_id, regel=regel,
                          max_bytes=state.settings.max_document_bytes)
    if stuk is not None:
        ctx["stuk"] = next((d for d in ctx["documenten"] if d.id == stuk), None)
    return _page("geschil.html", ctx)


def _form_of(raw) -> dict[str, list[str]]:
    return {k: [str(v) for v in raw.getall(k)] for k in raw}


@post("/geschillen/{case_id:str}/stap", include_in_schema=False, operation_id="prepareCaseStep", status_code=200)
async def prepare_step(request: Request, store: NamedDependency[Store], state: State,
                       caller: NamedDependency[Caller], case_id: FromPath[str]) -> Template:
    """A step of the case page's forms: the server drafts it for the caller's party (cases.service, as POST
    /v1/geschillen/concepten) and shows the exact statements in Dutch and JSON to sign in the browser; a
    wrong input shows the case page again with the Dutch error next to its field and what was typed."""
    form = _form_of(await request.form())
    keys = _keys(state)
    try:
        batch = await in_thread(cc.prepare_step, store, keys, person_of(caller), caller.party or "", case_id, form)
    except cc.StepInvalid as exc:
        ctx = await in_thread(_case_page, store, keys, caller, case_id, max_bytes=state.settings.max_document_bytes)
        ctx.update(form={k: v[-1] if v else "" for k, v in form.items()}, gekozen=form.get("stukken", []),
                   stap=(form.get("stap") or [""])[-1], fout=exc.message, veld=exc.field, code=exc.code)
        return _page("geschil.html", ctx, 400)
    return _page("geschil-ondertekenen.html", {"actief": "geschillen", "batch": batch, "account": person_of(caller),
                                               "endpoint": ENTRIES_URL, "terug": f"/geschillen/{case_id}",
                                               "titel": f"Geschil {case_id}: ondertekenen"})


@get("/geschillen/openen", include_in_schema=False, operation_id="openCaseForm")
async def open_form(store: NamedDependency[Store], state: State, caller: NamedDependency[Caller],
                    regel: FromQuery[str | None] = None) -> Template:
    """The opening of a case on a determination or a cost line (`regel`), for a party of it."""
    return _page("geschil-openen.html", await in_thread(_open_context, store, caller, {"regel": [regel or ""]}))


def _open_context(store: Store, caller: Caller, form: dict[str, list[str]]) -> dict:
    value = (form.get("regel") or [""])[-1]
    row = cc.opening_subject(store, int(value)) if value.isdigit() else None
    subject = None
    payload = json.loads(row.statement)["payload"] if row is not None else {}
    if row is not None and any(caller.sees_party(p) for p in (row.author, payload.get("addressee"),
                                                              payload.get("cost_bearer"), payload.get("fronting_party"))
                               if p):
        subject = {"seq": row.seq, "kind": row.kind, "author": row.author, "payload": payload,
                   "mag": cc.may_open(store, caller.party, row.seq)}
    return {"actief": "geschillen", "onderwerp": subject, "form": {k: v[-1] if v else "" for k, v in form.items()},
            "fout": None, "veld": None, "partij": caller.party}


@post("/geschillen/openen", include_in_schema=False, operation_id="prepareCaseOpening", status_code=200)
async def prepare_opening(request: Request, store: NamedDependency[Store], state: State,
                          caller: NamedDependency[Caller]) -> Template:
    """The opening drafted for the caller's own party (cases.service.draft_open_case) and shown to sign."""
    form = _form_of(await request.form())
    try:
        batch = await in_thread(cc.prepare_opening, store, _keys(state), person_of(caller), caller.party, form)
    except cc.StepInvalid as exc:
        ctx = await in_thread(_open_context, store, caller, form)
        ctx.update(fout=exc.message, veld=exc.field, code=exc.code)
        return _page("geschil-openen.html", ctx, 400)
    return _page("geschil-ondertekenen.html", {"actief": "geschillen", "batch": batch, "account": person_of(caller),
                                               "endpoint": ENTRIES_URL, "terug": f"/geschillen/{batch.case_id}",
                                               "titel": f"Geschil {batch.case_id} openen: ondertekenen"})


ROUTES = [draft, worklist, case, document, dossier, bundle, zgw, worklist_page, open_form, prepare_opening, case_page,
          prepare_step]
