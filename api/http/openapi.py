"""The OpenAPI document of API v1, public at GET /v1/openapi.json (ADR /core/publish-openapi).

Litestar describes the routes; `adr_document` makes of that the document the NL API Design Rules ask for:
`info` with the version (API_VERSION, semver) and `contact`, the server `/v1` with the paths relative to
it (/core/uri-version), every answer with its `API-Version` header (/core/version-header), every error
answer as application/problem+json (RFC 9457) with `status`, `title` and `detail` (and `invalidParams`
for a 400: /core/error-handling/problem-details, /core/error-handling/invalid-input), a request and a
response schema for every operation (the files and raw bodies the handlers read themselves are described
here, in REQUEST_BODIES and RESPONSE_CONTENT), and who may call what (bearer token or session; the public
operations need neither). The Spectral ruleset api/spectral/adr.yaml checks the result (tests/api/test_spectral.py).
"""
from __future__ import annotations

import copy
import json
from typing import Any

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin

from api import compose
from api.access import policy
from api.http.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from api.http.v1 import API_VERSION, PREFIX, is_v1
from ledger.entries import PARTY_RE
from ledger.inbox import BOXES, KINDS_OF

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
DESCRIPTION = ("De API van bwledger: het grootboek van de verrekening van beschermd wonen tussen gemeenten, "
               "de beoordeling van het woonplaatsbeginsel, geschillen en hun stukken, de kwartaalverrekening "
               "en de open referentiegegevens (gemeenten, regio's). Elke schrijfhandeling is een door de eigen "
               "partij ondertekende verklaring; het grootboek toetst haar bij opname.")

PROBLEM = {
    "type": "object",
    "description": "Een fout volgens RFC 9457 (application/problem+json), met een vaste `code`.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:bwledger:problem:CODE"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "de vaste foutcode, bijvoorbeeld REQUEST_INVALID"},
        "invalidParams": {"type": "array", "items": {"$ref": "#/components/schemas/InvalidParam"}},
    },
}
INVALID_PARAM = {
    "type": "object", "required": ["name", "reason"],
    "properties": {"name": {"type": "string", "description": "de parameter of het veld"},
                   "reason": {"type": "string", "description": "wat eraan mankeert"},
                   "in": {"type": "string", "description": "query, path, header of body"}},
}
ERRORS = {
    "400": ("BadRequest", "Ongeldige invoer: de parameters of de inhoud (zie invalidParams)."),
    "401": ("Unauthorized", "Niet aangemeld: een bearer token of een sessie is nodig."),
    "403": ("Forbidden", "Deze rol of partij mag dit niet."),
    "404": ("NotFound", "Bestaat niet (of is niet zichtbaar voor deze partij)."),
    "405": ("MethodNotAllowed", "Deze methode kent dit adres niet; de header Allow noemt wat wel kan."),
    "409": ("Conflict", "Het grootboek of het geschil staat deze handeling nu niet toe."),
    "413": ("PayloadTooLarge", "De inhoud is te groot."),
    "415": ("UnsupportedMediaType", "Dit soort bestand of inhoud wordt niet aanvaard."),
    "422": ("UnprocessableContent", "De inhoud is goed gevormd maar de regels of het grootboek weigeren haar."),
    "429": ("TooManyRequests", "Te veel verzoeken; Retry-After zegt wanneer weer."),
    "500": ("InternalError", "Een fout aan de kant van de server; zij is vastgelegd."),
    "503": ("ServiceUnavailable", ("De database of het auditlogboek is even niet bereikbaar, of de server is "
                                   "bezig met het maximale aantal verzoeken van deze soort.")),
}
def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


BINARY = {"schema": {"type": "string", "format": "binary"}}
JSON_OBJECT = {"schema": {"type": "object"}}
BASE64 = {"type": "string", "pattern": "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"}
SIGNED_ONE = {"type": "object", "required": ["statement", "signature"], "properties": {
    "statement": {**BASE64, "description": "de verklaring (canonieke JSON), base64"},
    "signature": {**BASE64, "description": "de Ed25519-handtekening, base64"}}}
