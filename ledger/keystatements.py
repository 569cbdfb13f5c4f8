"""The key statements, signed on the signer's own machine, without a store: registration (by the
operator), rotation (by the key's party, signed with the key it replaces) and revocation (by the party
or the operator). A client submits them like any other signed statement (`POST /v1/grootboek/regels`,
`bwledger keys ...`); `Store.append` takes them locally.

The idempotency keys are those of `ledger.service.register_key / rotate_key / revoke_key`, so the
same action taken through the service and through a client is one entry.

A registration names the moment its key becomes valid. No key is valid from before its registration
is received: the ledger refuses a `valid_from` more than the allowed clock skew (5 minutes) before
the registration's `received_at` (`KEY_BACKDATED`), and a key signs nothing before its registration
is in the log whatever `valid_from` says. By default a key is registered as valid from the moment the
registration is signed (`authored_at`), which the ledger admits under the same skew as `authored_at`
itself. A rotation's new key is valid from the rotation's receipt; the ledger sets that itself.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime

from .crypto import key_id_of
from .errors import KEY_ACTION_MISMATCH, LedgerError
from .service import SignedStatement, sign_statement
from .signers import StatementSigner

__all__ = ["KEY_ACTIONS", "key_action_problem", "registration", "revocation", "rotation"]

#: the kind of each key action and the payload field naming the key it acts on
KEY_ACTIONS = {"key_registration": "key_id", "key_rotation": "old_key_id", "key_revocation": "key_id"}


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(ts: datetime | None) -> str | None:
    return ts.astimezone(UTC).isoformat() if ts is not None else None


def registration(by: StatementSigner, party: str, public_key: bytes, *, valid_from: datetime | None = None,
                 valid_until: datetime | None = None, authored_at: datetime | None = None) -> SignedStatement:
    """`party`'s public key registered by `by` (the operator), valid from `valid_from` (default: the
    moment of signing, `authored_at`) until `valid_until` (default: no end)."""
    at = authored_at or _now()
    key_id = key_id_of(public_key)
    payload = {"party": party, "key_id": key_id, "public_key": public_key.hex(),
               "valid_from": _iso(valid_from or at), "valid_until": _iso(valid_until)}
    return sign_statement(by, "key_registration", payload, idempotency_key=f"key-{key_id}", authored_at=at)


def rotation(old: StatementSigner, new_public_key: bytes, *, valid_until: datetime | None = None,
             authored_at: datetime | None = None, signer: StatementSigner | None = None) -> SignedStatement:
    """`old`'s party replaces `old` by `new_public_key` from the moment this is received (signed by `old`,
    or by `signer`: the operator)."""
    payload = {"party": old.party, "old_key_id": old.key_id, "new_key_id": key_id_of(new_public_key),
               "new_public_key": new_public_key.hex(), "valid_until": _iso(valid_until)}
    return sign_statement(signer or old, "key_rotation", payload, idempotency_key=f"rotate-{old.key_id[:32]}",
                          authored_at=authored_at or _now())


def revocation(by: StatementSigner, party: str, key_id: str, reason: str, *,
               authored_at: datetime | None = None) -> SignedStatement:
    """`party`'s key `key_id` ends from the moment this is received (signed by the party or the operator)."""
    payload = {"party": party, "key_id": key_id, "reason": reason}
    return sign_statement(by, "key_revocation", payload, idempotency_key=f"revoke-{key_id[:32]}",
                          authored_at=authored_at or _now())


def key_action_problem(kind: str, key_id: str | None, statement: bytes) -> LedgerError | None:
    """Why `statement` is not the key action `kind` on key `key_id` (None: any key, for a registration
    whose key the statement brings), or None. Only the routing of a key endpoint: whether the action
    is allowed is the ledger's admission, which judges the statement like any other. A statement that
    cannot be read is left to admission too (it refuses it with its own code)."""
    try:
        doc = json.loads(statement)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    if doc.get("kind") != kind:
        return LedgerError(KEY_ACTION_MISMATCH, f"this endpoint takes a {kind}, not a {doc.get('kind')!r}")
    payload = doc.get("payload")
    named = payload.get(KEY_ACTIONS[kind]) if isinstance(payload, dict) else None
    if key_id is not None and named != key_id:
        return LedgerError(KEY_ACTION_MISMATCH, f"the {kind} acts on key {str(named)[:16]}, not on {key_id[:16]}")
    return None
