"""Settlement fixtures (helpers: settlement_helpers.py): a ledger with demo parties on each backend
(tests/conftest.py), and booked placements."""
from __future__ import annotations

from datetime import date

import pytest
from settlement_helpers import Env


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
