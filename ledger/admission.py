"""Admission: may a signed statement enter the ledger at `seq`, received at `received_at`?

This is the one place where the rules that protect one party from another are applied, whatever
path a statement comes by (HTTP, CLI, Python): the store calls `admit` for every statement of an
append batch under the write lock, and `bwledger ledger verify` replays `admit` over every stored
entry in order, so an entry written into the database by other means is found. Bundle verification
(offline, with only a party's entries) applies `entry_problem`, the part that needs no ledger state.

The rules, in order (the first that fails gives the stable code, ledger/errors.py):
  1. the signature under the key the statement names (`check_signature`; the append checks it before
     taking the write lock, verify in its cryptographic pass)
  2. the kind's client rule (a pseudonym required, forbidden or optional)
  3. the key: registered for the author by an earlier entry, not ended, valid at received_at
  4. the references: earlier entries, of the kinds the table allows, with the hashes they claim
  5. the entitlement: the author may write this kind with this payload (the rule set's table)
  6. a key entry applies to the key registry as it stands (no double registration ...)
  7. the business rules of the kind in force at received_at (`BUSINESS_RULES`): the dispute workflow
     (ledger/disputes.py), the basis, product and tariff of a cost line (ledger/costline_basis.py),
     notices and acknowledgements (ledger/notices.py), the parties (ledger/parties.py), keys
     (ledger/registry.py), seals (ledger/seals.py), no personal data in any field (ledger/privacy.py), no
     clear location of a SAFETY_CONFIDENTIAL client (ledger/confidential_locations.py), placement records
     and the cost lines booked from them (ledger/placements.py)

Rule sets are dated data (ledger/data/admission.toml): `ruleset_at(received_at)`.
Pure: no I/O and no clock; the ledger state an entry is judged against is passed in (`LedgerState`:
keys, cases, seals, acknowledgements, reversals) with `lookup(seq)`, the earlier entries it refers to.
"""
from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .costline_basis import cost_line_problem, reversal_problem, tariff_acceptance_problem
from .crypto import verify_signature
from .disputes import CaseState, Parties, apply_event, dispute_event_problem, event_date
from .entitlements import KindRule, RefInfo, entitled, load_entitlements
from .entries import KEY_KINDS, PAYLOADS, Statement
from .errors import (
    ALREADY_REVERSED,
    KEY_BACKDATED,
    KEY_NOT_VALID,
    NOT_ENTITLED,
    PAYLOAD_INVALID,
    REFERENCE_INVALID,
    SIGNATURE_INVALID,
    STATEMENT_INVALID,
    LedgerError,
)
from .determination_replay import FAMILY as REPLAY_FAMILY
from .determination_replay import Replayer, unchanged_problem
from .notices import (NOTICES, acknowledgement_problem, answer_problem, handover_answer_problem, legal_basis_problem,
                      notice_problem, outflow_episode_problem, referred_client_problem)
from .parties import paying_party_problem, unknown_party_problem
from .confidential_locations import DETERMINATION_KINDS, FLAG, location_problem
from .placements import cost_line_placement_problem, placement_problem
from .privacy import personal_data_problem
from .registry import KeyRegistry
from .seals import line_quarter, seal_problem, seal_quarter

Lookup = Callable[[int], RefInfo | None]
ZONE = ZoneInfo("Europe/Amsterdam")
#: kinds whose entries change the LedgerState (the store reads them again when another process appended)
STATE_KINDS = KEY_KINDS | {"dispute_event", "settlement_seal", "acknowledgement", "reversal", "tariff_acceptance",
                           "placement_notice", "determination", "redetermination", "placement", "handover_answer"}


def local_date(ts: datetime) -> date:
    """The Dutch calendar date of an aware timestamp (deadlines and event dates count in it)."""
    return ts.astimezone(ZONE).date()


# ---------------------------------------------------------------------------------------------
# Rule sets
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per rule set
class RuleSet:
    """The admission rules in force from `effective_from` (ledger/data/admission.toml)."""

    version: str
    effective_from: datetime
    rules: frozenset[str]  # the business-rule families in force
    entitlements: dict[str, KindRule]
    legal_bases: frozenset[str] = frozenset()
    notice_years_back: int = 5
    notice_days_ahead: int = 366
    acknowledgement_working_days: int = 5
    max_backdate: timedelta = timedelta(minutes=5)
    objection_weeks: int = 6


