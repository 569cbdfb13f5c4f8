"""Bad input never takes the service down (issue 12): each request that gave a 500 with a big traceback
is a 400/413/422 problem, and a client error logs no traceback (only a server fault does)."""
from __future__ import annotations

import base64
import logging

import pytest
from api_helpers import assert_problem

from api import compose
from api.http.downloads import content_disposition
from api.http.pages import EXAMPLE

JSON = {"content-type": "application/json"}
HTML = {"accept": "text/html"}
CASE = "[[case]]" + EXAMPLE.split("[[case]]")[1]


def _region(body: str, context: str = "") -> str:
    return f"[context]\nt0 = 2026-01-01\n{context}\n[context.regions.x]\n{body}\n{CASE}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


GOOD_REGION = 'name = "X"\ncentrumgemeente = "GM0193"\nmembers = ["GM0166", "GM0193"]'
DEEP = "[" * 100_000 + "]" * 100_000

#: (name, method, path, request arguments, expected status, expected code)
BAD_REQUESTS = [
    ("deep JSON facts", "POST", "/v1/beoordelingen", {"content": '{"case": ' + DEEP + "}", "headers": JSON},
     400, "CASEBOOK_MALFORMED"),
    ("deep TOML array", "POST", "/v1/beoordelingen", {"content": "a = " + DEEP + "\n"}, 400, "CASEBOOK_MALFORMED"),
    ("deep TOML tables", "POST", "/v1/beoordelingen", {"content": "a = " + "{b = " * 5000 + "1" + "}" * 5000},
     400, "CASEBOOK_MALFORMED"),
    ("5,000-digit JSON number", "POST", "/v1/beoordelingen",
     {"content": '{"case": {"id": "x", "stays": ' + "9" * 5000 + "}}", "headers": JSON}, 400, "CASEBOOK_MALFORMED"),
    ("5,000-digit TOML number", "POST", "/v1/beoordelingen", {"content": "a = " + "9" * 5000},
     400, "CASEBOOK_MALFORMED"),
    ("region members not a list", "POST", "/v1/beoordelingen",
     {"content": _region('name = "X"\ncentrumgemeente = "GM0193"\nmembers = 5')}, 400, "CASEBOOK_MALFORMED"),
    ("region member a list", "POST", "/v1/beoordelingen",
     {"content": _region('name = "X"\ncentrumgemeente = "GM0193"\nmembers = [["GM0166"]]')}, 400,
     "CASEBOOK_MALFORMED"),
    ("region settled_flags a number", "POST", "/v1/beoordelingen",
     {"content": _region(GOOD_REGION + "\nsettled_flags = 7")}, 400, "CASEBOOK_MALFORMED"),
    ("region valid_from a text", "POST", "/v1/beoordelingen",
     {"content": _region(GOOD_REGION + '\nvalid_from = "x"')}, 400, "CASEBOOK_MALFORMED"),
    ("region not a table (JSON)", "POST", "/v1/beoordelingen",
     {"content": '{"context": {"t0": "2026-01-01", "regions": {"x": 5}}, "case": {"id": "x"}}', "headers": JSON},
     400, "CASEBOOK_MALFORMED"),
    ("huge window", "POST", "/v1/beoordelingen", {"content": _region(GOOD_REGION, "window_days = 999999999999")},
     400, "CASEBOOK_MALFORMED"),
    ("window past the calendar", "POST", "/v1/beoordelingen",
     {"content": _region(GOOD_REGION, "window_days = 3000000")}, 400, "CASEBOOK_MALFORMED"),
    ("melding in year 1", "POST", "/v1/beoordelingen", {"content": EXAMPLE.replace("2026-03-02", "0001-01-01")},
     400, "CASEBOOK_MALFORMED"),
    ("deep JSON submission", "POST", "/v1/grootboek/regels", {"content": DEEP, "headers": JSON}, 400,
     "REQUEST_INVALID"),
    ("deep JSON draft", "POST", "/v1/geschillen/concepten", {"content": '{"action": ' + DEEP + "}", "headers": JSON},
     400, "REQUEST_INVALID"),
    ("deep JSON key statement", "POST", "/v1/sleutels", {"content": DEEP, "headers": JSON}, 400, "REQUEST_INVALID"),
    ("deep signed statement", "POST", "/v1/grootboek/regels",
     {"json": {"statement": _b64('{"a": ' + DEEP + "}"), "signature": _b64("x" * 64)}}, 422, "STATEMENT_INVALID"),
    ("deep key statement", "POST", "/v1/sleutels",
     {"json": {"statement": _b64('{"a": ' + DEEP + "}"), "signature": _b64("x" * 64)}}, 422, "STATEMENT_INVALID"),
    ("draft action a list", "POST", "/v1/geschillen/concepten", {"json": {"action": ["open"]}}, 400, "REQUEST_INVALID"),
    ("entries to=9999-12-31", "GET", "/v1/grootboek/regels?party=GM0166&to=9999-12-31", {}, 400, "REQUEST_INVALID"),
    ("bundle to=9999-12-31", "GET", "/v1/grootboek/bundel?party=GM0166&to=9999-12-31", {}, 400, "REQUEST_INVALID"),
    ("settlement 0000K1", "GET", "/v1/verrekeningen/0000K1", {}, 400, "QUARTER_INVALID"),
    ("settlement 9999K4", "GET", "/v1/verrekeningen/9999K4", {}, 400, "QUARTER_INVALID"),
    ("statement 0000K1", "GET", "/v1/verrekeningen/0000K1/overzichten/GM0166?format=json", {}, 400, "QUARTER_INVALID"),
    # found by tests/api/test_schemathesis.py: the audit record of the refusal failed on the long value (503)
    ("upload supersedes past a database integer", "POST",
     "/v1/geschillen/GS-000001/stukken?filename=a.pdf&title=t&author=COMMITTEE&supersedes=" + "9" * 23,
     {"content": b"%PDF-1.4\n%%EOF"}, 400, "REQUEST_INVALID"),
    ("upload supersedes a superscript digit", "POST",
     "/v1/geschillen/GS-000001/stukken?filename=a.pdf&title=t&author=COMMITTEE&supersedes=%C2%B2",
     {"content": b"%PDF-1.4\n%%EOF"}, 400, "REQUEST_INVALID"),
    ("audit client of 100 characters", "GET", "/v1/auditlogboek?client=PSN-" + "A" * 96, {}, 400, "REQUEST_INVALID"),
    # found by tests/api/test_schemathesis.py: an exhibit number past a database integer was a 500
    ("exhibit number past a database integer", "GET", "/v1/geschillen/GS-000001/stukken/" + "9" * 33, {}, 404,
     "DOCUMENT_NOT_FOUND"),
]


