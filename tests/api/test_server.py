"""`bwledger serve` for real (uvicorn on 127.0.0.1, a free port): the checkpoint timer of issue 3
checkpoints entries that arrived without one, stays idle when nothing was added, and stops cleanly."""
import time

import httpx
from conftest import Server, as_json, determination_payload, signed

from ledger import service


def _wait_for(predicate, timeout=15.0, step=0.1):
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
    server = Server(home, checkpoint_seconds=0.3)
    try:
        api = httpx.Client(base_url=server.url, timeout=10)
        before = api.get("/api/ledger/checkpoint").json()
        # another writer without the operator key (e.g. a batch job): its entries carry no checkpoint
        writer = service.open_ledger(url)
        for i in range(3):
            service.record(writer, gm, "determination", determination_payload(det_id=f"d{i}"),
                           idempotency_key=f"timer-{i}", client="PSN-timer")
        size = writer.size()
        writer.dispose()
        assert size == before["tree_size"] + 3
        cp = _wait_for(lambda: (c := api.get("/api/ledger/checkpoint").json())["tree_size"] == size and c)
        assert cp, f"no checkpoint at tree size {size}: {server.output()}"
        assert cp["id"] > before["id"]
        # idle: more ticks, no new checkpoint
        ticks = api.get("/api/health").json()["checkpoint_timer"]["ticks"]
        assert _wait_for(lambda: api.get("/api/health").json()["checkpoint_timer"]["ticks"] >= ticks + 3)
        health = api.get("/api/health").json()
        assert health["checkpoint_timer"]["checkpoints"] == 1 and health["checkpoint_timer"]["running"] is True
        assert api.get("/api/ledger/checkpoint").json()["id"] == cp["id"]
        # a submission through the server is checkpointed at the end of its batch, not by the timer
        r = api.post("/api/ledger/entries", json=as_json(signed(gm)))
        assert r.status_code == 201 and api.get("/api/ledger/checkpoint").json()["tree_size"] == size + 1
        api.close()
    finally:
        rc = server.stop()
    out = server.output()
    server.close()
    assert rc == 0, out
    assert "checkpoint timer started (every 0.3s)" in out and "checkpoint timer stopped" in out, out
    assert "Traceback" not in out, out
    verify = service.verify_ledger(service.open_ledger(url))
    assert verify.ok and verify.checkpoints >= 3



def test_serve_refuses_bad_settings_without_a_traceback(tmp_path):
    from typer.testing import CliRunner

    from api.cli import app

    out = CliRunner().invoke(app, ["serve", "--port", "1"], env={"BWLEDGER_HOME": str(tmp_path),
                                                                "BWLEDGER_CHECKPOINT_SECONDS": "soon"})
    assert out.exit_code == 2 and "fout: BWLEDGER_CHECKPOINT_SECONDS: not a number" in out.output
    assert "Traceback" not in out.output
