"""Entry kinds, their payloads, the statement an author signs and the leaf the ledger adds.

Statement (signed by the author): the RFC 8785 canonical JSON of
    {"v": 1, "kind", "author", "key_id", "payload", "client", "idempotency_key", "authored_at"}.
The ledger stores those exact bytes and the Ed25519 signature over them.

Leaf (added by the ledger), a fixed binary layout so it is never re-serialised:
    b"BWL1" || seq (uint64 BE) || received_at (int64 BE, microseconds since 1970-01-01 UTC)
           || prev_hash (32 bytes) || signature (64 bytes) || statement bytes (the rest)
The entry hash is the RFC 6962 leaf hash SHA-256(0x00 || leaf); it is both the chain link (the
next entry's prev_hash) and the Merkle tree leaf.  The first entry's prev_hash is 32 zero bytes.
"""
from __future__ import annotations

import hashlib
import json
import re
import struct
from datetime import date, datetime, timezone
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, \
    model_validator

from .canonical import CanonicalError, canonical_json, parse_canonical
from .errors import PAYLOAD_INVALID, STATEMENT_INVALID, UNKNOWN_KIND, LedgerError

# ---------------------------------------------------------------------------------------------
# Parties and small value types
# ---------------------------------------------------------------------------------------------
PARTY_RE = re.compile(r"^(GM\d{4}|RG:[a-z0-9][a-z0-9-]{0,62}|OPERATOR|COMMITTEE)$")
OPERATOR = "OPERATOR"
COMMITTEE = "COMMITTEE"


def party_class(party: str) -> str:
    """municipality (GMxxxx statcode), region (RG:<id>), operator or committee."""
    if party.startswith("GM"):
        return "municipality"
    if party.startswith("RG:"):
        return "region"
    return party.lower()


_BSN_LIKE = re.compile(r"\d{8,9}")


def _bsn_free(value: str) -> str:
    if _BSN_LIKE.fullmatch(value):
        raise ValueError("looks like a BSN: a client is identified by a pseudonym only")
    return value


