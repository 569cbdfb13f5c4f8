"""Schemathesis over the served /v1/openapi.json (issue 14, "Tests that must exist and pass"): every
operation of API v1 called with requests generated from its own schema (valid ones and, in the coverage
phase, invalid ones), bounded and deterministic, authenticated as a party that may call it. For every
answer: no 5xx, every 4xx/5xx is application/problem+json with `status` and `title`, and the answer
conforms to the document (status code, content type, headers, schema).

The app runs in this process (Litestar's TestClient, its lifespan started once for the module) on a real
SQLite store seeded with a determination, booked cost lines and an opened dispute, so the reads find
something. Rate limits are off: the test counts answers, not the limiter (tests/api/test_rate_limit.py).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from api_helpers import seed_settlement_and_case, sqlite_settings, token_for
from hypothesis import HealthCheck, given, settings
from litestar.testing import TestClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.access import policy
from api.http import create_app
from api.http.openapi import adr_document
from ledger.entries import PARTY_RE
from ledger.parties import party_code_problem

BASE = "http://testserver.local/v1"
#: examples per operation and generation mode (valid and invalid requests)
EXAMPLES = 20
#: a third mode for the operations of a case: valid requests about the seeded case (a generated case id is
#: one that does not exist, so the handler would stop at its 404)
SEEDED = "seeded"
#: who calls an operation: of these, the first the access policy gives the widest grant for it
CALLERS = (("GM0166", ("finance", "regio", "auditor", "beheer")),
           ("COMMITTEE", ("secretaris", "auditor")),
           ("OPERATOR", ("beheer", "auditor")),
           ("RG:ijssel-vecht", ("regio", "auditor")))
#: a request for a party (a `party` in its body or query, an `author`) is made as that party, with these roles
ROLES_OF = {"COMMITTEE": ("secretaris", "auditor"), "OPERATOR": ("beheer", "auditor")}


def problem_json(ctx, response, case) -> None:
    """Every error answer is RFC 9457 problem+json with its `status` (the answer's) and a `title`."""
    if response.status_code < 400:
        return
    ctype = response.headers.get("content-type", [""])[0]
    assert ctype.startswith("application/problem+json"), f"{response.status_code} as {ctype!r}: {response.text[:300]}"
    body = response.json()
    assert isinstance(body, dict) and body.get("status") == response.status_code and body.get("title"), body
    return


CHECKS = [not_a_server_error, problem_json, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    home = tmp_path_factory.mktemp("schemathesis")
    app = create_app(sqlite_settings(home, rate_per_minute_caller=0, rate_per_minute_address=0))
    with TestClient(app, base_url="http://testserver.local", raise_server_exceptions=False) as client:
        seeded = seed_settlement_and_case(client)
        yield client, Tokens(client.app.state.access), {"case_id": seeded["case_id"]}


@pytest.fixture(scope="module")
def api_schema(api):
    client = api[0]
    doc = client.get("/v1/openapi.json").json()
    return schemathesis.openapi.from_dict(doc)


class Tokens:
    """API tokens made straight in the app's database (tests/party_auth.py), once per party."""

    def __init__(self, access) -> None:
        self.access, self.made = access, {}

    def __call__(self, party: str) -> str:
        if party not in self.made:
            roles = dict(CALLERS).get(party) or ROLES_OF.get(party) or (
                ("regio", "auditor", "beheer") if party.startswith("RG:") else ("finance", "regio", "auditor", "beheer"))
            self.made[party] = token_for(self.access, party, roles)
        return self.made[party]


def acting_party(case) -> str | None:
    """The party a generated request acts for, when it names one (the body's `party`, the query's `party`,
    `partij` or `author`) and it is a known party: the test logs in as that party, so the request gets past
    "only your own"; a generated code that names no party (GM0000, RG:5) gets the operation's broadest caller,
    and the server must refuse the code itself (PARTY_UNKNOWN)."""
    body = case.body if isinstance(case.body, dict) else {}
    for value in (body.get("party"), *((case.query or {}).get(k) for k in ("party", "partij", "author")),
                  (case.path_parameters or {}).get("party")):
        if isinstance(value, str) and PARTY_RE.match(value) and party_code_problem(value) is None:
            return value
    return None


def caller_for(operation_id: str) -> str:
    """The party of CALLERS the policy grants the most for this operation (public ones: still logged in)."""
    rule = policy.rule(operation_id)
    assert rule is not None, operation_id
    best, best_rank = CALLERS[0][0], -1
    for party, roles in CALLERS:
        found = [g for (p, role), g in rule.grants.items() if role in roles and p in (None, party)]
        rank = max((policy.GRANTS.index(g) for g in found), default=-1)
        if rank > best_rank:
            best, best_rank = party, rank
    return best


def _runs() -> list[tuple[str, GenerationMode]]:
    """(operation, mode) for every operation of the document, known when the tests are collected (the app
    is made, not started: the test itself runs over the document the started app serves). Invalid requests
    only for an operation that takes input (there is nothing to make invalid of a bare GET)."""
    app = create_app(sqlite_settings(Path("/nonexistent/bwledger-schemathesis")))
    doc = adr_document(app.openapi_schema.to_schema(), {})
    ops = sorted((op["operationId"], bool(op.get("parameters") or op.get("requestBody")), "{case_id}" in path)
                 for path, item in doc["paths"].items() for op in item.values()
                 if isinstance(op, dict) and "operationId" in op)
    return [(op_id, mode) for op_id, has_input, of_case in ops
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE, SEEDED)
            if (has_input or mode is GenerationMode.POSITIVE) and (of_case or mode is not SEEDED)]


def _send(client, case, token: str):
    """The case as Schemathesis would send it, through the app's TestClient."""
    kwargs = case.as_transport_kwargs(base_url=BASE, headers={"Authorization": f"Bearer {token}"})
    request = {k: kwargs[k] for k in ("method", "url", "headers", "params") if kwargs.get(k) is not None}
    if kwargs.get("cookies"):
        client.cookies.clear()
        request["headers"] = {**request.get("headers", {}),
                              "cookie": "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items())}
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        request["content"] = kwargs["data"]
    return client.request(**request)


@pytest.mark.parametrize("operation_id, mode", _runs(), ids=lambda v: getattr(v, "value", v))
def test_every_operation_answers_per_its_schema(api, api_schema, operation_id, mode):
    client, tokens, known = api
    operation = api_schema.find_operation_by_id(operation_id)
    default = caller_for(operation_id)
    strategy = (operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"case_id": known["case_id"]})
                if mode == SEEDED else operation.as_strategy(generation_mode=mode))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=True,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.validate_response(_send(client, case, tokens(acting_party(case) or default)), checks=CHECKS)

    run()


