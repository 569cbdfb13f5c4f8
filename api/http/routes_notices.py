"""The notices inbox and outbox (issue 14), on the API (`/v1/berichten`) and on the pages (`/berichten`), the
key page of a person's browser (`/sleutel`) and the page that shows a prepared statement for the browser to
sign (`/berichten/{seq}/bevestigen`). Thin adapters over api/compose_notices.py; what the caller may see is
the guard's ("list": the caller's own party, or any party for a role granted "any").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from api import compose_notices as cn
from api.access.account_keys import AccountKeys
from api.access.notice_reads import NoticeReads
from api.client import SUBMIT_PATH
from api.compose import RequestInvalid
from api.http import reads
from api.http.camel import Json
from api.http.guards import AccessDenied, Caller
from api.http.pagination import PageNumber, PageSize, page_headers, window_of
from api.http.routes_api import in_thread
from ledger.errors import LedgerError
from ledger.notices import NOTICES
from ledger.store import Store
from rules.glossary import label

NOTICE_NOT_FOUND = "NOTICE_NOT_FOUND"
#: where the browser posts a signed statement (sign.js reads it from the form's data-endpoint)
ENTRIES_URL = SUBMIT_PATH
Box = Annotated[str | None, QueryParameter(name="map")]


def _refused(exc: RequestInvalid) -> str:
    """A refused form field as a person reads it: the field's label from the one glossary, then why."""
    return f"{label('form_field', exc.field)}: {exc.message}"


def person_of(caller: Caller) -> str | None:
    """Whose keys and read marks these are: a local account's username, or the subject an OpenID provider
    vouched for in a person's session; None for a machine client (a token signs with its own key file)."""
    if caller.username:
        return caller.username
    if caller.via == "session" and caller.identity is not None:
        return caller.identity.subject[:200]
    return None


def _keys(state: State) -> AccountKeys:
    return AccountKeys(state.access.engine, state.access.clock)


def _reads(state: State) -> NoticeReads:
    return NoticeReads(state.access.engine, state.access.clock)


def _party(caller: Caller, partij: str | None) -> str:
    """The mailbox asked for: the caller's own party, or (a role granted "any") the one named."""
    party = (partij or "").strip() or caller.party
    if not party or not caller.sees_party(party):
        raise AccessDenied(404, "NOT_FOUND", "niet gevonden")
    return party


def _not_found(seq: int) -> AccessDenied:
    return AccessDenied(404, NOTICE_NOT_FOUND, f"er is geen bericht {seq} in uw berichten")


def _page(name: str, status: int = 200, **context: Any) -> Template:
    return Template(template_name=name, context=context, status_code=status, media_type=MediaType.HTML)


# ------------------------------------------------------------------------------------------ API
@get("/v1/berichten", operation_id="listNotices")
async def list_notices(request: Request, reader: NamedDependency[Store], state: State, caller: NamedDependency[Caller],
                       box: Box = None, soort: FromQuery[list[str] | None] = None, van: FromQuery[str | None] = None,
                       tot: FromQuery[str | None] = None, tegenpartij: FromQuery[str | None] = None,
                       ongelezen: FromQuery[str | None] = None, partij: FromQuery[str | None] = None,
                       page: PageNumber = None, page_size: PageSize = None) -> Json:
    """The caller's inbox or outbox (`map`), filtered by `soort` (N1..N8), period of receipt (`van`, `tot`),
    `tegenpartij` and `ongelezen`, newest first, a page at a time (api/http/pagination.py: `count` on this
    page, `total` of all pages, the others in `Link`). `read` is per person (null for a machine client)."""
    party = _party(caller, partij)
    q = cn.parse_query(box, soort, van, tot, tegenpartij, ongelezen)
    window = window_of(page, page_size)
    total, items = await in_thread(cn.mailbox_page, reader, _reads(state), party, q, username=person_of(caller),
                                   viewer=caller.party, size=reads.ledger_size(request),  # as `reader_of` read it
                                   window=window.slice)
    return Json({"box": q.box, "party": party, "count": len(items), "total": total, "items": items},
                headers=page_headers(request, window, total))


@post("/v1/berichten/{seq:int}/gelezen", operation_id="markNoticeRead", status_code=200)
async def mark_notice_read(store: NamedDependency[Store], state: State, caller: NamedDependency[Caller],
                           seq: FromPath[int]) -> dict:
    """The person marks notice `seq` of their party's mailbox as read."""
    done = await in_thread(cn.mark_read, store, _reads(state), _party(caller, None), seq, username=person_of(caller))
    if done is None:
        raise _not_found(seq)
    return done


