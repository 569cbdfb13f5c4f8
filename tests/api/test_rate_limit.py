"""The rate limits (api/access/rate_limit.py): every request but the static files counted per caller and per
client address in the database, shared by every process that uses it, 429 RATE_LIMITED with Retry-After
(problem+json, or a Dutch page) beyond either limit; a refused identification still counts for its address."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from api_helpers import FixedClock as Clock
from api_helpers import assert_problem, sqlite_settings, token_for
from litestar.testing import TestClient
from party_auth import logged_in

from api.access.rate_limit import RequestLimit, count
from api.access.tables import counters
from api.http import create_app
from api.settings import load_settings

#: 15 seconds into a minute: the window ends in 45 seconds
T = datetime(2026, 12, 2, 10, 0, 15, tzinfo=UTC)


def _rows(engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return sorted((r.bucket, r.count) for r in conn.execute(sa.select(counters.c.bucket, counters.c.count)))


def test_two_processes_count_the_same_requests_and_a_new_window_starts_again(engines):
    a, b = engines
    clock = Clock(T)
    waits = [count(e, clock, [("rate:caller:x", 5)], 60) for e in (a, b, a, b, a, b, a)]
    assert waits == [None] * 5 + [45, 45]  # the sixth and seventh, whichever process counted them
    assert _rows(b) == [(f"rate:caller:x:{int(T.timestamp()) // 60 * 60}", 7)]
    clock.now = T + timedelta(seconds=59)  # the next window: counted afresh, the old one deleted
    assert count(b, clock, [("rate:caller:x", 5)], 60) is None
    assert [n for _b, n in _rows(a)] == [1]
    clock.now = T + timedelta(seconds=44, microseconds=500_000)  # back in the first window's last second
    assert count(a, Clock(clock.now), [("other", 0)], 60) == 1  # Retry-After is at least 1


def test_each_bucket_keeps_its_own_limit_in_one_count(engines):
    a, _b = engines
    clock = Clock(T)
    limit = RequestLimit(a, clock, per_caller=2, per_address=3)
    assert [limit.check("token:t1", "10.0.0.1") for _ in range(3)] == [None, None, 45]  # the caller's limit
    assert limit.check("token:t2", "10.0.0.1") == 45  # a fourth request from the address
    assert limit.check("token:t2", "10.0.0.2") is None
    assert limit.check(None, "10.0.0.3") is None  # not identified: only its address counts
    long = "account:" + "x" * 300  # a long subject is counted under its digest, never cut into another's
    assert limit.check(long, None) is None and limit.check(long, None) is None and limit.check(long, None) == 45
    assert all(len(bucket) <= 200 for bucket, _n in _rows(a))


def test_a_limit_of_0_is_off_and_writes_nothing(engines):
    a, _b = engines
    off = RequestLimit(a, Clock(T), per_caller=0, per_address=0)
    assert all(off.check("token:t", "10.0.0.1") is None for _ in range(50))
    assert _rows(a) == []


def test_the_settings():
    s = load_settings({})
    assert (s.rate_per_minute_caller, s.rate_per_minute_address) == (1200, 6000)
    s = load_settings({"BWLEDGER_RATE_PER_MINUTE_CALLER": "0", "BWLEDGER_RATE_PER_MINUTE_ADDRESS": "30"})
    assert (s.rate_per_minute_caller, s.rate_per_minute_address) == (0, 30)
    for name in ("BWLEDGER_RATE_PER_MINUTE_CALLER", "BWLEDGER_RATE_PER_MINUTE_ADDRESS"):
        with pytest.raises(ValueError, match=name):
            load_settings({name: "-1"})
        with pytest.raises(ValueError, match=name):
            load_settings({name: "veel"})


def _app(tmp_path, **limits):
    """A started app whose rate limits count at T (one window for the whole test)."""
    client = TestClient(create_app(sqlite_settings(tmp_path, **limits)))
    client.__enter__()
    state = client.app.state
    state.rate_limit = dataclasses.replace(state.rate_limit, clock=Clock(T))
    return client


def test_a_caller_beyond_its_limit_is_429_with_retry_after_and_another_caller_is_not(tmp_path):
    client = logged_in(_app(tmp_path, rate_per_minute_caller=3, rate_per_minute_address=0))
    try:
        assert [client.get("/v1/ik").status_code for _ in range(3)] == [200] * 3
        r = client.get("/v1/ik")
        body = assert_problem(r, 429, "RATE_LIMITED")
        assert r.headers["retry-after"] == "45"
        assert body["detail"] == "te veel verzoeken in korte tijd; probeer het over 45 seconden opnieuw"
        assert body["title"] == "Te veel verzoeken"
        assert client.get("/v1/gezondheid").status_code == 429  # every operation counts, public ones too
        other = token_for(client.app.state.access, "GM0166")
        assert client.get("/v1/ik", headers={"Authorization": f"Bearer {other}"}).status_code == 200
    finally:
        client.__exit__(None, None, None)


def test_an_address_beyond_its_limit_is_429_the_static_files_are_not_counted(tmp_path):
    client = _app(tmp_path, rate_per_minute_caller=0, rate_per_minute_address=4)
    try:
        for _ in range(10):
            assert client.get("/static/style.css").status_code == 200
        assert [client.get("/v1/gezondheid").status_code for _ in range(4)] == [200] * 4
        assert_problem(client.get("/v1/gezondheid"), 429, "RATE_LIMITED")
        assert client.get("/static/style.css").status_code == 200
        page = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 429 and page.headers["retry-after"] == "45"
        assert page.headers["content-type"].startswith("text/html")
        assert "Te veel verzoeken in korte tijd; probeer het over 45 seconden opnieuw." in page.text
        # a logged-in caller from the same address is held back too
        token = token_for(client.app.state.access, "GM0166")
        assert_problem(client.get("/v1/ik", headers={"Authorization": f"Bearer {token}"}), 429, "RATE_LIMITED")
    finally:
        client.__exit__(None, None, None)


def test_a_refused_token_counts_for_its_address(tmp_path):
    client = _app(tmp_path, rate_per_minute_caller=3, rate_per_minute_address=2)
    try:
        bad = {"Authorization": "Bearer bwt_nietsnut_0000"}
        assert_problem(client.get("/v1/ik", headers=bad), 401, "TOKEN_INVALID")
        assert_problem(client.get("/v1/ik", headers=bad), 401, "TOKEN_INVALID")
        assert_problem(client.get("/v1/ik", headers=bad), 429, "RATE_LIMITED")
    finally:
        client.__exit__(None, None, None)
