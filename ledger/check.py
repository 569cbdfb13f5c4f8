"""The admission rules of one entry, shared by append and verification (pure: no I/O, no clock).

Order: client rule, key known, signature, key valid at received_at, references, entitlement,
key-entry semantics.  The first failing rule gives the stable code.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from .crypto import verify_signature
from .entitlements import KindRule, RefInfo, entitled, load_entitlements
from .entries import KEY_KINDS, PAYLOADS, Statement
from .errors import (KEY_NOT_VALID, NOT_ENTITLED, PAYLOAD_INVALID, REFERENCE_INVALID, SIGNATURE_INVALID,
                     STATEMENT_INVALID, LedgerError)
from .registry import KeyRegistry

Lookup = Callable[[int], RefInfo | None]


def client_problem(kind: str, client_rule: str, client: str | None) -> LedgerError | None:
    """The kind's client rule (entitlements.toml: required, forbidden or optional)."""
    if client_rule == "required" and client is None:
        return LedgerError(STATEMENT_INVALID, f"a {kind} names a client pseudonym")
    if client_rule == "forbidden" and client is not None:
        return LedgerError(STATEMENT_INVALID, f"a {kind} names no client")
    return None


class InlineKind(NamedTuple):
    """What the inline admission of an entry without references (append_batch and verify) needs of
    a non-key kind: its reference fields (an entry with any set takes the general path), its client
    rule and its entitlement rule."""

    ref_fields: tuple[str, ...]
    client: str
    rule: KindRule


_INLINE: list = [None, None]  # [the entitlement table, the InlineKinds built from it]


def inline_kinds(rules: dict[str, KindRule]) -> dict[str, InlineKind]:
    """Per non-key kind, its InlineKind; built once per entitlement table."""
    if _INLINE[0] is not rules:
        _INLINE[1] = {kind: InlineKind(PAYLOADS[kind].ref_fields, rules[kind].client, rules[kind])
                      for kind in PAYLOADS if kind not in KEY_KINDS}
        _INLINE[0] = rules
    return _INLINE[1]


def signing_key(st: Statement, registry: KeyRegistry, seq: int) -> bytes | None:
    """The public key the statement claims, from the registry or (genesis) its own payload."""
    pk = registry.public_key(st.key_id)
    if pk is None and registry.is_genesis(st, seq):
        pk = bytes.fromhex(st.payload.public_key)
    return pk


def check_signature(st: Statement, signature: bytes, registry: KeyRegistry, seq: int) -> LedgerError | None:
    pk = signing_key(st, registry, seq)
    if pk is None:
        return LedgerError(KEY_NOT_VALID, f"key {st.key_id[:16]} is not registered")
    if not verify_signature(pk, signature, st.raw):
        return LedgerError(SIGNATURE_INVALID, f"signature does not verify under key {st.key_id[:16]}")
    return None


def check_key_valid(st: Statement, seq: int, received_at: datetime, registry: KeyRegistry) -> LedgerError | None:
    if registry.is_genesis(st, seq):
        p = st.payload
        if received_at < p.valid_from or (p.valid_until is not None and received_at >= p.valid_until):
            return LedgerError(KEY_NOT_VALID, "the genesis operator key is not valid at received_at")
        return None
    why = registry.key_problem(st.key_id, st.author, seq, received_at)
    return LedgerError(KEY_NOT_VALID, why) if why else None


def resolve_refs(st: Statement, seq: int, rule: KindRule, lookup: Lookup
                 ) -> tuple[dict[str, RefInfo], LedgerError | None]:
    found: dict[str, RefInfo] = {}
    for field, ref in st.payload.refs().items():
        info = lookup(ref.seq) if ref.seq < seq else None
        if info is None:
            return found, LedgerError(REFERENCE_INVALID, f"{field}: no earlier entry {ref.seq}")
        if info.entry_hash.hex() != ref.entry_hash:
            return found, LedgerError(REFERENCE_INVALID, f"{field}: entry {ref.seq} has another hash")
        allowed = rule.refs.get(field)
        if allowed is not None and info.kind not in allowed:
            return found, LedgerError(REFERENCE_INVALID, f"{field}: entry {ref.seq} is a {info.kind}, "
                                                         f"expected {' or '.join(allowed)}")
        found[field] = info
    return found, None


def check_admission(st: Statement, seq: int, received_at: datetime, registry: KeyRegistry,
                    lookup: Lookup, key_semantics: bool = True,
                    rules: dict[str, KindRule] | None = None) -> LedgerError | None:
    """Everything but the signature: key validity, references, entitlement and (when `key_semantics`,
    against a registry replayed up to this entry) whether a key entry can apply.  `rules`: the
    entitlement table when the caller loaded it once for many entries."""
    kind = st.kind
    rule = (rules or load_entitlements())[kind]
    if rule.client != "optional":
        err = client_problem(kind, rule.client, st.client)
        if err:
            return err
    err = check_key_valid(st, seq, received_at, registry)
    if err:
        return err
    payload = st.payload
    if payload.refs():
        refs, err = resolve_refs(st, seq, rule, lookup)
        if err:
            return err
        resolve = refs.get
    else:
        resolve = no_ref
    if not entitled(rule, st.author, payload, resolve):
        return LedgerError(NOT_ENTITLED, f"{st.author} may not author a {kind}")
    if key_semantics and kind in KEY_KINDS:
        why = registry.entry_problem(st)
        if why:
            return LedgerError(PAYLOAD_INVALID, why)
    return None


def no_ref(_field: str) -> None:
    """The resolver of an entry without references (entitlements.entitled's ``resolve``)."""
    return None


def check_entry(st: Statement, signature: bytes, seq: int, received_at: datetime, registry: KeyRegistry,
                lookup: Lookup, key_semantics: bool = True) -> LedgerError | None:
    """All admission rules of one entry."""
    return (check_signature(st, signature, registry, seq)
            or check_admission(st, seq, received_at, registry, lookup, key_semantics))
