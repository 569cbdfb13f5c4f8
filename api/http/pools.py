"""Expensive work runs in a bounded pool per kind (issue 12, "Load and bad input never take the service down").

A kind (`verify`, `bundle`, `dossier`, `determine`, `settlement`: a quarter's settlement or a
statement file) runs at most `size` calls at a time in worker
threads of its own (an anyio CapacityLimiter: the server's shared thread pool stays free for
everything else), and at most `queue` more wait for a turn. A call beyond that is refused at once
with `PoolBusy`, which the app answers as 503 SERVER_BUSY with `Retry-After` (api/http/problems.py),
so a flood of verify or bundle requests neither grows the server's work without bound nor makes a
trivial request wait behind it. The sizes come from api/settings.py (BWLEDGER_POOL_*); a caller
never chooses them. The limits hold per server process."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import anyio

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

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in one of this pool's worker threads; PoolBusy when it is full."""
        if self._admitted >= self.size + self.queue:
            self._refused += 1
            raise PoolBusy(self.kind, self.retry_after)
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.size)
        self._admitted += 1
        try:
            return await anyio.to_thread.run_sync(partial(self._counted, fn, *args, **kwargs),
                                                  limiter=self._limiter)
        finally:
            self._admitted -= 1

    def _counted(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        # runs in the worker thread, so it counts what really runs (the limiter holds the rest back)
        with self._lock:
            self._running += 1
            self._peak = max(self._peak, self._running)
        try:
            return fn(*args, **kwargs)
        finally:
            with self._lock:
                self._running -= 1

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

    def __getitem__(self, kind: str) -> Pool:
        return self._pools[kind]

    async def run(self, kind: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._pools[kind].run(fn, *args, **kwargs)

    def status(self) -> dict[str, dict[str, int]]:
        return {k: {f: getattr(p.status(), f) for f in ("size", "queue", "running", "waiting", "refused")}
                for k, p in self._pools.items()}