SIGNED = {"schema": {"oneOf": [
    SIGNED_ONE,
    {"type": "object", "required": ["entries"], "properties": {"entries": {
        "type": "array", "minItems": 1, "description": "een reeks {statement, signature}, als één geheel",
        "items": SIGNED_ONE}}}]}}
PARTY = {"type": "string", "pattern": PARTY_RE.pattern, "description": "een partij: GMxxxx, RG:<regio>, OPERATOR of COMMITTEE"}
DAY = {"type": "string", "format": "date", "description": "een dag (YYYY-MM-DD)"}
KEY_ID = {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "de id van de sleutel waarmee de partij ondertekent"}
SEQ = {"type": "integer", "minimum": 0, "description": "een volgnummer in het grootboek"}
PSEUDONYM = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:-]{5,63}$",
             "description": "het pseudoniem van de cliënt (PSN-...)"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 200}


def _draft_body(required: list[str], properties: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": required, "additionalProperties": False, "properties": properties}}}}


#: operation -> request body, for the handlers that read their body themselves (or whose body is free-form)
REQUEST_BODIES: dict[str, dict] = {
    "determineRules": {"required": True, "description": "De feiten: casebook-TOML, of dezelfde structuur als JSON.",
                       "content": {"application/toml": {"schema": {"type": "string"}}, "application/json": JSON_OBJECT}},
    "uploadCaseDocument": {"required": True, "description": "Het stuk zelf (PDF, PNG, JPEG, .docx, .xlsx, .eml).",
                           "content": {"application/octet-stream": BINARY}},
    "makePseudonym": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["bsn"], "additionalProperties": False,
        "properties": {"bsn": {"type": "string", "pattern": "^[0-9]{9}$",
                               "description": "het BSN (11-proef); nooit opgeslagen"}}}}}},
    "sealPlace": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["client", "place"], "additionalProperties": False,
        "properties": {"client": PSEUDONYM,
                       "place": {"type": "string", "description": "de plaats (vertrouwelijk)"}}}}}},
    "draftCaseStatements": _draft_body(["action", "party", "key_id"], {
        "action": {"type": "string", "enum": list(compose.DRAFT_ACTIONS)}, "party": PARTY, "key_id": KEY_ID,
        "case_id": {"type": "string", "description": "het geschil (GS-...), bij elke handeling behalve open en timed"},
        "determination_seq": SEQ, "cost_line_seq": SEQ,
        "arguments": {"type": "object", "description": "de argumenten van de handeling (zie api/compose.py DRAFT_ACTIONS)"}}),
    "draftSettlementStatements": _draft_body(["action", "party", "key_id"], {
        "action": {"type": "string", "enum": list(compose.SETTLEMENT_DRAFT_ACTIONS)}, "party": PARTY, "key_id": KEY_ID,
        "line_seq": SEQ, "acceptance_seq": SEQ,
        "arguments": {"type": "object", "additionalProperties": False, "properties": {"note": {"type": "string"}}}}),
    "draftMonthBooking": _draft_body(["month", "party", "keyId"], {
        "month": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$", "description": "de maand, bijvoorbeeld 2026-03"},
        "party": PARTY, "keyId": KEY_ID}),
    "draftPlacement": _draft_body(
        ["party", "keyId", *(name for name, (_k, _f, required) in compose.PLACEMENT_FIELDS.items() if required)],
        {"party": PARTY, "keyId": KEY_ID, **{name: {"pseudonym": PSEUDONYM, "party": PARTY, "date": DAY, "seq": SEQ}.get(form, TEXT)
                                             for name, (_k, form, _r) in compose.PLACEMENT_FIELDS.items()}}),
    "submitEntries": {"required": True, "content": {"application/json": SIGNED}},
    "registerKey": {"required": True, "content": {"application/json": SIGNED}},
    "rotateKey": {"required": True, "content": {"application/json": SIGNED}},
    "revokeKey": {"required": True, "content": {"application/json": SIGNED}},
    "markNoticeRead": {"required": False, "description": "Geen inhoud: het bericht wordt als gelezen gemarkeerd.",
                       "content": {"application/json": {"schema": {"type": "object", "maxProperties": 0}}}},
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: operation -> the content of its success answer, where it is a file (or more than one media type)
RESPONSE_CONTENT: dict[str, dict] = {
    "getBundle": {"application/json": JSON_OBJECT},
    "getCaseBundle": {"application/json": JSON_OBJECT},
    "getCaseDossier": {"application/pdf": BINARY},
    "getStatement": {"application/json": JSON_OBJECT, "text/csv": {"schema": {"type": "string"}}, XLSX: BINARY},
    "listAudit": {"application/json": JSON_OBJECT, "text/csv": {"schema": {"type": "string"}}, XLSX: BINARY},
}
DAY_OR_NULL = {"type": ["string", "null"], "format": "date"}
GEMEENTE = {"type": "object", "required": ["code", "naam", "geldigVanaf", "geldigTot", "opvolgers"], "properties": {
    "code": {"type": "string", "pattern": "^GM[0-9]{4}$", "description": "de CBS-code (statcode)"},
    "naam": {"type": "string"}, "geldigVanaf": DAY_OR_NULL, "geldigTot": DAY_OR_NULL,
    "opvolgers": {"type": "array", "items": {"type": "string"}, "description": "de codes na een herindeling"}}}
