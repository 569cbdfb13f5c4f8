"""Stable error codes of the cases layer; the API maps them to problem+json."""
from __future__ import annotations

TRANSITION_NOT_ALLOWED = "TRANSITION_NOT_ALLOWED"  # no such edge in the workflow table
ACTOR_NOT_ALLOWED = "ACTOR_NOT_ALLOWED"  # the edge exists, but not for this party's role
CASE_NOT_FOUND = "CASE_NOT_FOUND"
CASE_EXISTS = "CASE_EXISTS"
DETERMINATION_NOT_FOUND = "DETERMINATION_NOT_FOUND"
COST_LINE_NOT_FOUND = "COST_LINE_NOT_FOUND"  # a case opened on a seq that is not a cost line
SUBJECT_INVALID = "SUBJECT_INVALID"  # a case opened on neither or both of a determination and a cost line
PRIOR_ATTEMPTS_MISSING = "PRIOR_ATTEMPTS_MISSING"  # Reglement art. 3.1
DEADLINE_NOT_PASSED = "DEADLINE_NOT_PASSED"  # a transition by time before its time
EVENT_DATE_INVALID = "EVENT_DATE_INVALID"
DECISION_INVALID = "DECISION_INVALID"
NOT_BOOKED = "NOT_BOOKED"
DOCUMENT_TYPE_REFUSED = "DOCUMENT_TYPE_REFUSED"  # extension / media type not accepted
DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
DOCUMENT_CONTENT_MISMATCH = "DOCUMENT_CONTENT_MISMATCH"  # content does not match its type
DOCUMENT_EMPTY = "DOCUMENT_EMPTY"
DOCUMENT_NOT_FOUND = "DOCUMENT_NOT_FOUND"
DOCUMENT_INVALID = "DOCUMENT_INVALID"  # no title, or a date in the future
DOCUMENT_CORRUPT = "DOCUMENT_CORRUPT"  # stored content no longer has its SHA-256
EVIDENCE_MISMATCH = "EVIDENCE_MISMATCH"  # a trail whose digest is not the signed one
SETTLEMENT_UNAVAILABLE = "SETTLEMENT_UNAVAILABLE"
POSITION_REQUIRED = "POSITION_REQUIRED"  # an objection without reasons, a case without its question
ATTEMPT_INVALID = "ATTEMPT_INVALID"
CLIENT_ERASED = "CLIENT_ERASED"  # the client's data key is destroyed: its documents can no longer be read
CLIENT_UNKNOWN = "CLIENT_UNKNOWN"  # an erasure of a client nothing was ever stored for
PLACE_NOT_FOUND = "PLACE_NOT_FOUND"  # no sealed place of a confidential client this caller may read there
PLACE_INVALID = "PLACE_INVALID"  # an empty or too long place, or one holding personal data
ERASURE_INVALID = "ERASURE_INVALID"  # an erasure without a reason, or a reason holding personal data


class CaseError(Exception):
    """A refusal with a stable code; nothing was stored."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
