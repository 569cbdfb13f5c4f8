"""The audit of every read and every write (issue 12), aligned with the Logboek Dataverwerkingen (LDV).

Two logs in the ledger's database (migration 0005_audit):

* the ACCESS log says who acted: the identity's subject, party, roles and provider (NULL for an
  anonymous caller) and the client address;
* the PROCESSING log says what was processed: the operation (the handler's operationId or the command),
  the resource kind and its ids (case id, client pseudonym, parties, seq ...), the purpose chosen from
  PURPOSES, the result (allowed / refused) and the status code, the time (UTC).

They are linked by `access_id` only (random, 16 bytes hex), so a user's identity never spreads into the
processing records: the LDV's `dpl.core.user` is a reference, not the person.

Both logs are append-only (triggers refuse UPDATE, DELETE and on PostgreSQL TRUNCATE) and hash-chained: a record's hash is
SHA-256 over a domain tag (DOMAIN_ACCESS / DOMAIN_PROCESSING) and the RFC 8785 canonical JSON
(ledger/canonical.py) of its fields, the previous record's hash among them. An append locks the one-row
`audit_head` (PostgreSQL SELECT ... FOR UPDATE, SQLite BEGIN IMMEDIATE), so two writers in two processes
never fork a chain; the unique index on each log's prev_hash refuses a fork should anything bypass it.

Public functions: `record` (one access and one processing record), `verify` (problems with their seq
and a stable code; never raises on a damaged row), `head` (the chains' sizes and head hashes),
`anchor` (the head recorded in the ledger as an operator-signed `audit_anchor` entry; the checkpoint
timer calls it, and `verify` holds the log to the latest anchor), `list_records` (for a party, a client
pseudonym, since a date) and `export` (CSV/XLSX). String ids and the subject are masked for BSN-like
numbers (ledger.privacy.mask) before they are stored.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.access.identity import Identity
from ledger.canonical import canonical_json
from ledger.privacy import mask
from ledger.store import Store, UTCDateTime
from rules import glossary

__all__ = ["PURPOSES", "RESULTS", "AuditError", "AuditProblem", "AuditRecord", "Head", "Pending", "anchor", "export", "head",
           "latest_anchor", "list_records", "prepare", "record", "verify", "write", "write_in"]

#: why data was processed (the LDV's processing activity), a short Dutch list
PURPOSES = ("behandeling geschil", "verrekening", "controle", "toezicht", "beheer", "inzageverzoek", "intake melding")
RESULTS = ("allowed", "refused")
DOMAIN_ACCESS = b"bwledger-audit-access-v1\x00"
DOMAIN_PROCESSING = b"bwledger-audit-processing-v1\x00"
ZERO_HASH = bytes(32)
#: the logs by their Dutch names (what `verify` reports), and their order in a report
LOG_NL = glossary.section("audit_log")
_LOG_ORDER = {"access": 0, "processing": 1, "head": 2}

# --- stable codes ------------------------------------------------------------------------------------
#: a record's prev_hash is not the previous record's hash (a row removed, inserted or re-hashed)
CHAIN_BROKEN = "AUDIT_CHAIN_BROKEN"
#: a record's fields do not hash to its stored hash (a row changed)
HASH_MISMATCH = "AUDIT_HASH_MISMATCH"
#: the sequence numbers skip (a row removed)
SEQ_GAP = "AUDIT_SEQ_GAP"
#: the head row does not name the last record (rows removed at the end, or the head changed)
HEAD_MISMATCH = "AUDIT_HEAD_MISMATCH"
#: a processing record names an access record that does not exist
LINK_MISSING = "AUDIT_LINK_MISSING"
#: the audit log does not hold the records the ledger's latest audit anchor names (rewritten or cut short)
ANCHOR_MISMATCH = "AUDIT_ANCHOR_MISMATCH"
#: a row cannot be read at all (a wrong type, a NULL, undecodable ids)
ROW_MALFORMED = "AUDIT_ROW_MALFORMED"
#: the audit tables are missing: the database is not migrated to 0005_audit
NOT_INITIALISED = "AUDIT_NOT_INITIALISED"
#: record() was given a purpose, result or ids outside what the log holds
INVALID = "AUDIT_RECORD_INVALID"

_meta = sa.MetaData()
access_log = sa.Table(
    "audit_access", _meta,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("access_id", sa.String(32), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("subject", sa.String(200)),
    sa.Column("party", sa.String(80)),
    sa.Column("roles", sa.String(200), nullable=False),
    sa.Column("provider", sa.String(200)),
    sa.Column("address", sa.String(64)),
    sa.Column("prev_hash", sa.LargeBinary, nullable=False),
    sa.Column("record_hash", sa.LargeBinary, nullable=False),
)
processing_log = sa.Table(
    "audit_processing", _meta,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("operation", sa.String(80), nullable=False),
    sa.Column("resource", sa.String(40), nullable=False),
    sa.Column("ids", sa.Text, nullable=False),
    sa.Column("parties", sa.String(400), nullable=False),
    sa.Column("client", sa.String(64)),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("result", sa.String(20), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("access_id", sa.String(32), nullable=False),
    sa.Column("prev_hash", sa.LargeBinary, nullable=False),
    sa.Column("record_hash", sa.LargeBinary, nullable=False),
)
head_table = sa.Table(
    "audit_head", _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("access_size", sa.BigInteger, nullable=False),
    sa.Column("access_hash", sa.LargeBinary, nullable=False),
    sa.Column("processing_size", sa.BigInteger, nullable=False),
    sa.Column("processing_hash", sa.LargeBinary, nullable=False),
)

#: a client pseudonym as the pseudonymisation service makes them (letters, digits, `._:-`; never a BSN)
_PSEUDONYM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,79}")
_ID_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


class AuditError(ValueError):
    """A refusal of the audit service: a stable `code` and a Dutch `message`."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


