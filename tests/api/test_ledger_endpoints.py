"""The ledger endpoints on a real SQLite store: submissions, entries, checkpoint, bundle, verify."""
import base64

from api_helpers import as_json, assert_problem, determination_payload, party, signed
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import service


def test_health_reports_the_ledger(client):
    r = client.get("/v1/gezondheid")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["ledger"]["entries"] == 1  # the operator's genesis key entry
    assert body["checkpoint_timer"]["running"] is False  # 0 seconds in these tests: the timer is off


def test_a_signed_statement_is_appended_once(client):
    st = signed(party(client, "GM0166"))
    r = client.post("/v1/grootboek/regels", json=as_json(st))
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["duplicate"] is False and len(first["entry_hash"]) == 64
    again = client.post("/v1/grootboek/regels", json=as_json(st))
    assert again.status_code == 200 and again.json() == {**first, "duplicate": True}
    store = client.app.state.store
    assert store.size() == first["seq"] + 1
    cp = client.get("/v1/grootboek/controlepunt").json()  # a checkpoint at the end of the append batch
    assert cp["tree_size"] == store.size()


def test_a_batch_is_all_or_nothing(client):
    gm = party(client, "GM0166")
    good = [as_json(signed(gm)) for _ in range(3)]
    r = client.post("/v1/grootboek/regels", json={"entries": good})
    assert r.status_code == 201 and [x["duplicate"] for x in r.json()["results"]] == [False] * 3
    size = client.app.state.store.size()
    bad = as_json(signed(gm))
    bad["signature"] = base64.b64encode(b"\0" * 64).decode()
    body = assert_problem(client.post("/v1/grootboek/regels", json={"entries": [as_json(signed(gm)), bad]}),
                          422, "SIGNATURE_INVALID")
    assert body["index"] == 1
    assert client.app.state.store.size() == size


def test_every_ledger_refusal_is_a_problem_with_its_code(client):
    gm = party(client, "GM0166")
    st = signed(gm, key="same-key")
    assert client.post("/v1/grootboek/regels", json=as_json(st)).status_code == 201
    other = signed(gm, determination_payload(det_id="det-2"), key="same-key")
    assert_problem(client.post("/v1/grootboek/regels", json=as_json(other)), 409, "IDEMPOTENCY_CONFLICT")
    # a key the ledger never registered
    from ledger.crypto import new_signer
    assert_problem(client.post("/v1/grootboek/regels", json=as_json(signed(new_signer("GM0200")))), 403,
                   "KEY_NOT_VALID")
    # the committee may not author a determination
    assert_problem(client.post("/v1/grootboek/regels", json=as_json(signed(party(client, "COMMITTEE")))), 403,
                   "NOT_ENTITLED")
    broken = as_json(st)
    broken["statement"] = base64.b64encode(b"not json").decode()
    assert_problem(client.post("/v1/grootboek/regels", json=broken), 422, "STATEMENT_INVALID")


def test_malformed_submissions_are_request_problems(client):
    assert_problem(client.post("/v1/grootboek/regels", json={"statement": "***", "signature": "AA=="}), 400,
                   "REQUEST_INVALID")
    assert_problem(client.post("/v1/grootboek/regels", json={"signature": "AA=="}), 400, "REQUEST_INVALID")
    assert_problem(client.post("/v1/grootboek/regels", json={"entries": []}), 400, "REQUEST_INVALID")
    assert_problem(client.post("/v1/grootboek/regels", json=[1, 2]), 400, "REQUEST_INVALID")
    assert_problem(client.post("/v1/grootboek/regels", content=b"{", headers={"content-type": "application/json"}),
                   400, "REQUEST_INVALID")


def test_entries_of_a_party_and_period(client):
    gm = party(client, "GM0166")
    client.post("/v1/grootboek/regels", json=as_json(signed(gm, determination_payload("GM0193"))))
    client.post("/v1/grootboek/regels", json=as_json(signed(gm, determination_payload("GM0148"))))
    r = client.get("/v1/grootboek/regels", params={"party": "GM0193"})
    assert r.status_code == 200, r.text
    rows = r.json()["entries"]
    assert [e["payload"]["addressee"] for e in rows] == ["GM0193"] and rows[0]["author"] == "GM0166"
    assert len(client.get("/v1/grootboek/regels", params={"party": "GM0166"}).json()["entries"]) == 2
    assert client.get("/v1/grootboek/regels", params={"party": "GM0193", "from": "2000-01-01",
                                                     "to": "2000-12-31"}).json()["count"] == 0
    assert_problem(client.get("/v1/grootboek/regels", params={"party": "Kampen"}), 400, "REQUEST_INVALID")
    assert_problem(client.get("/v1/grootboek/regels", params={"party": "GM0193", "from": "1-1-2026"}), 400,
                   "REQUEST_INVALID")
    assert_problem(client.get("/v1/grootboek/regels", params={"party": "GM0193", "from": "2026-02-01",
                                                             "to": "2026-01-01"}), 400, "REQUEST_INVALID")
    assert_problem(client.get("/v1/grootboek/regels"), 400, "REQUEST_INVALID")


def test_checkpoint_is_signed_by_the_operator(client):
    cp = client.get("/v1/grootboek/controlepunt").json()
    operator = client.app.state.store.operator
    assert cp["key_id"] == operator.key_id
    # the checkpoint note's text (ledger/data/checkpoints.toml: from note_from on): origin, size, base64 root
    origin, size, root = cp["signed_body"].splitlines()
    assert int(size) == cp["tree_size"] and base64.b64decode(root).hex() == cp["root_hash"]
    assert origin == client.app.state.store.origin()
    Ed25519PublicKey.from_public_bytes(operator.public_key).verify(base64.b64decode(cp["signature"]),
                                                                   cp["signed_body"].encode())


def test_bundle_download_verifies_offline(client, tmp_path):
    gm = party(client, "GM0166")
    client.post("/v1/grootboek/regels", json=as_json(signed(gm)))
    r = client.get("/v1/grootboek/bundel", params={"party": "GM0193", "from": "2000-01-01", "to": "2100-01-01"})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith('attachment; filename="bundle-GM0193-')
    out = tmp_path / "b.json"
    out.write_bytes(r.content)
    report = service.verify_bundle_file(out, trusted_operator_keys=[client.app.state.store.operator.key_id])
    assert report.ok and report.entries == 1 and report.party == "GM0193"
    assert_problem(client.get("/v1/grootboek/bundel", params={"party": "nobody"}), 400, "REQUEST_INVALID")


def test_verify_reports_ok(client):
    client.post("/v1/grootboek/regels", json=as_json(signed(party(client, "GM0166"))))
    r = client.get("/v1/grootboek/controle")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and body["problems"] == [] and body["entries"] == client.app.state.store.size()
