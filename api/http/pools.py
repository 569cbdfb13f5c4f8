"""Expensive work runs in a bounded pool per kind (issue 12, "Load and bad input never take the service down").

A kind (`verify`, `bundle`, `dossier`, `determine`, `settlement`: a quarter's settlement or a
statement file) runs at most `size` calls at a time in worker
threads of its own (an anyio CapacityLimiter: the server's shared thread pool stays free for
everything else), and at most `queue` more wait for a turn. A call beyond that is refused at once
with `PoolBusy`, which the app answers as 503 SERVER_BUSY with `Retry-After` (api/http/problems.py),
so a flood of verify or bundle requests neither grows the server's work without bound nor makes a
trivial request wait behind it. The sizes come from api/settings.py (BWLEDGER_POOL_*); a caller
never chooses them.

With `Pools.share(leases)` (the app does so when it starts) the limits hold for the server as a whole,
across every worker process of `bwledger serve --workers N`: a request also takes one of the kind's
size + queue admission places in the database, and its work one of the size run places
(api/http/pool_leases.py); beyond the places the answer is the same 503. Within a process the limiter
and the counts stay as they were, so `status()` tells what this process runs and holds waiting."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import anyio

from api.http.pool_leases import Lease, PoolLeases

T = TypeVar("T")
KINDS = ("verify", "bundle", "dossier", "determine", "settlement")


class PoolBusy(Exception):
    """Every worker of the kind is busy and its queue is full."""

    code = "SERVER_BUSY"

    def __init__(self, kind: str, retry_after: int):
        super().__init__(f"{kind}: pool and queue full")
        self.kind, self.retry_after = kind, retry_after


@dataclass(frozen=True)
class PoolStatus:
    kind: str
    size: int
    queue: int
    running: int
    waiting: int
    refused: int
    peak_running: int


class Pool:
    """At most `size` calls of one kind at a time, at most `queue` more waiting, the rest refused."""

    def __init__(self, kind: str, size: int, queue: int, retry_after: int = 5):
        if size < 1 or queue < 0:
            raise ValueError(f"pool {kind}: size >= 1 and queue >= 0, not {size}, {queue}")
        self.kind, self.size, self.queue, self.retry_after = kind, size, queue, retry_after
        self._limiter: anyio.CapacityLimiter | None = None  # made in the event loop that first uses it
        self._admitted = 0  # running + waiting
        self._running = 0
        self._refused = 0
        self._peak = 0
        self._lock = threading.Lock()
        self._leases: PoolLeases | None = None

    def share(self, leases: PoolLeases | None) -> None:
        """Hold the size and the queue across processes through `leases` (None: this process only)."""
        self._leases = leases

    @property
    def places(self) -> tuple[str, str]:
        """The names of this pool's admission and run places (api/http/pool_leases.py)."""
        return f"{self.kind}:admit", f"{self.kind}:run"

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in one of this pool's worker threads; PoolBusy when it is full."""
        if self._admitted >= self.size + self.queue:
            self._refused += 1
            raise PoolBusy(self.kind, self.retry_after)
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.size)
        self._admitted += 1
        leases, ticket = self._leases, None
        try:
            if leases is not None:
                ticket = await anyio.to_thread.run_sync(leases.try_acquire, self.places[0], self.size + self.queue)
                if ticket is None:  # the other workers hold every place
                    self._refused += 1
                    raise PoolBusy(self.kind, self.retry_after)
            return await anyio.to_thread.run_sync(partial(self._counted, leases, fn, *args, **kwargs),
                                                  limiter=self._limiter)
        finally:
            self._admitted -= 1
            if ticket is not None:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(leases.release, ticket)

    def _counted(self, leases: PoolLeases | None, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        # runs in the worker thread, so it counts what really runs (the limiter holds the rest back, and
        # the run places the work of the other workers)
        place: Lease | None = leases.wait_for(self.places[1], self.size) if leases is not None else None
        try:
            with self._lock:
                self._running += 1
                self._peak = max(self._peak, self._running)
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self._running -= 1
        finally:
            if place is not None:
                leases.release(place)

    def status(self) -> PoolStatus:
        return PoolStatus(self.kind, self.size, self.queue, self._running, self._admitted - self._running,
                          self._refused, self._peak)


class Pools:
    """One pool per kind of expensive work, sized by the settings."""

    def __init__(self, sizes: dict[str, int], queue: int, retry_after: int = 5):
        unknown = set(sizes) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown pool kind {min(unknown)}")
        self._pools = {kind: Pool(kind, sizes.get(kind, 1), queue, retry_after) for kind in KINDS}

    def share(self, leases: PoolLeases | None) -> None:
        """Every pool's limits held across the server's worker processes through `leases` (Pool.share)."""
        for pool in self._pools.values():
            pool.share(leases)

    def __getitem__(self, kind: str) -> Pool:
        return self._pools[kind]

    async def run(self, kind: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._pools[kind].run(fn, *args, **kwargs)

    def status(self) -> dict[str, dict[str, int]]:
        return {k: {f: getattr(p.status(), f) for f in ("size", "queue", "running", "waiting", "refused")}
                for k, p in self._pools.items()}
