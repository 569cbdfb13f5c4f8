"""API v1 per the NL API Design Rules (issue 14), checked on live answers: the API-Version header and the
ADR security headers on every /v1 answer (found, not found, refused), 404 for a trailing slash (no
redirect), 405 with Allow, problem+json with invalidParams, the public OpenAPI document, pagination with
Link, the public reference data, quarters as 2026K1, and the one 308 of each old /api path.
The document itself is linted by tests/api/test_spectral.py."""
from __future__ import annotations

import re

import pytest
from api_helpers import assert_problem, seed_settlement_and_case

from api.http.v1 import API_VERSION, LEGACY, legacy_target


def _adr_headers(r) -> None:
    assert r.headers["api-version"] == API_VERSION, (r.url, dict(r.headers))
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/v1/gezondheid", 200), ("GET", "/v1/gemeenten", 200), ("GET", "/v1/bestaat-niet", 404),
    ("DELETE", "/v1/gezondheid", 405), ("GET", "/v1/grootboek/regels", 400), ("GET", "/v1/openapi.json", 200)])
def test_every_v1_answer_has_the_version_and_the_security_headers(client, method, path, status):
    r = client.request(method, path)
    assert r.status_code == status, r.text
    _adr_headers(r)
    if status >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")


def test_the_version_header_is_the_documents_version(client):
    doc = client.get("/v1/openapi.json").json()
    assert doc["info"]["version"] == client.get("/v1/gezondheid").headers["api-version"] == API_VERSION
    assert re.fullmatch(r"\d+\.\d+\.\d+", API_VERSION) and API_VERSION.split(".")[0] == "1"


def test_pages_and_static_files_get_no_api_version(client):
    assert "api-version" not in client.get("/aanmelden").headers
    assert "api-version" not in client.get("/static/style.css").headers


@pytest.mark.parametrize("path", ["/v1/gezondheid/", "/v1/gemeenten/", "/v1/gemeenten/GM0166/"])
def test_a_trailing_slash_is_404_not_a_redirect(client, path):
    r = client.get(path, follow_redirects=False)
    body = assert_problem(r, 404, "NOT_FOUND")
    assert "location" not in r.headers and "/ aan het eind" in body["detail"]
    assert client.get(path.rstrip("/")).status_code == 200  # the same address without it is the resource


