"""Settlement reads over the ledger tables, and the derived settlement index (SQLAlchemy Core).

`settlement_lines` (migration 0002) is rebuilt from the signed entries and never authoritative:
`sync_index` indexes every cost_line and reversal entry from `settlement_index_state.through_seq`
(the number of entries scanned so far) to the end of the log, in one transaction.
"""
from __future__ import annotations

from contextlib import contextmanager
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from ..store import Store, entries

md = sa.MetaData()
lines = sa.Table(
    "settlement_lines", md,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(16)), sa.Column("client", sa.String(64)), sa.Column("fronting", sa.String(80)),
    sa.Column("bearer", sa.String(80)), sa.Column("period_from", sa.Date), sa.Column("period_to", sa.Date),
    sa.Column("product", sa.String(200)), sa.Column("units", sa.BigInteger), sa.Column("tariff_cents", sa.BigInteger),
    sa.Column("amount_cents", sa.BigInteger), sa.Column("status", sa.String(16)), sa.Column("historical", sa.Boolean),
    sa.Column("booking_quarter", sa.String(6)), sa.Column("corrects", sa.String(200)),
    sa.Column("determination_seq", sa.BigInteger), sa.Column("reverses_seq", sa.BigInteger),
    sa.Column("placement_id", sa.String(200)), sa.Column("location", sa.String(200)),
)
index_state = sa.Table("settlement_index_state", md, sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("through_seq", sa.BigInteger))
LINE_COLUMNS = ("seq", "kind", "client", "fronting", "bearer", "period_from", "period_to", "product", "units",
                "tariff_cents", "amount_cents", "status", "historical", "booking_quarter", "corrects",
                "determination_seq", "reverses_seq", "placement_id", "location")


@dataclass(frozen=True)
class Line:
    """One indexed cost line (+amount) or reversal (-amount of the line it reverses)."""

    seq: int
    kind: str
    client: str
    fronting: str
    bearer: str
    period_from: date
    period_to: date
    product: str
    units: int
    tariff_cents: int
    amount_cents: int
    status: str
    historical: bool
    booking_quarter: str
    corrects: str | None
    determination_seq: int | None
    reverses_seq: int | None
    placement_id: str | None
    location: str | None