@lru_cache(maxsize=1)
def rulesets() -> tuple[RuleSet, ...]:
    """Every rule set, oldest first."""
    doc = tomllib.loads(resources.files("ledger").joinpath("data/admission.toml").read_text("utf-8"))
    base = load_entitlements()
    out = []
    by_version: dict[str, dict] = {}
    for rs in doc["ruleset"]:
        if "extends" in rs:  # a later set: the earlier one's tables, with rules added and tables overridden
            parent = by_version[rs["extends"]]
            rs = {**parent, **{k: v for k, v in rs.items() if k not in ("extends", "add_rules")},
                  "rules": [*parent["rules"], *rs.get("add_rules", ())]}
        by_version[rs["version"]] = rs
        table = dict(base)
        for kind, authors in rs.get("authors", {}).items():
            table[kind] = replace(base[kind], authors=tuple(authors))
        unknown = set(rs["rules"]) - set(FAMILIES)
        if unknown:
            raise ValueError(f"admission.toml: unknown rule families {sorted(unknown)}")
        notices, keys = rs.get("notices", {}), rs.get("keys", {})
        out.append(RuleSet(rs["version"], rs["effective_from"], frozenset(rs["rules"]), table,
                           frozenset(notices.get("legal_bases", ())), notices.get("years_back", 5),
                           notices.get("days_ahead", 366), notices.get("acknowledgement_working_days", 5),
                           timedelta(seconds=keys.get("max_backdate_seconds", 300)),
                           rs.get("answers", {}).get("objection_weeks", 6)))
    out.sort(key=lambda r: r.effective_from)
    return tuple(out)


def ruleset_at(received_at: datetime) -> RuleSet:
    """The rule set in force at `received_at`."""
    current = None
    for rs in rulesets():
        if rs.effective_from <= received_at:
            current = rs
    if current is None:  # pragma: no cover - the first rule set starts in 1970
        raise ValueError(f"no admission rule set in force at {received_at.isoformat()}")
    return current