# ------------------------------------------------------------------------------------------ pages
@get("/berichten", operation_id="noticesPage", include_in_schema=False)
async def notices_page(reader: NamedDependency[Store], state: State, caller: NamedDependency[Caller],
                       box: Box = None, soort: FromQuery[str | None] = None, van: FromQuery[str | None] = None,
                       tot: FromQuery[str | None] = None, tegenpartij: FromQuery[str | None] = None,
                       ongelezen: FromQuery[str | None] = None, partij: FromQuery[str | None] = None) -> Template:
    party = _party(caller, partij)
    form = {"map": box or "inbox", "soort": soort or "", "van": van or "", "tot": tot or "",
            "tegenpartij": tegenpartij or "", "ongelezen": bool(ongelezen)}
    ctx: dict[str, Any] = dict(actief="berichten", partij=party, form=form, berichten=None, fout=None, veld=None,
                               codes=cn.notice_codes(), mappen=cn.boxes())
    try:
        q = cn.parse_query(box, soort, van, tot, tegenpartij, ongelezen)
    except RequestInvalid as exc:
        ctx.update(fout=_refused(exc), veld=exc.field)
        return _page("berichten.html", 400, **ctx)
    ctx["berichten"] = await in_thread(cn.mailbox, reader, _reads(state), party, q, username=person_of(caller),
                                       viewer=caller.party)
    return _page("berichten.html", **ctx)


@get("/berichten/{seq:int}", operation_id="noticePage", include_in_schema=False)
async def notice_page(store: NamedDependency[Store], state: State, caller: NamedDependency[Caller],
                      seq: FromPath[int], regel: FromQuery[int | None] = None) -> Template:
    """One notice; opening it marks it read for the person."""
    party = _party(caller, None)
    item = await in_thread(cn.notice_detail, store, _reads(state), party, seq, username=person_of(caller))
    if item is None:
        raise _not_found(seq)
    return _page("bericht.html", actief="berichten", partij=party, b=item, vastgelegd=regel)


@get("/berichten/{seq:int}/bevestigen", operation_id="acknowledgeNoticeForm", include_in_schema=False)
async def acknowledge_form(store: NamedDependency[Store], state: State, caller: NamedDependency[Caller],
                           seq: FromPath[int]) -> Template:
    """The acknowledgement of notice `seq`, prepared by the server (the exact canonical statement with the
    account's key id and authored_at now) for the person to read and sign in the browser (sign.js)."""
    party = _party(caller, None)
    item = await in_thread(cn.notice_detail, store, _reads(state), party, seq, username=person_of(caller),
                           mark_read=False)
    if item is None or item["kind"] not in NOTICES:
        raise _not_found(seq)
    ctx: dict[str, Any] = dict(actief="berichten", partij=party, b=item, voorbereid=None, fout=None,
                               account=person_of(caller), endpoint=ENTRIES_URL)
    try:
        ctx["voorbereid"] = await in_thread(cn.prepare_acknowledgement, store, _keys(state), person_of(caller), party, seq)
    except LedgerError as exc:
        ctx["fout"] = {"code": exc.code, "tekst": cn.refusal_nl(exc)}
        return _page("ondertekenen.html", 409, **ctx)
    return _page("ondertekenen.html", **ctx)


@get("/sleutel", operation_id="keyPage", include_in_schema=False)
async def key_page(state: State, caller: NamedDependency[Caller], aangevraagd: FromQuery[str | None] = None) -> Template:
    """The person's key: made in this browser (sign.js), its public key and key id shown, its registration
    asked for, and what the operator registered."""
    keys = await in_thread(_keys(state).of_account, person_of(caller)) if person_of(caller) else []
    registered = next((k for k in keys if k.registered), None)
    return _page("sleutel.html", actief="sleutel", account=person_of(caller), sleutels=keys, geregistreerd=registered,
                 aangevraagd=aangevraagd, fout=None)


@dataclass
class KeyForm:
    publieke_sleutel: str = ""


@post("/sleutel", operation_id="requestKey", include_in_schema=False)
async def key_request(state: State, caller: NamedDependency[Caller],
                      data: Annotated[KeyForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Any:
    """The browser's public key, asked to be registered for the person's party (the operator registers it)."""
    try:
        key = await in_thread(cn.request_account_key, _keys(state), person_of(caller), caller.party, data.publieke_sleutel)
    except RequestInvalid as exc:
        keys = await in_thread(_keys(state).of_account, person_of(caller)) if person_of(caller) else []
        return _page("sleutel.html", 400, actief="sleutel", account=person_of(caller), sleutels=keys,
                     geregistreerd=next((k for k in keys if k.registered), None), aangevraagd=None,
                     fout=_refused(exc))
    return Redirect(path=f"/sleutel?aangevraagd={key.key_id}", status_code=HTTP_303_SEE_OTHER)


ROUTES = [list_notices, mark_notice_read, notices_page, notice_page, acknowledge_form, key_page, key_request]
