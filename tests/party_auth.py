"""How the tests log in: API tokens made straight in the app's database (api/access/accounts.py), one per
party a request acts for (PartyAuth). Every HTTP test uses it; tests/api/test_access_matrix.py tests the
policy itself, role by role, without it."""
from __future__ import annotations

import base64
import json

import httpx

from ledger.entries import PARTY_RE

#: the roles a test's token of a party gets (api/access/policy.toml decides what they may do)
PARTY_ROLES = {"COMMITTEE": ("secretaris",), "OPERATOR": ("beheer",)}
#: who a test's client is when a request names no party of its own: the committee's secretary and an
#: auditor in one (they see every case and every party's entries); the access matrix tests the real roles
DEFAULT_CALLER = ("COMMITTEE", ("auditor", "secretaris"))


def roles_of(party: str) -> tuple[str, ...]:
    return PARTY_ROLES.get(party, ("regio",) if party.startswith("RG:") else ("finance", "regio"))


def token_for(access, party: str, roles: tuple[str, ...] | None = None) -> str:
    """A fresh API token of `party` (api/access/accounts.py), made straight in the server's database."""
    _rec, raw = access.issue_token(party, roles or roles_of(party), label="test", created_by="test")
    return raw


class PartyAuth(httpx.Auth):
    """The test client logs in as the party a request acts for: a submitted statement's author, a draft's
    `party`; otherwise as DEFAULT_CALLER. Tokens are made once per party, in the app's own database."""

    def __init__(self, access) -> None:
        self.access = access
        self.tokens: dict[tuple, str] = {}

    def token(self, party: str, roles: tuple[str, ...] | None = None) -> str:
        key = (party, roles or roles_of(party))
        if key not in self.tokens:
            self.tokens[key] = token_for(self.access, party, key[1])
        return self.tokens[key]

    def _acting(self, request: httpx.Request) -> str | None:
        if request.method == "POST" and request.url.path == "/v1/clienten/pseudoniemen":
            return "RG:ijssel-vecht"  # the intake is the region's
        if request.method != "POST" or not request.url.path.startswith(("/v1/grootboek/regels", "/v1/sleutels",
                                                                          "/v1/geschillen/concepten")):
            return None
        if request.url.path == "/v1/sleutels":
            return "OPERATOR"  # registrations are the operator's
        try:
            body = json.loads(request.content or b"{}")
        except (ValueError, RecursionError):  # the server refuses such a body itself
            return None
        if not isinstance(body, dict):
            return None
        if isinstance(body.get("party"), str):
            return body["party"] if PARTY_RE.match(body["party"]) else None
        items = body.get("entries") if isinstance(body.get("entries"), list) else [body]
        try:
            first = items[0]
            author = json.loads(base64.b64decode(first["statement"]))["author"]
            return author if isinstance(author, str) and PARTY_RE.match(author) else None
        except (LookupError, TypeError, ValueError, RecursionError):
            return None

    def auth_flow(self, request: httpx.Request):
        if "authorization" not in request.headers:
            acting = self._acting(request)
            token = self.token(acting) if acting else self.token(*DEFAULT_CALLER)
            request.headers["Authorization"] = f"Bearer {token}"
        yield request


def logged_in(client):
    """`client` (a TestClient of a started app) with PartyAuth: the way every HTTP test talks to the app."""
    client.auth = PartyAuth(client.app.state.access)
    return client


def token_in_database(url: str, party: str, roles: tuple[str, ...] | None = None, schema: str | None = None) -> str:
    """A token of `party` made in the database of a running `bwledger serve` (as `bwledger accounts token add`
    on the server's machine would), for the CLI's `--token` / BWLEDGER_TOKEN."""
    from api.access.accounts import AccessService
    from ledger.store import make_engine

    engine = make_engine(url, schema)
    try:
        return token_for(AccessService(engine), party, roles)
    finally:
        engine.dispose()


def with_token(args: list[str], tokens: dict[str, str]) -> list[str]:
    """A `bwledger ... --server URL` command line with `--token` of the party it acts for added (the one after
    `--as`; the operator for `keys register`), when `tokens` holds one and no token is given already."""
    if "--server" not in args or "--token" in args:
        return args
    party = OPERATOR_PARTY if args[:2] in (["keys", "register"], ["case", "book"]) else (
        args[args.index("--as") + 1] if "--as" in args else None)
    return [*args, "--token", tokens[party]] if party in tokens else args


OPERATOR_PARTY = "OPERATOR"
