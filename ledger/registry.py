"""The party key registry, replayed from the key entries (registration, rotation, revocation).

A key is valid for the entry at sequence number `seq` received at `at` when it was registered by an
earlier entry, has not been ended (rotated out or revoked) by an earlier entry, belongs to the
author, and `valid_from <= at < valid_until`.  Ending a key takes effect from the entry that ends
it, so every entry signed before still verifies.  The very first OPERATOR key registers itself.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import NamedTuple

from .entries import OPERATOR, KeyRegistration, KeyRevocation, KeyRotation, Statement


class KeyWindow(NamedTuple):
    """When a key of its party may sign: the conditions of ``KeyRegistry.key_problem`` after the
    look-up (registered, the author's), as one test for the checks that run per entry (the append's
    and the verifier's inline admission). tests/ledger/test_admission_fast.py checks that ``admits``
    and ``key_problem`` agree."""

    registered_seq: int
    ended_seq: int | None
    valid_from: datetime
    valid_until: datetime | None

    def admits(self, seq: int, at: datetime) -> bool:
        return (self.registered_seq < seq and (self.ended_seq is None or seq <= self.ended_seq)
                and at >= self.valid_from and (self.valid_until is None or at < self.valid_until))


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    party: str
    public_key: bytes
    valid_from: datetime
    valid_until: datetime | None
    registered_seq: int
    ended_seq: int | None = None
    end_reason: str | None = None

    def to_json(self) -> dict:
        d = asdict(self)
        d["public_key"] = self.public_key.hex()
        d["valid_from"] = self.valid_from.isoformat()
        d["valid_until"] = self.valid_until.isoformat() if self.valid_until else None
        return d

    @classmethod
    def from_json(cls, d: dict) -> KeyRecord:
        return cls(d["key_id"], d["party"], bytes.fromhex(d["public_key"]),
                   datetime.fromisoformat(d["valid_from"]),
                   datetime.fromisoformat(d["valid_until"]) if d["valid_until"] else None,
                   d["registered_seq"], d["ended_seq"], d["end_reason"])


def named_key(payload) -> tuple[str, bytes] | None:
    """(key id, raw public key) of the key a registration or rotation brings in, else None."""
    if isinstance(payload, KeyRegistration):
        return payload.key_id, bytes.fromhex(payload.public_key)
    if isinstance(payload, KeyRotation):
        return payload.new_key_id, bytes.fromhex(payload.new_public_key)
    return None


class KeyRegistry:
    def __init__(self) -> None:
        self.records: dict[str, KeyRecord] = {}
        self.next_seq = 0  # key entries below this seq have been applied
        self.genesis_seq: int | None = None  # the self-registration of the first operator key

    def copy(self) -> KeyRegistry:
        other = KeyRegistry()
        other.records = dict(self.records)
        other.next_seq = self.next_seq
        other.genesis_seq = self.genesis_seq
        return other

    def public_key(self, key_id: str) -> bytes | None:
        rec = self.records.get(key_id)
        return rec.public_key if rec else None

    def has_operator(self) -> bool:
        return any(r.party == OPERATOR for r in self.records.values())

    def is_genesis(self, st: Statement, seq: int) -> bool:
        """The self-registration of the first operator key (before or after it was applied)."""
        if st.kind != "key_registration" or st.author != OPERATOR:
            return False
        p = st.payload
        return (p.party == OPERATOR and p.key_id == st.key_id
                and (self.genesis_seq == seq if self.genesis_seq is not None else not self.has_operator()))

    def window(self, key_id: str, author: str) -> KeyWindow | None:
        """The key's window when it is registered and the author's, else None (see key_problem)."""
        rec = self.records.get(key_id)
        if rec is None or rec.party != author:
            return None
        return KeyWindow(rec.registered_seq, rec.ended_seq, rec.valid_from, rec.valid_until)

    def key_problem(self, key_id: str, author: str, seq: int, at: datetime) -> str | None:
        """Why the key is not valid for this entry, or None when it is (the conditions of
        KeyWindow.admits, each with its message)."""
        rec = self.records.get(key_id)
        if rec is None:
            return f"key {key_id[:16]} is not registered"
        if rec.party != author:
            return f"key {key_id[:16]} belongs to {rec.party}, not {author}"
        if rec.registered_seq >= seq:
            return f"key {key_id[:16]} is registered only at seq {rec.registered_seq}"
        if rec.ended_seq is not None and seq > rec.ended_seq:
            return f"key {key_id[:16]} was {rec.end_reason} at seq {rec.ended_seq}"
        if at < rec.valid_from:
            return f"key {key_id[:16]} is valid only from {rec.valid_from.isoformat()}"
        if rec.valid_until is not None and at >= rec.valid_until:
            return f"key {key_id[:16]} expired at {rec.valid_until.isoformat()}"
        return None

    def entry_problem(self, st: Statement) -> str | None:
        """Why a key entry cannot apply to the registry as it stands, or None."""
        p = st.payload
        if isinstance(p, KeyRegistration):
            if p.key_id in self.records:
                return f"key {p.key_id[:16]} is already registered"
        elif isinstance(p, (KeyRotation, KeyRevocation)):
            old_id = p.old_key_id if isinstance(p, KeyRotation) else p.key_id
            rec = self.records.get(old_id)
            if rec is None or rec.party != p.party:
                return f"key {old_id[:16]} is not a key of {p.party}"
            if rec.ended_seq is not None:
                return f"key {old_id[:16]} was already {rec.end_reason}"
            if isinstance(p, KeyRotation) and p.new_key_id in self.records:
                return f"key {p.new_key_id[:16]} is already registered"
        return None

    def apply(self, seq: int, received_at: datetime, st: Statement) -> None:
        """Apply a key entry (other kinds are ignored)."""
        p = st.payload
        if isinstance(p, KeyRegistration):
            if self.genesis_seq is None and p.party == OPERATOR and not self.has_operator():
                self.genesis_seq = seq
            self.records.setdefault(p.key_id, KeyRecord(p.key_id, p.party, bytes.fromhex(p.public_key),
                                                        p.valid_from, p.valid_until, seq))
        elif isinstance(p, KeyRotation):
            old = self.records.get(p.old_key_id)
            if old is not None and old.ended_seq is None:
                self.records[p.old_key_id] = replace(old, ended_seq=seq, end_reason="rotated out")
            self.records.setdefault(p.new_key_id, KeyRecord(
                p.new_key_id, p.party, bytes.fromhex(p.new_public_key), received_at, p.valid_until, seq))
        elif isinstance(p, KeyRevocation):
            old = self.records.get(p.key_id)
            if old is not None and old.ended_seq is None:
                self.records[p.key_id] = replace(old, ended_seq=seq, end_reason="revoked")
        self.next_seq = max(self.next_seq, seq + 1)

    def to_json(self) -> list[dict]:
        return [r.to_json() for r in sorted(self.records.values(), key=lambda r: r.registered_seq)]
