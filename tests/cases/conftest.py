import os
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))

PG_URL = os.environ.get("BWLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_schema():
    """A fresh PostgreSQL schema per test (dropped afterwards), so tests can run in parallel."""
    name = f"c_{uuid.uuid4().hex[:16]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {name}")
    yield name
    with engine.begin() as c:
        c.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, tmp_path):
    if request.param == "sqlite":
        yield (f"sqlite:///{tmp_path / 'ledger.db'}", None)
    else:
        yield (PG_URL, request.getfixturevalue("pg_schema"))


@pytest.fixture
def cenv(backend, tmp_path):
    from case_helpers import CaseEnv

    e = CaseEnv.create(backend[0], backend[1], tmp_path)
    yield e
    e.store.dispose()


@pytest.fixture
def senv(tmp_path):
    from case_helpers import CaseEnv

    e = CaseEnv.create(f"sqlite:///{tmp_path / 'ledger.db'}", None, tmp_path)
    yield e
    e.store.dispose()
