"""Guards (litestar: functions of the connection and the route handler).

Submissions are signed statements: the ledger itself checks the signature, the key valid at that
moment and the entitlement table, so no issue asks for HTTP authentication yet. This is the one
place where it would go: a real deployment would check here who is calling (mutual TLS with a
client certificate per municipality, or an OIDC token from the municipalities' identity provider)
and refuse with NotAuthorizedException (401, problem+json NOT_AUTHENTICATED) before the handler
runs. Every write endpoint carries `write_guard`.
"""
from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler


def write_guard(connection: ASGIConnection, route_handler: BaseRouteHandler) -> None:
    """Allow: the statement's signature is the party's authentication (checked by the ledger)."""
    return