def _no_traceback(caplog) -> None:
    assert "Traceback" not in caplog.text, caplog.text[:2000]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], caplog.text[:2000]


@pytest.mark.parametrize("name,method,path,kwargs,status,code", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_input_is_a_client_problem_without_a_traceback(client, caplog, name, method, path, kwargs, status, code):
    caplog.set_level(logging.INFO)
    body = assert_problem(client.request(method, path, **kwargs), status, code)
    assert len(body["detail"]) < 500
    _no_traceback(caplog)


@pytest.mark.parametrize("path,kwargs,status", [
    ("/verrekening?kwartaal=0000K1", {}, 400), ("/grootboek?partij=GM0166&tot=9999-12-31", {}, 400),
    ("/beoordeling", {"files": {"feiten": (None, EXAMPLE.replace("2026-03-02", "0001-01-01"))}}, 422),
    ("/beoordeling", {"files": {"bestand": ("feiten.json", ('{"case": ' + DEEP + "}").encode())}}, 422),
])
def test_pages_answer_bad_input_with_a_dutch_page(client, caplog, path, kwargs, status):
    caplog.set_level(logging.INFO)
    r = client.request("POST" if "files" in kwargs else "GET", path, headers=HTML, **kwargs)
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("text/html") and '<html lang="nl">' in r.text
    _no_traceback(caplog)


@pytest.mark.parametrize("seq", ["%C2%B2", "9" * 16])
def test_a_place_asked_for_by_a_seq_that_is_no_number_is_400(client, caplog, seq):
    """Found by hand next to tests/api/test_schemathesis.py: '²' passed str.isdigit and int() refused it (500)."""
    from party_auth import token_for

    caplog.set_level(logging.INFO)
    token = token_for(client.app.state.access, "GM0166")
    body = assert_problem(client.get(f"/v1/grootboek/regels/{seq}/plaats", headers={"authorization": f"Bearer {token}"}),
                          400, "REQUEST_INVALID")
    assert body["field"] == "seq"
    _no_traceback(caplog)


def test_the_dutch_detail_names_the_range(client):
    body = assert_problem(client.get("/v1/grootboek/regels?party=GM0166&to=9999-12-31"), 400, "REQUEST_INVALID")
    assert "1 januari 1900 tot en met 31 december 2199" in body["detail"] and body["field"] == "to"
    body = assert_problem(client.post("/v1/beoordelingen", content=_region(GOOD_REGION, "window_days = 10")
                                      .replace('members = ["GM0166", "GM0193"]', "members = 5")),
                          400, "CASEBOOK_MALFORMED")
    assert "context.regions.x.members" in body["detail"] and "lijst" in body["detail"]


def test_a_server_fault_still_logs_its_traceback(client, caplog, monkeypatch):
    """The control for the tests above: caplog does see what the app logs."""
    def broken(store):
        raise RuntimeError("kapot")

    monkeypatch.setattr(compose, "overview", broken)
    caplog.set_level(logging.INFO)
    assert_problem(client.get("/v1/gezondheid"), 500, "INTERNAL_ERROR")
    assert "Traceback" in caplog.text and "kapot" in caplog.text


@pytest.mark.parametrize("name", ['GS-1".pdf', "GS-1\r\nSet-Cookie: a=b", "dossier-ö;x=y\\.pdf"])
def test_a_download_name_cannot_break_its_header(name):
    value = content_disposition(name)
    assert "\r" not in value and "\n" not in value
    fallback = value.split('filename="', 1)[1].split('"', 1)[0]
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in fallback), value
    encoded = value.split("filename*=UTF-8''", 1)[1]
    from urllib.parse import unquote
    assert unquote(encoded) == name and not set(encoded) & set(" \";\\\r\n"), value
    # exactly two parameters after the disposition type: nothing the name holds starts a third
    assert value.count(";") == 2


def test_downloads_carry_both_names(client):
    r = client.get("/v1/grootboek/bundel?party=RG:ijssel-vecht")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == (
        "attachment; filename=\"bundle-RG_ijssel-vecht-2000-01-01-2100-12-31.json\"; "
        "filename*=UTF-8''bundle-RG_ijssel-vecht-2000-01-01-2100-12-31.json")
