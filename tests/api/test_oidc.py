"""OIDC login against a real OpenID provider (panva's oidc-provider, node) over TLS with a test CA, and
`bwledger serve` itself over TLS, so the cookie flags and HSTS are tested as deployed. Never skipped:
without `make oidc` the fixture fails with a clear message."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from litestar.testing import TestClient
from oidc_helpers import (API_AUDIENCE, CLIENT_ID, MACHINE_ID, MACHINE_SECRET, PROVIDER_NAME, Provider, Tls,
                          TlsServer, browser, oidc_env, provider_login)

from api.access import oidc
from api.access.errors import LoginRefused
from api.access.identity import ROLES
from api.access.oidc_claims import identity_from_claims
from api.http import create_app
from api.settings import load_oidc_settings, load_settings
from api_helpers import assert_problem, free_port, sqlite_settings


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oidc")
    tls = Tls.make(folder)
    port = free_port()
    provider = Provider(folder, tls, f"https://127.0.0.1:{port}")
    home = folder / "home"
    home.mkdir()
    try:
        server = TlsServer(home, tls, port, provider)
    except BaseException:
        provider.close()
        raise
    yield tls, provider, server
    rc = server.stop()
    out = server.output()
    server.close()
    provider.close()
    assert rc == 0 and "Traceback" not in out, out


def _cookie_attrs(set_cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in set_cookie.split(";")]
    return {k.lower(): v for k, _, v in (p.partition("=") for p in parts[1:])}


def _start(b, server):
    r = b.get(server.url + "/login/oidc")
    assert r.status_code == 303, r.text
    return r


def _login(harness, user, password=None):
    tls, provider, server = harness
    with browser(tls) as b:
        start = _start(b, server)
        back = provider_login(b, start.headers["location"], provider.issuer, user, password)
        assert isinstance(back, str) and back.startswith(server.url + "/login/oidc/callback?"), back
        r = b.get(back)
        r.me = b.get(server.url + "/v1/ik") if r.status_code == 303 else None  # the session it made
        return start, r


def test_a_user_logs_in_and_gets_party_and_roles(harness):
    tls, provider, server = harness
    start, r = _login(harness, "anna")
    # the start: to the provider's authorization endpoint with PKCE S256, state and nonce
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert start.headers["location"].startswith(provider.issuer + "/auth?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32 and query["client_id"] == [CLIENT_ID]
    (cookie,) = start.headers.get_list("set-cookie")
    attrs = _cookie_attrs(cookie)
    assert cookie.startswith(oidc.TRANSACTION_COOKIE + "=")
    assert {"secure", "httponly"} <= attrs.keys() and attrs["samesite"].lower() == "lax", cookie
    assert attrs["path"] == "/login/oidc" and attrs["max-age"] == "600"
    assert query["state"][0] not in cookie and query["nonce"][0] not in cookie  # sealed, not readable
    assert start.headers["strict-transport-security"].startswith("max-age=31536000")
    # the callback: a new server-side session for the mapped identity, the transaction cookie cleared, HSTS
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")
    cookies = {c.split("=", 1)[0]: _cookie_attrs(c) for c in r.headers.get_list("set-cookie")}
    attrs = cookies[oidc.TRANSACTION_COOKIE]
    assert attrs["max-age"] == "0" and "secure" in attrs and "httponly" in attrs
    session = cookies["bwsession"]
    assert {"secure", "httponly"} <= session.keys() and session["samesite"].lower() == "lax" and session["path"] == "/"
    me = r.me.json()
    assert {k: me[k] for k in ("subject", "party", "roles", "provider", "via")} == {
        "subject": "anna", "party": "GM0166", "roles": ["finance", "regio"], "provider": PROVIDER_NAME,
        "via": "session"}
    assert len(me["csrf"]) >= 32


def test_a_party_the_provider_may_not_assert_is_refused(harness):
    _, r = _login(harness, "bert")  # GM0193: not in BWLEDGER_OIDC_PARTIES
    body = assert_problem(r, 403, "OIDC_PARTY_NOT_ALLOWED")
    assert "GM0193" in body["detail"] and "mag niet aanmelden" in body["detail"]
    assert _cookie_attrs(r.headers["set-cookie"])["max-age"] == "0"


def test_an_unknown_role_and_no_roles_are_refused(harness):
    _, r = _login(harness, "carla")
    assert "kok" in assert_problem(r, 403, "OIDC_ROLE_UNKNOWN")["detail"]
    _, r = _login(harness, "dirk")
    assert_problem(r, 403, "OIDC_ROLES_MISSING")


def test_a_refusal_is_a_dutch_page_for_a_browser(harness):
    tls, provider, server = harness
    with browser(tls) as b:
        back = provider_login(b, _start(b, server).headers["location"], provider.issuer, "bert")
        r = b.get(back, headers={"accept": "text/html"})
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "mag niet aanmelden voor partij GM0193" in r.text and "OIDC_PARTY_NOT_ALLOWED" in r.text


def test_a_wrong_password_never_reaches_the_app(harness):
    tls, provider, server = harness
    with browser(tls) as b:
        r = provider_login(b, _start(b, server).headers["location"], provider.issuer, "anna", "fout")
    assert isinstance(r, httpx.Response) and r.status_code == 401


def test_a_bad_state_is_refused(harness):
    tls, provider, server = harness
    with browser(tls) as b:
        back = provider_login(b, _start(b, server).headers["location"], provider.issuer, "anna")
        forged = back.replace("state=", "state=x")
        assert_problem(b.get(forged), 400, "OIDC_STATE_INVALID")
    # the right answer in another browser (no transaction cookie: a login CSRF attempt)
    with browser(tls) as b:
        back = provider_login(b, _start(b, server).headers["location"], provider.issuer, "anna")
    with browser(tls) as other:
        assert_problem(other.get(back), 400, "OIDC_STATE_INVALID")
        _start(other, server)  # a login of its own: still not this answer's state
        assert_problem(other.get(back), 400, "OIDC_STATE_INVALID")
    # a parameter given twice
    with browser(tls) as b:
        back = provider_login(b, _start(b, server).headers["location"], provider.issuer, "anna")
        query = parse_qs(urlsplit(back).query)
        assert_problem(b.get(back + "&state=" + query["state"][0]), 400, "OIDC_STATE_INVALID")


def test_a_bad_nonce_is_refused(harness):
    """The transaction sealed with the deployment's key but a nonce other than the one sent: the real
    provider's ID token carries the sent nonce, so the login is refused."""
    tls, provider, server = harness
    key = oidc.transaction_key(server.home / "keys")
    with browser(tls) as b:
        start = _start(b, server)
        sealed = oidc._unseal(key, b.cookies[oidc.TRANSACTION_COOKIE], time.time())
        back = provider_login(b, start.headers["location"], provider.issuer, "anna")
        b.cookies.clear()
        b.cookies.set(oidc.TRANSACTION_COOKIE, oidc._seal(key, {**sealed, "n": "another-nonce"}),
                      domain="127.0.0.1", path="/login/oidc")
        assert_problem(b.get(back), 401, "OIDC_NONCE_INVALID")


