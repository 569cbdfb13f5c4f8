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
REFERENCE_INVALID = "REFERENCE_INVALID"  # a referenced entry is missing, of the wrong kind or hash, or (N4, N8) of another client
CLOCK_SKEW = "CLOCK_SKEW"
IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
NOT_INITIALISED = "NOT_INITIALISED"
# Business rules refused at admission (ledger/admission.py and the rule modules it calls; dated in
# ledger/data/admission.toml). The workflow codes are the ones cases/ has always used.
TRANSITION_NOT_ALLOWED = "TRANSITION_NOT_ALLOWED"  # no such edge from the case's current status
ACTOR_NOT_ALLOWED = "ACTOR_NOT_ALLOWED"  # the edge exists, but not for the author's role in the case
PRIOR_ATTEMPTS_MISSING = "PRIOR_ATTEMPTS_MISSING"  # Reglement art. 3.1
DEADLINE_NOT_PASSED = "DEADLINE_NOT_PASSED"  # a transition by time before its time
DEADLINE_PASSED = "DEADLINE_PASSED"  # a step after its term ended (the court, two months after the advice)
EVENT_DATE_INVALID = "EVENT_DATE_INVALID"  # before the case's previous event, or after its receipt
DECISION_INVALID = "DECISION_INVALID"
NOT_BOOKED = "NOT_BOOKED"  # IMPLEMENTED without the bookings of the decision
CASE_EXISTS = "CASE_EXISTS"  # a second opening of the same dispute id
CASE_MISMATCH = "CASE_MISMATCH"  # an event whose subject or parties are not its case's
BASIS_MISSING = "BASIS_MISSING"  # a cost line without a determination or decision behind it
BASIS_MISMATCH = "BASIS_MISMATCH"  # its basis is of another client, names another cost bearer or period
PRODUCT_UNKNOWN = "PRODUCT_UNKNOWN"  # not in the product catalogue
TARIFF_INVALID = "TARIFF_INVALID"  # not the contract tariff of those days, and not marked as deviating
PARTY_UNKNOWN = "PARTY_UNKNOWN"  # a municipality or region that does not exist on that date
PARTY_ROLE_INVALID = "PARTY_ROLE_INVALID"  # the committee or operator as a paying party; sender == addressee
DATE_IMPLAUSIBLE = "DATE_IMPLAUSIBLE"  # a notice date far in the past or future
LEGAL_BASIS_INVALID = "LEGAL_BASIS_INVALID"  # a notice naming a client without a listed legal basis
ACKNOWLEDGEMENT_INVALID = "ACKNOWLEDGEMENT_INVALID"  # not of a notice, not by its addressee, twice
KEY_ACTION_MISMATCH = "KEY_ACTION_MISMATCH"  # a statement sent to a key endpoint that is not its action on its key
KEY_BACKDATED = "KEY_BACKDATED"  # a key registered as valid from before its registration is received
SEAL_ORDER = "SEAL_ORDER"  # a quarter sealed twice, or before an earlier quarter with booked lines
ALREADY_REVERSED = "ALREADY_REVERSED"  # a second reversal of the same cost line
TARIFF_ACCEPTANCE_INVALID = "TARIFF_ACCEPTANCE_INVALID"  # not a provisional deviating line of this bearer, or
# accepted before; or a definitive deviating line whose acceptance does not match it or is used up
PLACEMENT_INVALID = "PLACEMENT_INVALID"  # a placement record that forks or skips its chain, names another's N1, or a
# cost line that disagrees with the placement it names (ledger/placements.py)
LOCATION_CONFIDENTIAL = "LOCATION_CONFIDENTIAL"  # a clear location of a SAFETY_CONFIDENTIAL client (ledger/confidential_locations.py)
DETERMINATION_FACTS_MISSING = "DETERMINATION_FACTS_MISSING"  # an N3/N8 without its facts (or trail) deposited (ledger/determination_replay.py)
DETERMINATION_REPLAY_MISMATCH = "DETERMINATION_REPLAY_MISMATCH"  # the engine replayed on the deposit gives something else
REDETERMINATION_UNCHANGED = "REDETERMINATION_UNCHANGED"  # an N8 with the outcome of the determination it replaces
HANDOVER_ANSWER_INVALID = "HANDOVER_ANSWER_INVALID"  # an N5 answer about another client, a second one, or a yes without its date
PERSONAL_DATA = "PERSONAL_DATA"  # a BSN, an e-mail address or a postcode with house number (ledger/privacy.py)
BSN_INVALID = "BSN_INVALID"  # given to the pseudonymisation service: not nine digits passing the 11-proef (ledger/pseudonyms.py)
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
CHECKPOINT_FORMAT_INVALID = "CHECKPOINT_FORMAT_INVALID"  # a JSON checkpoint dated from note_from on, or a note before
CHECKPOINT_ORIGIN_MISMATCH = "CHECKPOINT_ORIGIN_MISMATCH"  # a checkpoint note naming another origin than the log's
LOG_ORIGIN_MISMATCH = "LOG_ORIGIN_MISMATCH"  # BWLEDGER_LOG_ORIGIN differs from the origin stored in the ledger
PROOF_RANGE_INVALID = "PROOF_RANGE_INVALID"  # a proof asked for sizes or a seq outside the checkpointed log
CONSISTENCY_PROOF_INVALID = "CONSISTENCY_PROOF_INVALID"  # a consistency proof between two checkpoints fails
# Codes found by bundle verification.
BUNDLE_MALFORMED = "BUNDLE_MALFORMED"
INCLUSION_PROOF_INVALID = "INCLUSION_PROOF_INVALID"
ENTRY_OUT_OF_SCOPE = "ENTRY_OUT_OF_SCOPE"
KEY_NOT_TRUSTED = "KEY_NOT_TRUSTED"
CHECKPOINT_NOT_COSIGNED = "CHECKPOINT_NOT_COSIGNED"  # --witness given, but the checkpoint is no cosigned note
QUORUM_NOT_MET = "QUORUM_NOT_MET"  # fewer than K trusted witnesses cosigned the checkpoint (ledger/cosignature.py)


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
