"""Stable error codes, the refusal raised by an append and the problem reported by a verification."""
from __future__ import annotations

from dataclasses import dataclass

# Codes refused at append time (nothing is stored).
UNKNOWN_KIND = "UNKNOWN_KIND"
STATEMENT_INVALID = "STATEMENT_INVALID"  # not canonical JSON, or the statement envelope is malformed
PAYLOAD_INVALID = "PAYLOAD_INVALID"
SIGNATURE_INVALID = "SIGNATURE_INVALID"
KEY_NOT_VALID = "KEY_NOT_VALID"  # unknown, not yet valid, expired, revoked, rotated out, other party
NOT_ENTITLED = "NOT_ENTITLED"
REFERENCE_INVALID = "REFERENCE_INVALID"  # a referenced entry is missing, of the wrong kind or hash
CLOCK_SKEW = "CLOCK_SKEW"
IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
NOT_INITIALISED = "NOT_INITIALISED"
# Codes found by verification.
SEQ_GAP = "SEQ_GAP"
LEAF_HASH_MISMATCH = "LEAF_HASH_MISMATCH"
CHAIN_BROKEN = "CHAIN_BROKEN"
COLUMN_MISMATCH = "COLUMN_MISMATCH"
RECEIVED_AT_REGRESSION = "RECEIVED_AT_REGRESSION"
DUPLICATE_IDEMPOTENCY_KEY = "DUPLICATE_IDEMPOTENCY_KEY"
CHECKPOINT_SIGNATURE_INVALID = "CHECKPOINT_SIGNATURE_INVALID"
CHECKPOINT_ROOT_MISMATCH = "CHECKPOINT_ROOT_MISMATCH"
CHECKPOINT_BEYOND_LOG = "CHECKPOINT_BEYOND_LOG"
CHECKPOINT_ORDER = "CHECKPOINT_ORDER"
TREE_STATE_MISMATCH = "TREE_STATE_MISMATCH"
# Codes found by bundle verification.
BUNDLE_MALFORMED = "BUNDLE_MALFORMED"
INCLUSION_PROOF_INVALID = "INCLUSION_PROOF_INVALID"
ENTRY_OUT_OF_SCOPE = "ENTRY_OUT_OF_SCOPE"
KEY_NOT_TRUSTED = "KEY_NOT_TRUSTED"


class LedgerError(Exception):
    """A refusal with a stable code. `index` is the position in a batch, `seq` a ledger position."""

    def __init__(self, code: str, message: str, *, seq: int | None = None, index: int | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.seq = seq
        self.index = index

    def __reduce__(self):  # survive pickling across processes
        return (_rebuild_error, (self.code, self.message, self.seq, self.index))


def _rebuild_error(code, message, seq, index):
    return LedgerError(code, message, seq=seq, index=index)


@dataclass(frozen=True, order=True)
class Problem:
    """One finding of a verification: errors are data, every one is reported."""

    seq: int | None
    code: str
    message: str
    checkpoint_id: int | None = None

    def to_dict(self) -> dict:
        return {"seq": self.seq, "code": self.code, "message": self.message,
                "checkpoint_id": self.checkpoint_id}

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "-"
        if self.checkpoint_id is not None:
            where += f" (checkpoint {self.checkpoint_id})"
        return f"{where}: {self.code}: {self.message}"