# ---------------------------------------------------------------------------------------------
# The ledger state admission needs
# ---------------------------------------------------------------------------------------------
@dataclass
class LedgerState:
    """What admission needs to know of the entries before the next one, beyond those it refers to.

    `booked_quarters` None means "not read" (the store reads it only when a batch holds a seal)."""

    registry: KeyRegistry = field(default_factory=KeyRegistry)
    cases: dict[str, CaseState] = field(default_factory=dict)
    sealed: dict[str, int] = field(default_factory=dict)  # quarter -> seq of its seal
    booked_quarters: set[str] | None = field(default_factory=set)
    acknowledged: set[tuple[int, str]] = field(default_factory=set)  # (notice seq, addressee)
    reversed: set[int] = field(default_factory=set)  # seqs of reversed cost lines
    tariff_accepted: set[int] = field(default_factory=set)  # seqs of lines whose deviating tariff was accepted
    episode_start: dict[str, date] = field(default_factory=dict)  # client -> earliest N1 start_date
    confidential: set[str] = field(default_factory=set)  # clients of a SAFETY_CONFIDENTIAL determination
    # (fronting party, placement id) -> seq of the newest record of that placement (ledger/placements.py)
    placement_heads: dict[tuple[str, str], int] = field(default_factory=dict)
    handovers_answered: set[int] = field(default_factory=set)  # seqs of N5s answered (handover_answer)
    next_seq: int = 0  # entries below this seq are applied

    def copy(self) -> LedgerState:
        """A copy to apply a batch to (a case state is copied before it changes: see apply)."""
        return LedgerState(self.registry.copy(), dict(self.cases), dict(self.sealed),
                           None if self.booked_quarters is None else set(self.booked_quarters),
                           set(self.acknowledged), set(self.reversed), set(self.tariff_accepted),
                           dict(self.episode_start), set(self.confidential), dict(self.placement_heads),
                           set(self.handovers_answered),
                           self.next_seq)

    def apply(self, seq: int, received_at: datetime, st: Statement) -> None:
        """Take an admitted entry into the state."""
        kind, p = st.kind, st.payload
        if kind in KEY_KINDS:
            self.registry.apply(seq, received_at, st)
        elif kind == "dispute_event":
            payload = p.model_dump(mode="json")
            old = self.cases.get(p.dispute_id)
            if old is not None:  # never change a state an earlier copy shares
                old = replace(old, attempts=list(old.attempts), bookings=list(old.bookings),
                              conflicts=list(old.conflicts))
            parties = None
            if old is None and p.claiming and p.responding:
                parties = Parties(p.claiming, p.responding)
            self.cases[p.dispute_id] = apply_event(old, payload, event_date(payload, local_date(received_at)),
                                                   parties, seq)
        elif kind == "settlement_seal":
            self.sealed.setdefault(seal_quarter(p.model_dump(mode="json")), seq)
        elif kind == "acknowledgement":
            self.acknowledged.add((p.notice.seq, st.author))
        elif kind == "reversal":
            self.reversed.add(p.reverses.seq)
        elif kind == "tariff_acceptance":
            self.tariff_accepted.add(p.cost_line.seq)
        elif kind == "placement_notice" and st.client is not None:
            known = self.episode_start.get(st.client)
            if known is None or p.start_date < known:
                self.episode_start[st.client] = p.start_date
        elif kind in DETERMINATION_KINDS and st.client is not None and FLAG in p.flags:
            self.confidential.add(st.client)
        elif kind == "placement":
            self.placement_heads[(st.author, p.placement_id)] = seq
        elif kind == "handover_answer":
            self.handovers_answered.add(p.request.seq)
        if kind in ("cost_line", "reversal") and self.booked_quarters is not None:
            q = line_quarter({"booking_quarter": p.booking_quarter,
                              "period_from": getattr(p, "period_from", None)})
            if q:
                self.booked_quarters.add(q)
        self.next_seq = max(self.next_seq, seq + 1)


# ---------------------------------------------------------------------------------------------
# Rules 1-6: the entry itself
# ---------------------------------------------------------------------------------------------
def client_problem(kind: str, client_rule: str, client: str | None) -> LedgerError | None:
    """The kind's client rule (entitlements.toml: required, forbidden or optional)."""
    if client_rule == "required" and client is None:
        return LedgerError(STATEMENT_INVALID, f"a {kind} names a client pseudonym")
    if client_rule == "forbidden" and client is not None:
        return LedgerError(STATEMENT_INVALID, f"a {kind} names no client")
    return None


def signing_key(st: Statement, registry: KeyRegistry, seq: int) -> bytes | None:
    """The public key the statement claims, from the registry or (genesis) its own payload."""
    pk = registry.public_key(st.key_id)
    if pk is None and registry.is_genesis(st, seq):
        pk = bytes.fromhex(st.payload.public_key)
    return pk


def check_signature(st: Statement, signature: bytes, registry: KeyRegistry, seq: int) -> LedgerError | None:
    """Rule 1: Ed25519 over the exact statement bytes, under the key the statement names."""
    pk = signing_key(st, registry, seq)
    if pk is None:
        return LedgerError(KEY_NOT_VALID, f"key {st.key_id[:16]} is not registered")
    if not verify_signature(pk, signature, st.raw):
        return LedgerError(SIGNATURE_INVALID, f"signature does not verify under key {st.key_id[:16]}")
    return None


def check_key_valid(st: Statement, seq: int, received_at: datetime, registry: KeyRegistry) -> LedgerError | None:
    """Rule 3."""
    if registry.is_genesis(st, seq):
        p = st.payload
        if received_at < p.valid_from or (p.valid_until is not None and received_at >= p.valid_until):
            return LedgerError(KEY_NOT_VALID, "the genesis operator key is not valid at received_at")
        return None
    why = registry.key_problem(st.key_id, st.author, seq, received_at)
    return LedgerError(KEY_NOT_VALID, why) if why else None


