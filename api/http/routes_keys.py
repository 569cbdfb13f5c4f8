"""The key actions as endpoints of their own (issue 11): a registration (signed by the operator), a
party's rotation of its key and a revocation, each one signed statement {statement, signature} of
exactly that kind for that key, appended like every other entry (ledger.service.submit_key_action:
the ledger's admission is the check; this module only routes)."""
from __future__ import annotations

from typing import Any

from litestar import Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.http.camel import Json
from api import compose
from api.http.guards import Caller
from api.http.routes_api import in_thread
from ledger.store import Store


def _own(caller: Caller, data: dict[str, Any]) -> None:
    """A party acts on its own keys only (the operator on any): the statement's author is the caller's party."""
    author = compose.statement_author(compose.decode_submission(data))
    if author is not None:  # one without a readable author the ledger refuses as STATEMENT_INVALID
        caller.require_party(author, "deze sleutelverklaring")


def _answer(result: tuple[dict, bool]) -> Response:
    body, created = result
    return Json(body, status_code=HTTP_201_CREATED if created else HTTP_200_OK)


@post("/v1/sleutels", operation_id="registerKey")
async def register(store: NamedDependency[Store], data: JSONBody[dict[str, Any]]) -> Response:
    """A key_registration signed by the operator: {statement, signature} (base64). 201, or 200 for a replay."""
    return _answer(await in_thread(compose.key_action, store, "key_registration", None, data))


@post("/v1/sleutels/{key_id:str}/vervanging", operation_id="rotateKey")
async def rotate(store: NamedDependency[Store], caller: NamedDependency[Caller], key_id: FromPath[str],
                 data: JSONBody[dict[str, Any]]) -> Response:
    """A key_rotation of key `key_id`, signed by that key (its party's own act)."""
    _own(caller, data)
    return _answer(await in_thread(compose.key_action, store, "key_rotation", key_id, data))


@post("/v1/sleutels/{key_id:str}/intrekking", operation_id="revokeKey")
async def revoke(store: NamedDependency[Store], caller: NamedDependency[Caller], key_id: FromPath[str],
                 data: JSONBody[dict[str, Any]]) -> Response:
    """A key_revocation of key `key_id`, signed by its party or the operator."""
    _own(caller, data)
    return _answer(await in_thread(compose.key_action, store, "key_revocation", key_id, data))


ROUTES = [register, rotate, revoke]
