"""The server's checkpoint timer (issue 3: "Checkpoints are made at the end of every append batch or
command, and by the server on a timer when it runs").

The server opens its store with `checkpoint_on_append=False`: a submission is then covered by a
checkpoint at most about `seconds` after it was received (and at every 1,000 entries inside a batch),
instead of one checkpoint per submission. The timer asks the ledger every `interval` seconds
(`ledger.service.checkpoint_if_due`), which signs one only when entries wait for it: when the first of
them was received `seconds` ago or `max_entries` of them wait. Entries appended by other writers
without the operator key (a batch job, another process) are covered the same way. Started and stopped
by the app lifespan; a checkpoint that has started is finished before shutdown."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import anyio

from api.access import audit
from ledger import service
from ledger.store import Store

log = logging.getLogger("bwledger.http.timer")


@dataclass
class CheckpointTimer:
    store: Store
    seconds: float  # the longest an entry waits for a checkpoint (about); 0: no timer
    max_entries: int = 1000
    #: at most how often the audit log's head is anchored (audit.anchor); 0: never
    anchor_seconds: float = audit.ANCHOR_SECONDS
    ticks: int = 0
    checkpoints: int = 0
    anchors: int = 0  # audit anchors recorded (api/access/audit.py)
    last_error: str | None = None
    last_checkpoint_at: datetime | None = None
    #: with a read replica (BWLEDGER_READ_DATABASE_URL): bring the settlement index up to date after each
    #: checkpoint, on the primary, so that the replica's copy follows and reports can read it (api/http/reads.py)
    index_for_replica: bool = False
    #: after each new checkpoint: ask the witnesses to cosign it (api/bootstrap.py witness_collector); None: none
    collector: Callable[[], object] | None = None
    witness_problems: dict = field(default_factory=dict)
    #: a witness that did not cosign the newest checkpoint is asked again after this many seconds
    witness_retry_seconds: float = 30.0
    _last_collect: float = field(default=0.0, repr=False)
    _task: asyncio.Task | None = field(default=None, repr=False)

    @property
    def interval(self) -> float:
        """How often the ledger is asked: a fraction of `seconds`, at most every second."""
        return max(0.05, min(1.0, self.seconds / 2))

    def tick(self) -> bool:
        """One check; True if a checkpoint was signed. First the audit log's head is anchored in the ledger
        when it grew (at most every `anchor_seconds`), so the checkpoint that follows covers it."""
        self.ticks += 1
        try:
            if self.anchor_seconds > 0 and audit.anchor(self.store, min_seconds=self.anchor_seconds) is not None:
                self.anchors += 1
        except Exception as exc:  # noqa: BLE001 - a failed anchor must not hold up the checkpoint; it is reported
            self.last_error = f"audit anchor: {getattr(exc, 'code', type(exc).__name__)}: {exc}"
            log.warning("checkpoint timer: %s", self.last_error)
        cp = service.checkpoint_if_due(self.store, max_entries=self.max_entries, max_seconds=self.seconds)
        if cp is None:  # nothing waits, not due yet, or another writer checkpointed in between
            if self.witness_problems and time.monotonic() - self._last_collect >= self.witness_retry_seconds:
                self.collect()  # a witness that was down or refused, asked again for the same checkpoint
            return False
        self.checkpoints += 1
        self.last_checkpoint_at = datetime.now(timezone.utc)
        log.info("checkpoint at tree size %d", cp.tree_size)
        if self.index_for_replica:
            from ledger.settlement.store import sync_index

            sync_index(self.store)
        if self.collector is not None:
            self.collect()
        return True

    def collect(self) -> None:
        """Ask the witnesses for their cosignatures of the newest checkpoint; what went wrong per witness is
        kept in `witness_problems` and logged (a witness that is down must not stop the checkpoints)."""
        self._last_collect = time.monotonic()
        try:
            result = self.collector()
        except Exception as exc:  # noqa: BLE001 - reported, never raised into the timer
            self.witness_problems = {"*": f"{getattr(exc, 'code', type(exc).__name__)}: {exc}"}
            log.warning("witness collection: %s", self.witness_problems["*"])
            return
        self.witness_problems = dict(getattr(result, "problems", {}) or {})
        for name, why in self.witness_problems.items():
            log.warning("witness %s: %s", name, why)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                # not cancellable mid-checkpoint: shutdown waits for a started checkpoint to commit
                await anyio.to_thread.run_sync(self.tick)
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not stop the timer; it is reported
                self.last_error = f"{getattr(exc, 'code', type(exc).__name__)}: {exc}"
                log.warning("checkpoint timer: %s", self.last_error)

    def start(self) -> None:
        if self.seconds > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="bwledger-checkpoint-timer")
            log.info("checkpoint timer started (entries wait at most %ss, checked every %ss)", self.seconds,
                     self.interval)

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
        return {"running": self.running, "seconds": self.seconds, "interval": self.interval, "ticks": self.ticks,
                "checkpoints": self.checkpoints, "audit_anchors": self.anchors, "last_error": self.last_error,
                "witness_problems": self.witness_problems,
                "last_checkpoint_at": self.last_checkpoint_at.isoformat().replace("+00:00", "Z")
                if self.last_checkpoint_at else None}