def resolve_refs(st: Statement, seq: int, rule: KindRule, lookup: Lookup
                 ) -> tuple[dict[str, RefInfo], LedgerError | None]:
    """Rule 4: every reference field to an earlier entry of an allowed kind with the claimed hash."""
    found: dict[str, RefInfo] = {}
    for name, ref in st.payload.refs().items():
        info = lookup(ref.seq) if ref.seq < seq else None
        if info is None:
            return found, LedgerError(REFERENCE_INVALID, f"{name}: no earlier entry {ref.seq}")
        if info.entry_hash.hex() != ref.entry_hash:
            return found, LedgerError(REFERENCE_INVALID, f"{name}: entry {ref.seq} has another hash")
        allowed = rule.refs.get(name)
        if allowed is not None and info.kind not in allowed:
            return found, LedgerError(REFERENCE_INVALID, f"{name}: entry {ref.seq} is a {info.kind}, "
                                                        f"expected {' or '.join(allowed)}")
        found[name] = info
    return found, None


def entry_problem(st: Statement, seq: int, received_at: datetime, registry: KeyRegistry, lookup: Lookup,
                  ruleset: RuleSet | None = None, key_semantics: bool = True
                  ) -> tuple[dict[str, RefInfo], LedgerError | None]:
    """Rules 2-6 (everything about the entry itself but its signature): the resolved references and
    the first problem, or None."""
    rs = ruleset or ruleset_at(received_at)
    kind = st.kind
    rule = rs.entitlements[kind]
    err = client_problem(kind, rule.client, st.client) or check_key_valid(st, seq, received_at, registry)
    if err:
        return {}, err
    refs, err = resolve_refs(st, seq, rule, lookup)
    if err:
        return refs, err
    if not entitled(rule, st.author, st.payload, refs.get):
        return refs, LedgerError(NOT_ENTITLED, f"{st.author} may not author a {kind}")
    if key_semantics and kind in KEY_KINDS:
        why = registry.entry_problem(st)
        if why:
            return refs, LedgerError(PAYLOAD_INVALID, why)
    return refs, None


# ---------------------------------------------------------------------------------------------
# Rule 7: the business rules, per kind
# ---------------------------------------------------------------------------------------------
class Candidate(NamedTuple):
    """An entry as a business rule sees it: the statement, where and when it would stand, the
    entries it refers to (resolved), the ledger state before it, and the rule set in force."""

    st: Statement
    seq: int
    received_at: datetime
    received_on: date  # the Dutch date of received_at
    refs: dict[str, RefInfo]
    state: LedgerState
    lookup: Lookup
    ruleset: RuleSet
    replayer: Replayer | None = None  # None: the deposits cannot be read here (no KEK); the replay is not run


def determination_parties(c: Candidate) -> LedgerError | None:
    """A determination's addressee and cost bearer exist on its reference date and may pay."""
    p = c.st.payload
    for name, party in (("addressee", p.addressee), ("outcome.cost_bearer", p.outcome.cost_bearer)):
        err = paying_party_problem(name, party) or unknown_party_problem(name, party, p.reference_date)
        if err:
            return err
    return None


def key_registration_rule(c: Candidate) -> LedgerError | None:
    """No key is valid from before its registration is received (beyond the allowed clock skew)."""
    p = c.st.payload
    if p.valid_from < c.received_at - c.ruleset.max_backdate:
        return LedgerError(KEY_BACKDATED, f"valid_from {p.valid_from.isoformat()} is before the registration is "
                                          f"received ({c.received_at.isoformat()})")
    return None


def dispute_event_rule(c: Candidate) -> LedgerError | None:
    """The workflow (ledger/disputes.py) from the case's current state."""
    p = c.st.payload
    subject = c.refs.get("determination") or c.refs.get("cost_line")
    return dispute_event_problem(c.st.author, p.model_dump(mode="json"), subject, c.state.cases.get(p.dispute_id),
                                 c.received_on, c.lookup, c.st.client)


def cost_line_rule(c: Candidate) -> LedgerError | None:
    """The basis, product and tariff of a cost line (ledger/costline_basis.py)."""
    return cost_line_problem(c.st.author, c.st.payload, c.st.client, c.refs, c.state.cases, c.st.idempotency_key)