def test_an_answer_is_used_once_and_an_abort_is_refused(harness):
    tls, provider, server = harness
    with browser(tls) as b:
        back = provider_login(b, _start(b, server).headers["location"], provider.issuer, "anna")
        saved = b.cookies[oidc.TRANSACTION_COOKIE]
        assert b.get(back).status_code == 303  # logged in
        assert_problem(b.get(back), 400, "OIDC_STATE_INVALID")  # the cookie was cleared
        b.cookies.set(oidc.TRANSACTION_COOKIE, saved, domain="127.0.0.1", path="/login/oidc")
        assert_problem(b.get(back), 401, "OIDC_LOGIN_REFUSED")  # the provider refuses the code again
    with browser(tls) as b:
        back = provider_login(b, _start(b, server).headers["location"], provider.issuer, "anna", abort=True)
        assert "error=access_denied" in back
        assert_problem(b.get(back), 401, "OIDC_LOGIN_REFUSED")


def test_the_id_token_is_checked(harness):
    """A real ID token (this test as the client): signature, audience, expiry and nonce."""
    tls, provider, server = harness
    cfg = load_oidc_settings(oidc_env(provider.issuer, tls, server.url))
    start = oidc.start_login(cfg, b"k" * 32)
    sealed = oidc._unseal(b"k" * 32, start.cookie, time.time())
    with browser(tls) as b:
        back = provider_login(b, start.url, provider.issuer, "anna")
    tokens = oidc._exchange(cfg, parse_qs(urlsplit(back).query)["code"][0], sealed["v"])
    id_token, at = tokens["id_token"], tokens["access_token"]
    claims = oidc.verify_id_token(cfg, id_token, sealed["n"], at)
    assert claims["sub"] == "anna" and claims["aud"] == CLIENT_ID and claims["bw_party"] == "GM0166"
    refusals = {
        "nonce": lambda: oidc.verify_id_token(cfg, id_token, "other", at),
        "expired": lambda: oidc.verify_id_token(cfg, id_token, sealed["n"], at, now=time.time() + 3600),
        "audience": lambda: oidc.verify_id_token(load_oidc_settings({**oidc_env(provider.issuer, tls, server.url),
                                                                     "BWLEDGER_OIDC_CLIENT_ID": "someone-else"}),
                                                 id_token, sealed["n"], at),
        "signature": lambda: oidc.verify_id_token(cfg, _tampered(id_token), sealed["n"], at),
        "malformed": lambda: oidc.verify_id_token(cfg, "not-a-jwt", sealed["n"], at),
    }
    codes = {}
    for name, call in refusals.items():
        with pytest.raises(LoginRefused) as exc:
            call()
        codes[name] = exc.value.code
    assert codes == {"nonce": "OIDC_NONCE_INVALID", "expired": "OIDC_TOKEN_INVALID", "audience": "OIDC_TOKEN_INVALID",
                     "signature": "OIDC_TOKEN_INVALID",
                     "malformed": "OIDC_TOKEN_INVALID"}
    # an ID token is no access token for the API
    with pytest.raises(LoginRefused, match="at\\+jwt"):
        oidc.identity_from_access_token(cfg, id_token)


