"""The team's Spectral ruleset for the NL API Design Rules (api/spectral/adr.yaml, npm @stoplight/spectral-cli
pinned by api/spectral/package-lock.json, installed by `make spectral`): the served /v1/openapi.json has no
error, and every rule can fail (a small document that passes all rules, broken once per rule, gives that
rule's error and no other)."""
from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULESET = ROOT / "api" / "spectral" / "adr.yaml"
SPECTRAL = ROOT / "api" / "spectral" / "node_modules" / ".bin" / "spectral"
RULES = ["/core/version-header", "/core/uri-version", "/core/no-trailing-slash", "/core/path-segments-kebab-case",
         "/core/query-keys-camel-case", "/core/error-handling/problem-details", "/core/error-handling/invalid-input",
         "/core/doc-openapi-contact", "/core/http-methods"]


def lint(*documents: Path) -> list[dict]:
    """Spectral's results (JSON) for the documents, with the ruleset; a failure to run is the test's failure."""
    if not SPECTRAL.exists():
        pytest.fail(f"{SPECTRAL} is missing: run `make spectral` (npm ci in api/spectral)")
    run = subprocess.run([str(SPECTRAL), "lint", "--ruleset", str(RULESET), "--format", "json", "--quiet",
                          "--fail-severity", "error", *map(str, documents)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert run.returncode in (0, 1), run.stderr + run.stdout
    return json.loads(run.stdout or "[]")


def errors(results: list[dict]) -> list[dict]:
    return [r for r in results if r["severity"] == 0]


def test_the_ruleset_has_one_rule_per_adr_rule():
    text = RULESET.read_text(encoding="utf-8")
    assert sorted(re.findall(r"^  (/core/\S+):$", text, re.MULTILINE)) == sorted(RULES)
    assert len(re.findall(r"^    severity: error$", text, re.MULTILINE)) == len(RULES)


def test_the_served_document_has_no_error(client, tmp_path):
    doc = tmp_path / "openapi.json"
    doc.write_bytes(client.get("/v1/openapi.json").content)
    found = errors(lint(doc))
    assert found == [], json.dumps(found, indent=1, ensure_ascii=False)[:3000]


PROBLEM = {"application/problem+json": {"schema": {"type": "object", "required": ["status", "title", "detail"],
                                                   "properties": {"status": {"type": "integer"},
                                                                  "title": {"type": "string"},
                                                                  "detail": {"type": "string"}}}}}
VERSION = {"API-Version": {"schema": {"type": "string"}}}
GOOD = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1.0.0", "contact": {"name": "beheer", "email": "beheer@example.org"}},
    "servers": [{"url": "https://api.example.org/v1"}],
    "paths": {
        "/gebouwen": {"get": {
            "operationId": "listGebouwen",
            "parameters": [{"name": "typeGebouw", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "headers": VERSION,
                                  "content": {"application/json": {"schema": {"type": "object"}}}},
                          "400": {"description": "fout", "headers": VERSION, "content": PROBLEM}}}},
        "/financiele-claims/{id}/_zoek": {"post": {
            "operationId": "zoek",
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {"200": {"description": "ok", "headers": VERSION,
                                  "content": {"application/json": {"schema": {"type": "object"}}}},
                          "400": {"description": "fout", "headers": VERSION, "content": PROBLEM}}}},
    },
}


def _break(rule: str, doc: dict) -> None:
    ops = doc["paths"]
    get = ops["/gebouwen"]["get"]
    if rule == "/core/version-header":
        del get["responses"]["200"]["headers"]
    elif rule == "/core/uri-version":
        doc["servers"] = [{"url": "https://api.example.org/v1.2"}]
    elif rule == "/core/no-trailing-slash":
        ops["/gebouwen/"] = ops.pop("/gebouwen")
    elif rule == "/core/path-segments-kebab-case":
        ops["/financiele_claims/{id}/_zoek"] = ops.pop("/financiele-claims/{id}/_zoek")
    elif rule == "/core/query-keys-camel-case":
        get["parameters"][0]["name"] = "type-gebouw"
    elif rule == "/core/error-handling/problem-details":
        get["responses"]["400"]["content"] = {"application/json": {"schema": {"type": "object"}}}
    elif rule == "/core/error-handling/invalid-input":
        del ops["/financiele-claims/{id}/_zoek"]["post"]["responses"]["400"]
    elif rule == "/core/doc-openapi-contact":
        del doc["info"]["contact"]
    elif rule == "/core/http-methods":
        ops["/gebouwen"]["trace"] = copy.deepcopy(get)
    else:
        raise AssertionError(rule)


def test_every_rule_can_fail(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD))
    broken = {}
    for i, rule in enumerate(RULES):
        doc = copy.deepcopy(GOOD)
        _break(rule, doc)
        broken[rule] = tmp_path / f"broken-{i}.json"
        broken[rule].write_text(json.dumps(doc))
    results = errors(lint(good, *broken.values()))
    by_file: dict[str, set[str]] = {}
    for r in results:
        by_file.setdefault(Path(r["source"]).name, set()).add(r["code"])
    assert "good.json" not in by_file, by_file  # the control: the document breaks no rule
    for rule, path in broken.items():
        assert by_file.get(path.name) == {rule}, (rule, by_file.get(path.name))
