"""`bwledger serve` for real (uvicorn on 127.0.0.1, a free port): the checkpoint timer of issue 3.
Submissions are checkpointed by the timer within a few seconds (several in one checkpoint), entries of
other writers without the operator key too; an idle timer signs nothing; shutdown is clean."""
import time

import httpx
from party_auth import token_in_database
from real_determinations import Recorder

from api_helpers import Server, as_json, determination_payload, signed
from ledger import service

SECONDS = 1.0  # BWLEDGER_CHECKPOINT_SECONDS for the server under test


def _wait_for(predicate, timeout=20.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def test_checkpoint_timer_with_a_real_server(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    url = f"sqlite:///{home / 'bwledger.db'}"
    op_store = service.init_ledger(url, home / "keys")
    gm = service.party_signer(op_store, home / "keys", "GM0166")
    op_store.dispose()
    server = Server(home, checkpoint_seconds=SECONDS, BWLEDGER_AUDIT_ANCHOR_SECONDS="0")  # counts checkpoints
    store = service.open_ledger(url)  # a reader (and, below, a writer without the operator key)
    recorder = Recorder.on_home(store, home)  # the determinations' facts deposited where the server reads them
    try:
        api = httpx.Client(base_url=server.url, timeout=10,
                           headers={"Authorization": f"Bearer {token_in_database(url, 'GM0166')}"})
        before = api.get("/v1/grootboek/controlepunt").json()
        assert before["treeSize"] == store.size()

        # three submissions through the API: no checkpoint each; one from the timer covers them
        started = time.monotonic()
        for i in range(3):
            r = api.post("/v1/grootboek/regels", json=as_json(signed(gm, determination_payload(recorder, det_id=f"a{i}"))))
            assert r.status_code == 201, r.text
        posted_in = time.monotonic() - started
        size = store.size()
        assert size == before["treeSize"] + 3
        cp = _wait_for(lambda: (c := api.get("/v1/grootboek/controlepunt").json())["treeSize"] == size and c)
        assert cp, f"no checkpoint at tree size {size}: {server.output()}"
        added = len(store.checkpoints()) - before["id"]
        assert 1 <= added <= 3
        if posted_in < 0.8 * SECONDS:  # all three arrived before the first was due: one checkpoint
            assert added == 1, (added, posted_in)

        # another writer without the operator key (e.g. a batch job): the timer covers its entries too
        for i in range(2):
            service.record(store, gm, "determination", determination_payload(recorder, det_id=f"b{i}",
                                                                             client="PSN-timer"),
                           idempotency_key=f"timer-b{i}", client="PSN-timer")
        size = store.size()
        cp2 = _wait_for(lambda: (c := api.get("/v1/grootboek/controlepunt").json())["treeSize"] == size and c)
        assert cp2 and cp2["id"] > cp["id"], server.output()

        # idle: more ticks, no new checkpoint
        ticks = api.get("/v1/gezondheid").json()["checkpointTimer"]["ticks"]
        assert _wait_for(lambda: api.get("/v1/gezondheid").json()["checkpointTimer"]["ticks"] >= ticks + 4)
        health = api.get("/v1/gezondheid").json()
        assert health["checkpointTimer"]["running"] is True and health["ledger"]["waitingForCheckpoint"] == 0
        assert api.get("/v1/grootboek/controlepunt").json()["id"] == cp2["id"]
        assert health["checkpointTimer"]["checkpoints"] == len(store.checkpoints()) - before["id"]
        api.close()
    finally:
        rc = server.stop()
    out = server.output()
    server.close()
    assert rc == 0, out
    assert "checkpoint timer started" in out and "checkpoint timer stopped" in out, out
    assert "Traceback" not in out, out
    verify = service.verify_ledger(store)
    store.dispose()
    assert verify.ok, verify.problems


def test_serve_refuses_bad_settings_without_a_traceback(tmp_path):
    from typer.testing import CliRunner

    from api.cli import app

    out = CliRunner().invoke(app, ["serve", "--port", "1"], env={"BWLEDGER_HOME": str(tmp_path),
                                                                "BWLEDGER_CHECKPOINT_SECONDS": "soon"})
    assert out.exit_code == 2 and "fout: BWLEDGER_CHECKPOINT_SECONDS: not a number" in out.output
    assert "Traceback" not in out.output
