"""Who pays for a beschermd wonen client: the determination (rules R0-R15, spec section 8).

``determine(facts, context)`` is a pure function. It prepares the facts (spec 8.2 step 1,
``prepared.py``), runs the provisions in the order of spec 8.2 under the default reading
(``orchestrator.run_rules``; each provision is a module of ``rules/provisions/``) and, for every flag
that opens the outcome (kind O, the table of flags ``flags.py``), runs the rules again under that
flag's alternative readings (``readings.py``), each distinct reading once. The flag is raised only
when an alternative changes the outcome (cost bearer, budget, class, legal college), and it carries
that alternative outcome. The result is provisional iff an O flag is raised that the meldregio's
configuration does not settle (8.7).

Nothing here reads the clock, the environment, files or a database. The trail (``trail.py``) is
recorded as ``TrailRecord``s and its Dutch texts are made when it is read; the input digest is
``input_digest.py``'s.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import NamedTuple

from . import date_incomplete
from .canonical import canonical_json, sha256_canonical
from .context import Context
from .facts import CaseFacts
from .findings import FactsError, Outcome, Raised
from .flags import FLAG, OPEN_WITHOUT_ALTERNATIVE
from .input_digest import input_digest as _input_digest
from .orchestrator import Run, run_rules
from .prepared import PreparedFacts, prepare
from .provisions import r00_regime
from .provisions.r05_woonplaats import Inapplicable
from .readings import DEFAULT, FLAG_READINGS, Readings
from .trail import Trail, TrailRecord, flags_text

__all__ = ["CLASSES", "DEFAULT", "ENTRY_KINDS", "FLAG_READINGS", "RULESET_VERSION", "Determination", "FactsError",
           "Flag", "Outcome", "Readings", "canonical_json", "determine", "input_digest", "sha256_canonical"]

RULESET_VERSION = "bwledger-rules/1.0.0 (woonplaatsbeginsel.md 2026-11-23, section 8)"

CLASSES = ("NEW", "RE_ENTRY", "NOT_NEW", "EXISTING_HISTORICAL")
ENTRY_KINDS = ("intra_regional", "inter_regional", "none")


class Flag(NamedTuple):
    """A flag of spec 8.7 with the alternative outcomes its reading gives."""

    name: str
    kind: str  # "O" or "I", from the table of flags (flags.py)
    note: str
    alternatives: tuple[Outcome, ...] = ()  # empty for an O flag: not computable from the facts

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "note": self.note,
                "alternatives": [a.as_dict() for a in self.alternatives]}


@dataclass(frozen=True, slots=True)
class Determination:
    """The outcome of R0-R14 for one case: an immutable value; ``_replace`` makes a changed copy.

    The trail makes its Dutch texts when it is first read (``trail.py``). A batch driver that keeps
    many determinations may pause the cyclic garbage collector around the batch (as
    ``ledger.store.append_batch`` does); the engine's types are not shaped around the collector."""

    case_id: str
    outcome: Outcome
    new_client: bool | None
    entry: str | None  # None: no placement given, so no entry asserted
    flags: tuple[Flag, ...]
    provisional: bool
    trail: Trail
    regime: str
    meldregio: str | None
    woonplaats: str | None  # the financial woonplaats (R5/R7/R8)
    ruleset_version: str
    context_digest: str
    input_digest: str
    previous: str | None = None  # digest of the determination this one replaces (R15)
    trigger: str | None = None
    changes: tuple[tuple[str, object, object], ...] = ()

    def _replace(self, **changes) -> Determination:
        unknown = set(changes) - {f.name for f in fields(Determination)}
        if unknown:
            raise ValueError(f"not a field of Determination: {', '.join(sorted(unknown))}")
        return replace(self, **changes)

    @property
    def cost_bearer(self) -> str | None:
        return self.outcome.cost_bearer

    @property
    def budget(self) -> str | None:
        return self.outcome.budget

    @property
    def klass(self) -> str | None:
        return self.outcome.klass

    @property
    def legal_college(self) -> str | None:
        return self.outcome.legal_college

    def flag(self, name: str) -> Flag | None:
        return next((f for f in self.flags if f.name == name), None)

    @property
    def flag_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.flags)

    def to_dict(self) -> dict:
        return {
            "case_id": self.case_id,
            **self.outcome.as_dict(),
            "new_client": self.new_client,
            "entry": self.entry,
            "flags": [f.as_dict() for f in self.flags],
            "provisional": self.provisional,
            "regime": self.regime,
            "meldregio": self.meldregio,
            "woonplaats": self.woonplaats,
            "trail": [s.as_dict() for s in self.trail],
            "ruleset_version": self.ruleset_version,
            "context_digest": self.context_digest,
            "input_digest": self.input_digest,
            "previous": self.previous,
            "trigger": self.trigger,
            "changes": [{"field": f, "old": o, "new": n} for f, o, n in self.changes],
        }

    @property
    def digest(self) -> str:
        return sha256_canonical(self.to_dict())