def _tampered(token: str) -> str:
    import base64
    import json

    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["bw_party"] = "GM0148"
    return ".".join([head, base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode(), sig])


def test_a_machine_client_gets_an_identity_from_client_credentials(harness):
    tls, provider, server = harness
    cfg = load_oidc_settings(oidc_env(provider.issuer, tls, server.url))
    r = httpx.post(provider.issuer + "/token", data={"grant_type": "client_credentials", "scope": "bw",
                                                     "resource": API_AUDIENCE},
                   auth=(MACHINE_ID, MACHINE_SECRET), verify=tls.context())
    assert r.status_code == 200, r.text
    identity = oidc.identity_from_access_token(cfg, r.json()["access_token"])
    assert identity.to_dict() == {"subject": MACHINE_ID, "party": "GM0166", "roles": ["finance"],
                                  "provider": PROVIDER_NAME}
    with pytest.raises(LoginRefused) as exc:
        oidc.identity_from_access_token(cfg, r.json()["access_token"], now=time.time() + 3600)
    assert exc.value.code == "OIDC_TOKEN_INVALID"
    # through the guard of the real server: the machine reads its own party's entries, not another's
    bearer = {"authorization": f"Bearer {r.json()['access_token']}"}
    forged = {"authorization": f"Bearer {_tampered(r.json()['access_token'])}"}
    with httpx.Client(base_url=server.url, verify=tls.context(), timeout=10) as api:
        assert api.get("/v1/grootboek/regels", params={"party": "GM0166"}, headers=bearer).status_code == 200
        assert api.get("/v1/grootboek/regels", params={"party": "GM0193"}, headers=bearer).status_code == 404
        assert api.get("/v1/grootboek/controle", headers=bearer).json()["code"] == "ROLE_NOT_ALLOWED"
        assert api.get("/v1/grootboek/regels", params={"party": "GM0166"}).status_code == 401
        assert api.get("/v1/grootboek/regels", params={"party": "GM0148"}, headers=forged).status_code == 401


def test_tls_to_the_provider_trusts_only_the_configured_ca(harness):
    tls, provider, server = harness
    env = {k: v for k, v in oidc_env(provider.issuer, tls, server.url).items() if k != "BWLEDGER_OIDC_CA_BUNDLE"}
    oidc.forget_providers()
    with pytest.raises(LoginRefused) as exc:
        oidc.start_login(load_oidc_settings(env), b"k" * 32)
    assert exc.value.code == "OIDC_PROVIDER_UNAVAILABLE" and exc.value.status == 502


# --- without a provider: the mapping table, the settings, HSTS only over TLS --------------------------------

