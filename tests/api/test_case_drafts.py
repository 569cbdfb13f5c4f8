"""The browser/CLI signing flow over HTTP, on SQLite and PostgreSQL: the server drafts the exact
statements of a case write (POST /v1/geschillen/concepten), the party's own key signs them, the ledger admits
them (POST /v1/grootboek/regels); the key actions' own endpoints (POST /v1/sleutels, .../rotation,
.../revocation); and a case opened on a cost line."""
from __future__ import annotations

import base64
import json
from datetime import datetime

import pytest
from api_helpers import (
    as_json,
    logged_in,
    assert_problem,
    determination_payload,
    party,
    seed_settlement_and_case,
    signed,
)
from litestar.testing import TestClient

from api.http import create_app
from api.settings import Settings
from cases import service as cases_service
from cases.errors import CaseError
from ledger import keystatements
from ledger.crypto import new_signer
from ledger.entries import make_statement
from ledger.service import SignedStatement
from ledger.store import entries as entries_table

KAMPEN, ZWOLLE, THIRD = "GM0166", "GM0193", "GM0200"


@pytest.fixture
def api(backend, tmp_path):
    """An app on a real store of each backend (checkpoint timer off)."""
    url, schema = backend
    settings = Settings(home=tmp_path, database_url=url, database_schema=schema, checkpoint_seconds=0)
    with TestClient(create_app(settings)) as c:
        yield logged_in(c)


def _determination(client) -> int:
    st = signed(party(client, KAMPEN), determination_payload(client, ZWOLLE))
    r = client.post("/v1/grootboek/regels", json=as_json(st))
    assert r.status_code == 201, r.text
    return r.json()["seq"]


def _draft(client, action: str, signer, *, party_code: str | None = None, **fields):
    body = {"action": action, "party": party_code or signer.party, "key_id": signer.key_id, **fields}
    return client.post("/v1/geschillen/concepten", json=body)


def _statements(response) -> list[bytes]:
    assert response.status_code == 200, response.text
    return [base64.b64decode(s["statement"]) for s in response.json()["statements"]]


def _submit(client, statements: list[bytes], signer):
    items = [as_json(SignedStatement(raw, signer.sign(raw))) for raw in statements]
    return client.post("/v1/grootboek/regels", json={"entries": items})


def test_a_drafted_write_is_signed_by_the_party_and_admitted(api):
    store, zwolle = api.app.state.store, party(api, ZWOLLE)
    det = _determination(api)
    r = _draft(api, "open", zwolle, determination_seq=det, arguments={"question": "Is Zwolle de kostendrager?"})
    [raw] = _statements(r)
    body = r.json()
    assert (body["action"], body["caseId"], body["party"], body["keyId"]) == ("open", f"GS-{det:06d}", ZWOLLE,
                                                                                zwolle.key_id)
    # byte for byte what the service's draft gives for that party, key and moment (what the local path signs)
    at = datetime.fromisoformat(body["authoredAt"])
    local = cases_service.draft_open_case(store, ZWOLLE, det, question="Is Zwolle de kostendrager?")
    assert local.statements(zwolle.key_id, at) == [raw]
    st = json.loads(raw)
    assert (st["kind"], st["author"], st["key_id"], st["idempotency_key"]) == (
        "dispute_event", ZWOLLE, zwolle.key_id, f"case:GS-{det:06d}:0:DETERMINED")
    before = store.size()
    assert _submit(api, [raw], zwolle).status_code == 201
    assert store.size() == before + 1
    case_id = body["caseId"]
    assert api.get(f"/v1/geschillen/{case_id}").json()["status"] == "DETERMINED"

    # an objection is two statements, the N4 objection first, submitted as one batch
    r = _draft(api, "transition", zwolle, case_id=case_id,
               arguments={"target": "objected", "position": "Kampen was de woonplaats."})
    raws = _statements(r)
    assert [s["kind"] for s in r.json()["statements"]] == ["objection", "dispute_event"]
    assert [json.loads(x)["kind"] for x in raws] == ["objection", "dispute_event"]
    res = _submit(api, raws, zwolle)
    assert res.status_code == 201 and [x["seq"] for x in res.json()["results"]] == [before + 1, before + 2]
    case = api.get(f"/v1/geschillen/{case_id}").json()
    assert case["status"] == "OBJECTED" and case["events"][-1]["author"] == ZWOLLE


