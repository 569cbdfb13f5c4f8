"""Settlement fixtures: the backend pattern of tests/ledger/conftest.py (a fresh PostgreSQL schema per
test), and a ledger with demo parties and booked placements."""
from __future__ import annotations

import os
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from ledger.crypto import new_signer
from ledger.entries import OPERATOR
from ledger.service import init_ledger, register_key

PG_URL = os.environ.get("BWLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PARTIES = ["GM0166", "GM0193", "GM0148", "GM0160", "GM0505", "GM0228", "GM0718", "COMMITTEE"]


@pytest.fixture
def pg_schema():
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
    if request.param == "sqlite":
        yield (f"sqlite:///{tmp_path / 'ledger.db'}", None)
    else:
        yield (PG_URL, request.getfixturevalue("pg_schema"))


class Env:
    def __init__(self, url, schema, keys_dir):
        self.store = init_ledger(url, keys_dir, schema=schema)
        self.signers = {OPERATOR: self.store.operator}
        for p in PARTIES:
            s = new_signer(p)
            register_key(self.store, s)
            self.signers[p] = s

    def signer_for(self, party):
        return self.signers[party]


@pytest.fixture
def env(backend, tmp_path):
    e = Env(backend[0], backend[1], tmp_path / "keys")
    yield e
    e.store.dispose()


@pytest.fixture
def sqlite_env(tmp_path):
    e = Env(f"sqlite:///{tmp_path / 'ledger.db'}", None, tmp_path / "keys")
    yield e
    e.store.dispose()


D = date
