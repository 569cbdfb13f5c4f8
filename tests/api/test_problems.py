"""Every error is application/problem+json with a stable code; pages get the same problem in Dutch."""
import pytest
from api_helpers import assert_problem, logged_in, sqlite_settings
from litestar.testing import TestClient

from api import compose
from api.http import create_app


def test_unknown_path_and_method(client):
    assert_problem(client.get("/api/nothing-here"), 404, "NOT_FOUND")
    r = client.delete("/api/health")
    assert_problem(r, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in r.headers["allow"]
    assert_problem(client.get("/api/ledger/entries", params={"party": "GM0166", "from": "many"}), 400,
                   "REQUEST_INVALID")


def test_an_unexpected_error_is_a_500_problem_without_traceback(client, monkeypatch):
    def broken(store):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(compose, "overview", broken)
    body = assert_problem(client.get("/api/health"), 500, "INTERNAL_ERROR")
    assert "secret internals" not in body["detail"]


def test_a_body_over_the_limit_is_refused(tmp_path):
    with TestClient(create_app(sqlite_settings(tmp_path, max_request_bytes=1000))) as c:
        logged_in(c)
        assert_problem(c.post("/api/rules/determine", content=b"#" * 5000), 413, "REQUEST_TOO_LARGE")


def test_a_browser_gets_the_problem_as_a_dutch_page(client):
    r = client.get("/bestaat-niet", headers={"accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="nl">' in r.text and "Deze pagina bestaat niet." in r.text and "NOT_FOUND" in r.text
    # an API client asking for the same path gets problem+json
    assert_problem(client.get("/bestaat-niet", headers={"accept": "application/json"}), 404, "NOT_FOUND")


@pytest.mark.parametrize("path", ["/api/health", "/"])
def test_security_headers(client, path):
    r = client.get(path)
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_openapi_document_lists_the_api_not_the_pages(client):
    r = client.get("/api/schema/openapi.json")
    assert r.status_code == 200
    paths = set(r.json()["paths"])
    assert {"/api/rules/determine", "/api/ledger/entries", "/api/settlement/{quarter}", "/api/cases"} <= paths
    assert all(p.startswith(("/api/", "/v1/")) for p in paths), paths  # /v1: issue 14's endpoints


def test_settings_are_read_in_one_place():
    from api.settings import load_settings

    s = load_settings({"BWLEDGER_HOME": "/tmp/x", "BWLEDGER_CHECKPOINT_SECONDS": "0.5",
                       "BWLEDGER_MAX_DOCUMENT_BYTES": "1000", "BWLEDGER_DATABASE_SCHEMA": "s1"})
    assert (s.checkpoint_seconds, s.max_document_bytes, s.database_schema) == (0.5, 1000, "s1")
    assert str(s.documents_dir) == "/tmp/x/documents" and s.database_url == "sqlite:////tmp/x/bwledger.db"
    assert load_settings({}).max_document_bytes == 26_214_400
    with pytest.raises(ValueError, match="BWLEDGER_MAX_REQUEST_BYTES"):
        load_settings({"BWLEDGER_MAX_REQUEST_BYTES": "-1"})


def test_a_database_that_does_not_answer_is_a_503_problem(client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def down(store):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(compose, "overview", down)
    r = client.get("/api/health")
    body = assert_problem(r, 503, "DATABASE_UNAVAILABLE")
    assert r.headers["retry-after"] == "5" and "connection refused" not in body["detail"]
