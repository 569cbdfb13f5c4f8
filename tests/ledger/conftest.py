"""Ledger fixtures: a ledger with party keys on each backend (pg_schema and backend: tests/conftest.py)."""
import pytest


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
