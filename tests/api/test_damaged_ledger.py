"""A damaged checkpoint row (here its timestamp) is reported, never a 500: the health endpoint and the
start page say the ledger needs attention, a bundle is still exported and verifies against the newest
readable checkpoint, and `verify` names the row."""
import sqlalchemy as sa

from api_helpers import as_json, determination_payload, party, signed


def test_a_damaged_checkpoint_timestamp_is_reported_not_a_500(client, tmp_path):
    store = client.app.state.store
    gm = party(client)
    assert client.post("/v1/grootboek/regels", json=as_json(signed(gm, determination_payload(client)))).status_code == 201
    newest = store.latest_checkpoint()
    with store.engine.begin() as c:
        c.exec_driver_sql("DROP TRIGGER ledger_checkpoints_no_update")
        c.execute(sa.text("UPDATE ledger_checkpoints SET created_at = 'gisteren' WHERE id = :i"), {"i": newest.id})
    health = client.get("/v1/gezondheid")
    assert health.status_code == 200 and health.json()["status"] == "attention"
    assert f"id {newest.id}" in health.json()["ledger"]["needsAttention"][0]
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "vraagt aandacht" in page.text
    assert client.get("/v1/grootboek/controlepunt").json()["id"] == newest.id - 1  # the newest readable one
    bundle = client.get("/v1/grootboek/bundel", params={"party": "GM0166", "from": "2020-01-01", "to": "2099-12-31"})
    assert bundle.status_code == 200, bundle.text
    report = client.get("/v1/grootboek/controle").json()
    assert not report["ok"] and {p["code"] for p in report["problems"]} >= {"CHECKPOINT_UNREADABLE"}