def test_the_checks_fail_on_an_answer_that_is_not_per_the_document(api, api_schema, monkeypatch):
    """The control for the test above: the same checks refuse a real answer that does not fit (a 500, an
    HTML page where the API's JSON is documented, an error that is not problem+json)."""
    from api import compose

    client = api[0]
    health = api_schema.find_operation_by_id("getHealth").Case()
    page = client.get("/aanmelden", headers={"accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    with pytest.raises(FailureGroup) as failed:
        health.validate_response(page, checks=CHECKS)
    assert {"UndefinedContentType", "MissingHeaders"} <= {type(e).__name__ for e in failed.value.exceptions}
    missing = client.get("/bestaat-niet", headers={"accept": "text/html"})  # a page's 404 is a Dutch HTML page
    assert missing.status_code == 404
    with pytest.raises(AssertionError, match="problem"):
        problem_json(None, schemathesis.Response.from_any(missing), health)
    assert problem_json(None, schemathesis.Response.from_any(client.get("/v1/bestaat-niet")), health) is None

    def broken(store):
        raise RuntimeError("kapot")

    monkeypatch.setattr(compose, "overview", broken)  # as tests/api/test_bad_input.py's control does
    fault = client.get("/v1/gezondheid")
    assert fault.status_code == 500
    with pytest.raises(FailureGroup) as failed:
        health.validate_response(fault, checks=CHECKS)
    assert "ServerError" in {type(e).__name__ for e in failed.value.exceptions}
