"""Rate limits: requests counted per window in the database (table access_counters), so every worker process
of `bwledger serve --workers N` counts the same requests (issue 12: "a rate limit per account and per address
with a clear 429").

`count` is the one counter: it adds one request to each bucket of the current window, in one short
transaction (an upsert per bucket that returns the new count), and says how long to wait when a bucket is
over its limit. The login counts its attempts with it (api/access/accounts.py `AccessService.hit`), and
`RequestLimit` counts every request but the static files, once, in the guard (api/http/guards.py): one
bucket per caller (an account, the person of a session, a token) and one per client address.

Cheap by construction: one round trip per bucket, no read before the write; on PostgreSQL the counter's
commit does not wait for its WAL flush (`synchronous_commit = off` for that transaction only: a counter
lost in a database crash costs nothing). Old windows are deleted when a bucket starts a new one.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from api.access.tables import counters

RATE_LIMITED = "RATE_LIMITED"
WINDOW_SECONDS = 60
_BUCKET_MAX = 200  # the column's length


def _upsert(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(counters)


def count(engine: Engine, clock: Callable[[], datetime], buckets: Iterable[tuple[str, int]],
          window_seconds: int) -> int | None:
    """Count one request in each (bucket, limit) for the current window of `window_seconds`; None when every
    bucket is within its limit, else the seconds until the window ends (the Retry-After, at least 1)."""
    now = clock()
    start = int(now.timestamp()) // window_seconds * window_seconds
    expires = datetime.fromtimestamp(start + window_seconds, now.tzinfo)
    keyed = sorted({f"{bucket}:{start}"[:_BUCKET_MAX]: limit for bucket, limit in buckets}.items())
    if not keyed:
        return None
    dialect = engine.dialect.name
    over = new_window = False
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        for key, limit in keyed:  # in key order: two transactions never wait for each other crosswise
            stmt = _upsert(dialect).values(bucket=key, count=1, expires_at=expires)
            seen = conn.execute(stmt.on_conflict_do_update(index_elements=[counters.c.bucket],
                                                           set_={"count": counters.c.count + 1})
                                .returning(counters.c.count)).scalar_one()
            over = over or seen > limit
            new_window = new_window or seen == 1
    if new_window:
        with engine.begin() as conn:
            conn.execute(counters.delete().where(counters.c.expires_at < now))
    return max(1, int((expires - now).total_seconds() + 0.999)) if over else None


def _name(value: str) -> str:
    """A bucket's name part: as it is when short, else its digest (a key never outgrows the column)."""
    return value if len(value) <= 100 else "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RequestLimit:
    """At most `per_caller` requests a minute of one caller and `per_address` from one address (0: no limit)."""
    engine: Engine
    clock: Callable[[], datetime]
    per_caller: int
    per_address: int

    def check(self, subject: str | None, address: str | None) -> int | None:
        """Count this request of `subject` (an Identity's subject; None before or without identification) from
        `address`; None when within the limits, else the seconds to wait."""
        buckets = []
        if self.per_caller and subject:
            buckets.append((f"rate:caller:{_name(subject)}", self.per_caller))
        if self.per_address and address:
            buckets.append((f"rate:addr:{_name(address)}", self.per_address))
        return count(self.engine, self.clock, buckets, WINDOW_SECONDS) if buckets else None

    @staticmethod
    def message(wait: int) -> str:
        return (f"te veel verzoeken in korte tijd; probeer het over {wait} "
                f"{'seconde' if wait == 1 else 'seconden'} opnieuw")