def input_digest(facts: CaseFacts, ctx: Context) -> str:
    """SHA-256 over the canonical JSON of the sorted facts (the case id left out) plus the
    context digest (spec 8.9, ``input_digest.py``): reordering facts never changes it."""
    return _input_digest(facts, ctx.digest)


class _Raised(NamedTuple):
    """A flag as the main run raised it, over all the places that raise it: the first note, every
    reading it stands for, or an outcome given as it is (8.6)."""

    note: str
    readings: tuple[Readings, ...]
    alternative: Outcome | None


def _gather(raised: tuple[Raised, ...]) -> dict[str, _Raised]:
    out: dict[str, _Raised] = {}
    for r in raised:
        before = out.get(r.name)
        if r.alternative is not None or before is None:
            out[r.name] = _Raised(r.note, r.readings, r.alternative)
        else:
            out[r.name] = before._replace(readings=before.readings + r.readings)
    return out


def _alternative_outcome(case: PreparedFacts, reading: Readings) -> Outcome | None:
    """The outcome under an alternative reading; None when the facts give none (``Inapplicable``)."""
    try:
        return run_rules(case, reading).outcome
    except Inapplicable:
        return None


def _flags(case: PreparedFacts, main: Run) -> list[Flag]:
    """Spec 8.7: the O flags whose alternative changes the outcome (or that stay open without one),
    and the I flags; each distinct alternative reading is run once."""
    outcomes: dict[Readings, Outcome | None] = {}
    flags = []
    for name, raised in _gather(main.flags).items():
        kind = FLAG[name].kind
        if kind == "I":
            flags.append(Flag(name, kind, raised.note))
            continue
        found, computable = [], False
        for reading in raised.readings:
            if reading not in outcomes:
                outcomes[reading] = _alternative_outcome(case, reading)
            outcome = outcomes[reading]
            if outcome is None:
                continue
            computable = True
            if outcome != main.outcome and outcome not in found:
                found.append(outcome)
        if raised.alternative is not None:
            found = [raised.alternative]
        if found:
            flags.append(Flag(name, kind, raised.note, tuple(found)))
        elif name in OPEN_WITHOUT_ALTERNATIVE and not computable:
            flags.append(Flag(name, kind, raised.note + " (geen alternatief uit de feiten af te leiden)"))
    if date_incomplete.has_incomplete(case.facts):  # 8.12: the latest reading of incomplete BRP dates
        late = run_rules(prepare(date_incomplete.latest_reading(case.facts), case.ctx), DEFAULT).outcome
        if late != main.outcome:
            flags.append(Flag("DATE_INCOMPLETE", FLAG["DATE_INCOMPLETE"].kind,
                              "onvolledige BRP-datum, gelezen op de vroegste dag: "
                              + ", ".join(date_incomplete.incomplete_texts(case.facts))
                              + "; het alternatief leest de laatste dag", (late,)))
    return sorted(flags, key=lambda f: f.name)


def determine(facts: CaseFacts, ctx: Context) -> Determination:
    """Apply R0-R14 to validated facts; see the module docstring."""
    case = prepare(facts, ctx)
    digest = input_digest(facts, ctx)
    regime = "B" if case.regime_b else "A"
    if case.meldregio is None:  # 8.2 step 2 (R0, 8.6): the meldgemeente has no region on M
        raised, record = r00_regime.meldregio_unknown(case.meldgemeente, case.m)
        flag = Flag(raised.name, FLAG[raised.name].kind, raised.note)
        legal = case.meldgemeente if not case.regime_b else None
        return Determination(facts.id, Outcome(None, None, None, legal), None,
                             "none" if facts.placement is not None else None, (flag,), True,
                             Trail((record,)), regime, None, None, RULESET_VERSION, ctx.digest, digest)
    main = run_rules(case, DEFAULT)
    flags = _flags(case, main)
    trail = list(main.trail)
    provisional = False
    if flags:  # step 13, 8.7: provisional
        settled = case.meldregio.settled_flags
        provisional = any(f.kind == "O" and f.name not in settled for f in flags)
        trail.append(TrailRecord("8.7", flags_text, (provisional, *[f.name for f in flags])))
    return Determination(facts.id, main.outcome, main.new_client, main.entry, tuple(flags), provisional,
                         Trail(tuple(trail)), regime, case.meldregio.id, main.woonplaats.gemeente,
                         RULESET_VERSION, ctx.digest, digest)
