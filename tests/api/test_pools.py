"""Expensive work runs in a bounded pool per kind (api/http/pools.py): the pool never runs more than its
size, a request beyond its queue is 503 SERVER_BUSY with Retry-After, and a caller's `workers=` is ignored."""
from __future__ import annotations

import threading

import anyio
import pytest
from api_helpers import assert_problem, sqlite_settings
from litestar.testing import TestClient
from party_auth import logged_in

from api.http import create_app
from api.http.pools import Pool, PoolBusy
from api.settings import load_settings


def test_a_pool_runs_at_most_its_size_and_refuses_beyond_its_queue():
    pool = Pool("verify", size=2, queue=3, retry_after=7)
    release = threading.Event()
    started = threading.Semaphore(0)
    outcomes: list[object] = []

    def work(i):
        started.release()
        assert release.wait(10)
        return i

    async def call(i):
        try:
            outcomes.append(await pool.run(work, i))
        except PoolBusy as exc:
            outcomes.append(exc)

    async def main():
        async with anyio.create_task_group() as tg:
            for i in range(9):
                tg.start_soon(call, i)
            await anyio.to_thread.run_sync(started.acquire)
            await anyio.to_thread.run_sync(started.acquire)
            await anyio.sleep(0.2)  # the others have had every chance to start too
            status = pool.status()
            assert (status.running, status.waiting, status.refused) == (2, 3, 4)
            release.set()

    anyio.run(main)
    refused = [o for o in outcomes if isinstance(o, PoolBusy)]
    assert len(refused) == 4 and all(r.retry_after == 7 and r.kind == "verify" for r in refused)
    done = [o for o in outcomes if isinstance(o, int)]
    assert len(done) == 5 and len(set(done)) == 5 and len(outcomes) == 9
    assert pool.status().peak_running == 2
    assert pool.status().running == pool.status().waiting == 0


def _occupy(client, kind: str):
    """Hold every worker and queue place of the app's `kind` pool with a call that waits for the returned event."""
    pool = client.app.state.pools[kind]
    release = threading.Event()
    entered = threading.Semaphore(0)

    def hold():
        entered.release()
        release.wait(30)

    futures = [client.blocking_portal.start_task_soon(pool.run, hold) for _ in range(pool.size + pool.queue)]
    for _ in range(pool.size):
        assert entered.acquire(timeout=10)
    return release, futures


@pytest.mark.parametrize("kind,path", [
    ("verify", "/v1/grootboek/controle"), ("bundle", "/v1/grootboek/bundel?party=GM0166"),
    ("settlement", "/v1/verrekeningen/2026K1"), ("settlement", "/v1/verrekeningen/2026K1/overzichten/GM0166?format=csv"),
])
def test_beyond_the_queue_a_request_is_503_with_retry_after_and_a_trivial_one_still_answers(tmp_path, kind, path):
    settings = sqlite_settings(tmp_path, pool_verify=1, pool_bundle=1, pool_settlement=1, pool_queue=1,
                               busy_retry_seconds=9)
    with TestClient(create_app(settings)) as client:
        logged_in(client)
        release, futures = _occupy(client, kind)
        try:
            r = client.get(path)
            body = assert_problem(r, 503, "SERVER_BUSY")
            assert r.headers["retry-after"] == "9" and body["kind"] == kind and "opnieuw" in body["detail"]
            health = client.get("/v1/gezondheid")
            assert health.status_code == 200
            assert health.json()["pools"][kind] == {"size": 1, "queue": 1, "running": 1, "waiting": 1,
                                                    "refused": 1}
        finally:
            release.set()
        for f in futures:
            f.result(timeout=10)
        assert client.get(path).status_code == 200
        assert client.app.state.pools[kind].status().peak_running == 1


def test_a_busy_page_is_a_dutch_page_with_retry_after(tmp_path):
    settings = sqlite_settings(tmp_path, pool_verify=1, pool_queue=0)
    with TestClient(create_app(settings)) as client:
        logged_in(client)
        release, futures = _occupy(client, "verify")
        try:
            r = client.post("/verificatie", headers={"accept": "text/html"}, follow_redirects=False)
            assert r.status_code == 503 and r.headers["retry-after"] == "5"
            assert r.headers["content-type"].startswith("text/html") and "Probeer het over 5 seconden" in r.text
        finally:
            release.set()
        for f in futures:
            f.result(timeout=10)


def test_a_callers_workers_is_ignored(tmp_path, monkeypatch):
    from ledger import verify

    # every ledger counts as large enough for worker processes: only the worker count decides
    monkeypatch.setattr(verify, "PARALLEL_THRESHOLD", 1)
    with TestClient(create_app(sqlite_settings(tmp_path, verify_workers=1))) as client:
        logged_in(client)
        for query in ("?workers=64", "?workers=many", ""):
            r = client.get("/v1/grootboek/controle" + query)
            assert r.status_code == 200, r.text
            assert r.json()["ok"] and r.json()["workers"] == 1
        operation = client.get("/v1/openapi.json").json()["paths"]["/grootboek/controle"]["get"]
        assert "workers" not in [p["name"] for p in operation.get("parameters", [])]


def test_pool_settings_come_from_the_environment():
    s = load_settings({"BWLEDGER_POOL_VERIFY": "3", "BWLEDGER_POOL_QUEUE": "0", "BWLEDGER_VERIFY_WORKERS": "2",
                       "BWLEDGER_BUSY_RETRY_SECONDS": "11", "BWLEDGER_LARGE_DETERMINATION_BYTES": "100"})
    assert s.pool_sizes == {"verify": 3, "bundle": 1, "dossier": 1, "determine": 2, "settlement": 1}
    assert (s.pool_queue, s.verify_workers, s.busy_retry_seconds, s.large_determination_bytes) == (0, 2, 11, 100)
    for name in ("BWLEDGER_POOL_VERIFY", "BWLEDGER_VERIFY_WORKERS"):
        with pytest.raises(ValueError, match=name):
            load_settings({name: "0"})


def test_a_large_determination_runs_in_the_determine_pool(tmp_path):
    from api.http.pages import EXAMPLE

    with TestClient(create_app(sqlite_settings(tmp_path, large_determination_bytes=100, pool_queue=0))) as client:

        logged_in(client)
        release, futures = _occupy(client, "determine")
        try:
            assert_problem(client.post("/v1/beoordelingen", content=EXAMPLE), 503, "SERVER_BUSY")
        finally:
            release.set()
        for f in futures:
            f.result(timeout=10)
        assert client.post("/v1/beoordelingen", content=EXAMPLE).status_code == 200
