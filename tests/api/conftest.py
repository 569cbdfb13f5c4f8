"""Fixtures for the HTTP tests (helpers: api_helpers.py): an app on a real SQLite store in tmp_path."""
from __future__ import annotations

import pytest
from api_helpers import logged_in, sqlite_settings
from litestar.testing import TestClient

from api.http import create_app
from api.settings import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return sqlite_settings(tmp_path)


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield logged_in(c)


@pytest.fixture
def engines(backend, tmp_path):
    """Two engines on one migrated database of each backend, as two worker processes of a server hold them."""
    from ledger import service
    from ledger.store import make_engine

    url, schema = backend
    service.init_ledger(url, tmp_path / "keys", schema=schema).dispose()
    pair = [make_engine(url, schema), make_engine(url, schema)]
    yield pair
    for e in pair:
        e.dispose()