Party = Annotated[str, Field(pattern=PARTY_RE.pattern)]
Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Pseudonym = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{5,63}$"), AfterValidator(_bsn_free)]
Text = Annotated[str, Field(max_length=4000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Flag = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")]
Cents = Annotated[int, Field(ge=-(2**53) + 1, le=2**53 - 1)]
Quarter = Annotated[str, Field(pattern=r"^\d{4}K[1-4]$")]
ZERO_HASH = b"\x00" * 32


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class EntryRef(Model):
    """A reference to an earlier entry: its sequence number and entry hash (hex)."""

    seq: Annotated[int, Field(ge=0, le=2**53 - 1)]
    entry_hash: Hex64


class Payload(Model):
    party_fields: ClassVar[tuple[str, ...]] = ()
    ref_fields: ClassVar[tuple[str, ...]] = ()

    def parties(self) -> set[str]:
        """Every party this payload names (for a party's export)."""
        out: set[str] = set()
        for name in self.party_fields:
            value = getattr(self, name)
            if isinstance(value, str):
                out.add(value)
            elif isinstance(value, tuple):
                out.update(v if isinstance(v, str) else v.party for v in value)
        return out

    def refs(self) -> dict[str, EntryRef]:
        return {name: getattr(self, name) for name in self.ref_fields if getattr(self, name) is not None}

    def referenced_seqs(self) -> list[int]:
        """The seqs of every earlier entry this payload refers to: its reference fields (and, for a
        dispute event, its bookings). What a reader of the entry loads before judging it."""
        return [ref.seq for ref in self.refs().values()]


# ---------------------------------------------------------------------------------------------
# Payloads per kind (notices N1-N8 of the domain specification, section 4)
# ---------------------------------------------------------------------------------------------
class Outcome(Model):
    cost_bearer: Party | None
    budget: Literal["woonplaats", "historical"] | None = None
    client_class: Literal["NEW", "RE_ENTRY", "NOT_NEW", "EXISTING_HISTORICAL"] | None = None
    new_client: bool | None = None
    statutory_college: Party | None = None
    entry_kind: Literal["intra_regional", "inter_regional", "none"] | None = None


LegalBasis = Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,63}$")]  # a value of the dated list in
# ledger/data/admission.toml (spec 8.12: mandaat, gemeenschappelijke_regeling, pseudoniem, ...)


class Determination(Payload):
    """N3: a responsibility determination. Digests and outcome, never the raw facts."""

    party_fields = ("addressee", "copy_to")
    determination_id: Name
    determination_digest: Hex64
    input_digest: Hex64
    ruleset_version: Name
    context_version: Name
    reference_date: date
    outcome: Outcome
    flags: tuple[Flag, ...] = ()
    provisional: bool
    addressee: Party  # the proposed cost bearer, who may accept or object (N4)
    copy_to: tuple[Party, ...] = ()  # e.g. the meldgemeente when it differs
    objection_deadline: date | None = None
    legal_basis: LegalBasis | None = None  # absent: pseudoniem, the default of spec 8.12 (ledger/notices.py)

    def parties(self) -> set[str]:
        out = super().parties()
        for p in (self.outcome.cost_bearer, self.outcome.statutory_college):
            if p:
                out.add(p)
        return out


class Redetermination(Determination):
    """N8: a re-determination after an R15 trigger, referring to the previous determination."""

    ref_fields = ("previous",)
    previous: EntryRef
    trigger: Name
    changes: tuple[Text, ...] = ()


class Acceptance(Payload):
    """N4: the proposed cost bearer accepts a determination."""

    ref_fields = ("determination",)
    determination: EntryRef
    note: Text = ""
    legal_basis: LegalBasis | None = None  # absent: pseudoniem, the default of spec 8.12 (ledger/notices.py)


class Objection(Payload):
    """N4: the proposed cost bearer objects, with reasons."""

    ref_fields = ("determination",)
    determination: EntryRef
    reasons: Annotated[str, Field(min_length=1, max_length=4000)]
    evidence: tuple[Hex64, ...] = ()
    legal_basis: LegalBasis | None = None  # absent: pseudoniem, the default of spec 8.12 (ledger/notices.py)




class PlacementNotice(Payload):
    """N1: BW starts at a location outside the placing region, or on another region's contract."""

    party_fields = ("placing_party", "host_region", "host_municipality", "cost_bearer")
    placing_party: Party
    host_region: Party
    host_municipality: Party
    cost_bearer: Party
    location: Name  # "vertrouwelijk" for a client of a SAFETY_CONFIDENTIAL determination (from rule set 2026-12-03)
    start_date: date
    expected_duration_days: Annotated[int, Field(ge=0)] | None = None
    contract_used: Name
    legal_basis: LegalBasis | None = None  # required from the admission rules of 2026-12 on
    # the SHA-256 of the place sealed in the client's encrypted store (cases/confidential_places.py), for the
    # parties that need it; absent in older entries
    location_ref: Hex64 | None = None


class OutflowNotice(Payload):
    """N2: BW ends and the client stays in or moves to the host municipality."""

    party_fields = ("sender", "host_municipality", "host_region", "new_municipality")
    sender: Party
    host_municipality: Party
    host_region: Party
    end_date: date
    new_municipality: Party | None = None
    responsible_until: date | None = None  # R6: the old provider's college, up to E+1+12m-1d
    legal_basis: LegalBasis | None = None  # required from the admission rules of 2026-12 on


class HandoverRequest(Payload):
    """N5: the meldgemeente asks the party with the best chance of success to take over."""

    party_fields = ("meldgemeente", "to_party")
    meldgemeente: Party
    to_party: Party
    reasons: Annotated[str, Field(min_length=1, max_length=4000)]
    client_preference: Text = ""
    proposed_date: date
    legal_basis: LegalBasis | None = None  # required from the admission rules of 2026-12 on


class PlacementRecord(Payload):
    """A placement as its fronting party contracted it: the record `book_month` books the monthly cost
    lines from (ledger/settlement/booking.py; the rules: ledger/placements.py).

    An N1 (`placement_notice`) is the notice to the host region of a placement outside the placing
    region; it names no product, provider, end or determination, and an intra-regional placement has
    none at all. So every placement that is to be booked has this record, by its fronting party,
    resting on the determination (N3/N8) that names its cost bearer, and naming its N1 when there is
    one (`notice`). A change (the end date, another product or determination) is a new record of the
    same `placement_id` that replaces the one before it (`previous`); the newest one is in force.
    """

    party_fields = ("fronting_party", "cost_bearer")
    ref_fields = ("determination", "notice", "previous")
    placement_id: Name  # the fronting party's own id of the placement
    fronting_party: Party  # the party whose contract pays the provider (the author)
    cost_bearer: Party  # the cost bearer the determination names
    provider: Name  # the zorgaanbieder (its AGB code or name)
    product: Name  # a product of the catalogue (ledger/data/products.toml)
    start_date: date
    end_date: date | None = None  # None: running
    contract: Name | None = None  # the tariff reference: a contract of ledger/data/tariffs.toml the fronting
    # party uses; None: its own, else its region's
    location: Name | None = None  # "vertrouwelijk" for a client of a SAFETY_CONFIDENTIAL determination
    determination: EntryRef  # the N3/N8 naming the cost bearer, from a reference date on or before the start
    notice: EntryRef | None = None  # the N1 of an inter-regional placement
    previous: EntryRef | None = None  # the record of this placement it replaces

    @model_validator(mode="after")
    def _period(self) -> PlacementRecord:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date before start_date")
        return self


class HandoverAnswer(Payload):
    """The answer to an N5: the party asked takes the client over from `take_over_date`, or declines with
    its reasons (ledger/notices.py: by the party asked, once, for the request's client)."""

    ref_fields = ("request",)
    request: EntryRef
    accepted: bool
    reasons: Text = ""
    take_over_date: date | None = None
    legal_basis: LegalBasis | None = None  # absent: pseudoniem, the default of spec 8.12 (ledger/notices.py)


class Acknowledgement(Payload):
    """The addressee of a notice (N1, N2, N5) confirms its receipt (ledger/notices.py: who, by when)."""

    ref_fields = ("notice",)
    notice: EntryRef
    note: Text = ""


class CostLine(Payload):
    """A cost line: a receivable of the fronting party and a payable of the cost bearer (R14)."""

    party_fields = ("fronting_party", "cost_bearer")
    ref_fields = ("determination", "decision", "tariff_acceptance", "replaces", "placement")
    fronting_party: Party
    cost_bearer: Party
    period_from: date
    period_to: date
    product: Name
    units: Annotated[int, Field(ge=1, le=10**6)]
    tariff_cents: Annotated[int, Field(ge=0, le=10**9)]
    amount_cents: Cents
    status: Literal["provisional", "definitive"]
    historical_budget: bool = False  # runs on the centrumgemeente's historical budget
    determination: EntryRef | None = None
    agreement_version: Name | None = None
    # optional settlement fields (ledger/settlement): absent in older entries
    placement_id: Name | None = None
    location: Name | None = None
    booking_quarter: Quarter | None = None  # the settlement quarter it is booked in, e.g. "2026K1"
    corrects_period: Annotated[str, Field(max_length=200)] | None = None  # "correctie op 2024-K2"
    # the basis of a line booked for a committee decision or court ruling: the dispute_event carrying it
    decision: EntryRef | None = None
    tariff_deviation: bool = False  # a tariff other than the contract's: admitted provisional only
    # a definitive line with a deviating tariff: the cost bearer's acceptance of the provisional line it
    # replaces, and the reversal of that line just before it (ledger/costline_basis.py)
    tariff_acceptance: EntryRef | None = None
    replaces: EntryRef | None = None
    # the placement record the line is booked from (ledger/placements.py: it must agree with it)
    placement: EntryRef | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CostLine:
        if self.period_to < self.period_from:
            raise ValueError("period_to before period_from")
        if self.amount_cents != self.units * self.tariff_cents:
            raise ValueError("amount_cents must equal units * tariff_cents")
        # fronting_party == cost_bearer is allowed: such lines net to nothing between parties but feed
        # solidarity pools, budget projections and monitoring (issue 4)
        return self


class TariffAcceptance(Payload):
    """The cost bearer accepts the deviating tariff of a provisional cost line charged to it; the
    fronting party may then replace that line by a definitive one (ledger/costline_basis.py)."""

    ref_fields = ("cost_line",)
    cost_line: EntryRef
    # the terms accepted, as on the line (signed by the cost bearer, so the acceptance reads on its own)
    period_from: date
    period_to: date
    product: Name
    units: Annotated[int, Field(ge=1, le=10**6)]
    tariff_cents: Annotated[int, Field(ge=0, le=10**9)]
    note: Text = ""


class Reversal(Payload):
    """Cancels an earlier cost line; corrections are reversals plus new entries, never edits."""

    ref_fields = ("reverses", "decision")
    reverses: EntryRef
    reason: Annotated[str, Field(min_length=1, max_length=4000)]
    booking_quarter: Quarter | None = None  # optional: the settlement quarter it is booked in
    corrects_period: Annotated[str, Field(max_length=200)] | None = None  # "correctie op 2024-K2"
    decision: EntryRef | None = None  # the decision that orders it (a reversal by the operator)


class Balance(Model):
    party: Party
    net_cents: Cents


class PairTotal(Model):
    """A sealed quarter's totals for one ordered pair: what `creditor` receives from `debtor`."""

    creditor: Party
    debtor: Party
    definitive_cents: Cents
    provisional_cents: Cents
    disputed_cents: Cents


class SettlementSeal(Payload):
    """The operator seals a settlement period: net balances through a sequence number."""

    party_fields = ("balances",)
    period_from: date
    period_to: date
    through_seq: Annotated[int, Field(ge=0)]
    balances: tuple[Balance, ...]
    # optional settlement fields (ledger/settlement): absent in older entries
    quarter: Quarter | None = None
    checkpoint_size: Annotated[int, Field(ge=0)] | None = None
    checkpoint_root: Hex64 | None = None
    pairs: tuple[PairTotal, ...] = ()
    digest: Hex64 | None = None  # SHA-256 of the settlement's canonical JSON

    @model_validator(mode="after")
    def _balanced(self) -> SettlementSeal:
        if self.period_to < self.period_from:
            raise ValueError("period_to before period_from")
        if sum(b.net_cents for b in self.balances) != 0:
            raise ValueError("balances must sum to zero")
        return self


DISPUTE_STATUSES = ("DETERMINED", "ACCEPTED", "OBJECTED", "NO_RESPONSE", "CONSULTATION", "ESCALATED",
                    "FILED", "ADMISSIBILITY", "EXCHANGE", "HEARING", "DECIDED", "COURT_REVIEW", "UPHELD",
                    "ANNULLED", "SETTLED", "WITHDRAWN", "INADMISSIBLE", "IMPLEMENTED", "CLOSED")
DisputeStatus = Literal[DISPUTE_STATUSES]  # type: ignore[valid-type]


class SettlementAttempt(Model):
    """A prior attempt to settle (Reglement art. 3.1), with its evidence (document SHA-256s)."""

    kind: Literal["contactpersonen", "regioadviseur"]
    held_on: date
    summary: Annotated[str, Field(min_length=1, max_length=4000)]
    evidence: Annotated[tuple[Hex64, ...], Field(min_length=1)]


class PeriodBearer(Model):
    """The cost bearer a decision names for one period (inclusive dates)."""

    period_from: date
    period_to: date
    cost_bearer: Party
    historical_budget: bool = False

    @model_validator(mode="after")
    def _order(self) -> PeriodBearer:
        if self.period_to < self.period_from:
            raise ValueError("period_to before period_from")
        return self


class DisputeDecision(Model):
    """The committee's advice or binding advice, or a court's ruling that replaces it."""

    nature: Literal["advice", "binding_advice", "court_ruling"]
    decided_on: date
    cost_bearers: Annotated[tuple[PeriodBearer, ...], Field(min_length=1)]
    summary: Text = ""


class DisputeEvent(Payload):
    """N7: a status change of the dispute workflow (domain specification 3.2 and 8.10).

    Optional fields (cases/): effective_date (the day the event counts from, for deadlines),
    the roles, the question and the acting party's position, prior attempts to settle, the decision,
    the correction entries booked for it; action "submission" adds documents or a position without
    changing the status (status == previous_status).
    """

    party_fields = ("participants",)
    ref_fields = ("determination", "cost_line")
    dispute_id: Name
    determination: EntryRef | None = None  # the subject: a determination (N3/N8) ...
    status: DisputeStatus
    previous_status: DisputeStatus | None = None
    participants: Annotated[tuple[Party, ...], Field(min_length=2)]
    note: Text = ""
    deadline: date | None = None
    documents: tuple[Hex64, ...] = ()
    effective_date: date | None = None
    action: Literal["transition", "submission"] = "transition"
    claiming: Party | None = None
    responding: Party | None = None
    provider: Name | None = None
    question: Text = ""
    position: Text = ""
    attempts: tuple[SettlementAttempt, ...] = ()
    decision: DisputeDecision | None = None
    bookings: tuple[EntryRef, ...] = ()
    cost_line: EntryRef | None = None  # ... or a cost line (disputed like any other, with or without a determination)

    def referenced_seqs(self) -> list[int]:
        return [*super().referenced_seqs(), *(ref.seq for ref in self.bookings)]

    @model_validator(mode="after")
    def _one_subject(self) -> DisputeEvent:
        if (self.determination is None) == (self.cost_line is None):
            raise ValueError("a dispute is about a determination or a cost line (exactly one)")
        return self


class KeyRegistration(Payload):
    party_fields = ("party",)
    party: Party
    key_id: Hex64
    public_key: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]  # raw Ed25519 key, hex
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _key_id(self) -> KeyRegistration:
        if hashlib.sha256(bytes.fromhex(self.public_key)).hexdigest() != self.key_id:
            raise ValueError("key_id is not the SHA-256 of public_key")
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class KeyRotation(Payload):
    """Replaces old_key_id by a new key from the moment this entry is received."""

    party_fields = ("party",)
    party: Party
    old_key_id: Hex64
    new_key_id: Hex64
    new_public_key: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    valid_until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _key_id(self) -> KeyRotation:
        if hashlib.sha256(bytes.fromhex(self.new_public_key)).hexdigest() != self.new_key_id:
            raise ValueError("new_key_id is not the SHA-256 of new_public_key")
        if self.new_key_id == self.old_key_id:
            raise ValueError("a rotation needs a new key")
        return self


