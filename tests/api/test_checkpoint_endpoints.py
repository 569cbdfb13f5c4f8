"""GET /v1/checkpoint (the checkpoint note as text/plain) and the proofs of /v1/bewijzen, on a real store,
read without logging in (a witness has no account here): the note verifies with the operator's verifier
key and the proofs with ledger/merkle.py, against that note's root."""
import base64

from api_helpers import as_json, assert_problem, determination_payload, party, signed
from litestar.testing import TestClient

from api.http.app import create_app
from ledger import service
from ledger.checkpoints import open_checkpoint_note
from ledger.merkle import verify_consistency, verify_inclusion


def _grow(client, n):
    gm = party(client, "GM0166")
    for _ in range(n):
        assert client.post("/v1/grootboek/regels", json=as_json(signed(gm, determination_payload(client)))).status_code == 201


def test_the_note_and_the_proofs_verify_without_an_account(client, settings):
    _grow(client, 3)
    store = client.app.state.store
    with TestClient(create_app(settings)) as anonymous:
        first = anonymous.get("/v1/checkpoint")
        assert first.status_code == 200 and first.headers["content-type"].startswith("text/plain")
        old, _ = open_checkpoint_note(first.content, service.log_vkey(store))
        _grow(client, 4)
        note = anonymous.get("/v1/checkpoint").content
        assert note == store.latest_checkpoint_note()
        new, _ = open_checkpoint_note(note, service.log_vkey(store))
        assert new.tree_size == store.size() > old.tree_size
        r = anonymous.get("/v1/bewijzen/consistentie", params={"van": old.tree_size, "tot": new.tree_size})
        assert r.status_code == 200, r.text
        body = r.json()
        proof = [base64.b64decode(h) for h in body["bewijs"]]
        assert (body["van"], body["tot"]) == (old.tree_size, new.tree_size)
        assert base64.b64decode(body["rootVan"]) == old.root_hash and base64.b64decode(body["rootTot"]) == new.root_hash
        assert verify_consistency(old.tree_size, new.tree_size, proof, old.root_hash, new.root_hash)
        assert anonymous.get("/v1/bewijzen/consistentie", params={"van": 2}).json()["tot"] == new.tree_size
        for seq in (0, new.tree_size - 1):
            body = anonymous.get("/v1/bewijzen/inclusie", params={"volgnummer": seq}).json()
            leaf = base64.b64decode(body["leafHash"])
            assert leaf == store.get_rows([seq])[seq].leaf_hash and body["grootte"] == new.tree_size
            assert verify_inclusion(seq, new.tree_size, leaf, [base64.b64decode(h) for h in body["bewijs"]],
                                    new.root_hash)


def test_a_proof_outside_the_checkpointed_log_is_a_400_naming_the_parameter(client):
    size = client.app.state.store.latest_checkpoint().tree_size
    for params, name in (({"van": 0}, "van"), ({"van": 1, "tot": size + 1}, "tot"), ({"van": 2, "tot": 1}, "tot")):
        body = assert_problem(client.get("/v1/bewijzen/consistentie", params=params), 400, "PROOF_RANGE_INVALID")
        assert [p["name"] for p in body["invalidParams"]] == [name]
    body = assert_problem(client.get("/v1/bewijzen/inclusie", params={"volgnummer": size}), 400, "PROOF_RANGE_INVALID")
    assert [p["name"] for p in body["invalidParams"]] == ["grootte"]
    assert_problem(client.get("/v1/bewijzen/consistentie", params={"van": "een"}), 400, "REQUEST_INVALID")
    assert_problem(client.get("/v1/bewijzen/consistentie"), 400, "REQUEST_INVALID")


def test_the_json_checkpoint_carries_the_note_too(client):
    cp = client.get("/v1/grootboek/controlepunt").json()
    assert cp["note"].encode() == client.app.state.store.latest_checkpoint_note()
    assert cp["note"].startswith(cp["signedBody"]) and cp["signedBody"].count("\n") == 3
