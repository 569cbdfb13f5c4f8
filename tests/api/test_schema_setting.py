"""BWLEDGER_DATABASE_SCHEMA is honoured by every command (one composition root, api/bootstrap.py): the
CLI's ledger, settlement and accounts commands on PostgreSQL write into that schema and nowhere else."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from api_helpers import PG_URL
from typer.testing import CliRunner

from api.cli import app

pytestmark = pytest.mark.postgres


def test_every_command_uses_the_configured_schema(tmp_path, pg_schema):
    env = {"BWLEDGER_HOME": str(tmp_path), "BWLEDGER_DATABASE_URL": PG_URL, "BWLEDGER_DATABASE_SCHEMA": pg_schema,
           "BWLEDGER_PW": "een lang genoeg wachtwoord"}
    run = CliRunner().invoke
    for args in (["ledger", "init"], ["ledger", "checkpoint"], ["ledger", "verify"],
                 ["accounts", "add", "fin@kampen.nl", "--party", "GM0166", "--roles", "finance",
                  "--password-env", "BWLEDGER_PW"],
                 ["accounts", "list"], ["audit", "verify"]):
        r = run(app, args, env=env)
        assert r.exit_code == 0, (args, r.output)
    engine = sa.create_engine(PG_URL)
    try:
        with engine.connect() as c:
            tables = {t for (t,) in c.execute(sa.text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": pg_schema})}
            accounts = c.execute(sa.text(f"SELECT username FROM {pg_schema}.access_accounts")).scalars().all()
            entries = c.execute(sa.text(f"SELECT count(*) FROM {pg_schema}.ledger_entries")).scalar_one()
    finally:
        engine.dispose()
    assert {"ledger_entries", "ledger_checkpoints", "access_accounts", "audit_processing"} <= tables
    assert accounts == ["fin@kampen.nl"] and entries >= 1
