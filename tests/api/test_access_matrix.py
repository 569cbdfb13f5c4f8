"""The access matrix, generated from the policy table (api/access/policy.toml): every route of the app x
every role x the caller's own party, another party, and no login (with the security headers of every answer). Each request is answered as the table
says (allowed: the guard lets it through; refused: 401, 403 or 404 with its code), and every audited one
leaves its record in the audit log, which verifies afterwards.

It fails when a route is added without a policy entry, or without an example request here (REQUESTS),
so a new endpoint cannot slip past the table."""
from __future__ import annotations

import time

import pytest
from api_helpers import as_json, determination_payload, seed_settlement_and_case, signed, sqlite_settings
from litestar.testing import TestClient

from api.access import audit, policy, totp
from api.access.identity import ROLES
from api.http import create_app
from api.http.guards import operation_of
from ledger import service

OWN, OTHER = "GM0166", "GM0200"  # Kampen is a party of the seeded case and statements; Apeldoorn of neither
PASSWORD = "wachtwoord voor de matrix"


def _statement(signer, kind="determination", payload=None):
    return as_json(signed(signer, payload or determination_payload()))


def requests_for(env) -> dict[str, tuple[str, str, dict]]:
    """operation -> (method, path, httpx keyword arguments): one request per operation about OWN's data."""
    case, key_id = env["case_id"], env["key_id"]
    entry = _statement(env["signer"])
    rotation = as_json(service.sign_statement(env["signer"], "key_revocation", {
        "party": OWN, "key_id": key_id, "reason": "matrix"}, idempotency_key="matrix-revoke"))
    return {
        "start": ("GET", "/", {}), "static": ("GET", "/static/style.css", {}),
        "openapi": ("GET", "/v1/openapi.json", {}), "options": ("OPTIONS", "/v1/gezondheid", {}),
        "getHealth": ("GET", "/v1/gezondheid", {}), "getCheckpoint": ("GET", "/v1/grootboek/controlepunt", {}),
        "getCheckpointNote": ("GET", "/v1/checkpoint", {}),
        "getConsistencyProof": ("GET", "/v1/bewijzen/consistentie", {"params": {"van": 1}}),
        "getInclusionProof": ("GET", "/v1/bewijzen/inclusie", {"params": {"volgnummer": 0}}),
        "loginForm": ("GET", "/aanmelden", {}),
        "loginSubmit": ("POST", "/aanmelden", {"data": {"gebruiker": "niemand", "wachtwoord": "x"}}),
        "secondFactorForm": ("GET", "/aanmelden/code", {}),
        "secondFactorSubmit": ("POST", "/aanmelden/code", {"data": {"code": "000000"}}),
        "logout": ("POST", "/afmelden", {"data": {}}), "whoAmI": ("GET", "/v1/ik", {}),
        "determineRules": ("POST", "/v1/beoordelingen", {"content": b"[[case]]"}),
        "assessmentForm": ("GET", "/beoordeling", {}),
        "assessmentSubmit": ("POST", "/beoordeling", {"files": {"feiten": (None, "")}}),
        "verifyLedger": ("GET", "/v1/grootboek/controle", {}), "runVerification": ("POST", "/verificatie", {}),
        "submitEntries": ("POST", "/v1/grootboek/regels", {"json": entry}),
        "listEntries": ("GET", "/v1/grootboek/regels", {"params": {"party": OWN}}),
        "ledgerPage": ("GET", "/grootboek", {"params": {"partij": OWN}}),
        "getBundle": ("GET", "/v1/grootboek/bundel", {"params": {"party": OWN}}),
        "registerKey": ("POST", "/v1/sleutels", {"json": {}}),
        "rotateKey": ("POST", f"/v1/sleutels/{key_id}/vervanging", {"json": rotation}),
        "revokeKey": ("POST", f"/v1/sleutels/{key_id}/intrekking", {"json": rotation}),
        "getSettlement": ("GET", "/v1/verrekeningen/2026K1", {}),
        "settlementPage": ("GET", "/verrekening", {"params": {"kwartaal": "2026K1"}}),
        "getStatement": ("GET", f"/v1/verrekeningen/2026K1/overzichten/{OWN}?format=json", {}),
        "draftSettlementStatements": ("POST", "/v1/verrekeningen/concepten", {"json": {"party": OWN, "action": "x"}}),
        "listCases": ("GET", "/v1/geschillen", {}), "worklistPage": ("GET", "/geschillen", {}),
        "draftCaseStatements": ("POST", "/v1/geschillen/concepten", {"json": {"party": OWN, "action": "x"}}),
        "getCase": ("GET", f"/v1/geschillen/{case}", {}), "casePage": ("GET", f"/geschillen/{case}", {}),
        "prepareCaseStep": ("POST", f"/geschillen/{case}/stap", {"data": {"stap": "submit"}}),
        "uploadCaseDocumentForm": ("POST", f"/geschillen/{case}/stukken", {"files": {"bestand": ("a.txt", b"x")},
                                                                          "data": {"titel": "t"}}),
        "getCaseDocument": ("GET", f"/v1/geschillen/{case}/stukken/999", {}),
        "openCaseForm": ("GET", "/geschillen/openen", {"params": {"regel": "1"}}),
        "prepareCaseOpening": ("POST", "/geschillen/openen", {"data": {"regel": "1"}}),
        "getCaseZgw": ("GET", f"/v1/geschillen/{case}/zgw", {}),
        "getCaseBundle": ("GET", f"/v1/geschillen/{case}/bundel", {}),
        "getCaseDossier": ("GET", f"/v1/geschillen/{case}/dossier", {}),
        "uploadCaseDocument": ("POST", f"/v1/geschillen/{case}/stukken",
                               {"params": {"author": OWN, "filename": "a.txt", "title": "t"}, "content": b"x"}),
        "quarterPage": ("GET", f"/verrekening/2026K1/{OWN}", {}),
        "quarterPositionChart": ("GET", f"/verrekening/2026K1/{OWN}/positie.svg", {}),
        "quarterReconcile": ("POST", f"/verrekening/2026K1/{OWN}/aansluiting",
                             {"files": {"bestand": ("eigen.csv", b"Regel-id;Bedrag\r\n1;12,00\r\n", "text/csv")}}),
        "entryPage": ("GET", "/grootboek/1", {}),
        "listAudit": ("GET", "/v1/auditlogboek", {"params": {"party": OWN}}),
        "verifyAudit": ("GET", "/v1/auditlogboek/controle", {}),
        "makePseudonym": ("POST", "/v1/clienten/pseudoniemen", {"json": {"bsn": "12345678"}}),
        "sealPlace": ("POST", "/v1/clienten/plaatsen", {"json": {"client": "PSN-seed-1", "place": "voorziening"}}),
        "getPlace": ("GET", "/v1/grootboek/regels/1/plaats", {}),
        "listMunicipalities": ("GET", "/v1/gemeenten", {"params": {"pageSize": "5"}}),
        "getMunicipality": ("GET", f"/v1/gemeenten/{OWN}", {}),
        "listRegions": ("GET", "/v1/regios", {}), "getRegion": ("GET", "/v1/regios/ijssel-vecht", {}),
        "legacyRedirect": ("GET", "/api/health", {}),
        "draftMonthBooking": ("POST", "/v1/boekingen", {"json": {"month": "2026-03", "party": OWN, "keyId": key_id}}),
        "draftPlacement": ("POST", "/v1/plaatsingen", {"json": {"party": OWN, "keyId": key_id}}),
        "monthBookingSubmit": ("POST", "/verrekening/boeken", {"data": {"maand": "2026-03", "partij": OWN}}),
        "listNotices": ("GET", "/v1/berichten", {"params": {"map": "inbox"}}),
        "markNoticeRead": ("POST", "/v1/berichten/1/gelezen", {}),
        "noticesPage": ("GET", "/berichten", {}), "noticePage": ("GET", "/berichten/1", {}),
        "acknowledgeNoticeForm": ("GET", "/berichten/1/bevestigen", {}),
        "keyPage": ("GET", "/sleutel", {}),
        "requestKey": ("POST", "/sleutel", {"data": {"publieke_sleutel": "not a key"}}),
        "recordDetermination": ("POST", "/v1/vastgelegde-beoordelingen", {"json": {"partij": OWN, "sleutelId": "x"}}),
        "answerDetermination": ("POST", "/v1/vastgelegde-beoordelingen/1/antwoorden", {"json": {"partij": OWN, "sleutelId": "x"}}),
        "redetermineDetermination": ("POST", "/v1/vastgelegde-beoordelingen/1/herbeoordelingen",
                                     {"json": {"partij": OWN, "sleutelId": "x"}}),
        "requestHandover": ("POST", "/v1/overdrachtsverzoeken", {"json": {"partij": OWN, "sleutelId": "x"}}),
        "answerHandover": ("POST", "/v1/overdrachtsverzoeken/1/antwoorden", {"json": {"partij": OWN, "sleutelId": "x"}}),
        "recordDeterminationPage": ("POST", "/beoordeling/vastleggen", {"files": {"client": (None, "")}}),
        "getDeterminationTrail": ("GET", f"/v1/vastgelegde-beoordelingen/{'a' * 64}/spoor", {}),
    }


