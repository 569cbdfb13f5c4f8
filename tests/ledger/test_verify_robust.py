"""Robustness probe of verify_store: on a small SQLite store (tamper_helpers.build_small_log without
the first checkpoint: 20 entries, 2 checkpoints), 300 deterministic tries (random.Random(try)) each
flip one byte of one column of one stored row, entries or checkpoints, as SQLite stores it (a blob
byte; a byte of a text, the stored date text included, kept ASCII; a byte of an integer's 64-bit
two's complement), run verify_store and put the value back.  verify_store must never raise and
must report at least one problem naming a sequence number or a checkpoint.

Not flipped: the checkpoints' `id`, the row's surrogate key (no signature covers it, and a new id
that keeps the order changes nothing in the ledger); a flip that the column's type reads back as
the same value (a date text that parses to the same instant) is drawn again.
"""
import random
import sqlite3
import struct
import traceback
from collections import Counter
from datetime import datetime

import pytest

from ledger.verify import verify_store
from tamper_helpers import build_small_log

TRIES = 300
COLUMNS = {
    "ledger_entries": ("seq", "received_at", "prev_hash", "leaf_hash", "kind", "author", "key_id", "idempotency_key",
                       "client", "statement", "signature"),
    "ledger_checkpoints": ("tree_size", "root_hash", "created_at", "key_id", "signature"),
}
TIMES = ("received_at", "created_at")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("robust")
    path = tmp / "ledger.db"
    log = build_small_log(f"sqlite:///{path}", None, tmp / "keys", checkpoint_keys=False)
    assert verify_store(log.store).ok
    db = sqlite3.connect(path, isolation_level=None, timeout=60)
    yield log.store, db
    db.close()
    log.store.dispose()


def _flip(value, rng: random.Random):
    """(the value with one stored byte flipped, how), or None when this draw cannot flip it."""
    if isinstance(value, bytes):
        if not value:
            return None
        i, d = rng.randrange(len(value)), rng.randrange(1, 256)
        return value[:i] + bytes([value[i] ^ d]) + value[i + 1:], f"byte {i} ^ {d:#04x}"
    if isinstance(value, str):
        raw = value.encode()
        if not raw:
            return None
        i, d = rng.randrange(len(raw)), rng.randrange(1, 128)
        try:
            return (raw[:i] + bytes([raw[i] ^ d]) + raw[i + 1:]).decode(), f"char {i} ^ {d:#04x}"
        except UnicodeDecodeError:
            return None
    if isinstance(value, int):
        b = bytearray(struct.pack(">q", value))
        i, d = rng.randrange(8), rng.randrange(1, 256)
        b[i] ^= d
        return struct.unpack(">q", bytes(b))[0], f"int64 byte {i} ^ {d:#04x}"
    return None


def _same_instant(old: str, new: str) -> bool:
    try:
        return datetime.fromisoformat(old) == datetime.fromisoformat(new)
    except ValueError:
        return False


def _draw(db, rng):
    """Flip one stored byte; returns (table, rowid, column, old value, description)."""
    rowids = {t: [r[0] for r in db.execute(f"SELECT rowid FROM {t} ORDER BY rowid")] for t in COLUMNS}
    while True:
        table = rng.choice(["ledger_entries", "ledger_entries", "ledger_checkpoints"])
        rowid, column = rng.choice(rowids[table]), rng.choice(COLUMNS[table])
        old = db.execute(f"SELECT {column} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()[0]
        flipped = _flip(old, rng)
        if flipped is None or (column in TIMES and _same_instant(old, flipped[0])):
            continue
        try:
            db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (flipped[0], rowid))
        except sqlite3.IntegrityError:  # a seq or key another row has: draw again
            continue
        name = "seq" if table == "ledger_entries" else "id"
        key = db.execute(f"SELECT {name} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()[0]
        where = f"{table.removeprefix('ledger_')}[{name} {old if column == name else key}].{column}"
        return table, rowid, column, old, f"{where} {flipped[1]}: {old!r:.40} -> {flipped[0]!r:.40}"


def _where_raised(exc: BaseException) -> tuple[str, str]:
    """(the calls inside the ledger package down to where it raised, and the exception's type;
    the exception's message)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "/ledger/" in f.filename.replace("\\", "/") and "/tests/" not in f.filename.replace("\\", "/")]
    calls = " > ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in frames)
    return f"{calls}: {type(exc).__name__}", str(exc)[:100]


def test_one_flipped_byte_never_crashes_verify_and_is_reported(small):
    store, db = small
    crashes, silent = [], []
    for seed in range(TRIES):
        rng = random.Random(seed)
        table, rowid, column, old, what = _draw(db, rng)
        try:
            report = verify_store(store)
        except Exception as exc:  # noqa: BLE001 - what the probe is for
            crashes.append((seed, column, what, _where_raised(exc)))
        else:
            if not any(p.seq is not None or p.checkpoint_id is not None for p in report.problems):
                silent.append((seed, what, [str(p) for p in report.problems][:3]))
        finally:
            db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (old, rowid))
    assert verify_store(store).ok  # every value was put back
    causes = Counter((column, where) for _, column, _, (where, _) in crashes)
    example = {(column, where): (seed, what, message) for seed, column, what, (where, message) in reversed(crashes)}
    lines = []
    for (column, where), n in causes.most_common():
        seed, what, message = example[column, where]
        lines.append(f"{n} x {column}: {where}\n    e.g. try {seed}: {what}\n    {message}")
    lines += [f"not reported, try {seed}: {what} {problems}" for seed, what, problems in silent[:10]]
    assert not crashes and not silent, f"{len(crashes)} crashes, {len(silent)} unreported of {TRIES}:\n" + \
        "\n".join(lines)
