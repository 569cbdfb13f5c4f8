"""Each client's own data key, and its destruction (erasure).

A client's personal data outside the ledger (the exhibits of its cases, the stored facts and trail, see
cases/documents.py) is encrypted with AES-256-GCM under a data key of that client alone. The data keys are
kept in the table `client_keys` (migration 0006_client_keys) in the ledger's database, each wrapped
(AES-256-GCM) by the deployment's key-encryption key (KEK), which is never in the database
(api/access/secrets.py: BWLEDGER_DATA_KEK or a 0600 file under BWLEDGER_HOME/keys). Reading the database
alone gives no document; the KEK alone gives none either.

Erasing a client (retention, an AVG request) overwrites the wrapped key with NULL and records who, when
and why in the same row: from then on nothing can decrypt that client's documents, and every read answers
CLIENT_ERASED ("gegevens gewist"). The ledger is not touched: its entries name the client by pseudonym
only, so it still verifies and every statement total stays the same. The row itself stays (pseudonym,
erasure record), so an erased client is told apart from one never seen, and a new key is never made for
it again.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.exc import IntegrityError

from ledger.store import Store, UTCDateTime
from rules.dates import dutch_date

from .errors import CLIENT_ERASED, CLIENT_UNKNOWN, CaseError

metadata = sa.MetaData()
client_keys = sa.Table(
    "client_keys", metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("client", sa.String(200), nullable=False, unique=True),
    sa.Column("kek_id", sa.String(16), nullable=False),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("erased_at", UTCDateTime, nullable=True),
    sa.Column("erased_by", sa.String(200), nullable=True),
    sa.Column("erase_reason", sa.String(400), nullable=True),
)

_NONCE = 12
_WRAP_AAD = b"bwledger-client-key/1\x00"
KEY_BYTES = 32


@dataclass(frozen=True)
class ClientKey:
    """A client's data key, unwrapped (kept in memory only as long as one read or write needs it)."""
    key_id: str
    client: str
    key: bytes


@dataclass(frozen=True)
class Erasure:
    """The record of an erasure (no personal data: the pseudonym, who, when, why)."""
    client: str
    key_id: str
    erased_at: datetime
    erased_by: str
    reason: str


def kek_id(kek: bytes) -> str:
    """The fingerprint of a key-encryption key (which KEK wrapped a data key; never the key itself)."""
    return hashlib.sha256(b"bwledger-kek-id/1\x00" + kek).hexdigest()[:16]


def _erased(client: str, at: datetime) -> CaseError:
    return CaseError(CLIENT_ERASED, f"gegevens gewist: de persoonsgegevens van cliënt {client} zijn op "
                                    f"{dutch_date(at.date())} gewist en kunnen niet meer worden gelezen")