REGIO = {"type": "object", "required": ["id", "naam", "centrumgemeente", "gemeenten"], "properties": {
    "id": {"type": "string"}, "naam": {"type": "string"}, "centrumgemeente": {"type": "string"},
    "gemeenten": {"type": "array", "items": {"type": "object", "required": ["code", "naam"], "properties": {
        "code": {"type": "string"}, "naam": {"type": "string"}}}},
    "t0": DAY_OR_NULL, "geldigVanaf": DAY_OR_NULL, "geldigTot": DAY_OR_NULL}}
ACCEPTED = {"type": "object", "required": ["seq", "entry_hash", "received_at", "duplicate"], "properties": {
    "seq": {"type": "integer"}, "entry_hash": {"type": "string"}, "received_at": {"type": "string", "format": "date-time"},
    "duplicate": {"type": "boolean", "description": "true: een herhaling van een bestaande regel"}}}


def _page_of(member: str, item: dict) -> dict:
    return {"application/json": {"schema": {"type": "object", "required": ["count", "total", member], "properties": {
        "count": {"type": "integer", "description": "het aantal op deze pagina"},
        "total": {"type": "integer", "description": "het aantal van alle pagina's"},
        member: {"type": "array", "items": item}}}}}


HASH_B64 = {**BASE64, "description": "een SHA-256-hash (32 bytes), base64"}
PROOF_B64 = {"type": "array", "items": HASH_B64, "description": "de hashes van het bewijs, in volgorde (RFC 9162)"}
RESPONSE_CONTENT.update({
    "getCheckpointNote": {"text/plain": {"schema": {
        "type": "string", "description": "C2SP tlog-checkpoint als C2SP signed-note: origin, boomgrootte, root "
        "(base64), een lege regel en de handtekeningregel van de beheerder (`— <origin> <base64>`). Te controleren "
        "met de verificatiesleutel van de beheerder (`bwledger ledger vkey`).",
        "example": "bwledger.local/0123456789abcdef\n42\n<base64 root>\n\n\u2014 bwledger.local/0123456789abcdef "
                   "<base64>\n"}}},
    "getConsistencyProof": {"application/json": {"schema": {
        "type": "object", "required": ["van", "tot", "rootVan", "rootTot", "bewijs"], "properties": {
            "van": {"type": "integer"}, "tot": {"type": "integer"}, "rootVan": HASH_B64, "rootTot": HASH_B64,
            "bewijs": PROOF_B64}}}},
    "getInclusionProof": {"application/json": {"schema": {
        "type": "object", "required": ["volgnummer", "grootte", "leafHash", "root", "bewijs"], "properties": {
            "volgnummer": {"type": "integer"}, "grootte": {"type": "integer"}, "leafHash": HASH_B64,
            "root": HASH_B64, "bewijs": PROOF_B64}}}},
    "listMunicipalities": _page_of("gemeenten", _ref("schemas", "Gemeente")),
    "getMunicipality": {"application/json": {"schema": _ref("schemas", "Gemeente")}},
    "listRegions": _page_of("regios", _ref("schemas", "Regio")),
    "getRegion": {"application/json": {"schema": _ref("schemas", "Regio")}},
    "submitEntries": {"application/json": {"schema": {"oneOf": [
        ACCEPTED, {"type": "object", "required": ["results"],
                   "properties": {"results": {"type": "array", "items": ACCEPTED}}}]}}},
})
#: the form of a query or path parameter, by its name (or operation and name), as the handlers check it
#: (api/compose.py check_party and parse_day, api/http/pagination.py, the quarter of the settlement): the
#: handlers read them as text, so Litestar describes them as a string, or null when they may be left out
PARAMETER_FORMS: dict[str, dict] = {
    "party": PARTY, "partij": PARTY, "tegenpartij": PARTY,
    "from": DAY, "to": DAY, "van": DAY, "tot": DAY, "peildatum": DAY, "since": DAY, "date": DAY,
    "quarter": {"type": "string", "pattern": "^(19|20|21)[0-9]{2}-?K[1-4]$",
                "description": "een kwartaal (1900 tot en met 2199), bijvoorbeeld 2026K1 (2026-K1 mag ook)"},
    "page": {"type": "integer", "minimum": 1, "description": "het paginanummer, vanaf 1"},
    "pageSize": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                 "description": f"het aantal per pagina, 1 tot en met {MAX_PAGE_SIZE} (standaard {DEFAULT_PAGE_SIZE})"},
    "getMunicipality.code": {"type": "string", "pattern": "^GM[0-9]{4}$", "description": "de CBS-code (statcode)"},
    "getPlace.seq": {"type": "string", "pattern": "^[0-9]{1,15}$", "description": "het volgnummer van de N1"},
    "uploadCaseDocument.filename": {"type": "string", "minLength": 1, "description": "de naam van het bestand (voor het soort)"},
    "uploadCaseDocument.title": {"type": "string", "minLength": 1},
    "uploadCaseDocument.author": {**PARTY, "description": "de partij van wie het stuk is (een partij in het geschil)"},
    "uploadCaseDocument.supersedes": {"type": "string", "pattern": "^[0-9]{1,15}$", "description": "de id van de vorige versie"},
    "getRegion.region_id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "description": "de id van de regio"},
    "map": {"type": "string", "enum": list(BOXES)},
    "soort": {"type": "array", "items": {"type": "string", "enum": sorted(KINDS_OF)},
              "description": "de soorten (N1..N8), herhaald of met komma's"},
    "ongelezen": {"type": "string", "enum": ["true", "false"], "description": "true: alleen de ongelezen berichten"},
    "determineRules.format": {"type": "string", "enum": ["toml", "json"]},
    "listAudit.format": {"type": "string", "enum": ["json", "csv", "xlsx"]},
    "getStatement.format": {"type": "string", "enum": ["json", "csv", "xlsx"]},
    "getConsistencyProof.van": {"type": "integer", "minimum": 1, "description": "de oudere boomgrootte"},
    "getConsistencyProof.tot": {"type": ["integer", "null"], "minimum": 1,
                                "description": "de nieuwere boomgrootte (standaard: die van het laatste controlepunt)"},
    "getInclusionProof.volgnummer": {"type": "integer", "minimum": 0, "description": "het volgnummer van de regel"},
    "getInclusionProof.grootte": {"type": ["integer", "null"], "minimum": 1,
                                  "description": "de boomgrootte (standaard: die van het laatste controlepunt)"},
}
#: the parameters a handler needs although Litestar reads them as optional (to refuse their absence itself)
REQUIRED_PARAMETERS = frozenset({"uploadCaseDocument.filename", "uploadCaseDocument.title", "uploadCaseDocument.author"})
#: the list endpoints (api/http/pagination.py): their answers carry Link and X-Total-Count
PAGINATED = frozenset({"listEntries", "listAudit", "listMunicipalities", "listRegions"})


