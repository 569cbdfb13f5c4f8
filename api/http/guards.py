"""The one guard: every endpoint and page asks the access policy (api/access/policy.toml) through it.

`access_guard` runs before every handler of the app (it is the app's guard). It
1. names the operation (the handler's operationId; the static files and the OpenAPI document by name),
2. identifies the caller: a bearer token (`Authorization: Bearer bwt_...`, or an access token of the
   OpenID provider for machine clients), or the session cookie of a logged-in person, and counts the
   request against the rate limits (api/access/rate_limit.py: per caller and per client address, in the
   database, every request but the static files; beyond them 429 RATE_LIMITED with Retry-After),
3. resolves what the request is about (the `party` parameter; a case's participants and assignment),
4. asks `policy.decide` and answers its refusal: 401 (not logged in; a page redirects to /aanmelden),
   403 (the role may not do this), 404 (another party's data: as if it did not exist),
5. checks the CSRF token of every write that a session cookie authenticates (header `X-CSRF-Token` or
   form field `csrf`), and
6. leaves the caller on `request.state.caller` for the handler (`Caller.sees_party`, `require_party`) and
   for the audit (api/http/auditing.py records every audited operation, allowed or refused).

A token lets a caller in; it never signs for a party: every statement is still checked by the ledger.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import quote

import anyio
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.access import policy
from api.access.accounts import AccessError, AccessService, Session
from api.access.identity import Identity
from api.access.rate_limit import RATE_LIMITED, RequestLimit

SESSION_COOKIE = "bwsession"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FAILED = "CSRF_FAILED"
#: the login steps replace the session they come with, so they cannot carry its token (SameSite=Lax keeps a
#: cross-site form from sending the cookie along at all)
CSRF_EXEMPT = frozenset({"loginSubmit", "secondFactorSubmit"})
PARTY_NOT_OWN = "PARTY_NOT_OWN"


class AccessDenied(Exception):
    """A request the guard refuses; answered as problem+json, a Dutch page, or a redirect to the login."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


@dataclass(frozen=True)
class Caller:
    """Who is asking, and what the policy granted for this operation."""
    identity: Identity | None
    operation: str
    grant: str | None  # "public", "login", "own", "assigned", "any"
    via: str  # "session", "token", "none"
    session: Session | None = None
    assigned_cases: frozenset[str] = frozenset()
    allowed: bool = True

    @property
    def party(self) -> str | None:
        return self.identity.party if self.identity else None

    @property
    def username(self) -> str | None:
        subject = self.identity.subject if self.identity else ""
        return subject.removeprefix("account:") if subject.startswith("account:") else None

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""

    def sees_party(self, party: str | None) -> bool:
        """May the caller see data of `party` under this operation's grant?"""
        return self.grant == "any" or (self.grant == "own" and party is not None and party == self.party)

    def sees_case(self, case_id: str, participants) -> bool:
        if self.grant == "any":
            return True
        if self.grant == "assigned":
            return case_id in self.assigned_cases
        return self.grant == "own" and self.party in set(participants)

    def require_party(self, party: str | None, what: str = "deze verklaring") -> None:
        """For resource "self": the party a body names must be the caller's own (unless granted "any")."""
        if self.grant == "any":
            return
        if party != self.party:
            raise AccessDenied(403, PARTY_NOT_OWN, f"u handelt voor {self.party}, {what} is van {party}")


def operation_of(handler: BaseRouteHandler, path: str) -> str | None:
    """The policy key of a handler at `path` (the route's full path): its operationId; by name the ones
    litestar makes (the static files, the OpenAPI document, the automatic OPTIONS answers)."""
    if isinstance(handler.operation_id, str):
        return handler.operation_id
    if getattr(handler, "http_methods", None) == {"OPTIONS"}:
        return "options"
    if path.startswith("/static/"):
        return "static"
    if path == "/v1/openapi.json" or path.startswith("/v1/openapi.json/"):
        return "openapi"
    return None


def _access(connection: ASGIConnection) -> AccessService:
    return connection.app.state.access