class KeyRevocation(Payload):
    """Ends a key from the moment this entry is received; entries signed before still verify."""

    party_fields = ("party",)
    party: Party
    key_id: Hex64
    reason: Annotated[str, Field(min_length=1, max_length=4000)]


class AuditAnchor(Payload):
    """The operator anchors the head of the audit log (api/access/audit.py) in the ledger: the size and
    head hash of its access and its processing chain. Once checkpointed, a rewrite of the audit log up
    to these records, or their removal, shows against the signed ledger."""

    access_size: Annotated[int, Field(ge=1)]
    access_hash: Hex64
    processing_size: Annotated[int, Field(ge=1)]
    processing_hash: Hex64


PAYLOADS: dict[str, type[Payload]] = {
    "determination": Determination,
    "acceptance": Acceptance,
    "objection": Objection,
    "placement_notice": PlacementNotice,
    "outflow_notice": OutflowNotice,
    "handover_request": HandoverRequest,
    "handover_answer": HandoverAnswer,
    "acknowledgement": Acknowledgement,
    "placement": PlacementRecord,
    "redetermination": Redetermination,
    "cost_line": CostLine,
    "tariff_acceptance": TariffAcceptance,
    "reversal": Reversal,
    "settlement_seal": SettlementSeal,
    "dispute_event": DisputeEvent,
    "key_registration": KeyRegistration,
    "key_rotation": KeyRotation,
    "key_revocation": KeyRevocation,
    "audit_anchor": AuditAnchor,
}
KEY_KINDS = frozenset({"key_registration", "key_rotation", "key_revocation"})


