"""Rate limits: requests counted per window in the database (table access_counters), so every worker process
of `bwledger serve --workers N` counts the same requests (issue 12: "a rate limit per account and per address
with a clear 429").

`count` is the one counter: it adds one request to each bucket of the current window, in one short
transaction (an upsert per bucket that returns the new count), and says how long to wait when a bucket is
over its limit. The login counts its attempts with it (api/access/accounts.py `AccessService.hit`), and
`RequestLimit` counts every request but the static files, once, in the guard (api/http/guards.py): one
bucket per caller (an account, the person of a session, a token) and one per client address. The server
counts the concurrent requests of a worker together (`count_many`, `RequestLimit.check_many`, through the
app's `rate_commits` group commit): one transaction for the group, one upsert per bucket adding all of
its requests, and each request answered with the count it would have seen alone. The guarantee is the
same as one at a time: a request is decided only after its count is in the database (committed), so the
workers share every count exactly.

Cheap by construction: one round trip per bucket, no read before the write; on PostgreSQL the counter's
commit does not wait for its WAL flush (`synchronous_commit = off` for that transaction only: a counter
lost in a database crash costs nothing). Old windows are deleted when a bucket starts a new one.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.access.tables import counters
from ledger.store import UTCDateTime

RATE_LIMITED = "RATE_LIMITED"
WINDOW_SECONDS = 60
_BUCKET_MAX = 200  # the column's length


#: add `count` requests to a bucket and return its new count: one statement, made once (building it per
#: request cost more than its round trip); the same text on PostgreSQL and SQLite (>= 3.35)
_UPSERT = sa.text(
    f"INSERT INTO {counters.name} (bucket, count, expires_at) VALUES (:bucket, :count, :expires_at) "
    "ON CONFLICT (bucket) DO UPDATE SET count = " + counters.name + ".count + excluded.count RETURNING count"
).bindparams(sa.bindparam("expires_at", type_=UTCDateTime))


def count(engine: Engine, clock: Callable[[], datetime], buckets: Iterable[tuple[str, int]],
          window_seconds: int) -> int | None:
    """Count one request in each (bucket, limit) for the current window of `window_seconds`; None when every
    bucket is within its limit, else the seconds until the window ends (the Retry-After, at least 1)."""
    return count_many(engine, clock, [buckets], window_seconds)[0]


def count_many(engine: Engine, clock: Callable[[], datetime], requests: Sequence[Iterable[tuple[str, int]]],
               window_seconds: int) -> list[int | None]:
    """`count` for several requests at once, in one transaction (the server's group commit): one upsert per
    bucket that adds every request naming it; each request, in order, sees the count it would have seen
    alone (the bucket's count before the batch plus its place among them) and gets its own answer."""
    now = clock()
    start = int(now.timestamp()) // window_seconds * window_seconds
    expires = datetime.fromtimestamp(start + window_seconds, now.tzinfo)
    keyed = [{f"{bucket}:{start}"[:_BUCKET_MAX]: limit for bucket, limit in buckets} for buckets in requests]
    added: dict[str, int] = {}
    for request in keyed:
        for key in request:
            added[key] = added.get(key, 0) + 1
    if not added:
        return [None] * len(keyed)
    dialect = engine.dialect.name
    totals: dict[str, int] = {}
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        for key in sorted(added):  # in key order: two transactions never wait for each other crosswise
            totals[key] = conn.execute(_UPSERT, {"bucket": key, "count": added[key],
                                                 "expires_at": expires}).scalar_one()
    if any(totals[key] == n for key, n in added.items()):  # a bucket started a new window
        with engine.begin() as conn:
            conn.execute(counters.delete().where(counters.c.expires_at < now))
    wait = max(1, int((expires - now).total_seconds() + 0.999))
    seen = {key: totals[key] - added[key] for key in added}  # the count before this batch
    out: list[int | None] = []
    for request in keyed:
        over = False
        for key, limit in request.items():
            seen[key] += 1
            over = over or seen[key] > limit
        out.append(wait if over else None)
    return out


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
        return self.check_many([(subject, address)])[0]

    def check_many(self, calls: Sequence[tuple[str | None, str | None]]) -> list[int | None]:
        """`check` for several requests (subject, address) at once, in one transaction (count_many)."""
        return count_many(self.engine, self.clock, [self._buckets(subject, address) for subject, address in calls],
                          WINDOW_SECONDS)

    def _buckets(self, subject: str | None, address: str | None) -> list[tuple[str, int]]:
        buckets = []
        if self.per_caller and subject:
            buckets.append((f"rate:caller:{_name(subject)}", self.per_caller))
        if self.per_address and address:
            buckets.append((f"rate:addr:{_name(address)}", self.per_address))
        return buckets

    @staticmethod
    def message(wait: int) -> str:
        return (f"te veel verzoeken in korte tijd; probeer het over {wait} "
                f"{'seconde' if wait == 1 else 'seconden'} opnieuw")
