"""Clients (issue 12, "Privacy by construction"): POST /api/clients/pseudonym, the one endpoint that accepts
a BSN (for the intake of the `regio` role), answering the client's pseudonym (api.compose.client_pseudonym,
the function `bwledger clients pseudonym` calls).

The body is read and parsed here, not by the framework, so that no validation error can echo it; the BSN
is never logged, stored or repeated in an answer (a refusal says what is wrong, not what was sent)."""
from __future__ import annotations

import json

from litestar import Request, post
from litestar.datastructures import State
from litestar.status_codes import HTTP_200_OK

from api import compose
from api.compose import RequestInvalid


@post("/api/clients/pseudonym", status_code=HTTP_200_OK, operation_id="makePseudonym")
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


ROUTES = [make_pseudonym]