def tariff_acceptance_rule(c: Candidate) -> LedgerError | None:
    """The cost bearer accepts a standing deviating tariff once (ledger/costline_basis.py)."""
    return tariff_acceptance_problem(c.st.payload, c.st.client, c.refs["cost_line"], c.state.tariff_accepted,
                                     c.state.reversed)


def reversal_rule(c: Candidate) -> LedgerError | None:
    """A cost line is reversed once, by its author or by the operator for a decision."""
    if c.st.payload.reverses.seq in c.state.reversed:
        return LedgerError(ALREADY_REVERSED, f"cost line {c.st.payload.reverses.seq} was reversed before")
    return reversal_problem(c.st.author, c.st.client, c.refs, c.state.cases)


def placement_rule(c: Candidate) -> LedgerError | None:
    """What a placement record rests on, and its chain per placement (ledger/placements.py)."""
    return placement_problem(c.st.author, c.st.payload, c.st.client, c.refs, c.state.placement_heads)


def cost_line_placement_rule(c: Candidate) -> LedgerError | None:
    """A cost line agrees with the placement record it names (ledger/placements.py)."""
    return cost_line_placement_problem(c.st.payload, c.st.client, c.refs.get("placement"))


def notice_rule(c: Candidate) -> LedgerError | None:
    """N1, N2, N5 (ledger/notices.py)."""
    return notice_problem(c.st.kind, c.st.payload, c.received_on, c.ruleset)


def legal_basis_rule(c: Candidate) -> LedgerError | None:
    """N3, N4, N8: the legal basis, when named, is of the dated list (ledger/notices.py)."""
    return legal_basis_problem(c.st.payload, c.ruleset)


def outflow_episode_rule(c: Candidate) -> LedgerError | None:
    """N2 not before the client's episode began (ledger/notices.py)."""
    return outflow_episode_problem(c.st.payload.end_date, c.state.episode_start.get(c.st.client))


def referred_client_rule(c: Candidate) -> LedgerError | None:
    """N4, N8: the determination accepted, objected to or re-determined is of the same client
    (ledger/notices.py)."""
    return referred_client_problem(c.st.client, c.refs)


def acknowledgement_rule(c: Candidate) -> LedgerError | None:
    """By an addressee of the notice, for its client, once (ledger/notices.py)."""
    return acknowledgement_problem(c.st.author, c.st.client, c.refs["notice"], c.state.acknowledged)


def seal_rule(c: Candidate) -> LedgerError | None:
    """Quarters are sealed once and in order (ledger/seals.py); no seal gives the committee or the
    operator a balance or makes it a creditor or debtor."""
    p = c.st.payload
    for balance in p.balances:
        err = paying_party_problem("balances.party", balance.party)
        if err:
            return err
    for pair in p.pairs:
        err = paying_party_problem("pairs.creditor", pair.creditor) or paying_party_problem("pairs.debtor", pair.debtor)
        if err:
            return err
    booked = c.state.booked_quarters if c.state.booked_quarters is not None else set()
    return seal_problem(p.model_dump(mode="json"), c.state.sealed, booked)


def privacy_rule(c: Candidate) -> LedgerError | None:
    """No personal data in any field: a BSN, an e-mail address, a postcode with house number
    (ledger/privacy.py; one regex over the statement bytes, the fields walked only on a hit)."""
    return personal_data_problem(c.st.raw)


def confidential_location_rule(c: Candidate) -> LedgerError | None:
    """No clear location in an N1 or cost line of a client of a SAFETY_CONFIDENTIAL determination
    (ledger/confidential_locations.py)."""
    return location_problem(c.st.kind, c.st.payload, c.st.client in c.state.confidential)


def determination_replay_rule(c: Candidate) -> LedgerError | None:
    """N3, N8: the rules engine replayed on the deposited facts gives what the entry claims
    (ledger/determination_replay.py); not run where the deposits cannot be read (c.replayer None)."""
    if c.replayer is None:
        return None
    return c.replayer.problem(c.st.client, c.st.payload.model_dump(mode="json"), c.lookup)