def _components(doc: dict) -> None:
    comp = doc.setdefault("components", {})
    comp.setdefault("schemas", {}).update({"Problem": PROBLEM, "InvalidParam": INVALID_PARAM, "Gemeente": GEMEENTE,
                                          "Regio": REGIO})
    comp["headers"] = {
        "API-Version": {"description": "De volledige versie van de API (semver).", "required": True,
                        "schema": {"type": "string", "example": API_VERSION}},
        "Link": {"description": "De andere pagina's (RFC 8288: first, prev, next, last).",
                 "schema": {"type": "string"}},
        "X-Total-Count": {"description": "Het aantal van alle pagina's samen.", "schema": {"type": "integer"}},
    }
    comp["responses"] = {name: {"description": text, "headers": {"API-Version": _ref("headers", "API-Version")},
                                "content": {"application/problem+json": {"schema": _ref("schemas", "Problem")}}}
                         for _code, (name, text) in ERRORS.items()}
    comp["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "een API-token (bwt_...) of een access token "
                                                                      "van de identity provider"},
        "sessie": {"type": "apiKey", "in": "cookie", "name": "bwsession",
                   "description": "de sessie van een aangemelde persoon (schrijven: met X-CSRF-Token)"},
    }


def _operation(op: dict, has_path_params: bool) -> None:
    op_id = op.get("operationId", "")
    rule = policy.rule(op_id)
    public = rule is not None and rule.public
    if rule is not None and rule.what:  # the summary in Dutch (ADR /core/doc-language): the access table's words
        op["summary"] = rule.what[:1].upper() + rule.what[1:]
    for param in op.get("parameters", []):
        form = PARAMETER_FORMS.get(f"{op_id}.{param['name']}") or PARAMETER_FORMS.get(param["name"])
        if form is not None:
            param["schema"] = copy.deepcopy(form)
        if f"{op_id}.{param['name']}" in REQUIRED_PARAMETERS:
            param["required"] = True
    if op_id in REQUEST_BODIES:  # Litestar describes a body read as a dict as any object: what it must be
        op["requestBody"] = copy.deepcopy(REQUEST_BODIES[op_id])
    responses = op.setdefault("responses", {})
    for code in list(responses):
        if code[0] in "45":
            del responses[code]
        else:
            answer = responses[code]
            if op_id in RESPONSE_CONTENT:
                answer["content"] = copy.deepcopy(RESPONSE_CONTENT[op_id])
            for media in answer.setdefault("content", {"application/json": JSON_OBJECT}).values():
                if not media.get("schema"):
                    media["schema"] = {"type": "object"}
            headers = answer.setdefault("headers", {})
            headers["API-Version"] = _ref("headers", "API-Version")
            if op_id in PAGINATED:
                headers.update({"Link": _ref("headers", "Link"), "X-Total-Count": _ref("headers", "X-Total-Count")})
    codes = ["429", "500", "503"]
    if op.get("parameters") or op.get("requestBody"):
        codes.append("400")
    if not public:
        codes += ["401", "403"]
    if has_path_params or not public:
        codes.append("404")
    if op.get("requestBody"):
        codes += ["409", "413", "422"]
    if op_id == "uploadCaseDocument":
        codes.append("415")
    for code in sorted(set(codes)):
        responses[code] = _ref("responses", ERRORS[code][0])
    op["security"] = [] if public else [{"bearer": []}, {"sessie": []}]


def adr_document(schema: dict[str, Any], contact: dict[str, str]) -> dict[str, Any]:
    """The /v1 document from Litestar's (which is left as it is)."""
    doc = copy.deepcopy(schema)
    doc["info"] = {"title": "bwledger API", "version": API_VERSION, "description": DESCRIPTION, "contact": contact}
    doc["servers"] = [{"url": PREFIX, "description": "deze server, versie 1"}]
    paths: dict[str, Any] = {}
    for path, item in sorted(doc.get("paths", {}).items()):
        if not is_v1(path):
            continue
        for method in METHODS:
            if method in item:
                _operation(item[method], "{" in path)
        paths[path[len(PREFIX):] or "/"] = item
    doc["paths"] = paths
    _components(doc)
    return doc


class AdrJsonPlugin(JsonRenderPlugin):
    """Serves `adr_document` of the app's schema (made once per app) as JSON at the OpenAPI router's root."""

    def __init__(self, contact: dict[str, str]) -> None:
        super().__init__(path="/", media_type="application/json")
        self.contact = contact
        self._rendered: bytes | None = None

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None:
            self._rendered = json.dumps(adr_document(openapi_schema, self.contact), ensure_ascii=False,
                                        indent=1).encode("utf-8")
        return self._rendered
