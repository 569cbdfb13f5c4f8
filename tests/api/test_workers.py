"""`bwledger serve --workers 2` for real (issue 12: "Sessions, rate-limit counters and pool limits are shared
by every worker process (in the database), so they hold under --workers N").

Which worker answered is told by `GET /v1/gezondheid` ("worker": its process id); a connection stays with one
worker, so a request sent on the same connection right after it was answered by that worker too.
- a session made through one worker is valid on the other, for many requests;
- the rate limit per caller counts the requests of both workers: exactly the limit is answered, then 429;
- the verify pool (1 place, no queue) runs at most one verification in the whole server: a burst of verify
  requests spread over both workers gets one 200 and 503 SERVER_BUSY (Retry-After) for the others, and at no
  moment does the database hold more than one run place;
- a killed worker's place frees itself when its lease expires.
"""
from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa
from api_helpers import PG_URL, Server, determination_payload
from party_auth import token_in_database
from real_determinations import Recorder

from api.access.accounts import AccessService
from api.http.pool_leases import pool_leases
from ledger import service
from ledger.store import make_engine

PASSWORD = "wachtwoord van de workers"
RATE = 30  # BWLEDGER_RATE_PER_MINUTE_CALLER of the server under test
#: enough for a verification of about a second or more: each is a determination that verify replays on its deposit
#: (about 10 ms apiece on a busy 2-core machine; without the replay 5000 entries took about as long as 500 do now)
ENTRIES = 500
LEASE_SECONDS = 3


def _seed(home, url: str, schema: str | None) -> None:
    store = service.init_ledger(url, home / "keys", schema=schema)
    signer = service.party_signer(store, home / "keys", "GM0166")
    recorder = Recorder.on_home(store, home)  # each client's determination, its facts deposited, recorded 100 times
    payloads = {c: determination_payload(recorder, client=f"PSN-w-{c}") for c in range(50)}
    service.record_batch(store, [service.sign_statement(
        signer, "determination", payloads[i % 50], idempotency_key=f"w-{i}",
        client=f"PSN-w-{i % 50}") for i in range(ENTRIES)])
    store.dispose()
    engine = make_engine(url, schema)
    try:
        AccessService(engine).add_account("fin@kampen.nl", "GM0166", ["finance"], password=PASSWORD)
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_workers(request, tmp_path_factory):
    """(server, database url, schema): `bwledger serve --workers 2` on a seeded ledger, on each backend."""
    home = tmp_path_factory.mktemp(f"workers-{request.param}")
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'bwledger.db'}"
    else:
        url, schema = PG_URL, f"w_{uuid.uuid4().hex[:16]}"
        admin = sa.create_engine(PG_URL)
        with admin.begin() as c:
            c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    _seed(home, url, schema)
    server = Server(home, checkpoint_seconds=0, workers=2, database_url=None if schema is None else url,
                    schema=schema, BWLEDGER_POOL_VERIFY="1", BWLEDGER_POOL_QUEUE="0",
                    BWLEDGER_RATE_PER_MINUTE_CALLER=str(RATE), BWLEDGER_POOL_LEASE_SECONDS=str(LEASE_SECONDS),
                    BWLEDGER_AUDIT_ANCHOR_SECONDS="0")
    try:
        yield server, url, schema
    finally:
        rc = server.stop()
        out = server.output()
        server.close()
        if schema is not None:
            with admin.begin() as c:
                c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()
        assert rc == 0, out
        assert "Traceback" not in out, out


def _on_one_worker(server, send, tries: int = 60) -> dict[int, list]:
    """`send(client)` on `tries` fresh connections; its outcomes by the worker that answered them."""
    seen: dict[int, list] = {}
    for _ in range(tries):
        with httpx.Client(base_url=server.url, timeout=30) as c:
            worker = c.get("/v1/gezondheid").json()["worker"]
            seen.setdefault(worker, []).append(send(c))
    return seen


def _workers(server) -> set[int]:
    return set(_on_one_worker(server, lambda c: None, 40))


def test_both_workers_answer(two_workers):
    server, _url, _schema = two_workers
    assert len(_workers(server)) == 2, server.output()