def redetermination_changed_rule(c: Candidate) -> LedgerError | None:
    """N8: the outcome differs from the determination it replaces (ledger/determination_replay.py)."""
    return unchanged_problem(c.st.payload.model_dump(mode="json"), c.refs["previous"])


def answer_rule(c: Candidate) -> LedgerError | None:
    """N4: by the determination's objection deadline (ledger/notices.py)."""
    return answer_problem(c.received_on, c.refs["determination"], c.ruleset.objection_weeks)


def handover_answer_rule(c: Candidate) -> LedgerError | None:
    """An N5 answered once, for its client, a yes with its date (ledger/notices.py)."""
    return handover_answer_problem(c.st.client, c.refs["request"], c.st.payload, c.state.handovers_answered)


#: family -> kind -> the rules of that family for that kind, in the order they run
FAMILIES: dict[str, dict[str, tuple[Callable[[Candidate], LedgerError | None], ...]]] = {
    "privacy": {kind: (privacy_rule,) for kind in PAYLOADS},  # first: a refusal never hides personal data
    "parties": {"determination": (determination_parties,), "redetermination": (determination_parties,)},
    "keys": {"key_registration": (key_registration_rule,)},
    "disputes": {"dispute_event": (dispute_event_rule,)},
    "cost_lines": {"cost_line": (cost_line_rule,), "reversal": (reversal_rule,),
                   "tariff_acceptance": (tariff_acceptance_rule,)},
    "notices": {**{kind: (notice_rule,) for kind in NOTICES},
                "determination": (legal_basis_rule,),
                **{kind: (referred_client_rule, legal_basis_rule) for kind in ("redetermination", "acceptance",
                                                                               "objection")}},
    "episodes": {"outflow_notice": (outflow_episode_rule,)},
    "acknowledgements": {"acknowledgement": (acknowledgement_rule,)},
    "seals": {"settlement_seal": (seal_rule,)},
    "confidential_locations": {"placement_notice": (confidential_location_rule,),
                               "cost_line": (confidential_location_rule,),
                               "placement": (confidential_location_rule,)},
    "placements": {"placement": (placement_rule,), "cost_line": (cost_line_placement_rule,)},
    REPLAY_FAMILY: {"determination": (determination_replay_rule,),
                    "redetermination": (redetermination_changed_rule, determination_replay_rule)},
    "determination_answers": {"acceptance": (answer_rule,), "objection": (answer_rule,)},
    "handover_answers": {"handover_answer": (handover_answer_rule, legal_basis_rule)},
}


@lru_cache(maxsize=16)
def replay_not_run(st: Statement, received_at: datetime, replayer: Replayer | None) -> bool:
    """True when the replay of a determination is in force for this entry but cannot be run (no deposits)."""
    return (replayer is None and st.kind in DETERMINATION_KINDS
            and REPLAY_FAMILY in ruleset_at(received_at).rules)


def business_rules(ruleset: RuleSet) -> dict[str, tuple[Callable[[Candidate], LedgerError | None], ...]]:
    """kind -> the business rules in force under `ruleset`, in the order of FAMILIES."""
    out: dict[str, tuple] = {}
    for family, by_kind in FAMILIES.items():
        if family in ruleset.rules:
            for kind, rules in by_kind.items():
                out[kind] = out.get(kind, ()) + rules
    return out


def admit(st: Statement, seq: int, received_at: datetime, state: LedgerState, lookup: Lookup,
          replayer: Replayer | None = None) -> tuple[dict[str, RefInfo], LedgerError | None]:
    """Rules 2-7 for the entry at `seq` received at `received_at` (its signature is checked apart):
    the resolved references and None when it is admitted, else the refusal. `replayer` reads the deposits
    of determinations (ledger/determination_replay.py); without it that rule is not run."""
    rs = ruleset_at(received_at)
    refs, err = entry_problem(st, seq, received_at, state.registry, lookup, rs)
    if err:
        return refs, err
    rules = business_rules(rs).get(st.kind)
    if rules:
        c = Candidate(st, seq, received_at, local_date(received_at), refs, state, lookup, rs, replayer)
        for rule in rules:
            err = rule(c)
            if err:
                return refs, err
    return refs, None