@dataclass(frozen=True)
class AuditProblem:
    """One finding of `verify`: which log, the record's seq, a stable code, a Dutch explanation."""
    log: str  # "access" | "processing" | "head"
    seq: int | None
    code: str
    message: str

    def to_dict(self) -> dict:
        return {"log": self.log, "seq": self.seq, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class Head:
    """The sizes and head hashes of both chains (what a ledger checkpoint would anchor)."""
    access_size: int
    access_hash: bytes
    processing_size: int
    processing_hash: bytes

    def to_dict(self) -> dict:
        return {"access_size": self.access_size, "access_hash": self.access_hash.hex(),
                "processing_size": self.processing_size, "processing_hash": self.processing_hash.hex()}


@dataclass(frozen=True)
class AuditRecord:
    """A processing record joined with the access record it links to (for listing and export)."""
    seq: int
    at: datetime
    operation: str
    resource: str
    ids: dict
    parties: tuple[str, ...]
    client: str | None
    purpose: str
    result: str
    status: int
    access_id: str
    subject: str | None = None
    party: str | None = None
    roles: tuple[str, ...] = field(default_factory=tuple)
    provider: str | None = None
    address: str | None = None

    def to_dict(self) -> dict:
        return {"seq": self.seq, "at": _iso(self.at), "operation": self.operation, "resource": self.resource,
                "ids": self.ids, "parties": list(self.parties), "client": self.client, "purpose": self.purpose,
                "result": self.result, "status": self.status, "access_id": self.access_id,
                "actor": {"subject": self.subject, "party": self.party, "roles": list(self.roles),
                          "provider": self.provider, "address": self.address}}


# --- the records' canonical form -----------------------------------------------------------------------

def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def access_hash(seq: int, access_id: str, at: datetime, subject: str | None, party: str | None, roles: str,
                provider: str | None, address: str | None, prev_hash: bytes) -> bytes:
    body = {"seq": seq, "access_id": access_id, "at": _iso(at), "subject": subject, "party": party,
            "roles": roles, "provider": provider, "address": address, "prev_hash": prev_hash.hex()}
    return hashlib.sha256(DOMAIN_ACCESS + canonical_json(body)).digest()


def processing_hash(seq: int, at: datetime, operation: str, resource: str, ids: str, parties: str,
                    client: str | None, purpose: str, result: str, status: int, access_id: str,
                    prev_hash: bytes) -> bytes:
    body = {"seq": seq, "at": _iso(at), "operation": operation, "resource": resource, "ids": ids,
            "parties": parties, "client": client, "purpose": purpose, "result": result, "status": status,
            "access_id": access_id, "prev_hash": prev_hash.hex()}
    return hashlib.sha256(DOMAIN_PROCESSING + canonical_json(body)).digest()


def check_client(value: str) -> str:
    """A client pseudonym to list by; a BSN (or anything holding a BSN-like number) is refused: the audit
    log is searched by pseudonym only."""
    value = (value or "").strip()
    if not _PSEUDONYM.fullmatch(value) or mask(value) != value:
        raise AuditError(INVALID, f"geen pseudoniem van een cliënt: {mask(value)!r} (zoek op pseudoniem, nooit op BSN)")
    return value


def _clean_ids(ids: Mapping[str, Any]) -> dict:
    """The ids as stored: str keys, str/int values (or lists of them), BSN-like numbers masked."""
    out: dict[str, Any] = {}
    for key, value in ids.items():
        if not isinstance(key, str) or not _ID_KEY.fullmatch(key):
            raise AuditError(INVALID, f"kenmerk {key!r} is geen geldige naam")
        out[key] = _clean_value(key, value)
    return out


def _clean_value(key: str, value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        raise AuditError(INVALID, f"kenmerk {key!r} heeft geen tekst of getal als waarde")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return mask(value)[:400]
    if isinstance(value, (list, tuple)):
        return [_clean_value(key, v) for v in value]
    raise AuditError(INVALID, f"kenmerk {key!r} heeft geen tekst of getal als waarde")


def _parties(ids: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for key in ("party", "parties"):
        v = ids.get(key)
        for p in (v if isinstance(v, list) else [v]):
            if isinstance(p, str) and p and " " not in p and p not in found:
                found.append(p)
    return sorted(found)


# --- writing ------------------------------------------------------------------------------------------

def _write_conn(store: Store) -> Connection:
    conn = store.engine.connect()
    if store.dialect == "sqlite":
        conn.execution_options(ledger_write=True)  # the engine begins with BEGIN IMMEDIATE (ledger/store.py)
    return conn


# the statements of every write, made once: SQLAlchemy keys its compiled cache by a statement's structure,
# which it works out once per statement object (building them per record cost more than their round trips)
_HEAD = sa.select(head_table.c.access_size, head_table.c.access_hash, head_table.c.processing_size,
                  head_table.c.processing_hash).where(head_table.c.id == 1)
_HEAD_FOR_UPDATE = _HEAD.with_for_update()
_INSERT_ACCESS = access_log.insert()
_INSERT_PROCESSING = processing_log.insert()
_SET_HEAD = head_table.update().where(head_table.c.id == 1)


def _locked_head(conn: Connection, dialect: str) -> Head:
    r = conn.execute(_HEAD_FOR_UPDATE if dialect == "postgresql" else _HEAD).one_or_none()
    if r is None:
        raise AuditError(NOT_INITIALISED, "het auditlogboek is niet ingericht (voer `bwledger ledger init` uit)")
    return Head(int(r[0]), bytes(r[1]), int(r[2]), bytes(r[3]))


@dataclass(frozen=True)
class Pending:
    """One audit record checked and masked, not yet written (`prepare`); `write` appends it."""
    at: datetime
    operation: str
    resource: str
    ids_text: str
    parties_text: str
    client: str | None
    purpose: str
    result: str
    status: int
    subject: str | None
    party: str | None
    roles: str
    provider: str | None
    address: str | None


def record(store: Store, actor: Identity | None, operation: str, resource: str, ids: Mapping[str, Any],
           purpose: str, result: str, status: int, *, address: str | None = None,
           at: datetime | None = None) -> int:
    """Append one access record (who) and one processing record (what), linked by a fresh access id, in
    one transaction under the head lock; durable when this returns. Returns the processing seq.

    `ids` are the resource's ids (`case_id`, `client` (a pseudonym), `party` or `parties`, `seq`, ...);
    `client` and the parties are also kept in their own columns for listing by pseudonym and party."""
    return write(store, [prepare(store, actor, operation, resource, ids, purpose, result, status, address=address,
                                 at=at)])[0]


def prepare(store: Store, actor: Identity | None, operation: str, resource: str, ids: Mapping[str, Any],
            purpose: str, result: str, status: int, *, address: str | None = None,
            at: datetime | None = None) -> Pending:
    """The record `record` would append, checked (AuditError) and masked, for `write` (alone or with others)."""
    if purpose not in PURPOSES:
        raise AuditError(INVALID, f"onbekend doel {purpose!r}; kies uit: {', '.join(PURPOSES)}")
    if result not in RESULTS:
        raise AuditError(INVALID, f"onbekend resultaat {result!r}; kies uit: {', '.join(RESULTS)}")
    if not _NAME.fullmatch(operation or "") or not _NAME.fullmatch(resource or "") or len(resource) > 40:
        raise AuditError(INVALID, f"handeling {operation!r} of soort gegeven {resource!r} is geen geldige naam")
    if isinstance(status, bool) or not isinstance(status, int):
        raise AuditError(INVALID, f"status {status!r} is geen getal")
    if at is not None and at.tzinfo is None:
        raise AuditError(INVALID, "het tijdstip heeft geen tijdzone (UTC verwacht)")
    at = (at or store.clock()).astimezone(UTC)
    clean = _clean_ids(ids)
    ids_text = canonical_json(clean).decode("utf-8")
    parties = _parties(clean)
    parties_text = f" {' '.join(parties)} " if parties else ""
    if len(parties_text) > 400:
        raise AuditError(INVALID, "te veel partijen in één record")
    client = clean.get("client") if isinstance(clean.get("client"), str) else None
    if client is not None and len(client) > 64:
        raise AuditError(INVALID, "het pseudoniem van de cliënt is te lang")
    return Pending(at=at, operation=operation, resource=resource, ids_text=ids_text, parties_text=parties_text,
                   client=client, purpose=purpose, result=result, status=status,
                   subject=mask(actor.subject)[:200] if actor else None, party=actor.party if actor else None,
                   roles=" ".join(sorted(actor.roles)) if actor else "",
                   provider=actor.provider[:200] if actor else None, address=address[:64] if address else None)


def write(store: Store, records: list[Pending]) -> list[int]:
    """Append `records` in order, each an access and a processing record linked by a fresh access id, in one
    transaction under the head lock (the server's group commit writes the records of concurrent requests
    so); all durable when this returns, or none written. Returns their processing seqs."""
    if not records:
        return []
    with _write_conn(store) as conn, conn.begin():
        return write_in(conn, store.dialect, records)


def write_in(conn: Connection, dialect: str, records: list[Pending]) -> list[int]:
    """`write` in the caller's transaction on `conn` (the server writes a submission's record in the
    transaction that appends its entries: durable with them, or neither is written)."""
    if not records:
        return []
    access_rows: list[dict] = []
    processing_rows: list[dict] = []
    h = _locked_head(conn, dialect)
    a_size, a_prev, p_size, p_prev = h.access_size, h.access_hash, h.processing_size, h.processing_hash
    for r in records:
        access_id = os.urandom(16).hex()
        a_hash = access_hash(a_size, access_id, r.at, r.subject, r.party, r.roles, r.provider, r.address, a_prev)
        p_hash = processing_hash(p_size, r.at, r.operation, r.resource, r.ids_text, r.parties_text, r.client,
                                 r.purpose, r.result, r.status, access_id, p_prev)
        access_rows.append({"seq": a_size, "access_id": access_id, "at": r.at, "subject": r.subject,
                            "party": r.party, "roles": r.roles, "provider": r.provider, "address": r.address,
                            "prev_hash": a_prev, "record_hash": a_hash})
        processing_rows.append({"seq": p_size, "at": r.at, "operation": r.operation, "resource": r.resource,
                                "ids": r.ids_text, "parties": r.parties_text, "client": r.client,
                                "purpose": r.purpose, "result": r.result, "status": r.status,
                                "access_id": access_id, "prev_hash": p_prev, "record_hash": p_hash})
        a_size, a_prev, p_size, p_prev = a_size + 1, a_hash, p_size + 1, p_hash
    conn.execute(_INSERT_ACCESS, access_rows)
    conn.execute(_INSERT_PROCESSING, processing_rows)
    conn.execute(_SET_HEAD, {"access_size": a_size, "access_hash": a_prev, "processing_size": p_size,
                             "processing_hash": p_prev})
    return [h.processing_size + n for n in range(len(records))]


# --- reading ------------------------------------------------------------------------------------------

def _tables_exist(conn: Connection) -> bool:
    return sa.inspect(conn).has_table("audit_head")


def head(store: Store) -> Head:
    """The chains' sizes and head hashes as the head row holds them."""
    with store.engine.connect() as conn:
        if not _tables_exist(conn):
            raise AuditError(NOT_INITIALISED, "het auditlogboek is niet ingericht (voer `bwledger ledger init` uit)")
        return _locked_head(conn, "")


def _raw_rows(conn: Connection, table: sa.Table) -> Iterator[Mapping[str, Any]]:
    """Every row as stored, ordered by seq, streamed; no column type is applied (a text select), so a
    value of the wrong type reaches the verifier, which reports it."""
    cols = ", ".join(c.name for c in table.columns)
    stmt = sa.text(f"SELECT {cols} FROM {table.name} ORDER BY seq").execution_options(stream_results=True,
                                                                                      yield_per=2000)
    yield from conn.execute(stmt).mappings()


def _as_time(value: Any, dialect) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    return UTCDateTime().process_result_value(value, dialect)


def _text(value: Any, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise TypeError(f"not text: {value!r}")
    return value


def _blob(value: Any) -> bytes:
    if isinstance(value, memoryview):
        value = bytes(value)
    if not isinstance(value, bytes):
        raise TypeError(f"not bytes: {value!r}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an integer: {value!r}")
    return value


def _check_chain(log: str, rows: Iterable[Mapping[str, Any]], rehash, problems: list[AuditProblem]) -> tuple[int, bytes]:
    """Walk one log: seq continuity, the chain, each record's hash. Returns (the next seq, the last hash)."""
    expected, prev = 0, ZERO_HASH
    for row in rows:
        seq_raw = row.get("seq")
        try:
            seq = _int(seq_raw)
        except TypeError:
            problems.append(AuditProblem(log, None, ROW_MALFORMED, f"een record heeft geen volgnummer ({seq_raw!r})"))
            continue
        if seq != expected:
            problems.append(AuditProblem(log, seq, SEQ_GAP, f"na volgnummer {expected - 1} volgt {seq}: "
                                                            f"{'records ontbreken' if seq > expected else 'dubbel of verschoven'}"))
        try:
            stored_prev, stored_hash = _blob(row["prev_hash"]), _blob(row["record_hash"])
        except (TypeError, KeyError):
            problems.append(AuditProblem(log, seq, ROW_MALFORMED, "de hashes van dit record zijn onleesbaar"))
            expected, prev = seq + 1, b""
            continue
        if stored_prev != prev:
            problems.append(AuditProblem(log, seq, CHAIN_BROKEN, "de vorige hash in dit record is niet die van het "
                                                                 "vorige record"))
        try:
            computed = rehash(row)
        except (TypeError, ValueError, KeyError) as exc:
            problems.append(AuditProblem(log, seq, ROW_MALFORMED, f"dit record is onleesbaar: {exc}"))
        else:
            if computed != stored_hash:
                problems.append(AuditProblem(log, seq, HASH_MISMATCH, "de inhoud van dit record past niet bij "
                                                                      "zijn hash: het is gewijzigd"))
        expected, prev = seq + 1, stored_hash
    return expected, prev


def _snapshot(conn: Connection, dialect: str) -> Connection:
    """Every read of one verification sees the same committed state (a concurrent append neither half
    seen nor taken for a missing head): PostgreSQL REPEATABLE READ; SQLite's WAL gives one read
    transaction its snapshot."""
    return conn.execution_options(isolation_level="REPEATABLE READ") if dialect == "postgresql" else conn


def verify(store: Store) -> list[AuditProblem]:
    """Every problem of both logs, the head row and the ledger's latest audit anchor, in order; an empty
    list when the audit log is intact. A damaged row (a wrong type, a NULL, a changed value) is reported
    with its seq, never raised. The rows are streamed, in one snapshot."""
    problems: list[AuditProblem] = []
    dialect = store.engine.dialect

    def rehash_access(r):
        return access_hash(_int(r["seq"]), _text(r["access_id"]), _as_time(r["at"], dialect),
                           _text(r["subject"], True), _text(r["party"], True), _text(r["roles"]),
                           _text(r["provider"], True), _text(r["address"], True), _blob(r["prev_hash"]))

    def rehash_processing(r):
        ids = _text(r["ids"])
        if not isinstance(json.loads(ids), dict):
            raise TypeError("de kenmerken zijn geen JSON-object")
        return processing_hash(_int(r["seq"]), _as_time(r["at"], dialect), _text(r["operation"]),
                               _text(r["resource"]), ids, _text(r["parties"]), _text(r["client"], True),
                               _text(r["purpose"]), _text(r["result"]), _int(r["status"]), _text(r["access_id"]),
                               _blob(r["prev_hash"]))

    with store.engine.connect() as raw_conn:
        if not _tables_exist(raw_conn):
            return [AuditProblem("head", None, NOT_INITIALISED, "het auditlogboek is niet ingericht")]
        raw_conn.rollback()  # the inspection's implicit transaction: the snapshot begins below
        conn = _snapshot(raw_conn, store.dialect)
        with conn.begin():
            head_rows = list(conn.execute(sa.text("SELECT access_size, access_hash, processing_size, "
                                                  "processing_hash FROM audit_head WHERE id = 1")))
            a_next, a_last = _check_chain("access", _raw_rows(conn, access_log), rehash_access, problems)
            p_next, p_last = _check_chain("processing", _raw_rows(conn, processing_log), rehash_processing,
                                          problems)
            for (seq,) in conn.execute(sa.text(
                    "SELECT p.seq FROM audit_processing p WHERE NOT EXISTS "
                    "(SELECT 1 FROM audit_access a WHERE a.access_id = p.access_id) ORDER BY p.seq")):
                problems.append(AuditProblem("processing", seq if isinstance(seq, int) else None, LINK_MISSING,
                                             "dit record verwijst naar een toegangsrecord dat niet bestaat"))
            problems.extend(_check_anchor(conn))

    if len(head_rows) != 1:
        problems.append(AuditProblem("head", None, HEAD_MISMATCH, "de kop van het auditlogboek ontbreekt"))
    else:
        try:
            h = Head(_int(head_rows[0][0]), _blob(head_rows[0][1]), _int(head_rows[0][2]), _blob(head_rows[0][3]))
        except TypeError:
            problems.append(AuditProblem("head", None, HEAD_MISMATCH, "de kop van het auditlogboek is onleesbaar"))
        else:
            for log, size, last, h_size, h_hash in (("access", a_next, a_last, h.access_size, h.access_hash),
                                                    ("processing", p_next, p_last, h.processing_size,
                                                     h.processing_hash)):
                if (size, last) != (h_size, h_hash):
                    problems.append(AuditProblem(
                        "head", h_size, HEAD_MISMATCH,
                        f"de kop noemt {h_size} records in het {LOG_NL[log]}, het logboek eindigt bij {size}"
                        + ("" if size != h_size else " met een andere hash")))
    problems.sort(key=lambda p: (_LOG_ORDER[p.log], p.seq if p.seq is not None else -1))
    return problems


def _check_anchor(conn: Connection) -> list[AuditProblem]:
    """The records the ledger's latest audit anchor names must be in the log with the anchored hashes: the
    chain then commits every record before them, so a log rewritten or cut short since shows here."""
    try:
        found = _latest_anchor(conn)
    except (ValueError, KeyError, TypeError) as exc:
        return [AuditProblem("head", None, ANCHOR_MISMATCH, f"het laatste anker in het grootboek is onleesbaar: {exc}")]
    if found is None:
        return []
    seq, _at, anchored = found
    out = []
    for log, table, size, want in (("access", access_log, anchored.access_size, anchored.access_hash),
                                   ("processing", processing_log, anchored.processing_size,
                                    anchored.processing_hash)):
        have = conn.execute(sa.text(f"SELECT record_hash FROM {table.name} WHERE seq = :s"),
                            {"s": size - 1}).scalar_one_or_none()
        have = bytes(have) if isinstance(have, (bytes, memoryview)) else None
        if have != want:
            what = "ontbreekt" if have is None else "wijkt af van"
            out.append(AuditProblem(log, size - 1, ANCHOR_MISMATCH,
                                    f"record {size - 1} van het {LOG_NL[log]} {what} het anker in grootboekregel "
                                    f"{seq}: het logboek is herschreven of ingekort"))
    return out


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def list_records(store: Store, *, party: str | None = None, client: str | None = None,
                 since: date | None = None) -> list[AuditRecord]:
    """The processing records with their access records, oldest first: with `party` only those about that
    party's data or done by its people (the party's own log); with `client` every processing of that
    client pseudonym's data (an AVG inzageverzoek); `since` from that UTC day on. None of them: all."""
    p, a = processing_log, access_log
    q = (sa.select(p.c.seq, p.c.at, p.c.operation, p.c.resource, p.c.ids, p.c.parties, p.c.client, p.c.purpose,
                   p.c.result, p.c.status, p.c.access_id, a.c.subject, a.c.party, a.c.roles, a.c.provider,
                   a.c.address)
         .select_from(p.outerjoin(a, a.c.access_id == p.c.access_id)).order_by(p.c.seq))
    if party is not None:
        q = q.where(sa.or_(p.c.parties.contains(f" {party} ", autoescape=True), a.c.party == party))
    if client is not None:
        q = q.where(p.c.client == client)
    if since is not None:
        q = q.where(p.c.at >= _day_start(since))
    with store.engine.connect() as conn:
        if not _tables_exist(conn):
            raise AuditError(NOT_INITIALISED, "het auditlogboek is niet ingericht (voer `bwledger ledger init` uit)")
        rows = conn.execute(q).all()
    out = []
    for r in rows:
        try:
            ids = json.loads(r.ids)
        except (TypeError, ValueError):
            ids = {"onleesbaar": str(r.ids)}
        out.append(AuditRecord(seq=r.seq, at=r.at, operation=r.operation, resource=r.resource, ids=ids,
                               parties=tuple((r.parties or "").split()), client=r.client, purpose=r.purpose,
                               result=r.result, status=r.status, access_id=r.access_id, subject=r.subject,
                               party=r.party, roles=tuple((r.roles or "").split()), provider=r.provider,
                               address=r.address))
    return out


# --- the anchor in the ledger -------------------------------------------------------------------------

ANCHOR_KIND = "audit_anchor"
#: the least time between two anchors while the audit log grows (each anchor is a ledger entry)
ANCHOR_SECONDS = 60.0


def latest_anchor(store: Store) -> tuple[int, datetime, Head] | None:
    """The ledger's latest audit anchor: (its seq, when it was received, the head it names), or None."""
    with store.engine.connect() as conn:
        return _latest_anchor(conn)


def _latest_anchor(conn: Connection) -> tuple[int, datetime, Head] | None:
    from ledger.store import entries

    r = conn.execute(sa.select(entries.c.seq, entries.c.received_at, entries.c.statement)
                     .where(entries.c.kind == ANCHOR_KIND).order_by(entries.c.seq.desc()).limit(1)).one_or_none()
    if r is None:
        return None
    p = json.loads(bytes(r.statement))["payload"]
    return r.seq, r.received_at, Head(int(p["access_size"]), bytes.fromhex(p["access_hash"]),
                                      int(p["processing_size"]), bytes.fromhex(p["processing_hash"]))


def anchor(store: Store, *, min_seconds: float = ANCHOR_SECONDS, now: datetime | None = None) -> int | None:
    """Record the audit log's head in the ledger as an operator-signed `audit_anchor` entry, when the log
    grew since the last anchor and that anchor is at least `min_seconds` old; the checkpoint that follows
    covers it. Returns the entry's seq, or None (nothing new, too soon, no operator key on this store).
    Several workers may call this at once: the idempotency key is the head's sizes, so one anchor of a
    head is stored, and a second worker's attempt is answered by the first one's entry."""
    from ledger.errors import IDEMPOTENCY_CONFLICT, LedgerError
    from ledger.service import sign_statement

    if store.operator is None:
        return None
    try:
        h = head(store)
    except AuditError:  # no audit log in this database (not migrated to 0005_audit): nothing to anchor
        return None
    if h.processing_size == 0 or h.access_size == 0:
        return None
    last = latest_anchor(store)
    now = now or store.clock()
    if last is not None:
        _seq, at, anchored = last
        if anchored == h or (now - at).total_seconds() < min_seconds:
            return None
    payload = {"access_size": h.access_size, "access_hash": h.access_hash.hex(),
               "processing_size": h.processing_size, "processing_hash": h.processing_hash.hex()}
    st = sign_statement(store.operator, ANCHOR_KIND, payload,
                        idempotency_key=f"audit-anchor-{h.processing_size}-{h.access_size}")
    try:
        return store.append(st.statement, st.signature).seq
    except LedgerError as exc:
        if exc.code == IDEMPOTENCY_CONFLICT:  # another worker anchored this head a moment earlier
            return exc.seq
        raise


# --- export ---------------------------------------------------------------------------------------------

#: the columns of the CSV and XLSX export (Dutch headers)
COLUMNS = ("Volgnummer", "Tijdstip (UTC)", "Handeling", "Soort gegeven", "Kenmerken", "Partijen",
           "Cliënt (pseudoniem)", "Doel", "Resultaat", "Status", "Toegangs-id", "Gebruiker", "Partij gebruiker",
           "Rollen", "Aanbieder", "Adres")
RESULT_NL = glossary.section("audit_result")


def _cells(r: AuditRecord) -> list[Any]:
    return [r.seq, r.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), r.operation, r.resource,
            canonical_json(r.ids).decode("utf-8"), " ".join(r.parties), r.client or "", r.purpose,
            RESULT_NL.get(r.result, r.result), r.status, r.access_id, r.subject or "anoniem", r.party or "",
            " ".join(r.roles), r.provider or "", r.address or ""]


def _csv_safe(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula (=, +, -, @) gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export(records: list[AuditRecord], fmt: str, out: Path | None = None) -> bytes:
    """The records as CSV (UTF-8, `;` separated, as Dutch spreadsheets expect) or XLSX (the house's
    deterministic writer, ledger/reports/xlsx.py); written to `out` when given. Returns the bytes."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        w.writerow(COLUMNS)
        for r in records:
            w.writerow([_csv_safe(c) for c in _cells(r)])
        raw = buf.getvalue().encode("utf-8")
        if out is not None:
            out.write_bytes(raw)
        return raw
    if fmt == "xlsx":
        import tempfile

        from ledger.reports.xlsx import Bold, Workbook

        def write(path: Path) -> None:
            wb = Workbook(path)
            ws = wb.sheet("Auditlogboek", widths=[11, 20, 22, 14, 40, 18, 20, 20, 12, 8, 34, 24, 16, 20, 16, 16])
            ws.row([Bold(c) for c in COLUMNS])
            for r in records:
                ws.row(_cells(r))
            wb.close()

        if out is not None:
            write(out)
            return out.read_bytes()
        with tempfile.TemporaryDirectory(prefix="bwledger-audit-") as tmp:
            path = Path(tmp) / "audit.xlsx"
            write(path)
            return path.read_bytes()
    raise AuditError(INVALID, f"exportformaat {fmt!r} bestaat niet; kies csv of xlsx")