def test_a_draft_signed_by_another_key_is_refused_by_the_ledger(api):
    store, zwolle, kampen = api.app.state.store, party(api, ZWOLLE), party(api, KAMPEN)
    det = _determination(api)
    raws = _statements(_draft(api, "open", zwolle, determination_seq=det, arguments={"question": "Wie?"}))
    size = store.size()
    # Kampen's key signs the statement that names Zwolle's key: the signature does not verify
    assert_problem(_submit(api, raws, kampen), 422, "SIGNATURE_INVALID")
    # a draft for Kampen naming Zwolle's key, signed by that key: not a key of Kampen
    raws = _statements(_draft(api, "open", zwolle, party_code=KAMPEN, determination_seq=det,
                              arguments={"question": "Wie?"}))
    assert json.loads(raws[0])["author"] == KAMPEN
    assert_problem(_submit(api, raws, zwolle), 403, "KEY_NOT_VALID")
    # a statement changed after the draft (another question) no longer has the signature it was given
    changed = raws[0].replace(b'"question":"Wie?"', b'"question":"Wat?"')
    assert changed != raws[0]
    item = {"statement": base64.b64encode(changed).decode(), "signature": base64.b64encode(kampen.sign(raws[0])).decode()}
    assert_problem(api.post("/v1/grootboek/regels", json=item), 422, "SIGNATURE_INVALID")
    assert store.size() == size


def test_a_party_not_allowed_is_refused_at_draft_time_with_the_local_code(api):
    store = api.app.state.store
    third, zwolle, committee = party(api, THIRD), party(api, ZWOLLE), party(api, "COMMITTEE")
    det = _determination(api)
    size = store.size()
    body = assert_problem(_draft(api, "open", third, determination_seq=det, arguments={"question": "Wie?"}),
                          403, "ACTOR_NOT_ALLOWED")
    with pytest.raises(CaseError) as local:
        cases_service.open_case(store, third, det, question="Wie?")
    assert local.value.code == body["code"] and local.value.message == body["detail"]
    # and the ledger refuses the same opening signed by the third municipality (admission's entitlement
    # rule, before the workflow's: the author of a dispute_event is one of its participants)
    payload = json.loads(_statements(_draft(api, "open", zwolle, determination_seq=det,
                                            arguments={"question": "Wie?"}))[0])["payload"]
    raw = make_statement(kind="dispute_event", author=THIRD, key_id=third.key_id, payload=payload,
                         idempotency_key="third-opens", authored_at=store.clock(), client="PSN-api-test")
    assert_problem(_submit(api, [raw], third), 403, "NOT_ENTITLED")
    assert store.size() == size

    case_id = cases_service.open_case(store, zwolle, det, question="Wie?").case_id
    periods = [{"period_from": "2026-01-01", "period_to": "2026-01-31", "cost_bearer": KAMPEN}]
    for p in (THIRD, KAMPEN):  # only the addressee objects: a third municipality or the claiming party is refused
        signer = party(api, p)
        body = assert_problem(_draft(api, "transition", signer, case_id=case_id,
                                     arguments={"target": "OBJECTED", "position": "Nee."}), 403, "ACTOR_NOT_ALLOWED")
        with pytest.raises(CaseError) as local:
            cases_service.transition(store, signer, case_id, "OBJECTED", position="Nee.")
        assert (local.value.code, local.value.message) == (body["code"], body["detail"])
    # the committee cannot decide a case that is only DETERMINED: the workflow's code, as locally
    body = assert_problem(_draft(api, "decide", committee, case_id=case_id,
                                 arguments={"nature": "binding_advice", "cost_bearers": periods}),
                          409, "TRANSITION_NOT_ALLOWED")
    assert_problem(_draft(api, "transition", zwolle, case_id=case_id, arguments={"target": "OBJECTED"}),
                   422, "POSITION_REQUIRED")
    assert_problem(_draft(api, "submit", zwolle, case_id="GS-999999", arguments={"position": "x"}),
                   404, "CASE_NOT_FOUND")
    assert store.size() == size + 1


