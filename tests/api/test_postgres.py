"""The main endpoints on PostgreSQL (a fresh schema per test; never skipped)."""
import pytest
from api_helpers import K01, PG_URL, as_json, determination_payload, logged_in, party, signed
from litestar.testing import TestClient

from api.http import create_app
from api.settings import Settings

pytestmark = pytest.mark.postgres


def test_main_endpoints_on_postgresql(tmp_path, pg_schema):
    settings = Settings(home=tmp_path, database_url=PG_URL, database_schema=pg_schema, checkpoint_seconds=0)
    with TestClient(create_app(settings)) as client:
        logged_in(client)
        assert client.get("/v1/gezondheid").json()["ledger"]["entries"] == 1
        entries = [as_json(signed(party(client), determination_payload(client))) for _ in range(3)]
        r = client.post("/v1/grootboek/regels", json={"entries": entries})
        assert r.status_code == 201, r.text
        size = client.app.state.store.size()
        assert size == 5  # genesis, GM0166's key, three determinations
        assert client.get("/v1/grootboek/controlepunt").json()["treeSize"] == size
        rows = client.get("/v1/grootboek/regels", params={"party": "GM0193"}).json()["entries"]
        assert len(rows) == 3 and {e["kind"] for e in rows} == {"determination"}
        assert client.get("/v1/grootboek/bundel", params={"party": "GM0193"}).json()["checkpoint"]["tree_size"] == size
        assert client.get("/v1/grootboek/controle").json()["ok"] is True
        det = client.post("/v1/beoordelingen", content=K01.encode()).json()["determination"]
        assert det["cost_bearer"] == "GM0166"
        assert "Grootboek" in client.get("/grootboek", params={"partij": "GM0193"}).text
    # the schema really holds the ledger (not a default schema or SQLite by mistake)
    import sqlalchemy as sa
    engine = sa.create_engine(PG_URL)
    with engine.connect() as c:
        assert c.exec_driver_sql(f"SELECT count(*) FROM {pg_schema}.ledger_entries").scalar_one() == size
    engine.dispose()