def test_a_session_made_through_one_worker_is_valid_on_the_other(two_workers):
    server, _url, _schema = two_workers
    with httpx.Client(base_url=server.url, timeout=30) as c:
        made_by = c.get("/v1/gezondheid").json()["worker"]
        r = c.post("/aanmelden", data={"gebruiker": "fin@kampen.nl", "wachtwoord": PASSWORD, "terug": "/"},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
        cookie = r.cookies["bwsession"]
    header = {"Cookie": f"bwsession={cookie}"}

    def me(c):
        r = c.get("/v1/ik", headers=header)
        return r.status_code, r.json().get("subject")

    answers = _on_one_worker(server, me, 24)  # within the rate limit of the account (RATE)
    assert len(answers) == 2 and made_by in answers, answers
    assert sum(len(v) for v in answers.values()) == 24
    for worker, outcomes in answers.items():
        assert set(outcomes) == {(200, "account:fin@kampen.nl")}, (worker, outcomes)
    # and the logout through either worker ends it for both
    with httpx.Client(base_url=server.url, timeout=30, headers=header) as c:
        csrf = c.get("/v1/ik").json()["csrf"]
        assert c.post("/afmelden", headers={"X-CSRF-Token": csrf}, follow_redirects=False).status_code == 303
    after = _on_one_worker(server, lambda c: c.get("/v1/ik", headers=header).status_code, 20)
    assert {code for codes in after.values() for code in codes} == {401}, after


def test_the_rate_limit_counts_the_requests_of_both_workers(two_workers):
    server, url, schema = two_workers
    token = token_in_database(url, "GM0166", ("finance",), schema)
    if 60 - time.time() % 60 < 15:  # the whole run in one window of the counter (a minute)
        time.sleep(60 - time.time() % 60 + 0.5)
    answers = _on_one_worker(server, lambda c: c.get("/v1/ik", headers={"Authorization": f"Bearer {token}"}),
                             RATE + 6)
    assert len(answers) == 2, answers  # both workers counted
    codes = [r.status_code for rs in answers.values() for r in rs]
    assert codes.count(200) == RATE and codes.count(429) == 6, codes
    refused = next(r for rs in answers.values() for r in rs if r.status_code == 429)
    body = refused.json()
    assert body["code"] == "RATE_LIMITED" and "probeer het over" in body["detail"]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # another caller is not held back by it
    other = token_in_database(url, "GM0193", ("finance",), schema)
    assert httpx.get(server.url + "/v1/ik", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def _run_places(url: str, schema: str | None) -> int:
    engine = make_engine(url, schema)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(pool_leases).where(
                pool_leases.c.pool == "verify:run")).scalar_one()
    finally:
        engine.dispose()


def test_the_verify_pool_holds_across_both_workers(two_workers):
    server, url, schema = two_workers
    token = token_in_database(url, "OPERATOR", ("auditor",), schema)
    most, stop = [0], threading.Event()

    def watch():  # the run places in the database, the whole time
        while not stop.is_set():
            most[0] = max(most[0], _run_places(url, schema))
            time.sleep(0.01)

    async def burst(n: int):
        clients = [httpx.AsyncClient(base_url=server.url, timeout=120,
                                     headers={"Authorization": f"Bearer {token}"}) for _ in range(n)]
        try:
            workers = [(await c.get("/v1/gezondheid")).json()["worker"] for c in clients]
            answers = await asyncio.gather(*(c.get("/v1/grootboek/controle") for c in clients))
            return list(zip(workers, answers))
        finally:
            for c in clients:
                await c.aclose()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        for _ in range(5):  # until the burst is spread over both workers
            outcomes = asyncio.run(burst(8))
            if len({w for w, _ in outcomes}) == 2:
                break
        else:
            pytest.fail(f"every burst went to one worker: {outcomes}")
    finally:
        stop.set()
        watcher.join()
    ok = [(w, r) for w, r in outcomes if r.status_code == 200]
    busy = [(w, r) for w, r in outcomes if r.status_code == 503]
    assert len(ok) == 1 and len(busy) == 7, [(w, r.status_code) for w, r in outcomes]
    assert ok[0][1].json()["ok"] is True
    for _w, r in busy:
        assert r.json()["code"] == "SERVER_BUSY" and r.headers["retry-after"] == "5"
    # the worker that did not run it refused its requests because the other one held the place
    assert {w for w, _ in busy} - {ok[0][0]}, outcomes
    assert most[0] == 1  # seen while it ran, and never more
    assert _run_places(url, schema) == 0  # released


def test_a_killed_workers_place_frees_itself(two_workers):
    server, url, schema = two_workers
    token = token_in_database(url, "OPERATOR", ("auditor",), schema)

    def verify(c):
        return c.get("/v1/grootboek/controle", headers={"Authorization": f"Bearer {token}"}).status_code

    # a verification under way in one worker, which is then killed while it holds the place
    victim = {}

    def start():
        with httpx.Client(base_url=server.url, timeout=60) as c:
            victim["pid"] = c.get("/v1/gezondheid").json()["worker"]
            try:
                c.get("/v1/grootboek/controle", headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError:
                pass  # its worker was killed

    thread = threading.Thread(target=start)
    thread.start()
    deadline = time.monotonic() + 20
    while _run_places(url, schema) == 0:
        assert time.monotonic() < deadline, "the verification did not start"
        time.sleep(0.01)
    killed_at = time.monotonic()
    os.kill(victim["pid"], signal.SIGKILL)  # a worker process of the server this test started
    thread.join(30)
    assert _run_places(url, schema) == 1  # the dead worker's place is still leased
    # busy while the lease lasts (it was renewed at most LEASE_SECONDS / 3 before the kill), then the place is
    # free again: the server runs on with its other worker, or one it started in the killed one's place
    statuses = []
    while time.monotonic() - killed_at < LEASE_SECONDS + 15:
        try:
            with httpx.Client(base_url=server.url, timeout=60) as c:
                statuses.append(verify(c))
        except httpx.HTTPError:
            statuses.append("down")
        if statuses[-1] == 200:
            break
        time.sleep(0.2)
    freed_after = time.monotonic() - killed_at
    assert statuses[-1] == 200, statuses
    assert 503 in statuses and freed_after >= LEASE_SECONDS * 2 / 3 - 0.3, (freed_after, statuses)
    assert _run_places(url, schema) == 0