def test_405_names_the_allowed_methods(client):
    r = client.post("/v1/gemeenten", json={})
    assert_problem(r, 405, "METHOD_NOT_ALLOWED")
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET"}
    assert "POST" not in r.headers["allow"]
    r = client.get("/v1/beoordelingen")
    assert_problem(r, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in r.headers["allow"]


def test_invalid_input_is_400_with_invalid_params(client):
    body = assert_problem(client.get("/v1/grootboek/regels", params={"party": "GM0166", "from": "many"}), 400,
                          "REQUEST_INVALID")
    assert body["invalidParams"] == [{"name": "from", "reason": "geen datum (JJJJ-MM-DD): 'many'"}]
    body = assert_problem(client.get("/v1/grootboek/regels"), 400, "REQUEST_INVALID")  # a required one missing
    assert [p["name"] for p in body["invalidParams"]] == ["party"] and body["invalidParams"][0]["in"] == "query"
    body = assert_problem(client.get("/v1/gemeenten", params={"pageSize": "0"}), 400, "REQUEST_INVALID")
    assert body["invalidParams"][0]["name"] == "pageSize" and "1 tot en met 1000" in body["invalidParams"][0]["reason"]
    body = assert_problem(client.post("/v1/beoordelingen", content=b"[[case"), 400, "CASEBOOK_MALFORMED")
    assert body["invalidParams"][0]["name"] == "body" and "does not parse" in body["invalidParams"][0]["reason"]


def test_the_openapi_document_is_public_and_complete(client):
    client.cookies.clear()
    r = client.get("/v1/openapi.json", headers={"authorization": ""})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.headers["access-control-allow-origin"] == "*"
    doc = r.json()
    assert doc["info"]["contact"]["email"] and doc["info"]["contact"]["name"]
    assert doc["servers"][0]["url"] == "/v1"
    operations = [(path, method, op) for path, item in doc["paths"].items() for method, op in item.items()]
    assert len(operations) >= 30
    for path, method, op in operations:
        assert not path.startswith("/v1") and not path.endswith("/"), path
        ok = [code for code in op["responses"] if code[0] == "2"]
        assert ok, (path, method)
        for code in ok:  # a response schema and the version header on every success
            answer = op["responses"][code]
            assert all(media.get("schema") for media in answer["content"].values()), (path, method, code)
            assert answer["headers"]["API-Version"] == {"$ref": "#/components/headers/API-Version"}
        if method in ("post", "put", "patch"):  # a request schema for every write
            content = op["requestBody"]["content"]
            assert content and all(media.get("schema") for media in content.values()), (path, method)
        for code, answer in op["responses"].items():
            if code[0] in "45":
                assert answer["$ref"].startswith("#/components/responses/"), (path, method, code)
    problem = doc["components"]["schemas"]["Problem"]
    assert {"status", "title", "detail"} <= set(problem["required"]) and "invalidParams" in problem["properties"]
    assert doc["paths"]["/geschillen/{case_id}/dossier"]["get"]["responses"]["200"]["content"].keys() == \
        {"application/pdf"}
    assert "application/octet-stream" in doc["paths"]["/geschillen/{case_id}/stukken"]["post"]["requestBody"]["content"]


def _links(r) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', r.headers["link"])}


def test_a_list_is_paginated_with_link(client):
    first = client.get("/v1/gemeenten", params={"pageSize": "50"})
    total = int(first.headers["x-total-count"])
    assert first.json()["total"] == total > 100 and first.json()["count"] == 50
    links = _links(first)
    assert set(links) == {"first", "next", "last"}
    last_page = -(-total // 50)
    assert links["last"] == f"/v1/gemeenten?page={last_page}&pageSize=50"
    second = client.get(links["next"])
    assert set(_links(second)) == {"first", "prev", "next", "last"}
    codes = [g["code"] for g in first.json()["gemeenten"]] + [g["code"] for g in second.json()["gemeenten"]]
    assert len(set(codes)) == 100 and codes == sorted(codes)
    end = client.get(links["last"])
    assert "next" not in _links(end) and 0 < end.json()["count"] <= 50
    beyond = client.get("/v1/gemeenten", params={"page": str(last_page + 5), "pageSize": "50"})
    assert beyond.status_code == 200 and beyond.json()["gemeenten"] == []
    # the other query parameters stay in the links
    on_day = client.get("/v1/gemeenten", params={"peildatum": "2026-01-01", "pageSize": "10"})
    assert "peildatum=2026-01-01" in _links(on_day)["next"]
    assert int(on_day.headers["x-total-count"]) < total  # merged municipalities are not valid any more


def test_ledger_entries_are_paginated(client):
    seed_settlement_and_case(client)
    everything = client.get("/v1/grootboek/regels", params={"party": "GM0166"}).json()
    assert everything["total"] == everything["count"] >= 4
    seqs = [e["seq"] for e in everything["entries"]]
    pages, url = [], "/v1/grootboek/regels?party=GM0166&pageSize=2"
    while url:
        r = client.get(url)
        assert r.status_code == 200 and r.headers["x-total-count"] == str(everything["total"])
        pages += [e["seq"] for e in r.json()["entries"]]
        url = _links(r).get("next")
    assert pages == seqs


def test_the_reference_data_is_public(client):
    client.cookies.clear()
    kampen = client.get("/v1/gemeenten/GM0166", headers={"authorization": ""})
    assert kampen.status_code == 200 and kampen.json() == {"code": "GM0166", "naam": "Kampen", "geldigVanaf": None,
                                                           "geldigTot": None, "opvolgers": []}
    assert kampen.headers["access-control-allow-origin"] == "*"
    assert "Link" in client.get("/v1/regios").headers["access-control-expose-headers"]
    assert "access-control-allow-origin" not in client.get("/v1/gezondheid").headers  # only the open data
    regios = client.get("/v1/regios", headers={"authorization": ""}).json()["regios"]
    iv = next(r for r in regios if r["id"] == "ijssel-vecht")
    assert iv["centrumgemeente"] == "GM0193" and {"code": "GM0166", "naam": "Kampen"} in iv["gemeenten"]
    assert client.get("/v1/regios/ijssel-vecht").json() == iv
    schemas = client.get("/v1/openapi.json").json()["components"]["schemas"]  # the document says what they hold
    assert set(schemas["Gemeente"]["required"]) == set(kampen.json()) == set(schemas["Gemeente"]["properties"])
    assert set(schemas["Regio"]["required"]) <= set(iv) == set(schemas["Regio"]["properties"])
    assert_problem(client.get("/v1/gemeenten/GM9999"), 404, "NOT_FOUND")
    assert_problem(client.get("/v1/regios/nergens"), 404, "NOT_FOUND")
    assert_problem(client.get("/v1/gemeenten", params={"peildatum": "gisteren"}), 400, "REQUEST_INVALID")


def test_quarters_are_2026k1_in_urls_and_payloads(client):
    seed_settlement_and_case(client)
    r = client.get("/v1/verrekeningen/2026K1")
    assert r.status_code == 200, r.text
    assert r.json()["quarter"] == "2026K1"
    assert client.get("/v1/verrekeningen/2026-K1").json()["quarter"] == "2026K1"  # the shown form is accepted
    assert_problem(client.get("/v1/verrekeningen/2026K5"), 400, "QUARTER_INVALID")
    csv = client.get("/v1/verrekeningen/2026K1/overzichten/GM0166", params={"format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    by_accept = client.get("/v1/verrekeningen/2026K1/overzichten/GM0166", headers={"accept": "text/csv"})
    assert by_accept.content == csv.content
    assert client.get("/v1/verrekeningen/2026K1/overzichten/GM0166").headers["content-type"].startswith(
        "application/json")


@pytest.mark.parametrize("old, new", [
    ("/api/health", "/v1/gezondheid"), ("/api/ledger/entries?party=GM0166", "/v1/grootboek/regels?party=GM0166"),
    ("/api/settlement/2026K1/statements/GM0166/csv", "/v1/verrekeningen/2026K1/overzichten/GM0166?format=csv"),
    ("/api/cases/GS-000001/documents?title=x", "/v1/geschillen/GS-000001/stukken?title=x"),
    ("/api/keys/abc/rotation", "/v1/sleutels/abc/vervanging"), ("/api/me", "/v1/ik"),
    ("/api/schema/openapi.json", "/v1/openapi.json")])
def test_an_old_path_redirects_once_permanently(client, old, new):
    r = client.get(old, follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == new
    assert client.get(new.split("?")[0]).status_code != 404 or "GS-" in new


def test_the_redirect_keeps_method_and_body(client):
    from api_helpers import K01

    direct = client.post("/v1/beoordelingen", content=K01)
    via_old = client.post("/api/rules/determine", content=K01, follow_redirects=True)
    assert direct.status_code == via_old.status_code == 200
    assert via_old.json()["determination"] == direct.json()["determination"]
    assert_problem(client.get("/api/bestaat-niet", follow_redirects=False), 404, "NOT_FOUND")


def test_every_old_path_has_a_v1_route(client):
    """Each /v1 target of LEGACY is a route of the app (no redirect into a 404)."""
    routes = {r.path for r in client.app.routes}
    pattern = {p: re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in routes}
    for old, target in LEGACY:
        example = re.sub(r"\(\?P<\w+>([^)]*)\)", lambda m: "x" if m.group(1).startswith("[") else m.group(1).split("|")[0],
                         old).replace("\\", "")
        url = legacy_target(example)
        assert url is not None, old
        path = url.split("?")[0]
        assert any(rx.match(path) for rx in pattern.values()), (old, target, path)


SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def _snake_members(value, where: str, codes: frozenset[str], out: set[str]) -> None:
    """The snake_case member names in a JSON value, but inside a signed payload or a recorded determination's
    exact JSON (api/http/camel.py VERBATIM) and names that are glossary codes (a table keyed by code)."""
    from api.http.camel import verbatim

    if isinstance(value, dict):
        for k, v in value.items():
            if SNAKE.match(k) and k not in codes:
                out.add(f"{where}.{k}")
            if not verbatim(k, v):
                _snake_members(v, f"{where}.{k}", codes, out)
    elif isinstance(value, list):
        for v in value[:5]:
            _snake_members(v, f"{where}[]", codes, out)


def _response_schema_members(doc: dict) -> set[str]:
    """The property names of every response schema of the OpenAPI document that are snake_case."""
    comps = doc.get("components", {}).get("schemas", {})
    found: set[str] = set()

    def walk(s, where, seen):
        if not isinstance(s, dict):
            return
        ref = s.get("$ref")
        if ref and ref not in seen:
            walk(comps.get(ref.rsplit("/", 1)[-1], {}), where, seen | {ref})
        for k, v in (s.get("properties") or {}).items():
            if SNAKE.match(k):
                found.add(f"{where}.{k}")
            walk(v, f"{where}.{k}", seen)
        for key in ("items", "additionalProperties"):
            walk(s.get(key), where, seen)
        for key in ("allOf", "oneOf", "anyOf"):
            for x in s.get(key, []):
                walk(x, where, seen)

    for path, item in doc["paths"].items():
        for method, op in item.items():
            for code, answer in (op.get("responses") or {}).items() if isinstance(op, dict) else ():
                for media in (answer.get("content") or {}).values():
                    walk(media.get("schema"), f"{method.upper()} {path} {code}", frozenset())
    return found


def test_every_answer_is_camel_case(client):
    """NL API Design Rules: member names in camelCase, in the document's response schemas and in the answers
    themselves (every GET of the document, as three parties that see different things, on seeded data); the
    codes in the values stay as they are. Downloads (a statement or bundle file, Content-Disposition) are files
    whose format the ledger defines, not API resources."""
    from party_auth import token_for

    from api.http.camel import camel_name
    from rules import glossary

    assert camel_name("entry_hash") == "entryHash" and camel_name("cost_line") == "cost_line"
    doc = client.get("/v1/openapi.json").json()
    assert _response_schema_members(doc) == set()
    seed = seed_settlement_and_case(client)
    codes = frozenset(c for section in glossary.sections().values() for c in section)
    values = {"{seq}": str(seed["determination"].seq), "{case_id}": seed["case_id"], "{quarter}": "2026K1",
              "{kwartaal}": "2026K1", "{party}": "GM0166", "{code}": "GM0166", "{region_id}": "ijssel-vecht"}
    found: set[str] = set()
    answered = 0
    for party, roles in (("GM0166", ("finance", "regio", "auditor", "beheer")), ("COMMITTEE", ("secretaris", "auditor")),
                         ("OPERATOR", ("beheer", "auditor"))):
        token = token_for(client.app.state.access, party, roles)
        for path, item in doc["paths"].items():
            url = path
            for name, value in values.items():
                url = url.replace(name, value)
            if "get" not in item or "{" in url:
                continue
            r = client.get("/v1" + url, params={"party": "GM0166"} if "party" in str(item["get"].get("parameters"))
                           else None, headers={"Authorization": f"Bearer {token}"})
            if (r.headers.get("content-type", "").startswith("application/json")
                    and "attachment" not in r.headers.get("content-disposition", "")):
                answered += 1
                _snake_members(r.json(), f"GET {path}", codes, found)
    assert answered >= 20
    assert found == set(), sorted(found)
    # a write's answer too: a statement submitted
    r = client.post("/v1/grootboek/regels", json={"statement": "", "signature": ""})
    assert r.status_code == 400 and "invalidParams" in r.json()