def _cfg(**env):
    base = {"BWLEDGER_OIDC_ISSUER": "https://idp.example.nl", "BWLEDGER_OIDC_CLIENT_ID": "bw",
            "BWLEDGER_OIDC_CLIENT_SECRET": "s", "BWLEDGER_OIDC_REDIRECT_URL": "https://bw.example.nl/login/oidc/callback",
            "BWLEDGER_OIDC_PARTIES": "GM0166, gm0148"}
    return load_oidc_settings({**base, **env})


@pytest.mark.parametrize("claims, env, outcome", [
    ({"sub": "u", "bw_party": "GM0166", "bw_roles": ["finance"]}, {}, ("GM0166", {"finance"})),
    ({"sub": "u", "bw_party": "gm0148", "bw_roles": "regio finance"}, {}, ("GM0148", {"regio", "finance"})),
    ({"sub": "u", "org": "GM0166", "groups": ["BW-Fin"]},
     {"BWLEDGER_OIDC_PARTY_CLAIM": "org", "BWLEDGER_OIDC_ROLES_CLAIM": "groups",
      "BWLEDGER_OIDC_ROLE_MAP": "BW-Fin=finance,BW-Audit=auditor"}, ("GM0166", {"finance"})),
    ({"sub": "u", "groups": ["finance"], "org": "GM0166"},
     {"BWLEDGER_OIDC_PARTY_CLAIM": "org", "BWLEDGER_OIDC_ROLES_CLAIM": "groups",
      "BWLEDGER_OIDC_ROLE_MAP": "BW-Fin=finance"}, "OIDC_ROLE_UNKNOWN"),  # with a map, only mapped names
    ({"sub": "u", "bw_party": "GM0193", "bw_roles": ["finance"]}, {}, "OIDC_PARTY_NOT_ALLOWED"),
    ({"sub": "u", "bw_roles": ["finance"]}, {}, "OIDC_PARTY_MISSING"),
    ({"sub": "u", "bw_party": ["GM0166"], "bw_roles": ["finance"]}, {}, "OIDC_PARTY_MISSING"),
    ({"sub": "u", "bw_party": "GM0166"}, {}, "OIDC_ROLES_MISSING"),
    ({"sub": "u", "bw_party": "GM0166", "bw_roles": [1]}, {}, "OIDC_ROLES_MISSING"),
    ({"sub": "u", "bw_party": "GM0166", "bw_roles": ["finance", "root"]}, {}, "OIDC_ROLE_UNKNOWN"),
    ({"bw_party": "GM0166", "bw_roles": ["finance"]}, {}, "OIDC_TOKEN_INVALID"),
])
def test_the_claim_mapping(claims, env, outcome):
    cfg = _cfg(**env)
    if isinstance(outcome, str):
        with pytest.raises(LoginRefused) as exc:
            identity_from_claims(claims, cfg)
        assert exc.value.code == outcome and exc.value.status in (401, 403)
    else:
        identity = identity_from_claims(claims, cfg)
        assert (identity.party, set(identity.roles)) == outcome and set(identity.roles) <= ROLES
        assert identity.provider == "https://idp.example.nl"


def test_the_oidc_settings():
    assert load_settings({}).oidc is None
    cfg = _cfg()
    assert cfg.parties == {"GM0166", "GM0148"} and cfg.scopes == ("openid",) and cfg.ca_bundle is None
    with pytest.raises(ValueError, match="BWLEDGER_OIDC_CLIENT_SECRET"):
        _cfg(BWLEDGER_OIDC_CLIENT_SECRET="")
    with pytest.raises(ValueError, match="https"):
        _cfg(BWLEDGER_OIDC_REDIRECT_URL="http://bw.example.nl/login/oidc/callback")
    with pytest.raises(ValueError, match="ROLE_MAP"):
        _cfg(BWLEDGER_OIDC_ROLE_MAP="finance")


def test_hsts_only_over_tls_and_no_login_routes_without_a_provider(tmp_path):
    with TestClient(create_app(sqlite_settings(tmp_path))) as c:
        assert "strict-transport-security" not in c.get("/v1/gezondheid").headers
        assert c.get("/login/oidc", follow_redirects=False).status_code == 404
    with TestClient(create_app(sqlite_settings(tmp_path)), base_url="https://testserver.local") as c:
        assert c.get("/v1/gezondheid").headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
