"""Shared test setup: the deterministic hypothesis profile "ci" (loaded unless HYPOTHESIS_PROFILE says
otherwise), and the two database backends every store test runs on (SQLite file, PostgreSQL schema)."""
import os
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

try:
    settings.get_profile("ci")
except InvalidArgument:
    settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                              suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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
    """(url, schema) of an empty database on each backend; PostgreSQL is never skipped."""
    if request.param == "sqlite":
        yield (f"sqlite:///{tmp_path / 'ledger.db'}", None)
    else:
        yield (PG_URL, request.getfixturevalue("pg_schema"))