# ---------------------------------------------------------------------------------------------
# The statement
# ---------------------------------------------------------------------------------------------
class _Envelope(Model):
    v: Literal[1]
    kind: Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")]
    author: Party
    key_id: Hex64
    client: Pseudonym | None
    idempotency_key: Annotated[str, Field(pattern=r"^[\x21-\x7e]{1,128}$")]
    authored_at: AwareDatetime


def _statement_model(kind: str, payload: type[Payload]) -> type[_Envelope]:
    return type(f"Statement_{kind}", (_Envelope,), {"__annotations__": {"kind": Literal[kind], "payload": payload}})


STATEMENT_MODELS = {kind: _statement_model(kind, model) for kind, model in PAYLOADS.items()}
# the pydantic-core validator of each statement model (every model is complete here: nothing to rebuild)
_VALIDATORS = {kind: model.__pydantic_validator__ for kind, model in STATEMENT_MODELS.items()}


class Statement:
    """A parsed, validated statement plus its exact bytes, with the envelope's fields at hand (admission
    reads them about 30 times per statement)."""

    __slots__ = ("raw", "model", "kind", "author", "key_id", "client", "idempotency_key", "authored_at", "payload")

    def __init__(self, raw: bytes, model: _Envelope) -> None:
        self.raw = raw
        self.model = model
        self.kind: str = model.kind
        self.author: str = model.author
        self.key_id: str = model.key_id
        self.client: str | None = model.client
        self.idempotency_key: str = model.idempotency_key
        self.authored_at: datetime = model.authored_at
        self.payload: Payload = model.payload  # type: ignore[attr-defined]

    def content_digest(self) -> bytes:
        """What idempotency compares: everything but authored_at and the key used."""
        m = self.model
        return hashlib.sha256(canonical_json({
            "kind": m.kind, "author": m.author, "client": m.client,
            "payload": m.payload.model_dump(mode="json")})).digest()  # type: ignore[attr-defined]

    def parties(self) -> set[str]:
        return {self.author} | self.payload.parties()


