"""Accounts, login and tokens as their users meet them (api/access/accounts.py, api/http/routes_login.py,
the guard): login and logout, the second factor, session expiry and rotation, CSRF, a disabled account,
an expired and a revoked token, the login rate limit, the policy table's own checks, `bwledger accounts`."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from api_helpers import sqlite_settings
from litestar.testing import TestClient
from typer.testing import CliRunner

from api.access import policy, totp
from api.access.accounts import AccessError
from api.cli import app as cli_app
from api.http import create_app

PASSWORD = "een lang genoeg wachtwoord"


class Clock:
    """The access service's clock, moved by the test (sessions and tokens expire by it)."""

    def __init__(self, real):
        self.real, self.offset = real, timedelta(0)

    def __call__(self):
        return self.real() + self.offset


@pytest.fixture
def site(tmp_path):
    with TestClient(create_app(sqlite_settings(tmp_path)), base_url="https://testserver.local") as c:
        clock = Clock(c.app.state.access.clock)
        c.app.state.access.clock = clock
        c.clock = clock
        yield c


def _login(c, user, password=PASSWORD, terug="/"):
    return c.post("/aanmelden", data={"gebruiker": user, "wachtwoord": password, "terug": terug},
                  follow_redirects=False)


def test_login_logout_and_the_cookie(site):
    site.app.state.access.add_account("fin@kampen.nl", "GM0166", ["finance"], password=PASSWORD)
    assert site.get("/v1/ik").status_code == 401
    r = _login(site, "fin@kampen.nl", terug="/verrekening")
    assert r.status_code == 303 and r.headers["location"] == "/verrekening"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("bwsession=") and all(f in cookie for f in ("HttpOnly", "Secure", "SameSite=lax",
                                                                          "Path=/"))
    me = site.get("/v1/ik").json()
    assert (me["party"], me["roles"], me["via"]) == ("GM0166", ["finance"], "session")
    # logging out needs the session's CSRF token, and ends the session on the server
    assert site.post("/afmelden", data={}).json()["code"] == "CSRF_FAILED"
    assert site.post("/afmelden", data={"csrf": me["csrf"]}, follow_redirects=False).status_code == 303
    assert site.get("/v1/ik").status_code == 401


def test_a_wrong_password_an_unknown_user_and_a_disabled_account_read_the_same(site):
    access = site.app.state.access
    access.add_account("fin@kampen.nl", "GM0166", ["finance"], password=PASSWORD)
    answers = [_login(site, "fin@kampen.nl", "fout wachtwoord"), _login(site, "niemand@kampen.nl")]
    _login(site, "fin@kampen.nl")
    assert site.get("/v1/ik").status_code == 200
    access.disable_account("fin@kampen.nl")
    assert site.get("/v1/ik").status_code == 401  # its sessions end at once
    answers.append(_login(site, "fin@kampen.nl"))
    for r in answers:
        assert r.status_code == 401 and "onbekende gebruiker of onjuist wachtwoord" in r.text and "LOGIN_FAILED" in r.text


def test_the_second_factor_is_asked_used_once_and_the_session_is_rotated(site):
    made = site.app.state.access.add_account("lid@commissie.nl", "COMMITTEE", ["commissielid"], password=PASSWORD)
    assert made.totp_secret and made.totp_uri.startswith("otpauth://totp/bwledger%3Alid%40commissie.nl?secret=")
    r = _login(site, "lid@commissie.nl")
    assert r.status_code == 303 and r.headers["location"] == "/aanmelden/code?terug=/"
    pending = site.cookies["bwsession"]
    assert site.get("/v1/ik").status_code == 401  # the password alone is not a login
    wrong = site.post("/aanmelden/code", data={"code": "000000" if totp.code_at(made.totp_secret, time.time())
                                               != "000000" else "111111"})
    assert wrong.status_code == 401 and "SECOND_FACTOR_FAILED" in wrong.text
    code = totp.code_at(made.totp_secret, time.time())
    assert site.post("/aanmelden/code", data={"code": code}, follow_redirects=False).status_code == 303
    assert site.cookies["bwsession"] != pending  # a new session id at the login (no session fixation)
    assert site.get("/v1/ik").json()["roles"] == ["commissielid"]
    # the same code a second time is refused (RFC 6238 5.2), even in a new login
    site.cookies.clear()
    _login(site, "lid@commissie.nl")
    again = site.post("/aanmelden/code", data={"code": code})
    assert again.status_code == 401 and "al gebruikt" in again.text


