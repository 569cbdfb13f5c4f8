"""Backup and restore (issue 15, docs/deployment.md "Backup and restore"), with the real binaries: a ledger in a
schema of the shared PostgreSQL (determinations, booked cost lines, a dispute, the audit log) is dumped with
`pg_dump -Fc`, restored with `pg_restore` into a fresh database made with `psql`, and `bwledger ledger verify`
(and `bwledger audit verify`) on the restored copy report it clean; the same verify fails on a damaged copy."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from api_helpers import PG_URL, logged_in, seed_settlement_and_case
from litestar.testing import TestClient
from pg_cluster import BIN

from api.http import create_app
from api.settings import Settings

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
SERVER = sa.engine.make_url(PG_URL)
LIBPQ = ["-h", SERVER.host or "127.0.0.1", "-p", str(SERVER.port or 5432), "-U", SERVER.username or "postgres"]


def run(*args: str | Path) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args[0]}: {done.stdout}\n{done.stderr}"
    return done


def bwledger(home: Path, url: str, schema: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BWLEDGER_HOME": str(home), "BWLEDGER_DATABASE_URL": url,
           "BWLEDGER_DATABASE_SCHEMA": schema, "BWLEDGER_REPLAY_DETERMINATIONS": "0"}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], check=False, capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT)


@pytest.fixture
def fresh_database():
    name = f"bwledger_restore_{secrets.token_hex(4)}"
    run(BIN / "psql", *LIBPQ, "-d", SERVER.database, "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        run(BIN / "psql", *LIBPQ, "-d", SERVER.database, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_restored_dump_verifies(pg_schema, fresh_database, tmp_path):
    home = tmp_path / "home"
    settings = Settings(home=home, database_url=PG_URL, database_schema=pg_schema, checkpoint_seconds=0,
                        replay_determinations=False)
    with TestClient(create_app(settings), base_url="https://testserver.local") as c:
        seed_settlement_and_case(c)
        logged_in(c).get("/v1/verrekeningen/2026K1")  # a read: the audit log has a record to restore too
        size = c.app.state.store.size()
    dump = tmp_path / "bwledger.dump"
    run(BIN / "pg_dump", *LIBPQ, "-d", SERVER.database, "-n", pg_schema, "-Fc", "-f", dump)
    run(BIN / "pg_restore", *LIBPQ, "-d", fresh_database, "--no-owner", "--exit-on-error", dump)
    restored = SERVER.set(database=fresh_database).render_as_string(hide_password=False)

    verified = bwledger(home, restored, pg_schema, "ledger", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{size} regels" in verified.stdout and " 0 problemen" in verified.stdout
    audit = bwledger(home, restored, pg_schema, "audit", "verify")
    assert audit.returncode == 0 and audit.stdout.startswith("auditlogboek in orde"), audit.stdout + audit.stderr

    engine = sa.create_engine(restored, connect_args={"options": f"-csearch_path={pg_schema}"})
    try:  # a damaged copy (an entry's kind changed behind the append-only triggers) does not verify
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE ledger_entries DISABLE TRIGGER USER")
            conn.exec_driver_sql("UPDATE ledger_entries SET kind = 'notice' WHERE seq = 1")
    finally:
        engine.dispose()
    damaged = bwledger(home, restored, pg_schema, "ledger", "verify")
    assert damaged.returncode == 1, damaged.stdout + damaged.stderr
    assert "regel 1" in damaged.stdout
