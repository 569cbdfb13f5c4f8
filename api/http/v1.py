"""The versioned API (NL API Design Rules 2.1, issue 14): everything a program calls lives under /v1.

- `API_VERSION`, the full version (semver) this server implements; every /v1 answer carries it in the
  `API-Version` header (ADR /core/version-header), with the ADR security headers
  (/core/transport/security-headers: `Cache-Control: no-store`, `X-Frame-Options: DENY`, and the CSP,
  `X-Content-Type-Options` and HSTS the whole app sends, see api/http/app.py `response_headers`);
- `no_trailing_slash`, the guard that answers 404 for a /v1 path ending in `/` (ADR /core/no-trailing-slash:
  a 404, not a redirect);
- the open reference data and the OpenAPI document allow every origin (ADR /core/publish-openapi, CORS);
- `legacy_redirect`: the old `/api/...` paths answer one permanent redirect (308, the method and body kept)
  to their /v1 equivalent (`LEGACY`, documented in README.md "API v1"); an old path without one is 404.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from litestar import Request, Response, route
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.types import Message, Scope

API_VERSION = "1.0.0"
PREFIX = "/v1"
#: the answers of these paths may be read by a page of any origin: public documentation and reference data
OPEN_TO_ALL_ORIGINS = ("/v1/openapi.json", "/v1/gemeenten", "/v1/regios")
ADR_HEADERS = ((b"api-version", API_VERSION.encode()), (b"cache-control", b"no-store"),
               (b"x-frame-options", b"DENY"))


def is_v1(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def _open(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in OPEN_TO_ALL_ORIGINS)


def add_headers(message: Message, scope: Scope) -> None:
    """The /v1 headers of an answer that starts (called from the app's `before_send`); a header the
    handler set itself (e.g. its own Cache-Control) is kept."""
    path = scope.get("path", "")
    if not is_v1(path):
        return
    headers = list(message.get("headers", []))
    present = {k.lower() for k, _ in headers}
    headers += [(k, v) for k, v in ADR_HEADERS if k not in present]
    if _open(path) and b"access-control-allow-origin" not in present:
        headers += [(b"access-control-allow-origin", b"*"),  # and a page of another origin may read these:
                    (b"access-control-expose-headers", b"API-Version, Link, X-Total-Count")]
    message["headers"] = headers


def no_trailing_slash(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """A /v1 path with a trailing slash is not the resource (the router matches it without, and leaves the
    path as sent only in `raw_path`): 404."""
    raw = connection.scope.get("raw_path") or connection.scope.get("path", "").encode()
    path = raw.decode("latin-1").split("?")[0]
    if is_v1(path) and len(path) > len(PREFIX) + 1 and path.endswith("/"):
        raise NotFoundException("Dit adres bestaat niet (laat de / aan het eind weg).")


#: old path (a regular expression over the path after /api) -> its /v1 path; `{fmt}` of a statement becomes
#: `?format=`. In this order: the first that matches.
LEGACY: tuple[tuple[str, str], ...] = (
    (r"/rules/determine", "/v1/beoordelingen"),
    (r"/ledger/verify", "/v1/grootboek/controle"),
    (r"/ledger/entries/(?P<seq>[^/]+)/place", "/v1/grootboek/regels/{seq}/plaats"),
    (r"/ledger/entries", "/v1/grootboek/regels"),
    (r"/ledger/checkpoint", "/v1/grootboek/controlepunt"),
    (r"/ledger/bundle", "/v1/grootboek/bundel"),
    (r"/health", "/v1/gezondheid"),
    (r"/keys", "/v1/sleutels"),
    (r"/keys/(?P<key>[^/]+)/rotation", "/v1/sleutels/{key}/vervanging"),
    (r"/keys/(?P<key>[^/]+)/revocation", "/v1/sleutels/{key}/intrekking"),
    (r"/settlement/drafts", "/v1/verrekeningen/concepten"),
    (r"/settlement/(?P<q>[^/]+)/statements/(?P<party>[^/]+)/(?P<fmt>[^/]+)",
     "/v1/verrekeningen/{q}/overzichten/{party}?format={fmt}"),
    (r"/settlement/(?P<q>[^/]+)", "/v1/verrekeningen/{q}"),
    (r"/cases", "/v1/geschillen"),
    (r"/cases/drafts", "/v1/geschillen/concepten"),
    (r"/cases/(?P<case>[^/]+)/documents", "/v1/geschillen/{case}/stukken"),
    (r"/cases/(?P<case>[^/]+)/bundle", "/v1/geschillen/{case}/bundel"),
    (r"/cases/(?P<case>[^/]+)/(?P<part>dossier|zgw)", "/v1/geschillen/{case}/{part}"),
    (r"/cases/(?P<case>[^/]+)", "/v1/geschillen/{case}"),
    (r"/audit", "/v1/auditlogboek"),
    (r"/audit/verification", "/v1/auditlogboek/controle"),
    (r"/clients/pseudonym", "/v1/clienten/pseudoniemen"),
    (r"/clients/places", "/v1/clienten/plaatsen"),
    (r"/me", "/v1/ik"),
    (r"/schema/openapi\.json", "/v1/openapi.json"),
)
_LEGACY = tuple((re.compile(pattern), target) for pattern, target in LEGACY)


def legacy_target(rest: str, query: str = "") -> str | None:
    """The /v1 address of `/api{rest}` (with the query kept), or None when it has none."""
    for pattern, target in _LEGACY:
        m = pattern.fullmatch(rest)
        if m:
            url = target.format(**{k: quote(v, safe="") for k, v in m.groupdict().items()})
            return url + (("&" if "?" in url else "?") + query if query else "")
    return None


@route("/api/{rest:path}", http_method=["GET", "POST", "PUT", "PATCH", "DELETE"], operation_id="legacyRedirect",
       include_in_schema=False)
async def legacy_redirect(request: Request, rest: FromPath[str]) -> Response:
    """The old /api paths: 308 to their /v1 equivalent (a client keeps the method and the body)."""
    target = legacy_target(rest, request.url.query or "")
    if target is None:
        raise NotFoundException("Dit adres bestaat niet meer; de API staat onder /v1 (zie /v1/openapi.json).")
    return Redirect(target, status_code=308)


ROUTES = [legacy_redirect]
