"""The statement files the API serves are made once per ledger state (api/compose.py, a cache at the
boundary): asked again on the same ledger the same bytes come back without settling again; after an
append the file is made anew."""
from __future__ import annotations

from api_helpers import seed_settlement_and_case, sqlite_settings
from litestar.testing import TestClient

from api import compose
from api.http import create_app
from ledger import service
from ledger.settlement import service as settlement_service


def test_a_statement_is_made_once_per_ledger_state(tmp_path, monkeypatch):
    with TestClient(create_app(sqlite_settings(tmp_path))) as client:
        seed_settlement_and_case(client)
        store = client.app.state.store
        made = []
        write = settlement_service.write_statements
        monkeypatch.setattr(settlement_service, "write_statements",
                            lambda *a, **kw: made.append(1) or write(*a, **kw))
        assert compose.cached_statement(store, "2026K1", "GM0166", "json", "GM0166") is None
        first = compose.statement_file(store, "2026K1", "GM0166", "json", "GM0166")
        assert compose.cached_statement(store, "2026K1", "GM0166", "json", "GM0166") == first
        again = compose.statement_file(store, "2026K1", "GM0166", "json", "GM0166")
        assert again == first and len(made) == 1
        other_reader = compose.statement_file(store, "2026K1", "GM0166", "json", None)
        assert len(made) == 2 and other_reader[1] == first[1]
        service.record(store, service.party_signer(store, client.app.state.settings.keys_dir, "GM0166"),
                       "placement_notice", {"placing_party": "GM0166", "host_region": "RG:ijssel-vecht",
                                            "host_municipality": "GM0193", "cost_bearer": "GM0166",
                                            "location": "Zwolle-01", "start_date": "2026-03-01",
                                            "contract_used": "ijv-bw-2025", "legal_basis": "pseudoniem"},
                       idempotency_key="cache-n1", client="PSN-cache-1")
        compose.statement_file(store, "2026K1", "GM0166", "json", "GM0166")
        assert len(made) == 3  # the ledger grew: made anew


def test_readers_asking_at_once_wait_for_one_file(tmp_path, monkeypatch):
    """Single flight: eight threads asking for the same new statement settle the quarter once."""
    from concurrent.futures import ThreadPoolExecutor

    with TestClient(create_app(sqlite_settings(tmp_path))) as client:
        seed_settlement_and_case(client)
        store = client.app.state.store
        made = []
        write = settlement_service.write_statements
        monkeypatch.setattr(settlement_service, "write_statements",
                            lambda *a, **kw: made.append(1) or write(*a, **kw))
        with ThreadPoolExecutor(8) as pool:
            files = list(pool.map(lambda _: compose.statement_file(store, "2026K1", "GM0193", "csv", None), range(8)))
        assert len(made) == 1 and all(f == files[0] for f in files)
