import os
import uuid

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("BWLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_schema():
    """A fresh PostgreSQL schema per test (dropped afterwards), so tests can run in parallel."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {name}")
    yield name
    with engine.begin() as c:
        c.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, tmp_path):
    """(url, schema) of an empty database on each backend."""
    if request.param == "sqlite":
        yield (f"sqlite:///{tmp_path / 'ledger.db'}", None)
    else:
        yield (PG_URL, request.getfixturevalue("pg_schema"))


@pytest.fixture
def env(backend, tmp_path):
    from ledger_helpers import LedgerEnv

    e = LedgerEnv.create(backend[0], backend[1], tmp_path / "keys")
    yield e
    e.store.dispose()


@pytest.fixture
def sqlite_env(tmp_path):
    from ledger_helpers import LedgerEnv

    e = LedgerEnv.create(f"sqlite:///{tmp_path / 'ledger.db'}", None, tmp_path / "keys")
    yield e
    e.store.dispose()
