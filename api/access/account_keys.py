"""The keys people's browsers made, and which account each belongs to (ledger/README.md "People sign in
their browser").

A person's page makes an Ed25519 key pair with WebCrypto (non-extractable, kept in the browser's
IndexedDB: api/static/sign.js) and sends only the public key: `request` records it here with the account
it belongs to. The operator registers it as one of the party's keys (a `key_registration` in the ledger,
api.compose.register_account_key); `registered` records the entry's seq. The account label stays here,
next to the key id, never in the append-only ledger. The "username" is the local account's, or for a
person who logged in through the OpenID provider the subject it vouched for.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.access.accounts import AccessError
from api.access.tables import account_keys
from ledger.store import utcnow

KEY_INVALID = "KEY_INVALID"
KEY_UNKNOWN = "KEY_UNKNOWN"
_HEX32 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class AccountKey:
    key_id: str
    username: str
    party: str
    public_key: str  # raw Ed25519 key, hex
    requested_at: datetime
    registered_at: datetime | None
    registration_seq: int | None

    @property
    def registered(self) -> bool:
        return self.registration_seq is not None


def _key(r) -> AccountKey:
    return AccountKey(r.key_id, r.username, r.party, r.public_key, r.requested_at, r.registered_at,
                      r.registration_seq)


class AccountKeys:
    """The account keys over the access database `engine` (the ledger store's)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine, self.clock = engine, clock

    def request(self, username: str, party: str, public_key: str) -> AccountKey:
        """The public key (hex of the raw 32 bytes) a browser of `username` made, asked to be registered for
        `party`. Asking again for the same key is the same request; a key of another account is refused."""
        public_key = (public_key or "").strip().lower()
        if not _HEX32.match(public_key):
            raise AccessError(KEY_INVALID, "geen publieke Ed25519-sleutel (64 hexadecimale tekens)")
        key_id = hashlib.sha256(bytes.fromhex(public_key)).hexdigest()
        with self.engine.begin() as conn:
            r = conn.execute(account_keys.select().where(account_keys.c.key_id == key_id)).first()
            if r is not None and (r.username != username or r.party != party):
                raise AccessError(KEY_INVALID, "deze sleutel is al aangevraagd door een ander account")
            if r is None:
                conn.execute(account_keys.insert().values(key_id=key_id, username=username, party=party,
                                                          public_key=public_key, requested_at=self.clock()))
        return self.key(key_id)

    def key(self, key_id: str) -> AccountKey:
        with self.engine.connect() as conn:
            r = conn.execute(account_keys.select().where(account_keys.c.key_id == key_id)).first()
        if r is None:
            raise AccessError(KEY_UNKNOWN, f"geen aangevraagde sleutel {key_id[:16]}…")
        return _key(r)

    def of_account(self, username: str) -> list[AccountKey]:
        """The keys of an account, newest request first."""
        with self.engine.connect() as conn:
            return [_key(r) for r in conn.execute(account_keys.select().where(account_keys.c.username == username)
                                                  .order_by(account_keys.c.requested_at.desc()))]

    def signing_key(self, username: str | None) -> AccountKey | None:
        """The registered key an account signs with now: its most recently registered one."""
        if not username:
            return None
        done = [k for k in self.of_account(username) if k.registered]
        return max(done, key=lambda k: (k.registered_at, k.registration_seq)) if done else None

    def all(self, party: str | None = None) -> list[AccountKey]:
        """Every account key (of one party), oldest request first."""
        q = account_keys.select().order_by(account_keys.c.requested_at)
        if party:
            q = q.where(account_keys.c.party == party)
        with self.engine.connect() as conn:
            return [_key(r) for r in conn.execute(q)]

    def waiting(self, party: str | None = None) -> list[AccountKey]:
        """The requests the operator has not registered yet (of one party, or all), oldest first."""
        q = account_keys.select().where(account_keys.c.registration_seq.is_(None)).order_by(account_keys.c.requested_at)
        if party:
            q = q.where(account_keys.c.party == party)
        with self.engine.connect() as conn:
            return [_key(r) for r in conn.execute(q)]

    def registered(self, key_id: str, seq: int) -> AccountKey:
        """Record that the ledger holds the key's registration as entry `seq`."""
        self.key(key_id)
        with self.engine.begin() as conn:
            conn.execute(account_keys.update().where(account_keys.c.key_id == key_id)
                         .values(registered_at=self.clock(), registration_seq=seq))
        return self.key(key_id)

    def label(self, key_id: str) -> str | None:
        """The account a key belongs to (None for a key no browser asked for: a key file or an HSM)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(account_keys.c.username).where(account_keys.c.key_id == key_id)).scalar()


__all__ = ["KEY_INVALID", "KEY_UNKNOWN", "AccountKey", "AccountKeys"]