def _date(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(v)


def _line(r: Sequence[Any]) -> Line:
    return Line(r[0], r[1], r[2], r[3], r[4], _date(r[5]), _date(r[6]), r[7], r[8], r[9], r[10], r[11], bool(r[12]),
                r[13], r[14], r[15], r[16], r[17], r[18])


class _Ref(msgspec.Struct):
    seq: int


class _Payload(msgspec.Struct):
    """The payload fields the index needs, of a cost line or a reversal (other fields are skipped)."""

    fronting_party: str = ""
    cost_bearer: str = ""
    period_from: str = ""
    period_to: str = ""
    product: str = ""
    units: int = 0
    tariff_cents: int = 0
    amount_cents: int = 0
    status: str = ""
    historical_budget: bool = False
    determination: _Ref | None = None
    booking_quarter: str | None = None
    corrects_period: str | None = None
    placement_id: str | None = None
    location: str | None = None
    reverses: _Ref | None = None


class _Statement(msgspec.Struct):
    payload: _Payload


_DECODE = msgspec.json.Decoder(_Statement).decode
_ANY = msgspec.json.Decoder().decode


def _bq(period_from: str) -> str:
    return f"{period_from[:4]}K{(int(period_from[5:7]) - 1) // 3 + 1}"


def _cost_line_row(seq: int, client: str | None, p: _Payload, flag: Callable[[bool], Any]) -> tuple:
    """An index row in LINE_COLUMNS order (dates as ISO text, which both drivers store as dates)."""
    det = p.determination
    return (seq, "cost_line", client or "", p.fronting_party, p.cost_bearer, p.period_from, p.period_to,
            p.product, p.units, p.tariff_cents, p.amount_cents, p.status, flag(p.historical_budget),
            p.booking_quarter or _bq(p.period_from), p.corrects_period, det.seq if det else None, None,
            p.placement_id, p.location)


def index_behind(conn: sa.Connection) -> bool:
    """Whether entries were appended since the index was last brought up to date."""
    r = conn.exec_driver_sql("SELECT (SELECT through_seq FROM settlement_index_state WHERE id = 1), "
                             "(SELECT tree_size FROM ledger_tree_state WHERE id = 1)").one()
    return r[1] is not None and r[0] < r[1]


def sync_index(store: Store) -> int:
    """Index every new cost_line and reversal entry; returns how many rows were added."""
    added = 0
    sqlite = store.dialect == "sqlite"
    flag: Callable[[bool], Any] = int if sqlite else bool
    ph = "?" if sqlite else "%s"
    with store.engine.connect() as conn:  # up to date? (a read, without the write lock)
        if not index_behind(conn):
            return 0
    with store.engine.connect() as conn:
        if sqlite:
            conn.execution_options(ledger_write=True)
        with conn.begin():
            q = sa.select(index_state.c.through_seq).where(index_state.c.id == 1)
            if not sqlite:
                q = q.with_for_update()
            start = conn.execute(q).scalar_one()
            size = conn.execute(sa.text("SELECT tree_size FROM ledger_tree_state WHERE id = 1")).scalar()
            if size is None or size <= start:
                return 0
            cache: dict[int, tuple] = {}
            lo = start
            while lo < size:
                hi = min(size, lo + 20000)
                # a range of the primary key; filtering on kind in SQL would make the planner walk the
                # kind index once per chunk
                rows = conn.exec_driver_sql(f"SELECT seq, kind, client, statement FROM ledger_entries "
                                            f"WHERE seq >= {ph} AND seq < {ph} ORDER BY seq", (lo, hi)).fetchall()
                out: list[tuple] = []
                for seq, kind, client, raw in rows:
                    if kind != "cost_line" and kind != "reversal":
                        continue
                    p = _DECODE(bytes(raw)).payload
                    if kind == "cost_line":
                        row = _cost_line_row(seq, client, p, flag)
                        cache[seq] = row
                    else:
                        ref = p.reverses.seq if p.reverses else -1
                        orig = cache.get(ref) or _lookup(conn, ref, flag)
                        if orig is None:
                            continue
                        row = (seq, "reversal", *orig[2:10], -orig[10], orig[11], orig[12],
                               p.booking_quarter or orig[13], p.corrects_period or orig[14], orig[15],
                               ref, orig[17], orig[18])
                    out.append(row)
                if out:
                    _insert(conn, store.dialect, out)
                    added += len(out)
                lo = hi
            conn.execute(index_state.update().where(index_state.c.id == 1).values(through_seq=size))
    return added


def _insert(conn: sa.Connection, dialect: str, rows: list[tuple]) -> None:
    """Insert index rows through the driver: COPY on PostgreSQL, executemany on SQLite."""
    if dialect == "postgresql":
        cur = conn.connection.driver_connection.cursor()
        with cur.copy(f"COPY settlement_lines ({', '.join(LINE_COLUMNS)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
    else:
        conn.exec_driver_sql(f"INSERT INTO settlement_lines ({', '.join(LINE_COLUMNS)}) VALUES "
                             f"({', '.join('?' * len(LINE_COLUMNS))})", rows)


def _lookup(conn: sa.Connection, seq: int, flag: Callable[[bool], Any]) -> tuple | None:
    r = conn.execute(sa.select(*[lines.c[n] for n in LINE_COLUMNS]).where(lines.c.seq == seq)).one_or_none()
    if r is None:
        return None
    r = list(r)
    r[5], r[6], r[12] = r[5].isoformat(), r[6].isoformat(), flag(bool(r[12]))
    return tuple(r)


@contextmanager
def _conn(store: Store, conn: sa.Connection | None) -> Iterator[sa.Connection]:
    """The caller's connection, or a new one for this read."""
    if conn is not None:
        yield conn
        return
    with store.engine.connect() as c:
        yield c


def lines_where(store: Store, *conds: Any) -> list[Line]:
    with store.engine.connect() as c:
        return [_line(r) for r in c.execute(sa.select(*[lines.c[n] for n in LINE_COLUMNS]).where(*conds)
                                            .order_by(lines.c.seq))]


def client_lines(store: Store, client: str) -> list[Line]:
    return lines_where(store, lines.c.client == client)


def reversed_seqs(store: Store, seqs: Sequence[int]) -> set[int]:
    out: set[int] = set()
    seqs = sorted(set(seqs))
    with store.engine.connect() as c:
        for i in range(0, len(seqs), 500):
            out.update(r[0] for r in c.execute(sa.select(lines.c.reverses_seq)
                                              .where(lines.c.reverses_seq.in_(seqs[i:i + 500]))))
    return out


def quarter_condition(quarter: str, through_seq: int | None = None, carried: Sequence[tuple[str, int]] = ()):
    """Rows booked in `quarter` (up to through_seq), plus rows carried in: (sealed quarter, its through_seq)."""
    cond = lines.c.booking_quarter == quarter
    if through_seq is not None:
        cond = sa.and_(cond, lines.c.seq <= through_seq)
    for q, seq in carried:
        cond = sa.or_(cond, sa.and_(lines.c.booking_quarter == q, lines.c.seq > seq))
    return cond


def quarter_sql(dialect: str, quarter: str, through_seq: int | None,
                carried: Sequence[tuple[str, int]]) -> tuple[str, tuple]:
    """The rows of a quarter as a driver WHERE clause and its parameters (as quarter_condition)."""
    ph = "?" if dialect == "sqlite" else "%s"
    where = f"booking_quarter = {ph}"
    params: list[Any] = [quarter]
    for q, seq in carried:
        where += f" OR (booking_quarter = {ph} AND seq > {ph})"
        params += [q, seq]
    if through_seq is not None:
        where = f"({where}) AND seq <= {ph}"
        params.append(through_seq)
    return where, tuple(params)


def group_totals(store: Store, cond: Any, disputed_dets: Sequence[int], disputed_clients: Sequence[str],
                 in_scope: Callable[[str, int], bool], conn: sa.Connection | None = None
                 ) -> list[tuple[str, str, str, bool, bool, int, int]]:
    """(fronting, bearer, status, historical, disputed, amount, count) per group.

    One GROUP BY over the quarter (`cond`: an SQLAlchemy condition, or quarter_sql's clause); the few disputed lines (by determination, and by client
    for lines without a determination) are read through their own indexes, kept when
    `in_scope(booking_quarter, seq)` (required: the rows `cond` selects), and their totals moved to
    disputed groups.
    """
    keys = (lines.c.fronting, lines.c.bearer, lines.c.status, lines.c.historical)
    agg = (sa.func.sum(lines.c.amount_cents), sa.func.count())
    acc: dict[tuple, list[int]] = {}
    with _conn(store, conn) as c:
        if isinstance(cond, tuple):  # (where clause, parameters) of quarter_sql: straight to the driver
            rows = c.exec_driver_sql("SELECT fronting, bearer, status, historical, SUM(amount_cents), COUNT(*) "
                                     f"FROM settlement_lines WHERE {cond[0]} "
                                     "GROUP BY fronting, bearer, status, historical", cond[1])
        else:
            rows = c.execute(sa.select(*keys, *agg).where(cond).group_by(*keys))
        for r in rows:
            acc[(r[0], r[1], r[2], bool(r[3]), False)] = [int(r[4]), int(r[5])]
        # driver SQL through the named index: SQLite's statistics would otherwise make it scan the
        # table (a column that is mostly NULL, or a few disputed clients among many)
        sqlite = store.dialect == "sqlite"
        ph = "?" if sqlite else "%s"
        cols = "fronting, bearer, status, historical, amount_cents, booking_quarter, seq, determination_seq"
        picks: list[tuple[str, str, list[Any], bool]] = []
        dets = sorted(set(disputed_dets))
        for i in range(0, len(dets), 500):
            picks.append(("settlement_lines_determination", "determination_seq", dets[i:i + 500], False))
        clients = sorted(set(disputed_clients))
        for i in range(0, len(clients), 500):  # only lines without a determination count by client
            picks.append(("settlement_lines_client", "client", clients[i:i + 500], True))
        seen: set[int] = set()
        for index, column, values, by_client in picks:
            hint = f" INDEXED BY {index}" if sqlite else ""
            sql = f"SELECT {cols} FROM settlement_lines{hint} WHERE {column} IN ({', '.join([ph] * len(values))})"
            for r in c.exec_driver_sql(sql, tuple(values)):
                if r[6] in seen or not in_scope(r[5], r[6]) or (by_client and r[7] is not None):
                    continue
                seen.add(r[6])
                k = (r[0], r[1], r[2], bool(r[3]))
                base = acc.setdefault((*k, False), [0, 0])
                base[0] -= int(r[4])
                base[1] -= 1
                moved = acc.setdefault((*k, True), [0, 0])
                moved[0] += int(r[4])
                moved[1] += 1
    return [(*k, v[0], v[1]) for k, v in acc.items() if v[1] or v[0]]


def iter_quarter_lines(store: Store, cond: Any, chunk: int = 50000) -> Iterator[Line]:
    """Every row of a quarter, ordered by (fronting, bearer, client, period, seq), streamed."""
    q = (sa.select(*[lines.c[n] for n in LINE_COLUMNS]).where(cond)
         .order_by(lines.c.fronting, lines.c.bearer, lines.c.client, lines.c.period_from, lines.c.seq))
    with store.engine.connect() as c:
        res = c.execution_options(stream_results=True, yield_per=chunk).execute(q)
        for part in res.partitions(chunk):
            for r in part:
                yield _line(r)


def raw_quarter_rows(store: Store, quarter: str, through_seq: int | None,
                     carried: Sequence[tuple[str, int]]) -> list[tuple]:
    """Every row of the quarter as driver tuples (fast path, no per-value processing)."""
    ph = "?" if store.dialect == "sqlite" else "%s"
    where = f"booking_quarter = {ph}" + (f" AND seq <= {ph}" if through_seq is not None else "")
    params: list[Any] = [quarter] + ([through_seq] if through_seq is not None else [])
    where = f"({where})"
    for q, s in carried:
        where += f" OR (booking_quarter = {ph} AND seq > {ph})"
        params += [q, s]
    sql = f"SELECT {', '.join(LINE_COLUMNS)} FROM settlement_lines WHERE {where}"
    with store.engine.connect() as c:
        return c.exec_driver_sql(sql, tuple(params)).fetchall()


def entries_of_kind(store: Store, kinds: Sequence[str], through_seq: int | None = None,
                    conn: sa.Connection | None = None) -> list[tuple[int, str, str | None, dict[str, Any], datetime]]:
    """(seq, author, client, payload, received_at) of every entry of these kinds, in seq order.

    Read one kind at a time through the kind index (SQLite is told to use it: with a few kinds
    dominating, its statistics would otherwise make it scan the whole log for a rare kind).
    """
    out = []
    sqlite = store.dialect == "sqlite"
    ph = "?" if sqlite else "%s"
    hint = " INDEXED BY ledger_entries_kind" if sqlite else ""
    with _conn(store, conn) as c:
        for kind in sorted(set(kinds)):
            sql = f"SELECT seq, author, client, statement, received_at FROM ledger_entries{hint} WHERE kind = {ph}"
            params: tuple = (kind,)
            if through_seq is not None:
                sql += f" AND seq <= {ph}"
                params = (kind, through_seq)
            for r in c.exec_driver_sql(sql, params):
                at = r[4]
                at = datetime.fromisoformat(at).replace(tzinfo=UTC) if isinstance(at, str) else at.astimezone(UTC)
                out.append((r[0], r[1], r[2], _ANY(bytes(r[3]))["payload"], at))
    out.sort(key=lambda x: x[0])
    return out


def keyed_entries(store: Store, kind: str, author: str, clients: Sequence[str] | None, key_prefix: str
                  ) -> dict[int, str | None]:
    """seq -> client of `author`'s entries of `kind` (about these clients; None: any) whose idempotency key
    starts with `key_prefix` (what a booking finds as its own: ledger/settlement/booking.py)."""
    out: dict[int, str | None] = {}
    cond = [entries.c.kind == kind, entries.c.author == author,
            entries.c.idempotency_key.startswith(key_prefix, autoescape=True)]
    wanted = None if clients is None else sorted(set(clients))
    with store.engine.connect() as c:
        for i in range(0, 1 if wanted is None else len(wanted), 500):
            where = cond if wanted is None else [*cond, entries.c.client.in_(wanted[i:i + 500])]
            out.update((r[0], r[1]) for r in c.execute(sa.select(entries.c.seq, entries.c.client).where(*where)))
    return out


def entry_kinds(store: Store, seqs: Sequence[int]) -> dict[int, tuple[str, bytes]]:
    """seq -> (kind, entry hash) for these entries."""
    out: dict[int, tuple[str, bytes]] = {}
    seqs = sorted(set(seqs))
    with store.engine.connect() as c:
        for i in range(0, len(seqs), 500):
            for r in c.execute(sa.select(entries.c.seq, entries.c.kind, entries.c.leaf_hash)
                               .where(entries.c.seq.in_(seqs[i:i + 500]))):
                out[r[0]] = (r[1], bytes(r[2]))
    return out


def lines_of(store: Store, determinations: Sequence[int], clients: Sequence[str],
             conn: sa.Connection | None = None) -> list[tuple]:
    """The rows of these determinations, and of these clients' lines without a determination, through
    their indexes: (fronting, bearer, status, historical, amount_cents, booking_quarter, seq,
    determination_seq, client, period_from, period_to, kind, reverses_seq)."""
    sqlite = store.dialect == "sqlite"
    ph = "?" if sqlite else "%s"
    cols = ("fronting, bearer, status, historical, amount_cents, booking_quarter, seq, determination_seq, client, "
            "period_from, period_to, kind, reverses_seq")
    out: dict[int, tuple] = {}
    picks: list[tuple[str, str, list[Any], bool]] = []
    dets = sorted(set(determinations))
    for i in range(0, len(dets), 500):
        picks.append(("settlement_lines_determination", "determination_seq", dets[i:i + 500], False))
    cl = sorted(set(clients))
    for i in range(0, len(cl), 500):
        picks.append(("settlement_lines_client", "client", cl[i:i + 500], True))
    with _conn(store, conn) as c:
        for index, column, values, by_client in picks:
            hint = f" INDEXED BY {index}" if sqlite else ""
            sql = f"SELECT {cols} FROM settlement_lines{hint} WHERE {column} IN ({', '.join([ph] * len(values))})"
            for r in c.exec_driver_sql(sql, tuple(values)):
                if by_client and r[7] is not None:
                    continue
                out[r[6]] = tuple(r)
    return [out[k] for k in sorted(out)]