def test_a_second_factor_of_other_digits_is_refused_not_a_fault(site):
    """'²²²²²²' passed str.isdigit and hmac.compare_digest raised TypeError on it (500)."""
    site.app.state.access.add_account("lid@commissie.nl", "COMMITTEE", ["commissielid"], password=PASSWORD)
    _login(site, "lid@commissie.nl")
    for code in ("²²²²²²", "١٢٣٤٥٦"):
        r = site.post("/aanmelden/code", data={"code": code})
        assert r.status_code == 401 and "SECOND_FACTOR_FAILED" in r.text, r.text[:300]


def test_a_session_expires(site):
    site.app.state.access.add_account("fin@kampen.nl", "GM0166", ["finance"], password=PASSWORD)
    _login(site, "fin@kampen.nl")
    assert site.get("/v1/ik").status_code == 200
    site.clock.offset = timedelta(hours=8, seconds=1)
    assert site.get("/v1/ik").status_code == 401


def test_a_write_by_session_needs_its_csrf_token(site):
    site.app.state.access.add_account("regio@kampen.nl", "GM0166", ["regio"], password=PASSWORD)
    _login(site, "regio@kampen.nl")
    csrf = site.get("/v1/ik").json()["csrf"]
    body = {"party": "GM0166", "action": "open"}
    r = site.post("/v1/geschillen/concepten", json=body)
    assert r.status_code == 403 and r.json()["code"] == "CSRF_FAILED"
    r = site.post("/v1/geschillen/concepten", json=body, headers={"x-csrf-token": ("A" if csrf[0] != "A" else "B") + csrf[1:]})
    assert r.json()["code"] == "CSRF_FAILED"
    r = site.post("/v1/geschillen/concepten", json=body, headers={"x-csrf-token": csrf})
    assert r.json()["code"] != "CSRF_FAILED"  # through the guard: the draft itself answers


def test_tokens_expire_and_are_revoked_and_never_act_for_another_party(site):
    access = site.app.state.access
    rec, raw = access.issue_token("GM0166", ["finance"], label="koppeling", created_by="test", days=1)
    auth = {"authorization": f"Bearer {raw}"}
    assert site.get("/v1/grootboek/regels", params={"party": "GM0166"}, headers=auth).status_code == 200
    assert site.get("/v1/grootboek/regels", params={"party": "GM0193"}, headers=auth).status_code == 404
    r = site.get("/v1/grootboek/regels", params={"party": "GM0166"}, headers={"authorization": "Bearer bwt_x_y"})
    assert r.status_code == 401 and r.json()["code"] == "TOKEN_INVALID" and "Bearer" in r.headers["www-authenticate"]
    site.clock.offset = timedelta(days=1, seconds=1)
    r = site.get("/v1/grootboek/regels", params={"party": "GM0166"}, headers=auth)
    assert r.status_code == 401 and "verlopen" in r.json()["detail"]
    site.clock.offset = timedelta(0)
    access.revoke_token(rec.id)
    r = site.get("/v1/grootboek/regels", params={"party": "GM0166"}, headers=auth)
    assert r.status_code == 401 and "ingetrokken" in r.json()["detail"]
    assert raw not in str([t.__dict__ for t in access.tokens()])  # only the digest is kept


def test_the_login_is_rate_limited_per_user_with_a_clear_429(site):
    site.app.state.access.add_account("fin@kampen.nl", "GM0166", ["finance"], password=PASSWORD)
    codes = [_login(site, "fin@kampen.nl", "fout").status_code for _ in range(9)]
    assert codes[:8] == [401] * 8 and codes[8] == 429
    r = _login(site, "fin@kampen.nl")  # even the right password, until the window ends
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "Te veel pogingen" in r.text


