"""Clients (issue 12, "Privacy by construction"): POST /v1/clienten/pseudoniemen, the one endpoint that accepts
a BSN (for the intake of the `regio` role), answering the client's pseudonym (api.compose.client_pseudonym,
the function `bwledger clients pseudonym` calls).

The body is read and parsed here, not by the framework, so that no validation error can echo it; the BSN
is never logged, stored or repeated in an answer (a refusal says what is wrong, not what was sent).

POST /v1/clienten/plaatsen and GET /v1/grootboek/regels/{seq}/plaats keep and give back the place of a client
in a vrouwenopvang (spec 8.7), encrypted with the client's key (cases/confidential_places.py), for the
parties that need it (ledger/confidential_locations.py)."""
from __future__ import annotations

import json
from functools import partial

import anyio
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api import compose
from api.compose import RequestInvalid
from api.http.guards import Caller
from ledger.store import Store


@post("/v1/clienten/pseudoniemen", status_code=HTTP_200_OK, operation_id="makePseudonym")
async def make_pseudonym(request: Request, state: State) -> dict:
    """{"bsn": "123456782"} -> {"pseudonym": "PSN-XXXX-..."}: the BSN checked with the 11-proef (422
    BSN_INVALID otherwise), then keyed with the deployment's pseudonym secret (HMAC-SHA256)."""
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise RequestInvalid("body", 'JSON verwacht: {"bsn": "..."}') from None
    if not isinstance(body, dict) or set(body) != {"bsn"}:
        raise RequestInvalid("body", 'JSON verwacht met precies één veld: {"bsn": "..."}')
    return compose.client_pseudonym(state.pseudonym_secret, body["bsn"])


@post("/v1/clienten/plaatsen", status_code=HTTP_201_CREATED, operation_id="sealPlace")
async def seal_place(request: Request, state: State, caller: NamedDependency[Caller]) -> dict:
    """{"client": "PSN-...", "place": "..."} -> {"client", "location_ref"}: the place of a client in a
    vrouwenopvang (spec 8.7), kept encrypted with the client's key; the placing party signs `location_ref`
    (and `location: "vertrouwelijk"`) into its N1. The place is never repeated in an answer or a log."""
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise RequestInvalid("body", 'JSON verwacht: {"client": "PSN-...", "place": "..."}') from None
    return await anyio.to_thread.run_sync(partial(compose.seal_place, state.documents, body, by=caller.party))


@get("/v1/grootboek/regels/{seq:str}/plaats", operation_id="getPlace")
async def get_place(state: State, store: NamedDependency[Store], caller: NamedDependency[Caller],
                    seq: FromPath[str]) -> dict:
    """The place an N1 of a SAFETY_CONFIDENTIAL client refers to: only for the placing party and the host
    municipality and region of that client (ledger/confidential_locations.py); 404 PLACE_NOT_FOUND for
    anyone else, as for an N1 without one."""
    return await anyio.to_thread.run_sync(partial(compose.read_place, store, state.documents, seq,
                                                  viewer=caller.party))


ROUTES = [make_pseudonym, seal_place, get_place]
