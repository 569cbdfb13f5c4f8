"""The places of the pools of expensive work, shared by every worker process through the database (issue 12:
"pool limits are shared by every worker process, so they hold under --workers N").

A pool of one kind (api/http/pools.py) has two sets of places, each a row of `pool_leases` (migration
0007_pool_leases) while it is taken:
- `KIND:admit`, size + queue of them: a request holds one from the moment it is admitted until it is
  answered; when none is free the request is refused at once (503 SERVER_BUSY, Retry-After);
- `KIND:run`, size of them: the work runs only while it holds one; an admitted request waits for it.
So the size and the queue of a pool hold for the server as a whole, however many workers it runs.

A place is leased, not owned: it is held until `expires_at`, and the holding process renews all of its
leases every `seconds / 3` (a thread of its own) while their work runs. A killed worker stops renewing, and
its places are free again after at most `seconds`. A lease taken over after it expired is never released
by its former holder (each lease has its own random id).
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ledger.store import UTCDateTime, utcnow

log = logging.getLogger("bwledger.http.pools")

metadata = sa.MetaData()
pool_leases = sa.Table(
    "pool_leases", metadata,
    sa.Column("pool", sa.String(40), primary_key=True),
    sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("lease", sa.String(32), nullable=False),
    sa.Column("holder", sa.String(120), nullable=False),
    sa.Column("acquired_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)
#: how long a waiting request sleeps between two looks at the run places, at first and at most (seconds);
#: a place freed in the same process wakes its waiters at once
FIRST_WAIT, LONGEST_WAIT = 0.02, 0.25


@dataclass(frozen=True)
class Lease:
    pool: str
    slot: int
    lease: str


class PoolLeases:
    """Leases on pool places in the database of `engine`, held by this process (`holder`)."""

    def __init__(self, engine: Engine, seconds: float = 30, clock=utcnow) -> None:
        if seconds <= 0:
            raise ValueError("a lease lasts more than 0 seconds")
        self.engine, self.seconds, self.clock = engine, seconds, clock
        self.holder = f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._held: dict[str, Lease] = {}
        self._freed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _write(self) -> Connection:
        conn = self.engine.connect()
        if self.engine.dialect.name == "sqlite":
            conn.execution_options(ledger_write=True)  # BEGIN IMMEDIATE (ledger/store.py): no stale snapshot
        return conn

    def live(self, pool: str, places: int) -> int:
        """How many of the first `places` places of `pool` are held (not expired), by any process."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(pool_leases).where(
                pool_leases.c.pool == pool, pool_leases.c.slot < places,
                pool_leases.c.expires_at > self.clock())).scalar_one()

    def try_acquire(self, pool: str, places: int) -> Lease | None:
        """One of the places 0..places-1 of `pool` (a free one, or one whose lease expired), or None at once."""
        if self.live(pool, places) >= places:  # the common refusal without taking the write lock
            return None
        now = self.clock()
        with self._write() as conn, conn.begin():
            taken = {r.slot: r.expires_at for r in conn.execute(
                sa.select(pool_leases.c.slot, pool_leases.c.expires_at).where(pool_leases.c.pool == pool))}
            for slot in range(places):
                expires = taken.get(slot)
                if expires is not None and expires > now:
                    continue
                values = {"lease": secrets.token_hex(16), "holder": self.holder, "acquired_at": now,
                          "expires_at": now + timedelta(seconds=self.seconds)}
                if expires is None:
                    try:
                        with conn.begin_nested():
                            conn.execute(pool_leases.insert().values(pool=pool, slot=slot, **values))
                    except IntegrityError:  # another process took it a moment ago
                        continue
                elif conn.execute(pool_leases.update().where(  # expired: a killed worker's, taken over once
                        pool_leases.c.pool == pool, pool_leases.c.slot == slot,
                        pool_leases.c.expires_at <= now).values(**values)).rowcount != 1:
                    continue
                lease = Lease(pool, slot, values["lease"])
                with self._freed:
                    self._held[lease.lease] = lease
                return lease
        return None

    def wait_for(self, pool: str, places: int) -> Lease:
        """A place of `pool`, waiting as long as it takes (an admitted request waits for its turn)."""
        delay = FIRST_WAIT
        while True:
            lease = self.try_acquire(pool, places)
            if lease is not None:
                return lease
            with self._freed:
                self._freed.wait(delay)
            delay = min(delay * 2, LONGEST_WAIT)

    def release(self, lease: Lease) -> None:
        with self._write() as conn, conn.begin():
            conn.execute(pool_leases.delete().where(pool_leases.c.pool == lease.pool,
                                                    pool_leases.c.slot == lease.slot,
                                                    pool_leases.c.lease == lease.lease))
        with self._freed:
            self._held.pop(lease.lease, None)
            self._freed.notify_all()

    def held(self) -> int:
        with self._freed:
            return len(self._held)

    def renew(self) -> int:
        """Extend every lease this process holds by `seconds` from now; how many rows were renewed."""
        if not self.held():
            return 0
        with self._write() as conn, conn.begin():
            return conn.execute(pool_leases.update().where(pool_leases.c.holder == self.holder)
                                .values(expires_at=self.clock() + timedelta(seconds=self.seconds))).rowcount

    def _renewing(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                self.renew()
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not stop the renewals; it is logged
                log.warning("pool leases not renewed: %s", type(exc).__name__)

    def start(self) -> None:
        """Start renewing this process's leases (a daemon thread), until `stop`."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._renewing, name="bwledger-pool-leases", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=10)
            self._thread = None
