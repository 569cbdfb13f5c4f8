"""Login through an OpenID provider: `GET /login/oidc` (to the provider) and `GET /login/oidc/callback`.

Thin handlers over `api.access.oidc`; mounted by `create_app` when BWLEDGER_OIDC_ISSUER is set.
`routes(on_identity)` lets the session layer decide what a login yields: by default the callback answers
the mapped identity as JSON (no session yet). The `bw_oidc` cookie that carries the login in progress is
`Secure; HttpOnly; SameSite=Lax` (Lax: the provider sends the browser back with a top-level GET), scoped
to /login/oidc, and cleared by the callback whatever its outcome.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.response import Redirect

from api.http.camel import Json
from api.access import oidc
from api.access.errors import LoginRefused
from api.access.identity import Identity
from api.http.problems import problem
from api.http.routes_api import in_thread
from api.settings import Settings

COOKIE_PATH = "/login/oidc"
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def _cookie(value: str, max_age: int) -> Cookie:
    return Cookie(key=oidc.TRANSACTION_COOKIE, value=value, path=COOKIE_PATH, max_age=max_age, secure=True,
                  httponly=True, samesite="lax")


def _cleared() -> Cookie:
    return _cookie("", 0)


def _refused(request: Request, exc: LoginRefused) -> Response:
    response = problem(request, exc.status, exc.code, exc.message, title="Aanmelden geweigerd", headers=NO_STORE)
    response.cookies.append(_cleared())
    return response


async def answer_identity(request: Request, identity: Identity) -> Response:
    """The default outcome of a login: the identity itself (the session layer replaces this)."""
    return Json(content=identity.to_dict(), headers=NO_STORE)


def routes(on_identity: Callable[[Request, Identity], Awaitable[Response]] = answer_identity) -> list:
    """The two handlers; `on_identity(request, identity)` makes the callback's answer (e.g. a session)."""

    @get("/login/oidc", operation_id="oidcLogin", name="oidc_login", include_in_schema=False)
    async def login(request: Request) -> Response:
        """Start a login: redirect to the provider with a fresh state, nonce and PKCE challenge."""
        settings: Settings = request.app.state.settings
        try:
            key = await in_thread(oidc.transaction_key, settings.keys_dir)
            start = await in_thread(oidc.start_login, settings.oidc, key)
        except LoginRefused as exc:
            return _refused(request, exc)
        return Redirect(start.url, status_code=303, headers=NO_STORE,
                        cookies=[_cookie(start.cookie, oidc.TRANSACTION_SECONDS)])

    @get("/login/oidc/callback", operation_id="oidcCallback", name="oidc_callback", include_in_schema=False)
    async def callback(request: Request) -> Response:
        """The provider's answer: check state, exchange the code, validate the ID token, map the claims."""
        settings: Settings = request.app.state.settings
        query = request.query_params
        if any(len(query.getall(k)) > 1 for k in set(query.keys())):  # RFC 6749 3.1: each parameter once
            return _refused(request, LoginRefused("OIDC_STATE_INVALID", "het antwoord van de identity provider "
                                                                        "noemt een parameter meer dan eens"))
        params = {k: query.get(k) for k in set(query.keys())}
        try:
            key = await in_thread(oidc.transaction_key, settings.keys_dir)
            identity = await in_thread(oidc.finish_login, settings.oidc, key,
                                       request.cookies.get(oidc.TRANSACTION_COOKIE), params)
        except LoginRefused as exc:
            return _refused(request, exc)
        response = await on_identity(request, identity)
        response.cookies.append(_cleared())
        return response

    return [login, callback]