@pytest.mark.parametrize("change, field", [
    ({"action": "pay"}, "action"),  # not an action (book is one: the operator's booking)
    ({"key_id": "ABC"}, "key_id"),
    ({"party": "Kampen"}, "party"),
    ({"arguments": {"question": "Wie?", "bsn": "123456782"}}, "arguments.bsn"),
    ({"arguments": {"question": 7}}, "arguments.question"),
    ({"arguments": {}}, "arguments.question"),
    ({"determination_seq": None}, "determination_seq"),
    ({"determination_seq": "1"}, "determination_seq"),
    ({"determination_seq": 10**30}, "determination_seq"),
    ({"arguments": {"question": "Wie?", "documents": "ab" * 32}}, "arguments.documents"),
    ({"extra": 1}, "extra"),
])
def test_a_draft_request_of_the_wrong_form_is_refused(client, change, field):
    zwolle = party(client, ZWOLLE)
    det = _determination(client)
    body = {"action": "open", "party": ZWOLLE, "key_id": zwolle.key_id, "determination_seq": det,
            "arguments": {"question": "Wie?"}, **change}
    problem = assert_problem(client.post("/v1/geschillen/concepten", json=body), 400, "REQUEST_INVALID")
    assert problem["field"] == field, problem


def _key_post(client, path: str, st: SignedStatement):
    return client.post(path, json=as_json(st))


def test_the_key_endpoints_take_exactly_their_action(api):
    store = api.app.state.store
    operator, kampen = store.operator, party(api, KAMPEN)
    newcomer = new_signer(THIRD)
    size = store.size()
    registration = keystatements.registration(operator, THIRD, newcomer.public_key, authored_at=store.clock())
    revocation = keystatements.revocation(kampen, KAMPEN, kampen.key_id, "verloren", authored_at=store.clock())
    # another kind, or the action on another key than the path names: refused before the ledger, nothing stored
    for path, st in (("/v1/sleutels", revocation), (f"/v1/sleutels/{kampen.key_id}/vervanging", revocation),
                     (f"/v1/sleutels/{newcomer.key_id}/intrekking", registration),
                     (f"/v1/sleutels/{'0' * 64}/intrekking", revocation)):
        assert_problem(_key_post(api, path, st), 422, "KEY_ACTION_MISMATCH")
    # a registration signed by a party: the ledger's admission refuses it (only the operator registers)
    by_party = keystatements.registration(kampen, THIRD, newcomer.public_key, authored_at=store.clock())
    assert_problem(_key_post(api, "/v1/sleutels", by_party), 403, "NOT_ENTITLED")
    assert store.size() == size

    r = _key_post(api, "/v1/sleutels", registration)
    assert r.status_code == 201 and r.json()["seq"] == size, r.text
    again = _key_post(api, "/v1/sleutels", registration)
    assert again.status_code == 200 and again.json() == {**r.json(), "duplicate": True}
    assert api.post("/v1/grootboek/regels", json=as_json(signed(newcomer, determination_payload(api, KAMPEN)))
                    ).status_code == 201  # the registered key signs

    # Kampen rotates its key through the endpoint: the old key ends, the new one signs
    fresh = new_signer(KAMPEN)
    rotation = keystatements.rotation(kampen, fresh.public_key, authored_at=store.clock())
    r = _key_post(api, f"/v1/sleutels/{kampen.key_id}/vervanging", rotation)
    assert r.status_code == 201, r.text
    row = store.get_rows([r.json()["seq"]])[r.json()["seq"]]
    assert (row.kind, row.author) == ("key_rotation", KAMPEN)
    n3 = determination_payload(api, KAMPEN)
    assert_problem(api.post("/v1/grootboek/regels", json=as_json(signed(kampen, n3))), 403, "KEY_NOT_VALID")
    assert api.post("/v1/grootboek/regels", json=as_json(signed(fresh, n3))).status_code == 201

    # the operator revokes the newcomer's key through the endpoint
    revoke = keystatements.revocation(operator, THIRD, newcomer.key_id, "account opgeheven",
                                      authored_at=store.clock())
    assert _key_post(api, f"/v1/sleutels/{newcomer.key_id}/intrekking", revoke).status_code == 201
    assert_problem(api.post("/v1/grootboek/regels", json=as_json(signed(newcomer, n3))), 403, "KEY_NOT_VALID")
    operations = {op["operationId"] for p in api.get("/v1/openapi.json").json()["paths"].values()
                  for op in p.values() if isinstance(op, dict) and "operationId" in op}
    assert {"draftCaseStatements", "draftSettlementStatements", "uploadCaseDocument", "registerKey", "rotateKey",
            "revokeKey"} <= operations