#: the callers of the matrix: (name, party, roles, committee member assigned to the case?)
CALLERS = [("finance-own", OWN, ("finance",)), ("finance-other", OTHER, ("finance",)),
           ("regio-own", OWN, ("regio",)), ("regio-other", OTHER, ("regio",)),
           ("commissielid-assigned", "COMMITTEE", ("commissielid",)),
           ("commissielid-other", "COMMITTEE", ("commissielid",)),
           ("secretaris", "COMMITTEE", ("secretaris",)), ("auditor", "OPERATOR", ("auditor",)),
           ("beheer-own", OWN, ("beheer",)), ("beheer-operator", "OPERATOR", ("beheer",))]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("matrix")
    with TestClient(create_app(sqlite_settings(home)), base_url="https://testserver.local") as c:
        seed = seed_settlement_and_case(c)
        store, access = c.app.state.store, c.app.state.access
        signer = service.party_signer(store, c.app.state.settings.keys_dir, OWN)
        callers = {}
        for name, party, roles in CALLERS:
            made = access.add_account(name, party, roles, password=PASSWORD)
            callers[name] = (made.account, made.totp_secret)
        access.assign_case(seed["case_id"], "commissielid-assigned", by="test")
        yield {"client": c, "case_id": seed["case_id"], "signer": signer, "key_id": signer.key_id,
               "callers": callers, "participants": {OWN, "GM0193", "COMMITTEE"}}


