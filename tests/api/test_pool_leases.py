"""The pools' places in the database (api/http/pool_leases.py), as two worker processes of a server hold them
(two engines, two holders, on SQLite and PostgreSQL): a place is held by one at a time, an expired lease (a
killed worker's) is taken over and never released by its former holder, renewal keeps a lease; and two
pools of one kind sharing the places never run more than the size between them, nor admit more than the
size plus the queue."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import anyio
import sqlalchemy as sa
from api_helpers import FixedClock as Clock

from api.http.pool_leases import PoolLeases, pool_leases
from api.http.pools import Pool, PoolBusy

T = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)


def _rows(engine):
    with engine.connect() as conn:
        return sorted((r.pool, r.slot, r.holder) for r in conn.execute(sa.select(pool_leases)))


def test_a_place_is_held_by_one_process_at_a_time(engines):
    a, b = PoolLeases(engines[0], 30), PoolLeases(engines[1], 30)
    first = a.try_acquire("verify:run", 2)
    second = b.try_acquire("verify:run", 2)
    assert (first.slot, second.slot) == (0, 1)
    assert b.try_acquire("verify:run", 2) is None and a.try_acquire("verify:run", 2) is None
    assert a.try_acquire("bundle:run", 1) is not None  # another pool has places of its own
    assert a.live("verify:run", 2) == 2
    a.release(first)
    again = b.try_acquire("verify:run", 2)
    assert again.slot == 0 and _rows(engines[0])[1:] == [("verify:run", 0, b.holder), ("verify:run", 1, b.holder)]


def test_an_expired_lease_is_taken_over_and_its_former_holder_cannot_release_it(engines):
    clock_a, clock_b = Clock(T), Clock(T + timedelta(seconds=29))
    a, b = PoolLeases(engines[0], 30, clock_a), PoolLeases(engines[1], 30, clock_b)
    old = a.try_acquire("verify:run", 1)
    assert b.try_acquire("verify:run", 1) is None  # 29 s: still a's
    clock_b.now = T + timedelta(seconds=30)  # a was killed and renewed nothing: the place is free
    new = b.try_acquire("verify:run", 1)
    assert new is not None and new.slot == old.slot == 0 and new.lease != old.lease
    a.release(old)  # too late: it is b's lease now
    assert a.renew() == 0
    assert _rows(engines[0]) == [("verify:run", 0, b.holder)]
    b.release(new)
    assert _rows(engines[0]) == []


def test_renewal_keeps_a_lease(engines):
    clock_a, clock_b = Clock(T), Clock(T)
    a, b = PoolLeases(engines[0], 30, clock_a), PoolLeases(engines[1], 30, clock_b)
    lease = a.try_acquire("dossier:run", 1)
    clock_a.now = T + timedelta(seconds=20)
    assert a.renew() == 1  # now it lasts until T + 50 s
    clock_b.now = T + timedelta(seconds=45)
    assert b.try_acquire("dossier:run", 1) is None
    clock_b.now = T + timedelta(seconds=50)
    assert b.try_acquire("dossier:run", 1) is not None
    assert a.held() == 1 and b.held() == 1  # what each believes; the database says b (a's release is a no-op)
    a.release(lease)
    assert a.held() == 0 and [h for _p, _s, h in _rows(engines[0])] == [b.holder]


def test_the_renewing_thread_keeps_leases_alive_until_stopped(engines):
    a = PoolLeases(engines[0], 0.3)
    lease = a.try_acquire("verify:run", 1)
    a.start()
    try:
        threading.Event().wait(1.0)  # three lease lifetimes
        assert a.live("verify:run", 1) == 1
    finally:
        a.stop()
    threading.Event().wait(0.4)
    assert a.live("verify:run", 1) == 0  # not renewed any more: expired
    a.release(lease)


class Running:
    """How many calls run at once, across every pool that runs `work`."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def work(self, tag):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        self.entered.release()
        try:
            assert self.release.wait(20)
            return tag
        finally:
            with self.lock:
                self.now -= 1


def _two_workers(engines, size, queue):
    pools = [Pool("verify", size, queue, retry_after=7), Pool("verify", size, queue, retry_after=7)]
    for pool, engine in zip(pools, engines):
        pool.share(PoolLeases(engine, 30))
    return pools


def test_two_workers_with_no_queue_run_one_and_refuse_the_other(engines):
    a, b = _two_workers(engines, 1, 0)
    running = Running()

    async def main():
        outcomes = []
        async with anyio.create_task_group() as tg:
            async def call(pool, tag):
                try:
                    outcomes.append(await pool.run(running.work, tag))
                except PoolBusy as exc:
                    outcomes.append(exc)
            tg.start_soon(call, a, "a")
            await anyio.to_thread.run_sync(running.entered.acquire)
            await call(b, "b")  # the other worker: its own pool is idle, but the server's one place is taken
            running.release.set()
        return outcomes

    outcomes = anyio.run(main)
    busy = [o for o in outcomes if isinstance(o, PoolBusy)]
    assert len(busy) == 1 and busy[0].retry_after == 7 and "a" in outcomes
    assert b.status().refused == 1 and running.most == 1
    assert _rows(engines[0]) == []  # every place released


def test_two_workers_with_a_queue_wait_their_turn_and_never_run_more_than_the_size(engines):
    a, b = _two_workers(engines, 1, 2)
    running = Running()

    async def main():
        outcomes = []
        async with anyio.create_task_group() as tg:
            async def call(pool, tag):
                try:
                    outcomes.append(await pool.run(running.work, tag))
                except PoolBusy as exc:
                    outcomes.append(exc)
            tg.start_soon(call, a, "a1")
            await anyio.to_thread.run_sync(running.entered.acquire)
            tg.start_soon(call, b, "b1")  # admitted (the queue), waits for the place
            tg.start_soon(call, b, "b2")  # b's own limiter holds it back behind b1: admitted too
            await anyio.sleep(0.5)
            await call(a, "a2")  # 1 + 2 admitted in the server: refused at once
            assert running.now == 1 and b.status().waiting == 2
            running.release.set()
        return outcomes

    outcomes = anyio.run(main)
    assert isinstance(outcomes[0], PoolBusy) and sorted(outcomes[1:]) == ["a1", "b1", "b2"]
    assert running.most == 1
    assert _rows(engines[0]) == []
