"""The ledger store: SQLAlchemy Core over SQLite (default) or PostgreSQL.

Writes are serialised so that there is one linear order: SQLite takes the write lock with
BEGIN IMMEDIATE, PostgreSQL locks the single tree-state row with SELECT ... FOR UPDATE.  A batch is
verified (signatures before taking the lock, everything else under it), chained, inserted, the tree
state updated once and a checkpoint signed by the operator key, all in one transaction.
"""
from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .admission import STATE_KINDS, LedgerState, admit
from .checkpoints import checkpoint_text, default_origin, is_note_time, sign_checkpoint_note
from .collector import collector_paused
from .crypto import Signer, verify_signature
from .entitlements import RefInfo
from .entries import (
    KEY_KINDS,
    OPERATOR,
    Statement,
    checkpoint_body,
    entry_hash,
    parse_statement,
)
from .errors import (
    CLOCK_SKEW,
    IDEMPOTENCY_CONFLICT,
    KEY_NOT_VALID,
    LOG_ORIGIN_MISMATCH,
    NOT_INITIALISED,
    SIGNATURE_INVALID,
    LedgerError,
)
from .merkle import Frontier
from .note import parse_note
from .private_files import private_dir, private_file
from .registry import KeyRegistry, named_key

__all__ = ["AppendResult", "CheckpointRow", "EntryRow", "Store", "TreeState", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite stores them naive, in UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()
entries = sa.Table(
    "ledger_entries", metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("prev_hash", sa.LargeBinary, nullable=False),
    sa.Column("leaf_hash", sa.LargeBinary, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("author", sa.String(80), nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("idempotency_key", sa.String(128), nullable=False),
    sa.Column("client", sa.String(64)),
    sa.Column("statement", sa.LargeBinary, nullable=False),
    sa.Column("signature", sa.LargeBinary, nullable=False),
)
checkpoints = sa.Table(
    "ledger_checkpoints", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tree_size", sa.BigInteger, nullable=False),
    sa.Column("root_hash", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("signature", sa.LargeBinary, nullable=False),
    # the exact checkpoint note (ledger/checkpoints.py) from note_from on; NULL: the RFC 8785 JSON checkpoint
    sa.Column("note", sa.LargeBinary),
)
#: the log's origin (one row, written once: migration 0012_checkpoint_notes)
log_table = sa.Table(
    "ledger_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("origin", sa.String(200), nullable=False),
)
tree_state = sa.Table(
    "ledger_tree_state", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("tree_size", sa.BigInteger, nullable=False),
    sa.Column("head_hash", sa.LargeBinary, nullable=False),
    sa.Column("frontier", sa.LargeBinary, nullable=False),
    sa.Column("last_received_at", UTCDateTime),
    sa.Column("checkpoint_size", sa.BigInteger, nullable=False),
)
#: one row per full verification (ledger/verification_runs.py; migration 0009_operations)
verification_runs = sa.Table(
    "verification_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("finished_at", UTCDateTime, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("entries", sa.BigInteger, nullable=False),
    sa.Column("checkpoints", sa.BigInteger, nullable=False),
    sa.Column("problems", sa.Integer, nullable=False),
    sa.Column("replay_not_run", sa.Integer, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
)
VERIFICATION_RUN_COLUMNS = ("finished_at", "ok", "entries", "checkpoints", "problems", "replay_not_run", "seconds",
                            "source")


def insert_verification_run(engine: Engine, values: dict[str, Any]) -> None:
    """Write one row of `verification_runs` (the record ledger/verification_runs.py makes)."""
    with engine.begin() as conn:
        conn.execute(verification_runs.insert().values(**values))


def latest_verification_run(engine: Engine) -> tuple | None:
    """The newest row of `verification_runs` (VERIFICATION_RUN_COLUMNS), or None."""
    with engine.connect() as conn:
        return conn.execute(sa.select(*[verification_runs.c[name] for name in VERIFICATION_RUN_COLUMNS])
                            .order_by(verification_runs.c.id.desc()).limit(1)).first()


#: the witnesses' cosignatures of the checkpoint notes (migration 0013_cosignatures; ledger/cosigned.py)
cosignatures = sa.Table(
    "ledger_cosignatures", metadata,
    sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("witness", sa.String(200), primary_key=True),
    sa.Column("key_id", sa.String(8), primary_key=True),
    sa.Column("root_hash", sa.LargeBinary, nullable=False),
    sa.Column("line", sa.Text, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
)
#: the unique index on (author, idempotency_key), created by migration 0001
IDEM_INDEX = "ledger_entries_idem"
ENTRY_COLUMNS = ("seq", "received_at", "prev_hash", "leaf_hash", "kind", "author", "key_id",
                 "idempotency_key", "client", "statement", "signature")
CHECKPOINT_COLUMNS = ("id", "tree_size", "root_hash", "created_at", "key_id", "signature", "note")
_CHECKPOINT_SELECT = f"SELECT {', '.join(CHECKPOINT_COLUMNS)} FROM ledger_checkpoints"
# a database not yet upgraded to migration 0012_checkpoint_notes has JSON checkpoints only, and still verifies
_CHECKPOINT_SELECT_BEFORE_0009 = f"SELECT {', '.join(CHECKPOINT_COLUMNS[:-1])} FROM ledger_checkpoints"


def pg_bytea_text(raw: bytes) -> str | bytes:
    """A statement for the text COPY into its bytea column: ASCII without NUL (canonical JSON nearly
    always is) in bytea's escape format, each backslash doubled (a fraction of the cost of hex, and the
    statement is most of a row); anything else as bytes, which psycopg sends in hex. ASCII reads the
    same in every client encoding, and a doubled backslash never starts the hex format's `\\x`."""
    if raw.isascii() and b"\x00" not in raw:
        return raw.replace(b"\\", b"\\\\").decode("ascii")
    return raw


class _TextCopyRows:
    """Rows (ENTRY_COLUMNS order) into a text COPY, the statement column as pg_bytea_text makes it."""

    def __init__(self, copy: Any) -> None:
        self._write = copy.write_row

    def write_row(self, row: Sequence[Any]) -> None:
        self._write((*row[:9], pg_bytea_text(row[9]), row[10]))


class EntryRow(NamedTuple):
    seq: int
    received_at: datetime
    prev_hash: bytes
    leaf_hash: bytes
    kind: str
    author: str
    key_id: str
    idempotency_key: str
    client: str | None
    statement: bytes
    signature: bytes


class CheckpointRow(NamedTuple):
    id: int
    tree_size: int
    root_hash: bytes
    created_at: datetime
    key_id: str
    signature: bytes
    note: bytes | None = None  # the signed note (C2SP); None: an RFC 8785 JSON checkpoint

    def body(self) -> bytes:
        """What the operator signed: the note's text, or the RFC 8785 JSON of an old checkpoint."""
        if self.note is not None:
            return parse_note(self.note).text
        return checkpoint_body(self.tree_size, self.root_hash, self.created_at)


class TreeState(NamedTuple):
    tree_size: int
    head_hash: bytes
    frontier: bytes
    last_received_at: datetime | None
    checkpoint_size: int


class VerificationView(NamedTuple):
    """One consistent reading of a store for `verify` (Store.verification_view)."""
    tree_state: Any  # TreeState, or the exception that kept it from being read
    raw_checkpoints: list
    max_seq: int
    count: int
    origin: str | None = None  # the log's stored origin (None before its first checkpoint note)


@dataclass(frozen=True)
class AppendResult:
    seq: int
    entry_hash: bytes
    received_at: datetime
    duplicate: bool = False  # the idempotency key was seen before with the same content


def _row(r: Any) -> EntryRow:
    return EntryRow(r[0], r[1], bytes(r[2]), bytes(r[3]), r[4], r[5], r[6], r[7], r[8], bytes(r[9]),
                    bytes(r[10]))


#: the kinds a batch keeps in the store's RefCache when it writes them (what later entries refer to)
CACHED_KINDS = frozenset({"determination", "redetermination", "dispute_event", "placement_notice",
                          "outflow_notice", "handover_request"})


class RefCache(dict):
    """Stored entries referred to, by seq, at most `limit` of them (the oldest inserted go first).
    Safe to keep across batches and processes: a stored entry never changes."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def update(self, other: dict) -> None:  # type: ignore[override]
        super().update(other)
        if len(self) > self.limit:
            for seq in list(self)[: len(self) - self.limit]:
                del self[seq]


@lru_cache(maxsize=1024)  # the entries of one batch share their received_at: parsed once
def utc_from_driver(value: Any) -> datetime:
    """A timestamp column as the driver returns it (SQLite: SQLAlchemy's DATETIME text, naive UTC;
    PostgreSQL: aware) as an aware UTC datetime; ValueError when it is none."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if not isinstance(value, datetime):
        raise ValueError(f"not a timestamp: {value!r:.40}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def read_entry_row(r: Sequence[Any]) -> EntryRow:
    """An entry row from driver values (ENTRY_COLUMNS order), checked for its types; ValueError or
    TypeError when a column cannot be what it must be (a damaged row, which verify reports)."""
    seq, at, prev, stored, kind, author, key_id, idem, client, raw, sig = r
    if not isinstance(seq, int):
        raise TypeError(f"seq is not an integer: {seq!r:.40}")
    return EntryRow(seq, utc_from_driver(at), bytes(prev), bytes(stored), str(kind), str(author), str(key_id),
                    str(idem), None if client is None else str(client), bytes(raw), bytes(sig))


def read_checkpoint_row(r: Sequence[Any]) -> CheckpointRow:
    """A checkpoint row from driver values (CHECKPOINT_COLUMNS: id, tree_size, root_hash, created_at, key_id,
    signature, note); ValueError or TypeError when damaged."""
    if not isinstance(r[0], int) or not isinstance(r[1], int):
        raise TypeError("id or tree_size is not an integer")
    if not 0 <= r[1] < 2**53:  # what a checkpoint body can carry (RFC 8785 integers)
        raise ValueError(f"tree_size {r[1]} is out of range")
    note = r[6] if len(r) > 6 else None
    return CheckpointRow(r[0], r[1], bytes(r[2]), utc_from_driver(r[3]), str(r[4]), bytes(r[5]),
                         None if note is None else bytes(note))


def signed_checkpoint_columns(operator: Signer, origin: str | None, size: int, root: bytes,
                              created_at: datetime) -> dict[str, bytes | None]:
    """The `signature` and `note` columns of a checkpoint row: from note_from on (by created_at) the
    signed note (`origin` needed) and its signature, before it the signature of the RFC 8785 JSON."""
    if not is_note_time(created_at):
        return {"signature": operator.sign(checkpoint_body(size, root, created_at)), "note": None}
    if origin is None:
        raise ValueError("a checkpoint note needs the log's origin")
    note = sign_checkpoint_note(operator, origin, size, root)
    return {"signature": parse_note(note).signatures[0].signature, "note": note}


def _checkpoint_or_none(r: Sequence[Any]) -> CheckpointRow | None:
    try:
        return read_checkpoint_row(r)
    except (ValueError, TypeError, OverflowError):
        return None


def ref_info(row: EntryRow) -> RefInfo:
    return RefInfo(row.seq, row.leaf_hash, row.kind, row.author, json.loads(row.statement)["payload"], row.client,
                   row.received_at)


def _private_database(path: Path) -> None:
    """The SQLite database file 0600 (SQLite gives its -wal and -shm files the database's mode), its
    folder 0700 when it is created here (ledger.private_files)."""
    if not path.parent.exists():
        private_dir(path.parent)
    private_file(path)
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if extra.exists():
            private_file(extra)


#: the version table of the ledger's migrations (ledger/migrations/env.py) and the PostgreSQL advisory lock
#: key that serialises migrations (an arbitrary constant: "bwledger" in ASCII, as an integer)
ALEMBIC_VERSION_TABLE = "ledger_alembic_version"
MIGRATION_LOCK = 0x62776C6564676572


def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def schema_revisions() -> list[str]:
    """Every revision of the ledger's migrations, oldest first (ledger/migrations/versions)."""
    from alembic.script import ScriptDirectory

    return [r.revision for r in reversed(list(ScriptDirectory.from_config(_alembic_config()).walk_revisions()))]


def make_engine(url: str, schema: str | None = None) -> Engine:
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            _private_database(Path(path))
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # durable at commit
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("ledger_write")
                                 else "BEGIN")
        return engine
    args = {"options": f"-csearch_path={schema}"} if schema else {}
    return sa.create_engine(url, connect_args=args, pool_pre_ping=True)


def _idempotency_key_taken(exc: BaseException) -> bool:
    """Whether ``exc`` is the unique index on (author, idempotency_key) refusing a row (psycopg's
    UniqueViolation from the COPY, sqlite3's IntegrityError, or either wrapped by SQLAlchemy)."""
    orig = getattr(exc, "orig", None) or exc
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg
        return getattr(diag, "sqlstate", None) == "23505" and getattr(diag, "constraint_name", None) == IDEM_INDEX
    return (type(orig).__name__ == "IntegrityError" and type(orig).__module__ == "sqlite3"
            and "ledger_entries.author, ledger_entries.idempotency_key" in str(orig))


# the tree state's reads, made once (SQLAlchemy works out a statement's cache key once per statement object;
# every request that keys a cache by the ledger's size, and every append, reads it)
_TREE_STATE = sa.select(tree_state.c.tree_size, tree_state.c.head_hash, tree_state.c.frontier,
                        tree_state.c.last_received_at, tree_state.c.checkpoint_size).where(tree_state.c.id == 1)
_TREE_STATE_FOR_UPDATE = _TREE_STATE.with_for_update()


class Store:
    """One ledger database. `operator` (the operator's signer) is needed to write checkpoints."""

    def __init__(self, url: str, *, schema: str | None = None, operator: Signer | None = None,
                 clock: Callable[[], datetime] = utcnow, max_skew: timedelta = timedelta(minutes=5),
                 checkpoint_every: int = 1000, checkpoint_on_append: bool = True,
                 origin: str | None = None) -> None:
        self.url = url
        # the origin the deployment chose (BWLEDGER_LOG_ORIGIN); None: derived from the genesis entry
        self.configured_origin = origin
        self.schema = schema
        self.operator = operator
        self.clock = clock
        self.max_skew = max_skew
        self.checkpoint_every = checkpoint_every
        # False: an append batch still signs a checkpoint at every multiple of checkpoint_every, but
        # leaves the one at its end to the caller's timer (service.checkpoint_if_due)
        self.checkpoint_on_append = checkpoint_on_append
        self.engine = make_engine(url, schema)
        self.dialect = self.engine.dialect.name
        # the ledger state admission needs (keys, cases, seals ...), as of this store's last look
        self._state: LedgerState | None = None
        # stored entries referred to (determinations above all: every cost line refers to one), by seq
        self._ref_cache = RefCache(100_000)
        # reads the facts deposited with determinations (ledger/determination_replay.py), set by the
        # composition root where the clients' key-encryption key is (api.bootstrap.with_deposits); None:
        # admission does not replay determinations (and verify reports that check as not run)
        self.replayer = None
        self._notes_schema: bool | None = None  # whether migration 0012_checkpoint_notes is in (_has_notes)

    # ------------------------------------------------------------------ schema
    def migrate(self) -> None:
        """Create or upgrade the ledger tables with Alembic (programmatically). On PostgreSQL two processes
        migrating at once (two `bwledger db upgrade`, or servers starting) wait for each other: an advisory
        lock for the transaction of the migration."""
        from alembic import command

        cfg = _alembic_config()
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        self._notes_schema = None

    def schema_revision(self) -> str | None:
        """The Alembic revision of this database's ledger tables (None: none yet)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table": ALEMBIC_VERSION_TABLE})
            return ctx.get_current_revision()

    def dispose(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ reads
    def tree_state(self, conn: Connection | None = None) -> TreeState:
        if conn is None:
            with self.engine.connect() as c:
                return self.tree_state(c)
        r = conn.execute(_TREE_STATE).one_or_none()
        if r is None:
            raise LedgerError(NOT_INITIALISED, "the ledger tables are not initialised (run `ledger init`)")
        return TreeState(r[0], bytes(r[1]), bytes(r[2]), r[3], r[4])

    def size(self) -> int:
        return self.tree_state().tree_size

    def count_rows(self) -> int:
        with self.engine.connect() as c:
            return c.execute(sa.select(sa.func.count()).select_from(entries)).scalar_one()

    def iter_rows(self, start: int = 0, stop: int | None = None, chunk: int = 5000) -> Iterator[EntryRow]:
        """Rows with start <= seq < stop in seq order, as stored (nothing is checked here)."""
        cols = [entries.c[n] for n in ENTRY_COLUMNS]
        with self.engine.connect() as c:
            lo = start
            while True:
                q = sa.select(*cols).where(entries.c.seq >= lo)
                if stop is not None:
                    q = q.where(entries.c.seq < stop)
                rows = c.execute(q.order_by(entries.c.seq).limit(chunk)).all()
                for r in rows:
                    yield _row(r)
                if len(rows) < chunk:
                    return
                lo = rows[-1][0] + 1

    def iter_rows_fast(self, start: int = 0, stop: int | None = None, chunk: int = 5000) -> Iterator[EntryRow]:
        """iter_rows through the driver directly (no per-value SQLAlchemy processing), for verification."""
        sqlite = self.dialect == "sqlite"
        cols = ", ".join(ENTRY_COLUMNS)
        ph = "?" if sqlite else "%s"
        utc = UTC
        with self.engine.connect() as c:
            lo = start
            while True:
                where = f"seq >= {ph}" + (f" AND seq < {ph}" if stop is not None else "")
                params = (lo, stop) if stop is not None else (lo,)
                rows = c.exec_driver_sql(f"SELECT {cols} FROM ledger_entries WHERE {where} ORDER BY seq "
                                         f"LIMIT {int(chunk)}", params).fetchall()
                for r in rows:
                    at = r[1]
                    if sqlite:
                        at = datetime.fromisoformat(at).replace(tzinfo=utc) if isinstance(at, str) else at
                    else:
                        at = at.astimezone(utc)
                    yield EntryRow(r[0], at, bytes(r[2]), bytes(r[3]), r[4], r[5], r[6], r[7], r[8], bytes(r[9]),
                                   bytes(r[10]))
                if len(rows) < chunk:
                    return
                lo = rows[-1][0] + 1

    def iter_raw_chunks(self, start: int = 0, stop: int | None = None, chunk: int = 5000,
                        kinds: Sequence[str] | None = None) -> Iterator[list[tuple]]:
        """Lists of driver tuples in ENTRY_COLUMNS order for start <= seq < stop (of `kinds` only, when
        given), in seq order, for verification: nothing is converted (received_at as the driver returns
        it: SQLite text, naive UTC; PostgreSQL an aware datetime), so a damaged row reaches the checks."""
        ph = "?" if self.dialect == "sqlite" else "%s"
        cols = ", ".join(ENTRY_COLUMNS)
        of_kinds = f" AND kind IN ({', '.join([ph] * len(kinds))})" if kinds else ""
        with self.engine.connect() as c:
            cur = c.connection.driver_connection.cursor()
            lo = start
            try:
                while True:
                    where = f"seq >= {ph}" + (f" AND seq < {ph}" if stop is not None else "") + of_kinds
                    params = (lo, *([stop] if stop is not None else []), *(kinds or ()))
                    cur.execute(f"SELECT {cols} FROM ledger_entries WHERE {where} ORDER BY seq LIMIT {int(chunk)}",
                                params)
                    rows = cur.fetchall()
                    if rows:
                        yield rows
                    if len(rows) < chunk:
                        return
                    lo = rows[-1][0] + 1
            finally:
                cur.close()

    def raw_rows_in(self, seqs: Sequence[int], conn: Connection | None = None) -> list[tuple]:
        """Driver tuples (as iter_raw_chunks) of the rows with these seqs, 500 to a query; in `conn`'s
        transaction when given (the append reads what a batch refers to under its lock)."""
        if conn is None:
            with self.engine.connect() as c:
                return self.raw_rows_in(seqs, c)
        wanted = sorted(seqs)
        ph = "?" if self.dialect == "sqlite" else "%s"
        out: list[tuple] = []
        cur = conn.connection.driver_connection.cursor()
        try:
            for i in range(0, len(wanted), 500):
                part = wanted[i:i + 500]
                cur.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM ledger_entries WHERE seq IN "
                            f"({', '.join([ph] * len(part))})", part)
                out += cur.fetchall()
        finally:
            cur.close()
        return out

    def verification_view(self) -> VerificationView:
        """What `verify` holds the entries to, read in ONE read transaction (SQLite: one BEGIN; PostgreSQL:
        REPEATABLE READ), so a writer appending or checkpointing meanwhile cannot make the view disagree
        with itself: the tree state (or why it cannot be read), the raw checkpoints, the largest seq and
        the number of rows. Entries up to that seq never change afterwards; later ones are the next
        verification's."""
        with self.engine.connect() as c:
            if self.dialect == "postgresql":
                c = c.execution_options(isolation_level="REPEATABLE READ")
            with c.begin():
                try:
                    state: TreeState | Exception = self.tree_state(c)
                except (ValueError, TypeError, LedgerError) as exc:
                    state = exc
                checkpoints = self.raw_checkpoints(c)
                top = c.execute(sa.select(sa.func.max(entries.c.seq))).scalar_one_or_none()
                count = c.execute(sa.select(sa.func.count()).select_from(entries)).scalar_one()
                origin = self.origin(c)
        return VerificationView(state, checkpoints, -1 if top is None else int(top), count, origin)

    def _has_notes(self, conn: Connection) -> bool:
        """Whether the schema has migration 0012_checkpoint_notes (notes, the origin), asked once per store."""
        if self._notes_schema is None:
            self._notes_schema = "note" in {c["name"] for c in sa.inspect(conn).get_columns("ledger_checkpoints")}
        return self._notes_schema

    def _checkpoint_select(self, conn: Connection) -> str:
        return _CHECKPOINT_SELECT if self._has_notes(conn) else _CHECKPOINT_SELECT_BEFORE_0009

    def raw_checkpoints(self, conn: Connection | None = None) -> list[tuple]:
        """Driver tuples (CHECKPOINT_COLUMNS) in id order, unconverted."""
        if conn is None:
            with self.engine.connect() as c:
                return self.raw_checkpoints(c)
        cur = conn.connection.driver_connection.cursor()
        try:
            cur.execute(self._checkpoint_select(conn) + " ORDER BY id")
            return cur.fetchall()
        finally:
            cur.close()

    def max_seq(self) -> int:
        """The largest stored seq (-1 when empty)."""
        with self.engine.connect() as c:
            value = c.execute(sa.select(sa.func.max(entries.c.seq))).scalar_one_or_none()
        return -1 if value is None else int(value)

    def duplicate_idempotency_keys(self) -> list[list[int]]:
        """Groups of sequence numbers sharing (author, idempotency key), which the unique index forbids."""
        q = (sa.select(entries.c.author, entries.c.idempotency_key).group_by(entries.c.author, entries.c.idempotency_key)
             .having(sa.func.count() > 1))
        with self.engine.connect() as c:
            groups = c.execute(q).all()
            return [[r[0] for r in c.execute(sa.select(entries.c.seq).where(
                entries.c.author == a, entries.c.idempotency_key == k).order_by(entries.c.seq))] for a, k in groups]

    def rows_where(self, *conditions: Any) -> list[EntryRow]:
        cols = [entries.c[n] for n in ENTRY_COLUMNS]
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(sa.select(*cols).where(*conditions).order_by(entries.c.seq))]

    def get_rows(self, seqs: Sequence[int]) -> dict[int, EntryRow]:
        out: dict[int, EntryRow] = {}
        seqs = sorted(set(seqs))
        for i in range(0, len(seqs), 500):
            for row in self.rows_where(entries.c.seq.in_(seqs[i:i + 500])):
                out[row.seq] = row
        return out

    def key_rows(self) -> list[EntryRow]:
        return self.rows_where(entries.c.kind.in_(sorted(KEY_KINDS)))

    def rows_received_between(self, start: datetime, end: datetime) -> list[EntryRow]:
        return self.rows_where(entries.c.received_at >= start, entries.c.received_at < end)

    def leaf_hashes(self, stop: int | None = None, start: int = 0) -> list[bytes]:
        """The stored leaf hashes of seq start..stop-1 (to the end without `stop`), in seq order."""
        q = sa.select(entries.c.leaf_hash).order_by(entries.c.seq)
        if stop is not None:
            q = q.where(entries.c.seq < stop)
        if start:
            q = q.where(entries.c.seq >= start)
        with self.engine.connect() as c:
            return [bytes(r[0]) for r in c.execute(q)]

    def checkpoints(self) -> list[CheckpointRow]:
        """Every readable checkpoint in id order (a damaged row is left out: see damaged_checkpoints)."""
        return [cp for cp in map(_checkpoint_or_none, self.raw_checkpoints()) if cp is not None]

    def latest_checkpoint(self) -> CheckpointRow | None:
        """The newest readable checkpoint (a damaged newer row is passed over, and named by verify)."""
        with self.engine.connect() as c:
            cur = c.connection.driver_connection.cursor()
            try:
                cur.execute(self._checkpoint_select(c) + " ORDER BY id DESC LIMIT 50")
                for r in cur.fetchall():
                    cp = _checkpoint_or_none(r)
                    if cp is not None:
                        return cp
            finally:
                cur.close()
        return None

    def latest_checkpoint_note(self) -> bytes | None:
        """The newest checkpoint note, exactly as the operator signed it (None: no checkpoint, or the newest
        is an RFC 8785 JSON checkpoint of before note_from: `checkpoint()` signs a note after it)."""
        cp = self.latest_checkpoint()
        return None if cp is None else cp.note

    def origin(self, conn: Connection | None = None) -> str | None:
        """The log's origin as stored (None before the first checkpoint note)."""
        if conn is None:
            with self.engine.connect() as c:
                return self.origin(c)
        if not self._has_notes(conn):
            return None
        return conn.execute(sa.select(log_table.c.origin).where(log_table.c.id == 1)).scalar_one_or_none()

    def log_origin(self) -> str:
        """The origin checkpoint notes name: the stored one, else what the first note will store (the
        configured one, or the one derived from the genesis entry)."""
        with self.engine.connect() as c:
            stored = self.origin(c)
            if stored is not None:
                return stored
            if self.configured_origin is not None:
                return self.configured_origin
            genesis = c.execute(sa.select(entries.c.leaf_hash).where(entries.c.seq == 0)).scalar_one_or_none()
        if genesis is None:
            raise LedgerError(NOT_INITIALISED, "the ledger has no genesis entry: no origin yet")
        return default_origin(bytes(genesis))

    def origin_for_note(self, conn: Connection) -> str:
        """The origin a checkpoint note names: the stored one; otherwise (the first note) the configured
        one or the one derived from the genesis entry, stored now. A configured origin other than the
        stored one is refused (LOG_ORIGIN_MISMATCH): an origin never changes."""
        stored = self.origin(conn)
        if stored is not None:
            if self.configured_origin is not None and self.configured_origin != stored:
                raise LedgerError(LOG_ORIGIN_MISMATCH, f"the ledger's origin is {stored!r}, the setting says "
                                  f"{self.configured_origin!r}: an origin never changes")
            return stored
        origin = self.configured_origin
        if origin is None:
            genesis = conn.execute(sa.select(entries.c.leaf_hash).where(entries.c.seq == 0)).scalar_one()
            origin = default_origin(bytes(genesis))
        checkpoint_text(origin, 0, bytes(32))  # refuses an origin a checkpoint cannot carry
        conn.execute(log_table.insert().values(id=1, origin=origin))
        return origin

    # ------------------------------------------------------------------ witnesses' cosignatures
    def add_cosignatures(self, tree_size: int, root_hash: bytes, lines: Sequence[tuple[str, str, str]]) -> int:
        """Keep cosignature lines (witness key name, key ID hex, the whole line) of the checkpoint (tree_size,
        root_hash); a witness's line for a size it has one for already is skipped. How many were new."""
        new = 0
        with self.engine.begin() as conn:
            have = {(r[0], r[1]) for r in conn.execute(sa.select(cosignatures.c.witness, cosignatures.c.key_id)
                                                       .where(cosignatures.c.tree_size == tree_size))}
            for witness, key_id, line in lines:
                if (witness, key_id) in have:
                    continue
                conn.execute(cosignatures.insert().values(tree_size=tree_size, witness=witness, key_id=key_id,
                                                          root_hash=root_hash, line=line, received_at=self.clock()))
                have.add((witness, key_id))
                new += 1
        return new

    def cosignature_lines(self, tree_size: int, root_hash: bytes) -> list[str]:
        """The stored cosignature lines of the checkpoint (tree_size, root_hash), in the order they arrived."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(cosignatures.c.line, cosignatures.c.root_hash)
                                .where(cosignatures.c.tree_size == tree_size)
                                .order_by(cosignatures.c.received_at, cosignatures.c.witness)).all()
        return [r[0] for r in rows if bytes(r[1]) == root_hash]

    def witness_sizes(self) -> dict[str, int]:
        """Per witness key name, the largest tree size it cosigned."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(cosignatures.c.witness, sa.func.max(cosignatures.c.tree_size))
                                .group_by(cosignatures.c.witness)).all()
        return {r[0]: int(r[1]) for r in rows}

    def damaged_checkpoints(self) -> list[int]:
        """Ids of checkpoint rows that cannot be read (what the health endpoint reports)."""
        return [r[0] for r in self.raw_checkpoints() if _checkpoint_or_none(r) is None]

    def registry(self) -> KeyRegistry:
        """The key registry replayed from every key entry."""
        reg = KeyRegistry()
        for row in self.key_rows():
            reg.apply(row.seq, row.received_at, parse_statement(row.statement))
        return reg

    def ledger_state(self) -> LedgerState:
        """The state admission judges the next entry against, replayed from the stored entries."""
        with self.engine.connect() as conn:
            return self._refresh_state(conn, LedgerState(), self.tree_state(conn).tree_size)

    def _refresh_state(self, conn: Connection, state: LedgerState, tree_size: int) -> LedgerState:
        """Apply the entries of STATE_KINDS stored since ``state`` was last brought up to date (under
        the write lock, so nothing is appended meanwhile); no query when ``state`` has seen the whole
        tree, as after this store's own last batch with no other appender in between."""
        if state.next_seq >= tree_size:
            return state
        cols = [entries.c[n] for n in ENTRY_COLUMNS]
        q = (sa.select(*cols).where(entries.c.kind.in_(sorted(STATE_KINDS)), entries.c.seq >= state.next_seq)
             .order_by(entries.c.seq))
        for r in conn.execute(q):
            row = _row(r)
            state.apply(row.seq, row.received_at, parse_statement(row.statement))
        state.next_seq = tree_size  # every state entry below the tree size is applied
        if state.booked_quarters is not None:
            state.booked_quarters = None  # lines of other appenders: read again when a seal needs it
        return state

    def _booked_quarters(self, conn: Connection, tree_size: int) -> set[str]:
        """The quarters that stored cost lines and reversals are booked in (read when a batch seals)."""
        from .seals import line_quarter

        out: set[str] = set()
        q = sa.select(entries.c.statement).where(entries.c.kind.in_(("cost_line", "reversal")),
                                                 entries.c.seq < tree_size)
        for (raw,) in conn.execute(q):
            quarter = line_quarter(json.loads(raw)["payload"])
            if quarter:
                out.add(quarter)
        return out

    # ------------------------------------------------------------------ writes
    def _write(self) -> Connection:
        conn = self.engine.connect()
        if self.dialect == "sqlite":
            conn.execution_options(ledger_write=True)
        return conn

    def _lock(self, conn: Connection) -> TreeState:
        """The tree state, read under the write lock (PostgreSQL: the row locked and read in one
        SELECT ... FOR UPDATE, which returns the latest committed version once the lock is held)."""
        if self.dialect != "postgresql":
            return self.tree_state(conn)
        r = conn.execute(_TREE_STATE_FOR_UPDATE).one_or_none()
        if r is None:
            raise LedgerError(NOT_INITIALISED, "the ledger tables are not initialised (run `ledger init`)")
        return TreeState(r[0], bytes(r[1]), bytes(r[2]), r[3], r[4])

    def append(self, statement: bytes, signature: bytes) -> AppendResult:
        """Append one signed statement (durable when this returns)."""
        try:
            return self.append_batch([(statement, signature)])[0]
        except LedgerError as exc:
            raise LedgerError(exc.code, exc.message, seq=exc.seq) from None

    def _pre_verify(self, items: Sequence[tuple[bytes, bytes]]) -> list[Statement]:
        """Parse every statement and verify every signature (rule 1 of ledger/admission.py), before
        taking the write lock.

        A key id is the hash of its public key, so a signature that verifies here verifies under the
        key whatever the registry says later; validity in time is checked under the lock. A key
        registered or rotated in earlier in the same batch signs for the entries after it.
        """
        parsed: list[Statement] = []
        for i, (raw, _sig) in enumerate(items):
            try:
                parsed.append(parse_statement(raw))
            except LedgerError as exc:
                raise LedgerError(exc.code, exc.message, index=i) from None
        if self._state is None:
            self._state = self.ledger_state()
        reg, fresh = self._state.registry, False
        in_batch: dict[str, bytes] = {}
        for i, (st, (raw, sig)) in enumerate(zip(parsed, items)):
            key_id, p = st.key_id, st.payload
            pk = reg.public_key(key_id) or in_batch.get(key_id)
            if pk is None and not fresh:  # another process may have registered it
                reg, fresh = self.registry(), True
                pk = reg.public_key(key_id)
            if pk is None and st.kind == "key_registration" and p.key_id == key_id:
                pk = bytes.fromhex(p.public_key)  # a self-registration (the genesis key)
            if pk is None:
                raise LedgerError(KEY_NOT_VALID, f"key {key_id[:16]} is not registered", index=i)
            if not verify_signature(pk, sig, raw):
                raise LedgerError(SIGNATURE_INVALID, f"signature does not verify under key {key_id[:16]}", index=i)
            brought = named_key(p)
            if brought is not None:
                in_batch[brought[0]] = brought[1]
        if self.replayer is not None:  # the engine's replay of an N3 runs here, not under the write lock
            for st in parsed:
                if st.kind == "determination" and st.client is not None:
                    self.replayer.warm(st.client, st.payload.model_dump(mode="json"))
        return parsed

    def append_batch(self, items: Sequence[tuple[bytes, bytes]],
                     also: Callable[[Connection, list[AppendResult]], None] | None = None) -> list[AppendResult]:
        """Append signed statements in one transaction; all or nothing.

        `also(conn, results)`: the caller's own writes in the same transaction, after the entries are
        admitted and written and before the commit (the server writes the audit records of the
        submissions so: they are durable with the entries, in one commit); raising in it refuses the batch.

        A refusal raises LedgerError with the stable code and the item's `index`; nothing is stored.
        An item whose (author, idempotency key) exists with the same content returns the original.

        Python's cyclic garbage collector is paused while the batch is checked and written
        (ledger/collector.py): a batch allocates several tracked objects per entry (models, tuples,
        results), which otherwise trigger collections that traverse the whole heap, costing about
        5-10 us per entry.
        """
        if not items:
            return []
        with collector_paused():
            return self._append_batch(items, also)

    def _append_batch(self, items: Sequence[tuple[bytes, bytes]],
                      also: Callable[[Connection, list[AppendResult]], None] | None = None) -> list[AppendResult]:
        """Verify the signatures, then store the batch, first without looking up its idempotency keys.

        Nearly every statement is new, so the first attempt leaves the look-up (a query probing the
        unique index once per statement, about 3 ms per 1,000 on PostgreSQL) to the unique index
        itself: when an (author, idempotency key) of the batch is already stored, the insert fails,
        the transaction rolls back, and the batch is stored again with the look-up, which returns
        the original entries or refuses other content as IDEMPOTENCY_CONFLICT. Either way the
        outcome is that of the look-up; only a batch that repeats stored keys pays twice (and on
        PostgreSQL leaves a unique-violation line in the server log)."""
        parsed = self._pre_verify(items)
        try:
            return self._store_batch(items, parsed, look_up=False, also=also)
        except LedgerError:
            pass  # a replay of a stored entry is refused by admission (e.g. its key was revoked since):
            # the look-up below answers the original, or gives the refusal again
        except Exception as exc:  # anything but a taken idempotency key is raised again
            if not _idempotency_key_taken(exc):
                raise
        return self._store_batch(items, parsed, look_up=True, also=also)

    def _store_batch(self, items: Sequence[tuple[bytes, bytes]], parsed: list[Statement],
                     look_up: bool, also: Callable[[Connection, list[AppendResult]], None] | None = None
                     ) -> list[AppendResult]:
        """Admit (ledger/admission.py) and write the batch under the write lock, in one transaction."""
        with self._write() as conn, conn.begin():
            tree = self._lock(conn)
            now = self.clock()
            if tree.last_received_at is not None and now < tree.last_received_at:
                now = tree.last_received_at  # received_at never goes back
            state = self._refresh_state(conn, (self._state or LedgerState()).copy(), tree.tree_size)
            if state.booked_quarters is None and any(st.kind == "settlement_seal" for st in parsed):
                state.booked_quarters = self._booked_quarters(conn, tree.tree_size)
            existing = self._existing(conn, parsed) if look_up else {}
            seq, prev = tree.tree_size, tree.head_hash
            frontier = Frontier.from_bytes(tree.tree_size, tree.frontier)
            rows: list[tuple] = []
            results: list[AppendResult] = []
            local: dict[int, tuple[bytes, Statement]] = {}  # this batch's entries, for references
            seen: dict[tuple[str, str], tuple[Statement, AppendResult]] = {}
            written: list[bytes] = []  # the entry hashes of this batch, for the tree after the loop
            # every stored entry a statement of the batch refers to, read before the rows are written
            # (on PostgreSQL they stream into a COPY while the loop runs, so no query can run then)
            stored_refs = self._stored_refs(conn, parsed, tree.tree_size)

            def lookup(ref_seq: int) -> RefInfo | None:
                if ref_seq in local:  # made when referred to: few entries of a batch are
                    h, other = local[ref_seq]
                    return RefInfo(ref_seq, h, other.kind, other.author, json.loads(other.raw)["payload"],
                                   other.client, now)
                return stored_refs.get(ref_seq)

            stored_at = self._stored_received_at(now)
            # PostgreSQL: the rows go into a text COPY as they are admitted, so the server inserts them
            # (on another core, about every 60 rows: _pg_copy) while the rest of the batch is checked; a
            # refusal aborts the COPY and the transaction.  SQLite: one executemany after the loop.
            pg = self.dialect == "postgresql"
            with (self._pg_copy(conn) if pg else contextlib.nullcontext()) as copy:
                add_row = copy.write_row if pg else rows.append
                for i, (st, (raw, sig)) in enumerate(zip(parsed, items)):
                    key = (st.author, st.idempotency_key)
                    if key in seen or key in existing:
                        results.append(self._replay(st, seen.get(key), existing.get(key), i))
                        continue
                    if abs(st.authored_at - now) > self.max_skew:
                        raise LedgerError(CLOCK_SKEW, f"authored_at {st.authored_at.isoformat()} is more than "
                                          f"{self.max_skew} from received_at {now.isoformat()}", index=i)
                    _refs, err = admit(st, seq, now, state, lookup, self.replayer)
                    if err:
                        raise LedgerError(err.code, err.message, index=i)
                    h = entry_hash(seq, now, prev, sig, raw)
                    add_row((seq, stored_at, prev, h, st.kind, st.author, st.key_id, st.idempotency_key, st.client,
                             raw, sig))
                    state.apply(seq, now, st)
                    written.append(h)
                    result = AppendResult(seq, h, now)
                    results.append(result)
                    seen[key] = (st, result)
                    local[seq] = (h, st)
                    prev = h
                    seq += 1
            if written:
                if not pg:
                    self._insert_entries(conn, rows)
                # the tree (merkle.Frontier.extend), with a checkpoint at every multiple of checkpoint_every
                every = self.checkpoint_every
                pending_checkpoints = sorted(frontier.extend(
                    written, range((tree.tree_size // every + 1) * every, seq + 1, every)).items())
                size = frontier.size
                if (self.operator is not None and self.checkpoint_on_append
                        and (not pending_checkpoints or pending_checkpoints[-1][0] != size)):
                    pending_checkpoints.append((size, frontier.root()))
                cp_size = tree.checkpoint_size
                if self.operator is not None and pending_checkpoints:
                    self._insert_checkpoints(conn, pending_checkpoints, now, state.registry)
                    cp_size = pending_checkpoints[-1][0]
                conn.execute(tree_state.update().where(tree_state.c.id == 1).values(
                    tree_size=size, head_hash=prev, frontier=frontier.to_bytes(), last_received_at=now,
                    checkpoint_size=cp_size))
            if also is not None:
                also(conn, results)
        state.next_seq = max(state.next_seq, seq)  # committed: this batch's entries are applied to state
        self._state = state
        # what later batches will refer to: the stored entries this one did, and its own determinations
        # and notices (cost lines refer to determinations; only a reversal or a dispute to a cost line)
        self._ref_cache.update({**stored_refs, **{
            s: RefInfo(s, h, st.kind, st.author, json.loads(st.raw)["payload"], st.client, now)
            for s, (h, st) in local.items() if st.kind in CACHED_KINDS}})
        return results

    @staticmethod
    def _replay(st: Statement, in_batch: tuple[Statement, AppendResult] | None, stored: EntryRow | None,
                index: int) -> AppendResult:
        """The original of a statement whose (author, idempotency key) was used before, or
        IDEMPOTENCY_CONFLICT when the content differs."""
        if in_batch is None:
            in_batch = (parse_statement(stored.statement),
                        AppendResult(stored.seq, stored.leaf_hash, stored.received_at, True))
        prior, result = in_batch
        if prior.content_digest() != st.content_digest():
            raise LedgerError(IDEMPOTENCY_CONFLICT, f"idempotency key {st.idempotency_key!r} of {st.author} was used "
                              f"for other content (seq {result.seq})", index=index, seq=result.seq)
        return AppendResult(result.seq, result.entry_hash, result.received_at, True)

    def _stored_received_at(self, ts: datetime) -> Any:
        """received_at as the driver takes it: SQLAlchemy's SQLite DATETIME text (naive UTC); on PostgreSQL
        ISO 8601 text for the text COPY (made once per batch: psycopg's text dumper of a datetime cost
        1.3 us per row)."""
        if self.dialect == "sqlite":
            return ts.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return ts.astimezone(UTC).isoformat(timespec="microseconds")

    @contextlib.contextmanager
    def _pg_copy(self, conn: Connection, table: str = "ledger_entries") -> Iterator[_TextCopyRows]:
        """A COPY into ledger_entries (rows in ENTRY_COLUMNS order, received_at as from
        _stored_received_at) on PostgreSQL, in text format (`table`: the bench's reference copies the
        same rows into a table of the same shape).

        Text, not binary, so that the server inserts the rows while the batch is still being checked:
        COPY FROM buffers rows for a multi-insert and flushes the buffer at 1,000 rows or 64 kB of text
        lines, and a binary COPY has no text lines, so a batch of 1,000 waited at its end for the server
        to insert all of it (about 6 us per entry; a text COPY flushes every 60 rows or so and leaves the
        last few). Text costs the client the bytea columns in hex, except the statement: see
        pg_bytea_text."""
        cur = conn.connection.driver_connection.cursor()
        try:
            with cur.copy(f"COPY {table} ({', '.join(ENTRY_COLUMNS)}) FROM STDIN") as copy:
                yield _TextCopyRows(copy)
        finally:
            cur.close()

    def _stored_refs(self, conn: Connection, parsed: Sequence[Statement], size: int) -> dict[int, RefInfo]:
        """RefInfo of every stored entry (seq < size) that a statement of the batch refers to: from the
        store's cache of entries referred to before (an entry never changes once stored), the rest in
        one query per 500."""
        seqs = set()
        for st in parsed:
            for seq in st.payload.referenced_seqs():
                if 0 <= seq < size:
                    seqs.add(seq)
        cache = self._ref_cache
        out = {seq: cache[seq] for seq in seqs if seq in cache}
        for r in self.raw_rows_in(seqs - set(out), conn):
            row = read_entry_row(r)
            out[row.seq] = ref_info(row)
        return out

    def _insert_entries(self, conn: Connection, rows: list[tuple]) -> None:
        """Insert rows (tuples in ENTRY_COLUMNS order, received_at as from _stored_received_at) with the
        driver directly: COPY on PostgreSQL, executemany on SQLite."""
        cols = ", ".join(ENTRY_COLUMNS)
        if self.dialect == "postgresql":
            with self._pg_copy(conn) as copy:
                write = copy.write_row
                for r in rows:
                    write(r)
        elif self.dialect == "sqlite":  # the DBAPI cursor, in the connection's transaction
            cur = conn.connection.driver_connection.cursor()
            try:
                cur.executemany(f"INSERT INTO ledger_entries ({cols}) VALUES ({', '.join('?' * len(ENTRY_COLUMNS))})",
                                rows)
            finally:
                cur.close()
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            conn.execute(entries.insert(), [dict(zip(ENTRY_COLUMNS, r)) for r in rows])

    def _existing(self, conn: Connection, parsed: Sequence[Statement]) -> dict[tuple[str, str], EntryRow]:
        """Stored entries with the same (author, idempotency key) as any statement of the batch.

        Through the driver directly (no SQLAlchemy statement compiled per batch): PostgreSQL joins the
        wanted pairs on the unique index; SQLite with IN lists of up to 500 keys."""
        wanted = {(st.model.author, st.model.idempotency_key) for st in parsed}
        authors = sorted({a for a, _ in wanted})
        keys = sorted({k for _, k in wanted})
        cols = ", ".join(ENTRY_COLUMNS)
        out: dict[tuple[str, str], EntryRow] = {}
        sqlite = self.dialect == "sqlite"
        cur = conn.connection.driver_connection.cursor()
        try:
            if sqlite:
                found = []
                for i in range(0, len(keys), 500):
                    part = keys[i:i + 500]
                    cur.execute(f"SELECT {cols} FROM ledger_entries WHERE author IN ({', '.join('?' * len(authors))})"
                                f" AND idempotency_key IN ({', '.join('?' * len(part))})", (*authors, *part))
                    found += cur.fetchall()
            else:
                # the exact pairs, one index probe each (author = ANY(...) AND key = ANY(...) read every
                # entry of the batch's authors)
                pairs = sorted(wanted)
                cur.execute(f"SELECT {', '.join('e.' + c for c in ENTRY_COLUMNS)} FROM ledger_entries e "
                            "JOIN unnest(%s::text[], %s::text[]) AS w(a, k) "
                            "ON e.author = w.a AND e.idempotency_key = w.k",
                            ([a for a, _ in pairs], [k for _, k in pairs]))
                found = cur.fetchall()
        finally:
            cur.close()
        utc = UTC
        for r in found:
            if (r[5], r[7]) in wanted:
                at = r[1]
                if isinstance(at, str):  # SQLite: SQLAlchemy's DATETIME text, naive UTC
                    at = datetime.fromisoformat(at).replace(tzinfo=utc)
                elif at.tzinfo is None:
                    at = at.replace(tzinfo=utc)
                else:
                    at = at.astimezone(utc)
                out[(r[5], r[7])] = EntryRow(r[0], at, bytes(r[2]), bytes(r[3]), r[4], r[5], r[6], r[7], r[8],
                                             bytes(r[9]), bytes(r[10]))
        return out

    def _insert_checkpoint(self, conn: Connection, size: int, root: bytes, now: datetime,
                           reg: KeyRegistry) -> None:
        self._insert_checkpoints(conn, [(size, root)], now, reg)

    def _insert_checkpoints(self, conn: Connection, sized_roots: Sequence[tuple[int, bytes]], now: datetime,
                            reg: KeyRegistry) -> None:
        """Sign checkpoints of (tree size, root) in order and insert them with one statement."""
        assert self.operator is not None
        origin = self.origin_for_note(conn) if is_note_time(now) else None
        rows = []
        for size, root in sized_roots:
            why = reg.key_problem(self.operator.key_id, OPERATOR, size, now)
            if why:
                raise LedgerError(KEY_NOT_VALID, "the operator key is not valid for a checkpoint: " + why)
            rows.append({"tree_size": size, "root_hash": root, "created_at": now, "key_id": self.operator.key_id,
                         **signed_checkpoint_columns(self.operator, origin, size, root, now)})
        conn.execute(checkpoints.insert(), rows)

    def _newest_is_json(self, conn: Connection) -> bool:
        """Whether the newest checkpoint is an RFC 8785 JSON one (the first `checkpoint()` from note_from on
        then signs a note of the same tree, so that a witness has a note to read without waiting for an entry)."""
        note = conn.execute(sa.select(checkpoints.c.note).order_by(checkpoints.c.id.desc()).limit(1)).one_or_none()
        return note is not None and note[0] is None

    def pending_checkpoint(self) -> tuple[int, datetime | None]:
        """(entries not yet covered by a checkpoint, received_at of the first of them or None)."""
        with self.engine.connect() as conn:
            state = self.tree_state(conn)
            covered = max(state.checkpoint_size, 0)
            pending = state.tree_size - covered
            if pending <= 0:
                return 0, None
            first = conn.execute(sa.select(entries.c.received_at).where(entries.c.seq == covered)).scalar_one_or_none()
            return pending, first

    def checkpoint(self) -> CheckpointRow | None:
        """Sign a checkpoint of the current tree if entries were added since the last one."""
        if self.operator is None:
            raise LedgerError(KEY_NOT_VALID, "no operator key: cannot sign a checkpoint")
        with self._write() as conn, conn.begin():
            state = self._lock(conn)
            now = max(self.clock(), state.last_received_at or self.clock())
            if state.tree_size == 0:
                return None
            if state.checkpoint_size == state.tree_size and not (is_note_time(now) and self._newest_is_json(conn)):
                return None  # nothing new (and, from note_from on, the newest is a note already)
            ledger = self._refresh_state(conn, (self._state or LedgerState()).copy(), state.tree_size)
            root = Frontier.from_bytes(state.tree_size, state.frontier).root()
            self._insert_checkpoint(conn, state.tree_size, root, now, ledger.registry)
            conn.execute(tree_state.update().where(tree_state.c.id == 1).values(
                checkpoint_size=state.tree_size, last_received_at=now))
        self._state = ledger
        return self.latest_checkpoint()


