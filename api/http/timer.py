"""The server's checkpoint timer (issue 3): every N seconds, if entries were added since the last
checkpoint, ask the ledger's checkpoint service for one. Started and stopped by the app lifespan."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio

from ledger import service
from ledger.store import Store

log = logging.getLogger("bwledger.http.timer")


@dataclass
class CheckpointTimer:
    store: Store
    seconds: float
    ticks: int = 0
    checkpoints: int = 0
    last_error: str | None = None
    last_checkpoint_at: datetime | None = None
    _task: asyncio.Task | None = field(default=None, repr=False)

    def pending(self) -> bool:
        """Entries added since the last checkpoint (a read; no write lock is taken)."""
        state = self.store.tree_state()
        return state.tree_size > state.checkpoint_size

    def tick(self) -> bool:
        """One check; True if a checkpoint was signed."""
        self.ticks += 1
        if not self.pending():
            return False
        cp = service.checkpoint(self.store)
        if cp is None:  # another writer checkpointed in between
            return False
        self.checkpoints += 1
        self.last_checkpoint_at = datetime.now(UTC)
        log.info("checkpoint at tree size %d", cp.tree_size)
        return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.seconds)
            try:
                # not cancellable mid-checkpoint: shutdown waits for a started checkpoint to commit
                await anyio.to_thread.run_sync(self.tick)
                self.last_error = None
            except Exception as exc:  # a database hiccup must not stop the timer; it is reported
                self.last_error = f"{getattr(exc, 'code', type(exc).__name__)}: {exc}"
                log.warning("checkpoint timer: %s", self.last_error)

    def start(self) -> None:
        if self.seconds > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="bwledger-checkpoint-timer")
            log.info("checkpoint timer started (every %ss)", self.seconds)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None
        log.info("checkpoint timer stopped after %d ticks, %d checkpoints", self.ticks, self.checkpoints)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def status(self) -> dict:
        return {"running": self.running, "seconds": self.seconds, "ticks": self.ticks,
                "checkpoints": self.checkpoints, "last_error": self.last_error,
                "last_checkpoint_at": self.last_checkpoint_at.isoformat().replace("+00:00", "Z")
                if self.last_checkpoint_at else None}
