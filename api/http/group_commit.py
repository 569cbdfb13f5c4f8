"""Group commit at the edge: the concurrent writes of one worker process coalesced into one transaction.

A `GroupCommit` holds one kind of write (the entry submissions, the audit records, the rate-limit counts).
A request hands it its item and awaits the answer; while a flush runs, the items that arrive wait, and the
next flush takes all of them at once, in arrival order: so there is never more than one flush of a kind
running in a process, nothing waits on a timer (a lone request is flushed at once), and under load one
transaction and one commit serve every request that arrived meanwhile.

`flush(items)` runs in a worker thread and returns one outcome per item, in order: its result, or an
exception for that item alone (the others keep theirs). An exception raised by `flush` itself is every
item's answer. A caller's `submit` returns (or raises) only after the flush that carried its item
returned, so when the flush commits before it returns, a caller is answered after its item is durable.
A caller that goes away (a cancelled request) does not cancel the flush its item is in: the other items'
callers are still answered, and its own item is written all the same.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import anyio

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Coalesce the concurrent `submit(item)` calls of this process into calls of `flush(items)`."""

    def __init__(self, name: str, flush: Callable[[list[T]], Sequence[R | BaseException]], max_items: int = 500):
        if max_items < 1:
            raise ValueError(f"group commit {name}: max_items >= 1, not {max_items}")
        self.name, self.flush, self.max_items = name, flush, max_items
        self._waiting: list[tuple[T, asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None
        self.flushes = 0  # how many flushes ran (status, tests)
        self.items = 0  # how many items they carried
        self.largest = 0  # the most items one flush carried

    async def submit(self, item: T) -> R:
        """`item` written with whatever else waits; its own outcome (raised when it is an exception)."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._drain(), name=f"group-commit-{self.name}")
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:self.max_items], self._waiting[self.max_items:]
            items = [item for item, _ in batch]
            try:
                with anyio.CancelScope(shield=True):  # a started flush finishes, and its callers hear of it
                    outcomes = await anyio.to_thread.run_sync(self.flush, items)
                if len(outcomes) != len(items):
                    raise RuntimeError(f"group commit {self.name}: {len(outcomes)} outcomes for {len(items)} items")
            except BaseException as exc:  # noqa: BLE001 - the flush's failure is every caller's answer
                outcomes = [exc] * len(items)
            self.flushes += 1
            self.items += len(items)
            self.largest = max(self.largest, len(items))
            for (_item, future), outcome in zip(batch, outcomes):
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def status(self) -> dict[str, int]:
        return {"flushes": self.flushes, "items": self.items, "largest": self.largest, "waiting": len(self._waiting)}