def _log_in(client, name: str, secret: str | None) -> None:
    """Each caller logs in as a person does: the password, then the TOTP code when its roles need one."""
    client.cookies.clear()
    r = client.post("/aanmelden", data={"gebruiker": name, "wachtwoord": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    if secret:
        r = client.post("/aanmelden/code", data={"code": totp.code_at(secret, time.time())}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/", r.text


def expected(rule: policy.Rule, account, participants) -> tuple[int, str] | None:
    """What the table says, worked out here from its fields: None (allowed), or (status, code)."""
    if rule.public:
        return None
    if account is None:
        return 401, "NOT_AUTHENTICATED"
    if rule.login:
        return None
    identity = account.identity()
    grant = rule.grant_for(identity)
    if grant is None:
        return 403, "ROLE_NOT_ALLOWED"
    if grant == "any" or rule.resource in ("none", "list"):
        return None
    if rule.resource == "self":
        return None if identity.party == OWN else (403, "PARTY_NOT_OWN")
    concerned = {OWN} if rule.resource == "party" else participants
    if grant == "own":
        return None if identity.party in concerned else (404, "NOT_FOUND")
    return None if account.username == "commissielid-assigned" else (404, "NOT_FOUND")


def test_every_route_has_a_policy_entry_and_an_example_request(env):
    app, table = env["client"].app, policy.rules()
    routes = {operation_of(h, r.path) for r in app.routes for h in r.route_handlers}
    assert None not in routes, "a route without an operationId: give it one and a policy entry"
    assert routes <= table.keys(), f"routes without a policy entry: {sorted(routes - table.keys())}"
    example = requests_for(env)
    missing = {op for op in routes if op not in example} - {"oidcLogin", "oidcCallback"}
    assert not missing, f"operations without an example request in the matrix: {sorted(missing)}"
    assert {role for rule in table.values() for role in rule.roles()} == set(ROLES)


def test_the_matrix_every_role_own_other_and_no_login(env):
    client, table = env["client"], policy.rules()
    examples = requests_for(env)
    before = audit.head(client.app.state.store)
    audited = 0
    seen: dict[tuple[str, str], int] = {}
    for name, account_secret in [("anoniem", (None, None)), *env["callers"].items()]:
        account, secret = account_secret
        if account is None:
            client.cookies.clear()
        else:
            _log_in(client, name, secret)
        me = client.get("/v1/ik")
        csrf = me.json()["csrf"] if account is not None else ""
        for op, (method, path, kwargs) in examples.items():
            rule = table[op]
            if op in ("logout", "loginSubmit", "secondFactorSubmit"):
                continue  # they end or replace the session of the caller; tested in test_access.py
            kw = dict(kwargs)
            kw["headers"] = {"x-csrf-token": csrf, "accept": "application/json"}
            r = client.request(method, path, follow_redirects=False, **kw)
            want = expected(rule, account, env["participants"])
            body = r.json() if r.headers.get("content-type", "").startswith("application/") and r.content \
                and "json" in r.headers["content-type"] else {}
            if want is None:
                assert r.status_code not in (401, 403) and body.get("code") != "NOT_FOUND", (name, op, r.text[:300])
            else:
                assert (r.status_code, body.get("code")) == want, (name, op, r.status_code, r.text[:300])
            seen[(name, op)] = r.status_code
            headers = r.headers  # on every route, allowed or refused (api/http/app.py SECURITY_HEADERS)
            assert "frame-ancestors 'none'" in headers["content-security-policy"], (name, op)
            assert "script-src" not in headers["content-security-policy"] or "unsafe-inline" not in \
                headers["content-security-policy"], (name, op)
            assert (headers["x-content-type-options"], headers["referrer-policy"]) == ("nosniff", "no-referrer")
            assert headers["strict-transport-security"].startswith("max-age="), (name, op)  # served over TLS
            audited += rule.audit is not None
    assert len(seen) == (len(CALLERS) + 1) * (len(examples) - 3)
    # every audited request of the matrix is in the audit log (both chains), and the log verifies
    logins = len(CALLERS) + sum(1 for account, secret in env["callers"].values() if secret)  # password, code
    after = audit.head(client.app.state.store)
    assert after.processing_size - before.processing_size == audited + logins
    assert after.access_size - before.access_size == audited + logins
    assert audit.verify(client.app.state.store) == []


def test_a_refused_page_is_a_dutch_page_and_an_anonymous_page_goes_to_the_login(env):
    client = env["client"]
    client.cookies.clear()
    r = client.get("/grootboek?partij=GM0166", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/aanmelden?terug=/grootboek%3Fpartij%3DGM0166"
    _log_in(client, "finance-other", None)
    r = client.get("/grootboek?partij=GM0166", headers={"accept": "text/html"})
    assert r.status_code == 404 and '<html lang="nl">' in r.text and "Deze pagina bestaat niet." in r.text
    r = client.get("/v1/grootboek/controle", headers={"accept": "text/html"})
    assert r.status_code == 403 and "uw rol (financiën) mag dit niet" in r.text