def _bearer(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _identify(connection: ASGIConnection) -> tuple[Identity | None, str, Session | None]:
    """Who the caller is (blocking: it may read the database)."""
    access = _access(connection)
    raw = _bearer(connection)
    if raw is not None:
        settings = connection.app.state.settings
        if not raw.startswith("bwt_") and settings.oidc is not None and settings.oidc.api_audience:
            from api.access import oidc
            from api.access.errors import LoginRefused

            try:
                return oidc.identity_from_access_token(settings.oidc, raw), "token", None
            except LoginRefused as exc:
                raise AccessDenied(401, exc.code, exc.message) from None
        try:
            return access.token_identity(raw), "token", None
        except AccessError as exc:
            raise AccessDenied(401, exc.code, exc.message) from None
    session = access.session(connection.cookies.get(SESSION_COOKIE))
    if session is not None:
        return session.identity, "session", session
    return None, "none", None


async def _identified(connection: ASGIConnection) -> tuple[Identity | None, str, Session | None]:
    """`_identify`, on the event loop when the token's identity is in the access service's cache (no
    database), else in a worker thread."""
    raw = _bearer(connection)
    if raw is not None:
        try:
            known = _access(connection).cached_token_identity(raw)
        except AccessError as exc:
            raise AccessDenied(401, exc.code, exc.message) from None
        if known is not None:
            return known, "token", None
    return await anyio.to_thread.run_sync(_identify, connection)


def _case_participants(connection: ASGIConnection, case_id: str) -> frozenset[str]:
    """The parties of a case (none when there is no such case); its client is left for the audit."""
    from api import compose
    from cases.errors import CaseError

    try:
        view = compose.case(connection.app.state.store, case_id)
    except CaseError:
        return frozenset()
    connection.state.audit_client = view.client
    return frozenset(view.parties.participants())


def _about(connection: ASGIConnection, rule: policy.Rule | None, identity: Identity | None,
           assigned: frozenset[str]) -> policy.About:
    if rule is None or identity is None or rule.resource in ("none", "self", "list"):
        return policy.About()
    params = {**connection.query_params.dict(), **connection.path_params}
    if rule.resource == "party":
        party = params.get("party") or params.get("partij")
        party = party[0] if isinstance(party, list) else party
        return policy.About(frozenset({party.strip()}) if party and str(party).strip() else None)
    case_id = str(params.get("case_id", ""))
    return policy.About(_case_participants(connection, case_id), assigned=case_id in assigned)


#: the operations not counted by the rate limits: the style sheet and images of every page
NOT_RATE_LIMITED = frozenset({"static"})


async def _rate_limit(connection: ASGIConnection, operation: str | None, identity: Identity | None) -> None:
    """Count the request once per caller and once per address (a refused identification counts for its
    address); AccessDenied 429 RATE_LIMITED beyond either limit. The counts of concurrent requests go to
    the database together (the app's `rate_commits` group commit over RequestLimit.check_many)."""
    if operation in NOT_RATE_LIMITED:
        return
    commits = getattr(connection.app.state, "rate_commits", None)
    if commits is None or getattr(connection.app.state, "rate_limit", None) is None:
        return
    address = connection.client.host if connection.client else None
    wait = await commits.submit((identity.subject if identity is not None else None, address))
    if wait is not None:
        raise AccessDenied(429, RATE_LIMITED, RequestLimit.message(wait), retry_after=wait)


def _reads_database(rule: policy.Rule | None, identity: Identity | None) -> bool:
    """Whether `_judge` reads the database for this request: a committee member's assigned cases, a case's
    participants."""
    if identity is None:
        return False
    if "commissielid" in identity.roles and identity.subject.startswith("account:"):
        return True
    return rule is not None and rule.resource not in ("none", "self", "list", "party")


def _judge(connection: ASGIConnection, operation: str | None, rule: policy.Rule | None, identity: Identity | None,
           via: str, session: Session | None) -> Caller:
    """The policy's decision on an identified caller (reads the database when `_reads_database`)."""
    assigned = frozenset()
    if identity is not None and "commissielid" in identity.roles and identity.subject.startswith("account:"):
        assigned = frozenset(_access(connection).assigned_cases(identity.subject.removeprefix("account:")))
    decision = policy.decide(rule, identity, _about(connection, rule, identity, assigned))
    caller = Caller(identity, operation or "", decision.grant, via, session, assigned, decision.allowed)
    connection.state.caller = caller
    if not decision.allowed:
        raise AccessDenied(decision.status, decision.code, decision.message)
    return caller


async def _decide(connection: ASGIConnection, operation: str | None) -> Caller:
    """Identify, count and judge; the blocking parts off the event loop, and none at all for a cached token
    on an operation whose decision needs no database."""
    try:
        identity, via, session = await _identified(connection)
    except AccessDenied:
        await _rate_limit(connection, operation, None)
        raise
    await _rate_limit(connection, operation, identity)
    rule = policy.rule(operation)
    if _reads_database(rule, identity):
        return await anyio.to_thread.run_sync(_judge, connection, operation, rule, identity, via, session)
    return _judge(connection, operation, rule, identity, via, session)


async def access_guard(connection: ASGIConnection, route_handler: BaseRouteHandler) -> None:
    path = connection.scope.get("path_template") or connection.scope["path"]
    caller = await _decide(connection, operation_of(route_handler, path))
    if caller.via == "session" and connection.scope.get("method", "GET") not in SAFE_METHODS \
            and caller.operation not in CSRF_EXEMPT:
        sent = connection.headers.get(CSRF_HEADER)
        if sent is None and isinstance(connection, Request):
            form = await connection.form()
            sent = form.get(CSRF_FIELD)
        if not sent or not hmac.compare_digest(str(sent), caller.csrf):
            raise AccessDenied(403, CSRF_FAILED, "het formulier is verlopen of komt niet van deze site; "
                                                 "laad de pagina opnieuw")


def caller_of(request: Request) -> Caller:
    """The caller the guard left for this request (a dependency of handlers that filter)."""
    return request.state.caller


def login_redirect(path: str) -> str:
    return "/aanmelden?terug=" + quote(path, safe="/")
