"""Reports read from a PostgreSQL streaming replica (issue 15, "Running it for real"), for real: a primary and a
replica cluster of the test's own (tests/pg_cluster.py, ports 5433/5434), an app whose BWLEDGER_DATABASE_URL
is the primary and BWLEDGER_READ_DATABASE_URL the replica. Writes go to the primary (the replica refuses
them: it is in recovery); a statement read from the replica, once it replayed the primary's WAL, equals the
primary's byte for byte, and the answer states the seq it reflects (Grootboek-Volgnummer) and its source
(Grootboek-Bron); with replay paused, the replica's answer states the older seq it really reflects."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from api_helpers import as_json, determination_payload, logged_in, seed_settlement_and_case, signed
from litestar.testing import TestClient
from pg_cluster import replicated_pair

from api import compose
from api.http import create_app
from api.http.reads import SEQ_HEADER, SOURCE_HEADER, index_behind
from api.settings import Settings
from ledger import service
from ledger.verification_runs import latest

pytestmark = pytest.mark.postgres
STATEMENT = "/v1/verrekeningen/2026K1/overzichten/GM0166"


@pytest.fixture(scope="module")
def pair():
    with replicated_pair() as p:
        yield p


@pytest.fixture(scope="module")
def app(pair, tmp_path_factory):
    # the checkpoint timer runs (as in a deployment): after each checkpoint it brings the settlement index up to
    # date on the primary, which the replica then replays
    settings = Settings(home=tmp_path_factory.mktemp("replica"), database_url=pair.primary_url,
                        read_database_url=pair.replica_url, checkpoint_seconds=0.2, audit_anchor_seconds=0,
                        replay_determinations=False)
    with TestClient(create_app(settings), base_url="https://testserver.local") as c:
        seed_settlement_and_case(c)
        yield logged_in(c)


def _last_seq(store) -> int:
    return store.size() - 1


def _caught_up(pair, primary, timeout: float = 60.0) -> None:
    """Wait until the primary's timer checkpointed every entry and indexed it for the settlement, then until the
    replica replayed that (conditions polled, no guessed sleep)."""
    deadline = time.monotonic() + timeout
    while primary.pending_checkpoint()[0] > 0 or index_behind(primary):
        assert time.monotonic() < deadline, "the checkpoint timer did not catch up"
        time.sleep(0.02)
    pair.wait_replayed()


def test_the_replica_is_a_replica_and_writes_go_to_the_primary(pair, app):
    primary, reader = app.app.state.store, app.app.state.read_store
    assert reader is not primary and reader.url == pair.replica_url and primary.url == pair.primary_url
    before = primary.size()
    signer = service.party_signer(primary, app.app.state.settings.keys_dir, "GM0166")
    r = app.post("/v1/grootboek/regels", json=as_json(signed(signer, determination_payload(det_id="replica-1"))))
    assert r.status_code == 201, r.text
    assert primary.size() == before + 1 and r.json()["seq"] == before
    with reader.engine.connect() as conn:  # the replica takes no write at all
        assert conn.execute(sa.text("SELECT pg_is_in_recovery()")).scalar() is True
        with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
            conn.execute(sa.text("DELETE FROM metric_counters"))


def test_a_statement_read_from_the_replica_equals_the_primarys(pair, app):
    primary = app.app.state.store
    _caught_up(pair, primary)
    r = app.get(STATEMENT, params={"format": "json"})
    assert r.status_code == 200, r.text
    assert r.headers[SOURCE_HEADER] == "replica"
    assert int(r.headers[SEQ_HEADER]) == _last_seq(primary)
    theirs, _name, _media = compose.statement_file(primary, "2026K1", "GM0166", "json", "COMMITTEE")
    assert r.content == theirs
    csv = app.get(STATEMENT, params={"format": "csv"})
    assert csv.content == compose.statement_file(primary, "2026K1", "GM0166", "csv", "COMMITTEE")[0]
    # a write answer reads no report: it states nothing
    assert SEQ_HEADER not in app.get("/v1/gezondheid/levend").headers


def test_a_lagging_replica_states_the_seq_it_reflects(pair, app):
    primary = app.app.state.store
    _caught_up(pair, primary)
    reflected = _last_seq(primary)
    signer = service.party_signer(primary, app.app.state.settings.keys_dir, "GM0166")
    pair.pause_replay()
    try:
        r = app.post("/v1/grootboek/regels", json=as_json(signed(signer, determination_payload(det_id="replica-2"))))
        assert r.status_code == 201, r.text
        assert _last_seq(primary) == reflected + 1
        lagging = app.get(STATEMENT, params={"format": "json"})
        assert int(lagging.headers[SEQ_HEADER]) == reflected  # not the primary's newest: what it really read
        metrics = app.get("/metrics", headers={"Authorization": f"Bearer {app.auth.token('OPERATOR')}"})
        assert metrics.status_code == 200
        assert "bwledger_read_replica_lag_entries 1\n" in metrics.text
    finally:
        pair.resume_replay()
    _caught_up(pair, primary)
    caught_up = app.get(STATEMENT, params={"format": "json"})
    assert int(caught_up.headers[SEQ_HEADER]) == reflected + 1
    assert caught_up.content == compose.statement_file(primary, "2026K1", "GM0166", "json", "COMMITTEE")[0]


def test_verification_reads_the_replica_and_is_recorded_on_the_primary(pair, app):
    primary = app.app.state.store
    _caught_up(pair, primary)
    r = app.get("/v1/grootboek/controle")
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True and r.json()["entries"] == primary.size()
    assert r.headers[SOURCE_HEADER] == "replica" and int(r.headers[SEQ_HEADER]) == _last_seq(primary)
    run = latest(primary.engine)
    assert run is not None and run.source == "replica" and run.ok and run.entries == primary.size()


def test_the_inbox_and_the_quarter_page_read_the_replica(pair, app):
    _caught_up(pair, app.app.state.store)
    inbox = app.get("/v1/berichten", params={"map": "inbox", "partij": "GM0193"},
                    headers={"Authorization": f"Bearer {app.auth.token('GM0193')}"})
    assert inbox.status_code == 200, inbox.text
    assert inbox.headers[SOURCE_HEADER] == "replica"
    page = app.get("/verrekening/2026K1/GM0166", headers={"Authorization": f"Bearer {app.auth.token('GM0166')}"})
    assert page.status_code == 200, page.text
    assert page.headers[SOURCE_HEADER] == "replica"
    ready = app.get("/v1/gezondheid/gereed")
    assert ready.status_code == 200 and [c["naam"] for c in ready.json()["controles"]] == [
        "database", "sleutel", "leesreplica"]


def test_the_cli_verify_reads_the_replica_too(pair, app):
    from typer.testing import CliRunner

    from api.cli import app as cli_app

    primary = app.app.state.store
    _caught_up(pair, primary)
    settings = app.app.state.settings
    done = CliRunner().invoke(cli_app, ["ledger", "verify"], env={
        "BWLEDGER_HOME": str(settings.home), "BWLEDGER_DATABASE_URL": pair.primary_url,
        "BWLEDGER_READ_DATABASE_URL": pair.replica_url, "BWLEDGER_REPLAY_DETERMINATIONS": "0"})
    assert done.exit_code == 0, done.output
    assert f"{primary.size()} regels" in done.output and " 0 problemen" in done.output
    run = latest(primary.engine)
    assert run.source == "replica" and run.ok
