"""Login and logout on the pages: local accounts (password, then the TOTP code for the roles that need
it), a session for an OpenID login, and `GET /v1/ik`. Thin handlers over api/access/accounts.py.

The session cookie `bwsession` is `Secure; HttpOnly; SameSite=Lax; Path=/`: Lax so that the OpenID
provider's redirect back lands logged in; the forms that write carry the session's CSRF token besides.
Login attempts are counted per address and per user name in the database (every worker shares them):
beyond the limit the answer is 429 with Retry-After.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from api.access.accounts import SESSION_SECONDS, AccessError, AccessService
from api.access.identity import Identity
from api.http.guards import SESSION_COOKIE, Caller
from api.http.routes_api import in_thread

NO_STORE = {"cache-control": "no-store"}
#: login attempts per address and per user name within LOGIN_WINDOW seconds
LOGIN_LIMIT_ADDRESS, LOGIN_LIMIT_USER, LOGIN_WINDOW = 20, 8, 300


def _cookie(value: str, max_age: int) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value=value, path="/", max_age=max_age, secure=True, httponly=True,
                  samesite="lax")


def _back(terug: str | None) -> str:
    """Only a path on this site (never `//other` or `https://other`): no open redirect."""
    if not terug or not terug.startswith("/") or terug.startswith("//") or urlsplit(terug).netloc:
        return "/"
    return terug


def _form(name: str, status: int = 200, **context) -> Template:
    return Template(template_name=name, status_code=status, media_type=MediaType.HTML, headers=NO_STORE,
                    context={"actief": "aanmelden", **context})


def _to(path: str, session_cookie: str, max_age: int) -> Response:
    return Redirect(path, status_code=303, headers=NO_STORE, cookies=[_cookie(session_cookie, max_age)])


@dataclass
class LoginForm:
    gebruiker: str = ""
    wachtwoord: str = ""
    terug: str = "/"


@dataclass
class CodeForm:
    code: str = ""
    terug: str = "/"


def _limited(access: AccessService, request: Request, user: str) -> int | None:
    address = request.client.host if request.client else "onbekend"
    wait = access.hit(f"login:addr:{address}", limit=LOGIN_LIMIT_ADDRESS, window_seconds=LOGIN_WINDOW)
    wait_user = access.hit(f"login:user:{user.strip().lower()[:100]}", limit=LOGIN_LIMIT_USER,
                           window_seconds=LOGIN_WINDOW)
    return wait or wait_user


@get("/aanmelden", operation_id="loginForm", include_in_schema=False)
async def login_form(terug: FromQuery[str | None] = None) -> Template:
    return _form("aanmelden.html", terug=_back(terug), gebruiker="")


@post("/aanmelden", operation_id="loginSubmit", include_in_schema=False)
async def login_submit(request: Request, access: NamedDependency[AccessService],
                       data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Response:
    terug = _back(data.terug)
    wait = await in_thread(_limited, access, request, data.gebruiker)
    if wait:
        r = _form("aanmelden.html", 429, terug=terug, gebruiker=data.gebruiker, code="RATE_LIMITED",
                  fout=f"Te veel pogingen. Probeer het over {wait} seconden opnieuw.")
        r.headers["retry-after"] = str(wait)
        return r
    try:
        session, cookie = await in_thread(access.login, data.gebruiker, data.wachtwoord)
    except AccessError as exc:
        return _form("aanmelden.html", 401, terug=terug, gebruiker=data.gebruiker, fout=exc.message, code=exc.code)
    if session.stage == "totp":
        return _to("/aanmelden/code?terug=" + terug, cookie, 300)
    return _to(terug, cookie, SESSION_SECONDS)


@get("/aanmelden/code", operation_id="secondFactorForm", include_in_schema=False)
async def code_form(terug: FromQuery[str | None] = None) -> Template:
    return _form("aanmelden-code.html", terug=_back(terug))


@post("/aanmelden/code", operation_id="secondFactorSubmit", include_in_schema=False)
async def code_submit(request: Request, access: NamedDependency[AccessService],
                      data: Annotated[CodeForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Response:
    terug = _back(data.terug)
    pending = request.cookies.get(SESSION_COOKIE)
    wait = await in_thread(_limited, access, request, f"code:{(pending or '')[:16]}")
    if wait:
        r = _form("aanmelden-code.html", 429, terug=terug, code="RATE_LIMITED",
                  fout=f"Te veel pogingen. Probeer het over {wait} seconden opnieuw.")
        r.headers["retry-after"] = str(wait)
        return r
    try:
        _session, cookie = await in_thread(access.second_factor, pending, data.code)
    except AccessError as exc:
        if exc.code == "NOT_AUTHENTICATED":
            return Redirect("/aanmelden?terug=" + terug, status_code=303, headers=NO_STORE)
        return _form("aanmelden-code.html", 401, terug=terug, fout=exc.message, code=exc.code)
    return _to(terug, cookie, SESSION_SECONDS)


@post("/afmelden", operation_id="logout", include_in_schema=False)
async def logout(request: Request, access: NamedDependency[AccessService]) -> Response:
    """Ends the session on the server (not only the cookie). Needs the session's CSRF token when logged in."""
    await in_thread(access.logout, request.cookies.get(SESSION_COOKIE))
    return Redirect("/aanmelden", status_code=303, headers=NO_STORE, cookies=[_cookie("", 0)])


@get("/v1/ik", operation_id="whoAmI")
async def who_am_i(caller: NamedDependency[Caller]) -> dict:
    """The caller's identity (party, roles, how it logged in) and, for a session, its CSRF token."""
    return {**caller.identity.to_dict(), "via": caller.via, **({"csrf": caller.csrf} if caller.session else {})}


async def session_for_identity(request: Request, identity: Identity) -> Response:
    """The outcome of an OpenID login (api/http/routes_oidc.py): a new session, then the start page."""
    access: AccessService = request.app.state.access
    _session, cookie = await in_thread(access.login_identity, identity)
    return _to("/", cookie, SESSION_SECONDS)


ROUTES = [login_form, login_submit, code_form, code_submit, logout, who_am_i]