def parse_statement(raw: bytes) -> Statement:
    """Parse and validate statement bytes; raise LedgerError(STATEMENT_INVALID|UNKNOWN_KIND|PAYLOAD_INVALID)."""
    try:
        obj = parse_canonical(raw)
    except CanonicalError as exc:
        raise LedgerError(STATEMENT_INVALID, str(exc)) from None
    kind = obj.get("kind")
    validator = _VALIDATORS.get(kind) if isinstance(kind, str) else None
    if validator is None:
        raise LedgerError(UNKNOWN_KIND, f"unknown entry kind {kind!r}")
    try:  # model.model_validate_json(raw) without its Python wrapper (the same call, default options)
        return Statement(raw, validator.validate_json(raw))
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        where = ".".join(str(x) for x in errors[0]["loc"]) if errors else ""
        code = PAYLOAD_INVALID if where.startswith("payload") else STATEMENT_INVALID
        raise LedgerError(code, f"{where}: {errors[0]['msg'] if errors else exc}") from None


def parse_signed_statement(raw: bytes, kind: str) -> Statement:
    """Validate statement bytes whose signature is checked separately, expecting `kind`.

    For verification of stored entries: canonical form was enforced when the entry was admitted and
    the signature covers the exact bytes, so only the schema is checked here (one parse, not three).
    Falls back to parse_statement, for its precise error, when the bytes are not a valid `kind`.
    """
    model = STATEMENT_MODELS.get(kind)
    if model is not None:
        try:
            return Statement(raw, model.model_validate_json(raw))
        except ValidationError:
            pass
    return parse_statement(raw)


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def make_statement(*, kind: str, author: str, key_id: str, payload: dict[str, Any] | Payload,
                   idempotency_key: str, authored_at: datetime, client: str | None = None) -> bytes:
    """The canonical statement bytes an author signs."""
    if isinstance(payload, Payload):
        payload = payload.model_dump(mode="json")
    return canonical_json({"v": 1, "kind": kind, "author": author, "key_id": key_id, "payload": payload,
                           "client": client, "idempotency_key": idempotency_key,
                           "authored_at": _iso(authored_at)})


