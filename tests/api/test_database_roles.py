"""The roles of docs/deployment.md, "Creating the database and roles", for real, in a cluster of the test's own
(tests/pg_cluster.py `single_cluster`: roles are cluster-wide): the owner runs `bwledger db upgrade` and
`bwledger ledger init`; the servers' role, with exactly the grants the guide gives, then serves, appends,
logs in, counts and reports; and it can neither change an entry nor alter a table."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from api_helpers import as_json, determination_payload, logged_in, signed
from litestar.testing import TestClient
from pg_cluster import SINGLE_PORT, single_cluster, url
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.http import create_app
from api.settings import Settings
from ledger import service

pytestmark = pytest.mark.postgres
runner = CliRunner()
#: the SQL of docs/deployment.md (passwords left out: the test cluster trusts 127.0.0.1)
ROLES = """
CREATE ROLE bwledger_owner LOGIN;
CREATE ROLE bwledger_app LOGIN;
CREATE DATABASE bwledger OWNER bwledger_owner ENCODING 'UTF8';
"""
IN_DATABASE = """
CREATE SCHEMA bwledger AUTHORIZATION bwledger_owner;
GRANT USAGE ON SCHEMA bwledger TO bwledger_app;
ALTER DEFAULT PRIVILEGES FOR ROLE bwledger_owner IN SCHEMA bwledger
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO bwledger_app;
ALTER DEFAULT PRIVILEGES FOR ROLE bwledger_owner IN SCHEMA bwledger
    GRANT USAGE, SELECT ON SEQUENCES TO bwledger_app;
"""


def _run(url: str, script: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            for statement in filter(str.strip, script.split(";")):
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def test_the_guides_roles_run_the_server(tmp_path):
    with single_cluster() as admin:
        _run(admin, ROLES)
        _run(url(SINGLE_PORT, "bwledger"), IN_DATABASE)
        owner = f"postgresql+psycopg://bwledger_owner@127.0.0.1:{SINGLE_PORT}/bwledger"
        app_url = f"postgresql+psycopg://bwledger_app@127.0.0.1:{SINGLE_PORT}/bwledger"
        env = {"BWLEDGER_HOME": str(tmp_path), "BWLEDGER_DATABASE_URL": owner, "BWLEDGER_DATABASE_SCHEMA": "bwledger"}
        for command in (["db", "upgrade"], ["ledger", "init"]):
            done = runner.invoke(cli_app, command, env=env)
            assert done.exit_code == 0, done.output
        settings = Settings(home=tmp_path, database_url=app_url, database_schema="bwledger", checkpoint_seconds=0,
                            replay_determinations=False)
        with TestClient(create_app(settings), base_url="https://testserver.local") as c:
            logged_in(c)
            store = c.app.state.store
            signer = service.party_signer(store, settings.keys_dir, "GM0166")
            r = c.post("/v1/grootboek/regels", json=as_json(signed(signer, determination_payload(det_id="roles"))))
            assert r.status_code == 201, r.text
            assert c.post("/aanmelden", data={"gebruiker": "niemand", "wachtwoord": "x"}).status_code == 401
            assert c.get("/v1/gezondheid/gereed").status_code == 200
            assert c.get("/v1/grootboek/controle").json()["ok"] is True
            assert c.get("/metrics", headers={"Authorization": f"Bearer {c.auth.token('OPERATOR')}"}).status_code == 200
            with store.engine.connect() as conn:  # the servers' role changes no entry and no table
                with pytest.raises(sa.exc.DBAPIError):
                    conn.exec_driver_sql("UPDATE ledger_entries SET kind = 'x' WHERE seq = 0")
                conn.rollback()
                with pytest.raises(sa.exc.ProgrammingError, match="must be owner"):
                    conn.exec_driver_sql("ALTER TABLE ledger_entries ADD COLUMN x int")
                conn.rollback()
                with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                    conn.exec_driver_sql("TRUNCATE ledger_entries")