def test_a_case_on_a_cost_line(api):
    """A cost line is disputed without going through a determination's case: opened by its cost bearer
    (drafted, signed by the bearer's key), shown, listed and on the work list; a party of neither side
    is refused at draft time and by the ledger."""
    store = api.app.state.store
    seed_settlement_and_case(api)
    lines = [r for r in store.rows_where(entries_table.c.kind == "cost_line")
             if json.loads(r.statement)["payload"]["cost_bearer"] == "GM0148"]
    line = lines[0]
    bearer, third = party(api, "GM0148"), party(api, ZWOLLE)
    size = store.size()
    assert_problem(_draft(api, "open", third, cost_line_seq=line.seq, arguments={"question": "Wie?"}),
                   403, "ACTOR_NOT_ALLOWED")
    assert_problem(_draft(api, "open", bearer, cost_line_seq=size + 5, arguments={"question": "Wie?"}),
                   404, "COST_LINE_NOT_FOUND")
    # a cost line named as the determination: refused
    assert_problem(_draft(api, "open", bearer, determination_seq=line.seq, arguments={"question": "Wie?"}),
                   404, "DETERMINATION_NOT_FOUND")
    r = _draft(api, "open", bearer, cost_line_seq=line.seq,
               arguments={"question": "Is Dalfsen de kostendrager van deze dagen?"})
    [raw] = _statements(r)
    payload = json.loads(raw)["payload"]
    assert payload["cost_line"] == {"seq": line.seq, "entry_hash": line.leaf_hash.hex()}
    assert "determination" not in payload
    assert (payload["claiming"], payload["responding"]) == (KAMPEN, "GM0148")
    forged = make_statement(kind="dispute_event", author=ZWOLLE, key_id=third.key_id, payload=payload,
                            idempotency_key="zwolle-opens", authored_at=store.clock(), client=line.client)
    assert_problem(_submit(api, [forged], third), 403, "NOT_ENTITLED")  # not a participant
    assert store.size() == size
    assert _submit(api, [raw], bearer).status_code == 201
    case_id = r.json()["caseId"]
    assert case_id == cases_service.case_id_for(line.seq)

    case = api.get(f"/v1/geschillen/{case_id}").json()
    assert (case["status"], case["parties"]["claiming"], case["parties"]["responding"], case["client"]) == (
        "DETERMINED", KAMPEN, "GM0148", line.client)
    assert case["subject"] == {"kind": "cost_line", "seq": line.seq, "entryHash": line.leaf_hash.hex()}
    view = cases_service.case_view(store, case_id)
    assert view.subject_kind == "cost_line" and view.subject_ref == {"cost_line": payload["cost_line"]}
    assert case_id in {v.case_id for v in cases_service.list_cases(store)}
    assert case_id in {d["caseId"] for d in api.get("/v1/geschillen").json()["disputes"]}
    page = api.get(f"/geschillen/{case_id}", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Kostenregel" in page.text, page.text
    dossier = api.get(f"/v1/geschillen/{case_id}/dossier")
    assert dossier.status_code == 200 and dossier.content.startswith(b"%PDF-")

    # the bearer objects: a cost line's case has no N4 objection, only the event
    r = _draft(api, "transition", bearer, case_id=case_id, arguments={"target": "OBJECTED", "position": "Niet van ons."})
    assert [s["kind"] for s in r.json()["statements"]] == ["dispute_event"]
    assert _submit(api, _statements(r), bearer).status_code == 201
    assert api.get(f"/v1/geschillen/{case_id}").json()["status"] == "OBJECTED"
    # opening it again is refused with the local code
    assert_problem(_draft(api, "open", bearer, cost_line_seq=line.seq, arguments={"question": "Nog eens?"}),
                   409, "CASE_EXISTS")
    report = api.get("/v1/grootboek/controle").json()
    assert report["ok"] is True, report["problems"]


def test_the_transitions_by_time_are_drafted_for_the_operator_only(api):
    store = api.app.state.store
    zwolle = party(api, ZWOLLE)
    det = _determination(api)
    cases_service.open_case(store, zwolle, det, question="Wie?")
    assert_problem(_draft(api, "timed", zwolle), 403, "ACTOR_NOT_ALLOWED")
    assert_problem(_draft(api, "timed", store.operator, case_id="GS-000001"), 400, "REQUEST_INVALID")
    r = _draft(api, "timed", store.operator)  # the objection term has not passed: nothing is due
    assert r.status_code == 200 and r.json()["caseId"] is None and r.json()["statements"] == [], r.text