class ClientKeys:
    """The data keys of the clients, in the ledger's database, wrapped by `kek` (32 bytes)."""

    def __init__(self, store: Store, kek: bytes) -> None:
        if len(kek) != KEY_BYTES:
            raise ValueError(f"the key-encryption key is {KEY_BYTES} bytes")
        self.store = store
        self.engine = store.engine
        self._kek = AESGCM(kek)
        self.kek_id = kek_id(kek)

    def _aad(self, key_id: str, client: str) -> bytes:
        return _WRAP_AAD + key_id.encode() + b"\x00" + client.encode()

    def _unwrap(self, row) -> ClientKey:
        if row.wrapped_key is None:
            raise _erased(row.client, row.erased_at)
        if row.kek_id != self.kek_id:
            raise CaseError(CLIENT_ERASED, f"de sleutel van cliënt {row.client} is met een andere sleutel "
                                           f"(KEK {row.kek_id}) versleuteld dan die van deze installatie")
        blob = bytes(row.wrapped_key)
        try:
            key = self._kek.decrypt(blob[:_NONCE], blob[_NONCE:], self._aad(row.key_id, row.client))
        except InvalidTag:
            raise CaseError(CLIENT_ERASED, f"de sleutel van cliënt {row.client} is onleesbaar") from None
        return ClientKey(row.key_id, row.client, key)

    def _row(self, conn, client: str):
        return conn.execute(sa.select(*client_keys.c).where(client_keys.c.client == client)).one_or_none()

    def _write_conn(self):
        conn = self.engine.connect()
        if self.store.dialect == "sqlite":
            conn.execution_options(ledger_write=True)
        return conn

    def key_for(self, client: str, *, create: bool = False) -> ClientKey:
        """The client's data key; made on its first document when `create`. CLIENT_ERASED after an
        erasure (never a new key then), CLIENT_UNKNOWN when there is none and `create` is False."""
        with self.engine.connect() as c:
            row = self._row(c, client)
        if row is not None:
            return self._unwrap(row)
        if not create:
            raise CaseError(CLIENT_UNKNOWN, f"voor cliënt {client} zijn geen gegevens opgeslagen")
        row, key = self._new_key(client)
        try:
            with self._write_conn() as conn, conn.begin():
                conn.execute(client_keys.insert().values(**row))
        except IntegrityError:  # another writer made this client's key first: use that one
            return self.key_for(client)
        return ClientKey(row["key_id"], client, key)

    def _new_key(self, client: str) -> tuple[dict, bytes]:
        """A new data key for `client`: its row (the key wrapped by the KEK) and the key."""
        key_id, key = secrets.token_hex(16), AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE)
        wrapped = nonce + self._kek.encrypt(nonce, key, self._aad(key_id, client))
        return {"key_id": key_id, "client": client, "kek_id": self.kek_id, "wrapped_key": wrapped,
                "created_at": self.store.clock()}, key

    def create_keys(self, clients) -> int:
        """Make the data keys of those `clients` that have none, in one transaction (a batch of intakes:
        the national demo); the number made. An erased client keeps its erasure (it has a row)."""
        wanted = sorted(set(clients))
        if not wanted:
            return 0
        with self.engine.connect() as c:
            have = {r.client for chunk in (wanted[i:i + 500] for i in range(0, len(wanted), 500))
                    for r in c.execute(sa.select(client_keys.c.client).where(client_keys.c.client.in_(chunk)))}
        rows = [self._new_key(client)[0] for client in wanted if client not in have]
        if rows:
            with self._write_conn() as conn, conn.begin():
                conn.execute(client_keys.insert(), rows)
        return len(rows)

    def key_id_of(self, client: str) -> str | None:
        """The id of the client's key (also after an erasure); None when it never had one."""
        with self.engine.connect() as c:
            row = self._row(c, client)
        return row.key_id if row is not None else None

    def erasure(self, client: str) -> Erasure | None:
        """The record of the client's erasure; None when it is not erased."""
        with self.engine.connect() as c:
            row = self._row(c, client)
        if row is None or row.erased_at is None:
            return None
        return Erasure(row.client, row.key_id, row.erased_at, row.erased_by, row.erase_reason)

    def destroy(self, client: str, *, by: str, reason: str) -> Erasure:
        """Destroy the client's data key (the wrapped key becomes NULL) and record the erasure in its row.
        A second erasure answers the first one's record. CLIENT_UNKNOWN when it never had a key."""
        at = self.store.clock()
        with self._write_conn() as conn, conn.begin():
            if self.store.dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA secure_delete = ON")  # overwrite the freed bytes of the old value
            row = self._row(conn, client)
            if row is None:
                raise CaseError(CLIENT_UNKNOWN, f"voor cliënt {client} zijn geen gegevens opgeslagen")
            if row.erased_at is None:
                conn.execute(client_keys.update().where(client_keys.c.client == client, client_keys.c.erased_at.is_(None))
                             .values(wrapped_key=None, erased_at=at, erased_by=by[:200], erase_reason=reason[:400]))
        erasure = self.erasure(client)
        assert erasure is not None
        return erasure
