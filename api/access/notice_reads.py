"""Which notices a person has opened: the inbox's unread/read, per account (a notice is a ledger entry,
by seq; whether someone read it is no ledger fact, so it is kept in the access database)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from api.access.tables import notice_reads
from ledger.store import utcnow


class NoticeReads:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine, self.clock = engine, clock

    def mark(self, username: str, seq: int) -> None:
        """`username` has read notice `seq` (again: nothing changes)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(notice_reads.insert().values(username=username, seq=seq, read_at=self.clock()))
        except IntegrityError:
            pass

    def read(self, username: str, seqs: Iterable[int]) -> set[int]:
        """Those of `seqs` that `username` has read."""
        wanted = sorted(set(seqs))
        out: set[int] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                out.update(r[0] for r in conn.execute(sa.select(notice_reads.c.seq).where(
                    notice_reads.c.username == username, notice_reads.c.seq.in_(wanted[i:i + 500]))))
        return out


__all__ = ["NoticeReads"]