def test_an_open_redirect_after_login_is_refused(site):
    site.app.state.access.add_account("fin@kampen.nl", "GM0166", ["finance"], password=PASSWORD)
    for target in ("https://elders.example/", "//elders.example/x", "geen-pad"):
        assert _login(site, "fin@kampen.nl", terug=target).headers["location"] == "/"


@pytest.mark.parametrize("roles, party, message", [
    (["kok"], "GM0166", "onbekende rol"), (["secretaris"], "GM0166", "geschillencommissie"),
    (["finance"], "COMMITTEE", "geen rol finance"), ([], "GM0166", "ten minste één rol"),
    (["finance"], "Kampen", "geen partij")])
def test_an_account_with_roles_its_party_cannot_hold_is_refused(site, roles, party, message):
    with pytest.raises(AccessError, match=message):
        site.app.state.access.add_account("x@y.nl", party, roles, password=PASSWORD)


def test_the_policy_table_refuses_what_it_cannot_mean(tmp_path):
    for text, message in (('[a]\nwhat = "x"\n', "exactly one of"), ('[a]\nlogin = true\nresource = "x"\n', "resource"),
                          ('[a]\ngrants = { kok = "any" }\n', "unknown role"),
                          ('[a]\ngrants = { finance = "all" }\n', "grant"),
                          ('[a]\ngrants = { commissielid = "assigned" }\n', "assigned"),
                          ('[a]\nlogin = true\naudit = "nieuwsgierig"\n', "audit purpose"),
                          ('[a]\nlogin = true\nwho = "x"\n', "unknown fields")):
        path = tmp_path / "p.toml"
        path.write_text(text)
        policy.rules.cache_clear()
        with pytest.raises(ValueError, match=message):
            policy.rules(path)
    policy.rules.cache_clear()
    assert "getCase" in policy.rules()


def test_the_operator_manages_accounts_and_tokens_on_the_cli(tmp_path):
    env = {"BWLEDGER_HOME": str(tmp_path), "BWLEDGER_PW": PASSWORD}
    run = CliRunner().invoke
    r = run(cli_app, ["accounts", "add", "fin@kampen.nl", "--party", "GM0166", "--roles", "finance",
                      "--password-env", "BWLEDGER_PW"], env=env)
    assert r.exit_code == 0 and "account fin@kampen.nl: GM0166, rollen finance" in r.output, r.output
    assert "TOTP" not in r.output
    r = run(cli_app, ["accounts", "add", "audit@beheer.nl", "--party", "OPERATOR", "--roles", "auditor",
                      "--password-env", "BWLEDGER_PW"], env=env)
    assert r.exit_code == 0 and "sleutel: " in r.output and "otpauth://totp/" in r.output
    r = run(cli_app, ["accounts", "add", "fin@kampen.nl", "--party", "GM0166", "--roles", "finance",
                      "--password-env", "BWLEDGER_PW"], env=env)
    assert r.exit_code == 2 and "ACCOUNT_EXISTS" in r.output
    r = run(cli_app, ["accounts", "token", "add", "--party", "GM0166", "--roles", "finance", "--label", "fin"],
            env=env)
    assert r.exit_code == 0, r.output
    raw = next(line for line in r.output.splitlines() if line.startswith("bwt_"))
    token_id = raw.split("_")[1]
    r = run(cli_app, ["accounts", "token", "list"], env=env)
    assert token_id in r.output and raw not in r.output and "geldig tot" in r.output
    assert run(cli_app, ["accounts", "token", "revoke", token_id], env=env).exit_code == 0
    assert "ingetrokken" in run(cli_app, ["accounts", "token", "list"], env=env).output
    assert run(cli_app, ["accounts", "disable", "fin@kampen.nl"], env=env).exit_code == 0
    r = run(cli_app, ["accounts", "list"], env=env)
    assert "fin@kampen.nl\tGM0166\tfinance\tuitgeschakeld sinds " in r.output and "2 account(s)" in r.output