# ---------------------------------------------------------------------------------------------
# The leaf
# ---------------------------------------------------------------------------------------------
_LEAF_HEAD = struct.Struct(">4sQq")
LEAF_MAGIC = b"BWL1"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def micros(ts: datetime) -> int:
    """Microseconds since the Unix epoch of an aware timestamp (exact, no float)."""
    delta = ts - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def leaf_bytes(seq: int, received_at: datetime, prev_hash: bytes, signature: bytes, statement: bytes) -> bytes:
    return _LEAF_HEAD.pack(LEAF_MAGIC, seq, micros(received_at)) + prev_hash + signature + statement


def entry_hash(seq: int, received_at: datetime, prev_hash: bytes, signature: bytes, statement: bytes) -> bytes:
    """RFC 6962 leaf hash of the leaf: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + _LEAF_HEAD.pack(LEAF_MAGIC, seq, micros(received_at)) + prev_hash
                          + signature + statement).digest()


# ---------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------
def checkpoint_body(tree_size: int, root_hash: bytes, timestamp: datetime) -> bytes:
    """What the operator signs for a checkpoint (RFC 8785 JSON)."""
    return canonical_json({"log": "bwledger", "v": 1, "tree_size": tree_size, "root_hash": root_hash.hex(),
                           "timestamp": _iso(timestamp)})


# ---------------------------------------------------------------------------------------------
# Light statements, for checking stored, signed statements quickly
# ---------------------------------------------------------------------------------------------
class _Ref:
    __slots__ = ("seq", "entry_hash")

    def __init__(self, d: dict) -> None:
        self.seq = d["seq"]
        self.entry_hash = d["entry_hash"]


class _DictPayload:
    """Attribute access to a payload dict, enough for the entitlement rules."""

    __slots__ = ("_d", "_refs", "_parties")

    def __init__(self, d: dict, ref_fields: tuple[str, ...], party_fields: tuple[str, ...]) -> None:
        self._d = d
        self._refs = ref_fields
        self._parties = party_fields

    def parties(self) -> set[str]:
        out: set[str] = set()
        for name in self._parties:
            value = self._d.get(name)
            if isinstance(value, str):
                out.add(value)
            elif isinstance(value, list):
                out.update(x if isinstance(x, str) else x["party"] for x in value)
        outcome = self._d.get("outcome")
        if isinstance(outcome, dict):
            out.update(p for p in (outcome.get("cost_bearer"), outcome.get("statutory_college")) if p)
        return out

    def __getattr__(self, name: str):
        try:
            return self._d[name]
        except KeyError:
            raise AttributeError(name) from None

    def refs(self) -> dict:
        return {f: _Ref(self._d[f]) for f in self._refs if self._d.get(f) is not None}


class _LightStatement:
    """The envelope of a stored statement without re-validating its payload schema.

    The payload schema was enforced when the entry was admitted and the signature covers the exact
    bytes; verify_store(deep=True) re-validates every payload with the per-kind models as well.
    """

    __slots__ = ("raw", "kind", "author", "key_id", "idempotency_key", "client", "payload")

    def __init__(self, raw: bytes, d: dict) -> None:
        self.raw = raw
        self.kind = d["kind"]
        self.author = d["author"]
        self.key_id = d["key_id"]
        self.idempotency_key = d["idempotency_key"]
        self.client = d["client"]
        self.payload = _DictPayload(d["payload"], PAYLOADS[self.kind].ref_fields,
                                    PAYLOADS[self.kind].party_fields)

    def parties(self) -> set[str]:
        return {self.author} | self.payload.parties()


def light_or_full(raw: bytes, kind_column: str | None, deep: bool = False):
    """A _LightStatement for signature-checked statements of non-key kinds, else parse_signed_statement."""
    if not deep and kind_column not in KEY_KINDS:
        try:
            d = json.loads(raw)
            kind = d.get("kind")
            if (kind in PAYLOADS and kind not in KEY_KINDS and kind == (kind_column or kind) and d.get("v") == 1
                    and isinstance(d.get("payload"), dict)):
                return _LightStatement(raw, d)
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
    if kind_column is None:
        return parse_statement(raw)
    return parse_signed_statement(raw, kind_column)
