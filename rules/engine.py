"""Who pays for a beschermd wonen client: the determination (rules R0-R15, spec section 8).

``determine(facts, context)`` is a pure function. It applies the rules in the order of spec 8.2,
raises the flags of spec 8.7 and, for every flag that opens the outcome (kind O), re-runs the rules
under that flag's alternative reading; the flag is raised only when the alternative changes the
outcome (cost bearer, budget, class, legal college), and it carries that alternative outcome. The
result is provisional iff an O flag is raised that the meldregio's configuration does not settle.

Nothing here reads the clock, the environment, files or a database.

The rules of one run are split in two: ``_upstream`` (the woonplaats walk of ``woonplaats.py``, R6,
the statutory college, the T0 boundary and existing clients) and ``_downstream`` (R11 of
``provisions/r11_new_client.py``, the class and cost bearer, R1, 8.6, R14). An alternative
reading re-runs only what it can change: readings that touch neither the woonplaats nor anything
before R11 share the main run's upstream, and each distinct reading runs once per case. The trail (``trail.py``) is recorded as ``TrailRecord``s and
its Dutch texts are made when it is read; the input digest is ``input_digest.py``'s.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from operator import attrgetter, itemgetter
from typing import NamedTuple

from .canonical import canonical_json, sha256_canonical  # noqa: F401  (part of this module's interface)
from .context import Context, Parameters, RegionVersion
from .dates import (
    days_inclusive,
    eighteenth_birthday,
    minus_one_year,
    r6_alternative_last_day,
    r6_period,
)
from .facts import (
    Address,
    Application,
    Budget,
    CaseFacts,
    Episode,
    Placement,
    Product,
    Stay,
)
from . import date_incomplete
from .flags import FLAG, FLAGS, OPEN_WITHOUT_ALTERNATIVE, Changes
from .input_digest import input_digest as _input_digest
from .provisions import r11_new_client as r11
from .trail import R0_A, R0_B, Trail, TrailRecord
from .woonplaats import Inapplicable, Woonplaats, last_ordinary_woonadres, woonplaats_on

RULESET_VERSION = "bwledger-rules/1.0.0 (woonplaatsbeginsel.md 2026-11-23, section 8)"

CLASSES = ("NEW", "RE_ENTRY", "NOT_NEW", "EXISTING_HISTORICAL")
ENTRY_KINDS = ("intra_regional", "inter_regional", "none")


class FactsError(ValueError):
    """Facts that the rules cannot accept, with the case and field at fault."""

    code = "FACTS_INVALID"

    def __init__(self, case_id: str, field_: str, message: str):
        super().__init__(f"case {case_id}: {field_}: {message}")
        self.case_id, self.field, self.message = case_id, field_, message


class Outcome(NamedTuple):
    cost_bearer: str | None
    budget: str | None
    klass: str | None
    legal_college: str | None

    def as_dict(self) -> dict:
        return {"cost_bearer": self.cost_bearer, "budget": self.budget, "class": self.klass,
                "legal_college": self.legal_college}


_NO_OUTCOME = Outcome(None, None, None, None)


def _outcome(ctx: Context, values: tuple) -> Outcome:
    """The one Outcome with these values for the context (few distinct outcomes exist). Shared
    values keep the determinations of a batch from holding an Outcome each."""
    known = ctx.memo.get("outcomes")
    if known is None:
        known = ctx.memo["outcomes"] = {}
    o = known.get(values)
    if o is None:
        o = known.setdefault(values, Outcome(*values))
    return o


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
        unknown = set(changes) - set(_FIELDS)
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
        for f in self.flags:
            if f.name == name:
                return f
        return None

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


#: the fields of a Determination, in the order of its constructor
_FIELDS = tuple(f.name for f in fields(Determination))


_FIRST = itemgetter(0)
_FROM = attrgetter("from_")


# -- readings: the default and every alternative a flag stands for ---------------------------------
class _Key:
    """A cache key that hashes by identity: one per distinct tuple of reading values (``_key``).
    A tuple does not keep its hash, so a per-case cache keyed by a twelve-value tuple hashed it on
    every look-up."""

    __slots__ = ()


_KEYS: dict[tuple, _Key] = {}


def _key(values: tuple) -> _Key:
    # setdefault is atomic for a tuple of strings and booleans: threads get the same key
    return _KEYS.setdefault(values, _Key())


_DEFAULT_UP_VALUES = (False, False, False, False, "meldgemeente", False,
                      False, False, False, False, False, False, False)
_DEFAULT_UP_KEY = _key(_DEFAULT_UP_VALUES)


@dataclass(frozen=True, slots=True)
class Readings:
    # R11's readings (what r11_new_client.R11Reading reads)
    window: str = "default"  # "m364" (BOUNDARY_365) | "calendar" (LEAP_YEAR_WINDOW)
    ignore_rejected: bool = False
    meldingen_count: bool = False
    out_of_region_aanvragen: bool = False
    use_scope_both: bool = False
    use_no_window: bool = False
    ambulant_counts: bool = False
    r11_region: str | None = None  # run R11 in this region instead of the meldregio (r11.tested_region)
    # the readings of the woonplaats walk, R6, 8.3, 8.4 and R1
    skip_existing: bool = False  # TRANSFER_EXISTING: the host region's own determination
    t0_home: bool = False
    t0_straddle_alt: bool = False
    wp_on_intake_date: bool = False
    skip_onderzoek: bool = False
    r8_mode: str = "meldgemeente"  # "briefadres" | "last_woonadres"
    literal_briefadres: bool = False
    chain_through_interim: bool = False
    unknown_code_as_r8: bool = False  # REGION_UNKNOWN (8.12): a gemeentecode 0000 period read as R8 reads it
    undesignate_assumed: bool = False
    r6_not_mandator: bool = False
    r6_one_day_shorter: bool = False
    ignore_short_episode: bool = False
    other_clock: bool = False
    pay_cross_region_candidate: bool = False
    eligibility_settled: bool = False
    #: the readings the woonplaats walk depends on, and those the part of a run before R11 depends
    #: on (``_upstream``): the keys under which a case shares those results between readings
    wp_key: _Key | None = field(init=False, compare=False, repr=False, default=None)
    up_key: _Key | None = field(init=False, compare=False, repr=False, default=None)
    #: a reading of R11 or 8.4 only (it shares the main run's upstream; see _alt_outcome)
    downstream_only: bool = field(init=False, compare=False, repr=False, default=False)

    def __post_init__(self):
        wp = (self.undesignate_assumed, self.literal_briefadres, self.chain_through_interim, self.skip_onderzoek,
              self.r8_mode, self.unknown_code_as_r8)
        up = wp + (self.wp_on_intake_date, self.ignore_short_episode, self.r6_not_mandator, self.r6_one_day_shorter,
                   self.t0_home, self.t0_straddle_alt, self.skip_existing)
        object.__setattr__(self, "wp_key", _key(wp))
        object.__setattr__(self, "up_key", _key(up))
        object.__setattr__(self, "downstream_only", up == _DEFAULT_UP_VALUES and not self.eligibility_settled)


DEFAULT = Readings()
assert DEFAULT.up_key is _DEFAULT_UP_KEY


def _alt(rd: Readings, **changes) -> Readings:
    """An alternative reading. Flags raise candidates in the main run only, so ``rd`` is DEFAULT
    there and the fixed alternatives below are shared module constants (immutable values)."""
    return replace(rd, **changes)


def _region_reading(ctx: Context, region_id: str, skip_existing: bool = False) -> Readings:
    """The reading "R11 in this region" (MELDREGIO_NE_HOMEREGIO, NOT_REGIONAL_INHABITANT, and with
    ``skip_existing`` TRANSFER_EXISTING), made once per context and region."""
    key = ("r11_region", region_id, skip_existing)
    rd = ctx.memo.get(key)
    if rd is None:
        rd = ctx.memo[key] = Readings(r11_region=region_id, skip_existing=skip_existing)
    return rd


_TABLE_READINGS: dict[Changes, Readings] = {}


def _table_reading(changes: Changes) -> Readings:
    """One of the fixed alternative readings of the table of flags (``flags.py``), one object per
    distinct reading, so that flags standing for the same reading share its run."""
    rd = _TABLE_READINGS.get(changes)
    if rd is None:
        rd = _TABLE_READINGS[changes] = _alt(DEFAULT, **dict(changes))
    return rd


#: flag name -> its fixed alternative readings, from the table of flags
FLAG_READINGS = {f.name: tuple(_table_reading(c) for c in f.readings) for f in FLAGS}


def _flag_reading(name: str, **which: object) -> Readings:
    """The flag's alternative reading in the table: its only one, or the one with the changes ``which``."""
    readings = FLAG_READINGS[name]
    if which:
        readings = tuple(rd for rd in readings if all(getattr(rd, k) == v for k, v in which.items()))
    if len(readings) != 1:
        raise LookupError(f"the table of flags has no single reading {which or ''} for {name}")
    return readings[0]


ALT_INTAKE = _flag_reading("ADDRESS_CHANGED_DURING_INTAKE")
ALT_12M_SHORTER = _flag_reading("BOUNDARY_12M")
ALT_NOT_MANDATOR = _flag_reading("MANDATE_PROVIDER")
ALT_IGNORE_SHORT = _flag_reading("SHORT_LAST_EPISODE")
ALT_T0_HOME = _flag_reading("T0_MISMATCH")
ALT_T0_STRADDLE = _flag_reading("T0_STRADDLE")
ALT_OTHER_CLOCK = _flag_reading("CLOCK_DIVERGENCE")  # also CROSS_REGION_LAST_PROVIDER's first
ALT_PAY_CANDIDATE = _flag_reading("CROSS_REGION_LAST_PROVIDER", pay_cross_region_candidate=True)
ALT_ELIGIBLE = _flag_reading("ELIGIBILITY_OPEN")
ALT_SKIP_ONDERZOEK = _flag_reading("ADDRESS_IN_ONDERZOEK")
ALT_LITERAL_BRIEFADRES = _flag_reading("BRIEFADRES_DURING_STAY")
ALT_THROUGH_INTERIM = _flag_reading("SHORT_INTERIM_ADDRESS")
ALT_UNDESIGNATE = _flag_reading("DESIGNATION_ASSUMED")


# -- prepared facts: everything that does not depend on the reading ----------------------------------
@dataclass(slots=True)
class _Ep:
    """A (merged) BW episode."""

    legal_college: str
    cost_bearer: str
    location: str
    from_: date
    to: date | None
    budget: str
    mandator: str | None
    product: str
    agreed_transfer: bool
    parts: int = 1
    has_placement: bool = False

    @property
    def historical(self) -> bool:
        return self.budget == "historical"


#: enum member -> its value (``Enum.value`` is a Python-level property)
_VALUE = {**{b: b.value for b in Budget}, **{x: x.value for x in Product}}


def _ep(e: Episode) -> _Ep:
    return _Ep(e.legal_college, e.cost_bearer, e.location, e.from_, e.to, _VALUE[e.budget], e.mandator,
               _VALUE[e.product], e.agreed_transfer, 1, False)


def _merge(episodes: list[_Ep], gap: int) -> list[_Ep]:
    """R10.2 / 8.11: consecutive episodes merge; the merged one keeps the college, cost bearer and
    budget of its earliest part and takes the location of its latest part. An agreed handover
    (R10.3) starts a new episode. The given episodes are not changed (a merged one is a copy)."""
    if len(episodes) < 2:
        return list(episodes)
    out: list[_Ep] = []
    copied: list[bool] = []
    for e in sorted(episodes, key=lambda e: (e.from_, e.to or date.max)):
        if out and not e.agreed_transfer:
            last = out[-1]
            joins = last.to is not None and (e.from_ - last.to).days <= gap
            if joins or last.to is None:
                if not copied[-1]:
                    last = out[-1] = _Ep(last.legal_college, last.cost_bearer, last.location, last.from_, last.to,
                                         last.budget, last.mandator, last.product, last.agreed_transfer, last.parts,
                                         last.has_placement)
                    copied[-1] = True
                if joins:
                    last.to = None if e.to is None else max(last.to, e.to)
                    last.location = e.location
                    last.has_placement = last.has_placement or e.has_placement
                last.parts += 1  # (when not joined: an episode inside a running one)
                continue
        out.append(e)
        copied.append(False)
    return out


@dataclass(slots=True)
class _Prepared:
    facts: CaseFacts
    ctx: Context
    params: Parameters
    m: date
    meldgemeente: str
    meldregio: RegionVersion | None
    regime_b: bool
    addresses: list[Address]  # sorted by start
    stays: list[Stay]  # sorted by start
    applications: tuple[Application, ...]
    placement: Placement | None
    eligibility_open: bool
    prior: list[_Ep]  # merged BW episodes before this melding (the placement left out)
    with_placement: list[_Ep]  # merged with the placement (R10.2), for the transition tests
    bw_start: date | None
    intake_date: date | None
    intake_moves: bool  # the BRP history or a stay changes between M and the intake date
    t0m: date  # T0 of the meldregio (Context.t0_of)
    merged: bool  # R10: some episodes (or the placement) were merged
    gap: timedelta  # the chain gap tolerance
    desig: dict  # institution type -> "verified" | "assumed" (designated types only)
    wp_cache: dict = field(default_factory=dict)  # per case: woonplaats by (date, readings it depends on)
    up_cache: dict = field(default_factory=dict)  # per case: _upstream by Readings.up_key
    r11_facts: r11.R11Facts | None = None  # per case: see _r11_facts
    regions_m: dict = field(default_factory=dict)  # per case: region on M by municipality code
    entry_cache: dict = field(default_factory=dict)  # per case: R14's entry kind by cost bearer


def _prepare(facts: CaseFacts, ctx: Context) -> _Prepared:
    melding = facts.melding
    m = melding.date
    points = ctx.points
    params = points[0][1] if len(points) == 1 else ctx.params_at(m)
    gap = params.gap_tolerance_days
    pl = facts.placement
    bw_start = None
    if facts.bw_episodes:
        eps = [_ep(e) for e in facts.bw_episodes]
        prior = _merge(eps, gap)
        with_placement = prior
        if pl is not None:
            # legal_college, cost_bearer, location, from_, to, budget, mandator, product, agreed_transfer,
            # parts, has_placement
            pe = _Ep("", "", pl.location, pl.from_, None, "woonplaats", None, "intramural", False, 1, True)
            with_placement = _merge(eps + [pe], gap)
            for e in with_placement:
                if e.has_placement:
                    bw_start = e.from_
                    if not e.legal_college:  # the placement stands alone: it is not an earlier episode
                        with_placement = [x for x in with_placement if x is not e]
                    break
    else:  # no earlier episodes: the placement (if any) stands alone
        prior, with_placement = [], []
        if pl is not None:
            bw_start = pl.from_
    intake = None  # the latest of the placement's start and the aanvraag date, when after M
    d = melding.aanvraag_date
    if d is not None and d > m:
        intake = d
    if pl is not None:
        d = pl.from_
        if d > m and (intake is None or d > intake):
            intake = d
    addresses, stays = facts.addresses, facts.stays
    # whether some BRP period or stay starts or ends between M and the intake date: if none does,
    # every "covers" test of the woonplaats walk answers the same on both days
    intake_moves = False
    if intake is not None:
        for x in (*addresses, *stays):
            to = x.to
            if m < x.from_ <= intake or (to is not None and m <= to < intake):
                intake_moves = True
                break
    meldregio = ctx.region_of(melding.gemeente, m)
    merged = False  # R10: some episodes (or the placement) were merged
    if prior:
        for e in (*with_placement, *prior):
            if e.parts > 1:
                merged = True
                break
    law = params.law_in_force_from
    # positional (a call with two dozen keywords spends a good part of its time matching them)
    return _Prepared(
        facts, ctx, params, m, melding.gemeente, meldregio,
        law is not None and m >= law,  # regime_b
        sorted(addresses, key=_FROM) if len(addresses) > 1 else list(addresses),
        sorted(stays, key=_FROM) if len(stays) > 1 else list(stays),
        facts.applications, pl, facts.eligibility_open,
        prior, with_placement, bw_start, intake, intake_moves,
        meldregio.t0 if meldregio is not None and meldregio.t0 is not None else params.t0,  # Context.t0_of
        merged, params.gap_delta, params.designations, {}, {}, None, {}, {},
    )


# -- one run of the rules under one reading ------------------------------------------------------------
@dataclass(slots=True)
class _Run:
    outcome: Outcome
    new_client: bool | None
    entry: str | None
    wp: Woonplaats | None
    cands: dict = field(default_factory=dict)  # O flag -> (note, [Readings])
    info: dict = field(default_factory=dict)  # I flag -> note


_MISSING = object()


def _region_on_m(p: _Prepared, code: str | None) -> RegionVersion | None:
    """``ctx.region_of(code, M)``, remembered for the case."""
    r = p.regions_m.get(code, _MISSING)
    if r is _MISSING:
        r = p.regions_m[code] = p.ctx.region_of(code, p.m)
    return r


@dataclass(slots=True)
class _R6:
    applies: bool = False
    episode: _Ep | None = None
    party: str | None = None
    last_day: date | None = None
    short: bool = False
    boundary: bool = False


_NO_R6 = _R6()  # no episode for R6 (shared: a result is never changed once returned)


def _r6(p: _Prepared, rd: Readings) -> _R6:
    """R6 (bill 36288 art. 1.2.1a sub a): the most recent BW episode of any length, any region."""
    m = p.m
    if not p.prior:
        return _NO_R6
    cands = [e for e in p.prior if e.from_ <= m and e.product == "intramural"]
    if not cands:
        return _NO_R6
    key = lambda e: (e.to or date.max, e.from_, e.legal_college)
    cands.sort(key=key)
    e = cands[-1]
    short = e.to is not None and days_inclusive(e.from_, e.to) < p.params.short_episode_days
    if short and rd.ignore_short_episode:
        rest = cands[:-1]
        if not rest:
            return _NO_R6
        e = rest[-1]
    res = _R6(False, e, None, None, short, False)
    if e.to is None or e.to >= m:
        res.applies = True  # BW still running or ending on M: continuity
    else:
        _, last = r6_period(e.to)
        alt_last = r6_alternative_last_day(e.to)
        res.last_day = alt_last if rd.r6_one_day_shorter else last
        res.applies = m <= res.last_day
        res.boundary = (m <= last) != (m <= alt_last)
    if e.mandator and not rd.r6_not_mandator:
        res.party = e.mandator
    else:
        res.party = e.legal_college
    return res


#: the R11 flags with a fixed alternative reading (the others run R11 in another region)
_R11_READINGS = {f.name: _flag_reading(f.name) for f in FLAGS if f.section == "R11" and f.readings}


def _r11_facts(p: _Prepared) -> r11.R11Facts:
    """What R11 reads of the facts (``r11_new_client.case_facts``), worked out once per case."""
    facts = p.r11_facts
    if facts is None:
        facts = p.r11_facts = r11.case_facts(p.applications, p.prior, p.m, p.ctx)
    return facts


def _cand(run: _Run, name: str, note: str, *alts: Readings) -> None:
    if name in run.cands:
        run.cands[name][1].extend(alts)
    else:
        run.cands[name] = (note, list(alts))


@dataclass(slots=True)
class _Up:
    """What a run settles before R11: the woonplaats, the home region, R6, the statutory college,
    the T0 of the run and whether the client is an existing one (8.3)."""

    wp: Woonplaats
    home: RegionVersion | None
    r6: _R6
    legal: str | None
    t0x: date
    existing: tuple[str, str] | None  # (cost bearer, how)
    running_hist: _Ep | None


def _run(p: _Prepared, rd: Readings, trail: list) -> _Run:
    """The main run (the default reading): outcome, candidate flags and the trail."""
    run = _Run(_NO_OUTCOME, None, None, None)
    up = p.up_cache[rd.up_key] = _upstream(p, rd, run, trail)
    run.wp = up.wp
    run.outcome, run.new_client, run.entry = _downstream(p, rd, up, run, trail)
    return run


def _alt_outcome(p: _Prepared, rd: Readings, base: Outcome) -> Outcome:
    """The outcome under an alternative reading; raises ``Inapplicable`` when the facts give none.

    Only what the reading can change is worked out again. A reading of R11 or 8.4 alone shares the
    main run's upstream; it cannot change the outcome of an existing client (8.3 settles class and
    cost bearer) nor of a case without applications and BW episodes (R11 then finds no contact under
    any reading). T0_MISMATCH's reading changes only the T0 of 8.3."""
    if rd.downstream_only:
        up = p.up_cache[_DEFAULT_UP_KEY]
        if up.existing is not None or (not p.applications and not p.prior):
            return base
        return _downstream(p, rd, up, None, None)[0]
    key = rd.up_key
    up = p.up_cache.get(key)
    if up is None:
        if rd is ALT_T0_HOME:
            main = p.up_cache[_DEFAULT_UP_KEY]
            home = main.home
            t0h = (home.t0 or p.params.t0) if home is not None else p.t0m
            existing, running_hist = _existing(p, rd, main.legal, t0h, None)
            if existing == main.existing and running_hist is main.running_hist:
                return base
            up = _Up(main.wp, home, main.r6, main.legal, t0h, existing, running_hist)
        else:
            up = _upstream(p, rd, None, None)
        p.up_cache[key] = up
    return _downstream(p, rd, up, None, None)[0]


def _upstream(p: _Prepared, rd: Readings, run: _Run | None, t: list | None) -> _Up:
    m, params = p.m, p.params
    main = run is not None

    # R2/R3, R5/R7/R8 with R9: the financial woonplaats on M
    wp = woonplaats_on(p, m, rd)
    if p.intake_date is not None and (rd.wp_on_intake_date or (main and p.intake_moves)):
        wp_later = woonplaats_on(p, p.intake_date, rd)
        if wp_later.gemeente != wp.gemeente:
            if main:
                _cand(run, "ADDRESS_CHANGED_DURING_INTAKE",
                      f"woonplaats op {p.intake_date} is {wp_later.gemeente}, op de melddatum {wp.gemeente}",
                      ALT_INTAKE)
            else:
                wp = wp_later
    home = _region_on_m(p, wp.gemeente)
    if t is not None:
        t.append(TrailRecord("R3", "R3", (m, wp.cur)))
        t.append(TrailRecord(wp.via if wp.via in ("R5", "R7", "R8") else "R7", "wp",
                             (wp.via, wp.gemeente, wp.briefadres_stay, *wp.passed)))
    if main:
        _woonplaats_flags(p, wp, rd, run, p.meldregio)

    # R6 (evaluated in both regimes, spec 8.4); an alternative that reads R6 as the main run does
    # shares the main run's result
    if main or rd.ignore_short_episode or rd.r6_one_day_shorter or rd.r6_not_mandator:
        r6 = _r6(p, rd)
    else:
        r6 = p.up_cache[_DEFAULT_UP_KEY].r6
    if t is not None and r6.episode is not None:
        e = r6.episode
        t.append(TrailRecord("R6", "R6", (e.from_, e.to, e.legal_college, r6.last_day, r6.applies, p.regime_b)))

    # R0/R4/R5: the statutory college
    if p.regime_b:
        legal = r6.party if r6.applies else wp.gemeente
        if main and r6.applies:
            if r6.boundary:
                _cand(run, "BOUNDARY_12M", f"M ligt op de grens van de twaalf maanden (tot en met {r6.last_day})",
                      ALT_12M_SHORTER)
            if r6.episode.mandator:
                _cand(run, "MANDATE_PROVIDER", f"episode in mandaat: mandaatgever {r6.episode.mandator}, "
                      f"gemandateerde {r6.episode.legal_college}", ALT_NOT_MANDATOR)
            if r6.short:
                _cand(run, "SHORT_LAST_EPISODE", "de laatste BW-episode duurde korter dan "
                      f"{params.short_episode_days} dagen", ALT_IGNORE_SHORT)
    else:
        legal = p.meldgemeente
    if t is not None:
        t.append(TrailRecord("R0", None, (R0_B if p.regime_b else R0_A,)))
        t.append(TrailRecord("R5" if p.regime_b else "R4", "college", (legal, p.regime_b, r6.applies)))

    # 8.3: existing clients and the T0 boundary (R12.1, R12.3)
    t0m = p.t0m
    t0h = (home.t0 or params.t0) if home is not None else t0m  # Context.t0_of
    if main and home is not None and t0h != t0m:
        _cand(run, "T0_MISMATCH", f"T0 van de meldregio {t0m}, van de thuisregio {t0h}", ALT_T0_HOME)
    t0x = t0h if rd.t0_home else t0m
    existing, running_hist = _existing(p, rd, legal, t0x, run)
    return _Up(wp, home, r6, legal, t0x, existing, running_hist)


def _existing(p: _Prepared, rd: Readings, legal: str | None, t0x: date, run: _Run | None):
    """8.3: existing clients and the T0 boundary (R12.1, R12.3): ((cost bearer, how) or None, the
    running historical episode or None)."""
    ctx, m = p.ctx, p.m
    main = run is not None
    existing: tuple[str, str] | None = None  # (cost bearer, how)
    running_hist = None
    if not rd.skip_existing:
        for e in p.with_placement:
            if e.budget == "historical" and e.from_ <= m and (e.to is None or e.to >= m) and (e.to is None or e.to >= t0x):
                running_hist = e
        if running_hist is not None:
            if not ctx.is_centrumgemeente(running_hist.cost_bearer):
                raise FactsError(p.facts.id, "bw_episodes.cost_bearer",
                                 f"{running_hist.cost_bearer} finances a historical episode but is no centrumgemeente")
            existing = (running_hist.cost_bearer, "a")
        elif m < t0x:
            lr = ctx.region_of(legal, m)
            centrum = lr.centrumgemeente if lr is not None else None
            if p.bw_start is None:
                if main:
                    _cand(run, "T0_STRADDLE", "melding voor T0 zonder bekende BW-start", ALT_T0_STRADDLE)
                if not rd.t0_straddle_alt:
                    existing = (centrum, "b")
            elif p.bw_start < t0x:
                existing = (centrum, "b")
            else:
                if main:
                    _cand(run, "T0_STRADDLE", f"melding {m} voor T0 {t0x}, BW-start {p.bw_start} erna",
                          ALT_T0_STRADDLE)
                if rd.t0_straddle_alt:
                    existing = (centrum, "b")
    return existing, running_hist


def _downstream(p: _Prepared, rd: Readings, up: _Up, run: _Run | None, t: list | None):
    """R11, the class and cost bearer (8.4), R1, 8.6 and R14: (outcome, new client, entry)."""
    ctx, m = p.ctx, p.m
    meldregio = p.meldregio
    main = run is not None
    wp, home, r6, legal, existing = up.wp, up.home, up.r6, up.legal, up.existing

    # R11 in the meldregio (or, for an alternative, another region): rules/provisions/r11_new_client.py
    r11_region = r11.tested_region(ctx, meldregio, rd.r11_region, m)
    t0r = r11_region.t0 or p.params.t0  # Context.t0_of
    with_flags = main and rd is DEFAULT
    finding = r11.is_new_client(_r11_facts(p), r11_region, t0r, m, p.params.window_delta, rd, with_flags)
    new_client, contacts, ws = finding.value, finding.contacts, finding.window_start
    if with_flags:
        for name, note in finding.flags:
            _cand(run, name, note, _R11_READINGS[name])
    if t is not None:
        t.append(finding.record)
    if main:
        home_flags = r11.home_region_flags(ctx, meldregio, home, p.addresses, m)
        if home_flags:
            home_alt = _region_reading(ctx, home.id)
            for name, note in home_flags:
                _cand(run, name, note, home_alt)

    # 8.4: class and cost bearer
    r6_cost = None
    if r6.applies:
        e = r6.episode
        r6_cost = (e.cost_bearer, "historical") if e.historical else (r6.party, "woonplaats")
    if existing is not None:
        klass, cost = "EXISTING_HISTORICAL", (existing[0], "historical")
        if t is not None:
            t.append(TrailRecord("R12", "R12", (existing[1], up.t0x)))
        if main and existing[1] == "a":
            _transfer_existing(p, run, rd, up.running_hist, existing[0])
    else:
        klass, regional, _ = _classify(p, rd, contacts, ws, t0r, r11_region, wp, run)
        if p.regime_b:
            if klass == "NOT_NEW":
                cost = r6_cost if r6_cost is not None and r6_cost[0] != regional[0] else regional
            else:  # R13 row 3: the statutory college (R6 included)
                cost = r6_cost if r6_cost is not None else (legal, "woonplaats")
            divergent = r6_cost is not None and r6_cost != regional
            if divergent and rd.other_clock:
                cost = regional
        else:
            cost = regional
            divergent = r6_cost is not None and r6_cost != regional
            if divergent and rd.other_clock:
                cost = r6_cost
        if main and divergent:
            e = r6.episode
            lr, fr = ctx.region_of(e.location, m), ctx.region_of(e.cost_bearer, m)
            inside = (lr is not None and lr.id == meldregio.id) or (fr is not None and fr.id == meldregio.id)
            _cand(run, "CLOCK_DIVERGENCE" if inside else "CROSS_REGION_LAST_PROVIDER",
                  f"de twaalf maanden van R6 wijzen naar {r6_cost[0]}, de regionale regels naar {regional[0]}",
                  ALT_OTHER_CLOCK)
        if t is not None:
            t.append(TrailRecord("R13", "R13", (klass, cost[0], cost[1], p.regime_b and cost == r6_cost and r6_cost != regional)))
    cost_bearer, budget = cost

    # R1: eligibility first
    if p.eligibility_open and not rd.eligibility_settled:
        if main:
            _cand(run, "ELIGIBILITY_OPEN", "toegang (ingezetene, rechtmatig verblijf, Wlz) nog niet vastgesteld",
                  ALT_ELIGIBLE)
            if t is not None:
                t.append(TrailRecord("R1", None, ("toegang nog open: nog geen kostendrager",)))
        return _outcome(p.ctx, (None, None, None, legal)), new_client, ("none" if p.placement is not None else None)

    # 8.6: the cost bearer must have a region
    if cost_bearer is not None and _region_on_m(p, cost_bearer) is None:
        if main:
            run.cands["REGION_UNKNOWN"] = (f"kostendrager {cost_bearer} valt in geen regio", [])
            run.cands["REGION_UNKNOWN:alt"] = Outcome(cost_bearer, budget, klass, legal)
            if t is not None:
                t.append(TrailRecord("8.6", None, (f"{cost_bearer} heeft geen regio in de regiotabel: geen kostendrager",)))
        cost_bearer = budget = None
    elif cost_bearer is None and wp.unknown:  # 8.12: the woonplaats lies in gemeentecode 0000 (onbekend)
        if t is not None:
            t.append(TrailRecord("8.6", None, ("woonplaats onbekend (BRP-gemeentecode 0000): geen kostendrager",)))
        budget = None
    entry = p.entry_cache.get(cost_bearer, _MISSING)
    if entry is _MISSING:
        entry = p.entry_cache[cost_bearer] = _entry(p, cost_bearer)
    if t is not None and entry is not None:
        t.append(TrailRecord("R14", "R14", (p.placement.fronting, entry)))
    return _outcome(p.ctx, (cost_bearer, budget, klass, legal)), new_client, entry


def _classify(p: _Prepared, rd: Readings, contacts: tuple[r11.Contact, ...], ws: date, t0r: date, region: RegionVersion,
              wp: Woonplaats, run: _Run | None):
    """8.4: class and the regional cost bearer for a melding decided on or after T0."""
    ctx, m = p.ctx, p.m
    if not contacts:
        return "NEW", (wp.gemeente, "woonplaats"), None
    latest = max(c.when for c in contacts)
    at_latest = [c for c in contacts if c.when == latest]
    hist = [c for c in at_latest if c.historical]
    if hist:
        eps = [c.episode for c in hist if c.episode is not None]
        if eps:
            e = max(eps, key=lambda e: (e.from_, [-ord(ch) for ch in e.cost_bearer]))
            return "NOT_NEW", (e.cost_bearer, "historical"), None
        return "NOT_NEW", (region.centrumgemeente, "historical"), None
    # RE_ENTRY, regime A: continuity with the latest in-window post-T0 episode, in any region
    cands = []
    for e in p.prior:
        if e.budget == "historical" or e.from_ > m or (e.product == "ambulant" and not rd.ambulant_counts):
            continue
        if e.to is None or e.to >= ws:
            cands.append(e)
    cands.sort(key=lambda e: (min(e.to or m, m), e.from_, [-ord(ch) for ch in e.cost_bearer]))
    cand = cands[-1] if cands else None
    if cand is not None and cand.to is not None and days_inclusive(cand.from_, cand.to) < p.params.short_episode_days \
            and not p.regime_b:
        if run is not None:
            _cand(run, "SHORT_LAST_EPISODE", f"de laatste episode {cand.from_}..{cand.to} duurde korter dan "
                  f"{p.params.short_episode_days} dagen", ALT_IGNORE_SHORT)
        if rd.ignore_short_episode:
            cand = cands[-2] if len(cands) > 1 else None
    if cand is not None:
        cr = ctx.region_of(cand.cost_bearer, m)
        if cr is not None and cr.id == region.id:
            return "RE_ENTRY", (cand.cost_bearer, "woonplaats"), cand
        if run is not None and cand.cost_bearer != wp.gemeente:
            _cand(run, "CROSS_REGION_LAST_PROVIDER", f"de laatste episode werd betaald door {cand.cost_bearer}, "
                  "buiten de meldregio", ALT_PAY_CANDIDATE)
        if rd.pay_cross_region_candidate:
            return "RE_ENTRY", (cand.cost_bearer, "woonplaats"), cand
    return "RE_ENTRY", (wp.gemeente, "woonplaats"), cand


def _transfer_existing(p: _Prepared, run: _Run, rd: Readings, e: _Ep, centrum: str) -> None:
    ctx, m = p.ctx, p.m
    fin = ctx.region_of(centrum, m)
    places = [e.location]
    if p.facts.placement is not None:
        places += [p.facts.placement.fronting, p.facts.placement.location]
    for code in places:
        r = ctx.region_of(code, m)
        if fin is None or r is None or r.id != fin.id:
            host = r or p.meldregio
            _cand(run, "TRANSFER_EXISTING", f"bestaande cliënt van {centrum}, BW in {code} buiten die regio",
                  _region_reading(ctx, host.id, skip_existing=True))
            return


def _woonplaats_flags(p: _Prepared, wp: Woonplaats, rd: Readings, run: _Run, meldregio: RegionVersion) -> None:
    m = p.m
    if wp.unknown:
        _cand(run, "REGION_UNKNOWN", "het beslissende BRP-adres heeft gemeentecode 0000 (gemeente onbekend): "
              "geen woonplaats en geen kostendrager", *FLAG_READINGS["REGION_UNKNOWN"])
    if wp.onderzoek:
        _cand(run, "ADDRESS_IN_ONDERZOEK", "het beslissende adres staat 'in onderzoek'", ALT_SKIP_ONDERZOEK)
    if wp.chain_end or wp.no_woonadres:
        name = "CHAIN_END_NO_WOONADRES" if wp.chain_end else "NO_WOONADRES"
        _cand(run, name, "geen bruikbaar woonadres: de meldgemeente (R8)", *FLAG_READINGS[name])
        last = last_ordinary_woonadres(p, m)
        if last is not None:
            lr = p.ctx.region_of(last.gemeente, m)
            if lr is None or lr.id != meldregio.id:
                run.info["LT_CHECK"] = f"laatste woonadres {last.gemeente} ligt buiten de meldregio: overdracht (N5) mogelijk"
    if wp.briefadres_stay:
        _cand(run, "BRIEFADRES_DURING_STAY", "briefadres tijdens een aangewezen verblijf behandeld als woonadres "
              "in de instelling", ALT_LITERAL_BRIEFADRES)
    if wp.short_interim:
        _cand(run, "SHORT_INTERIM_ADDRESS", f"kort gewoon woonadres tussen verblijven (< {p.params.short_interim_days} dagen)",
              ALT_THROUGH_INTERIM)
    if wp.assumed:
        _cand(run, "DESIGNATION_ASSUMED", "de keten loopt door een instellingstype waarvan de aanwijzing is aangenomen, "
              "niet geverifieerd", ALT_UNDESIGNATE)
    if wp.youth:
        run.info["YOUTH_TRANSITION"] = "de keten loopt door jeugdhulp met verblijf"
    person = p.facts.person
    if person is not None and person.birth_date is not None:
        b18 = eighteenth_birthday(person.birth_date)
        if minus_one_year(m) < b18 <= m:
            run.info["YOUTH_TRANSITION"] = f"18 jaar geworden op {b18}, in de twaalf maanden voor M"
    if wp.safety:
        run.info["SAFETY_CONFIDENTIAL"] = "vrouwenopvang op M of in de keten: locaties vertrouwelijk"
    if wp.short_registration:
        run.info["SHORT_REGISTRATION"] = f"woonadres korter dan {p.params.short_registration_days} dagen ingeschreven"
    episodes = p.facts.bw_episodes
    same_day = p.placement is not None and p.placement.from_ == m
    if not same_day:
        for x in (*p.addresses, *p.stays, *episodes):
            if x.from_ == m or x.to == m:
                same_day = True
                break
    if same_day:
        run.info["SAME_DAY_EVENTS"] = "een BRP-periode, verblijf of BW-episode begint of eindigt op de melddatum"
    if episodes and any(e.agreed_transfer for e in episodes):
        run.info["AGREED_TRANSFER"] = "een episode legt een overdracht in overleg vast (R10.3)"


def _entry(p: _Prepared, cost_bearer: str | None) -> str | None:
    """8.5 (R14): the entry kind for the placement."""
    pl = p.placement
    if pl is None:
        return None
    fronting, start = pl.fronting, pl.from_
    if cost_bearer is None or fronting == cost_bearer:
        return "none"
    fr = p.ctx.region_of(fronting, start)
    cr = p.ctx.region_of(cost_bearer, start)
    if fr is not None and cr is not None and fr.id == cr.id:
        return "intra_regional"
    return "inter_regional"


# -- the public entry points ----------------------------------------------------------------------------
def input_digest(facts: CaseFacts, ctx: Context) -> str:
    """SHA-256 over the canonical JSON of the sorted facts (the case id left out) plus the
    context digest (spec 8.9, ``input_digest.py``): reordering facts never changes it."""
    return _input_digest(facts, ctx.digest)


def determine(facts: CaseFacts, ctx: Context) -> Determination:
    """Apply R0-R14 to validated facts; see the module docstring."""
    p = _prepare(facts, ctx)
    digest = input_digest(facts, ctx)
    regime = "B" if p.regime_b else "A"
    if p.meldregio is None:  # R0 / 8.6: the meldgemeente has no region on M
        flag = Flag("REGION_UNKNOWN", FLAG["REGION_UNKNOWN"].kind, f"meldgemeente {p.meldgemeente} valt op {p.m} in geen regio")
        record = TrailRecord("R0", None, (f"meldgemeente {p.meldgemeente} heeft geen regio in de regiotabel: geen kostendrager",))
        legal = p.meldgemeente if not p.regime_b else None
        return Determination(facts.id, _outcome(ctx, (None, None, None, legal)), None,
                             "none" if facts.placement is not None else None, (flag,), True,
                             Trail((record,), None, facts), regime, None, None, RULESET_VERSION, ctx.digest, digest)
    trail: list[TrailRecord] = [TrailRecord("R2", "R2", (p.m, p.meldgemeente))]
    if p.merged:
        trail.append(TrailRecord("R10", None, ("aansluitende BW-episodes (en de plaatsing) samengevoegd tot één verstrekking",)))
    base = _run(p, DEFAULT, trail)
    flags: list[Flag] = []
    region_unknown_alt = base.cands.pop("REGION_UNKNOWN:alt", None)
    # several flags can stand for the same reading (the same object, a constant or made once per
    # case): each reading is run once. Keyed by identity; the readings stay alive in base.cands.
    seen: dict[int, Outcome | None] = {}
    for name, (note, alts) in base.cands.items():
        outcomes, computable = [], False
        for rd in alts:
            key = id(rd)
            if key in seen:
                outcome = seen[key]
            else:
                try:
                    outcome = _alt_outcome(p, rd, base.outcome)
                except Inapplicable:
                    outcome = None
                seen[key] = outcome
            if outcome is None:
                continue
            computable = True
            if outcome != base.outcome and outcome not in outcomes:
                outcomes.append(outcome)
        if name == "REGION_UNKNOWN" and region_unknown_alt is not None:
            outcomes = [region_unknown_alt]
        if outcomes:
            flags.append(Flag(name, FLAG[name].kind, note, tuple(outcomes)))
        elif name in OPEN_WITHOUT_ALTERNATIVE and not computable:
            flags.append(Flag(name, FLAG[name].kind, note + " (geen alternatief uit de feiten af te leiden)"))
    if date_incomplete.has_incomplete(facts):  # 8.12: the latest reading of incomplete BRP dates
        late = _run(_prepare(date_incomplete.latest_reading(facts), ctx), DEFAULT, []).outcome
        if late != base.outcome:
            flags.append(Flag("DATE_INCOMPLETE", FLAG["DATE_INCOMPLETE"].kind,
                         "onvolledige BRP-datum, gelezen op de vroegste dag: " + ", ".join(
                                  date_incomplete.incomplete_texts(facts)) + "; het alternatief leest de laatste dag",
                              (late,)))
    for name, note in base.info.items():
        flags.append(Flag(name, FLAG[name].kind, note))
    provisional = False
    if flags:
        flags.sort(key=_FIRST)
        settled = p.meldregio.settled_flags
        provisional = any(f.kind == "O" and f.name not in settled for f in flags)
        trail.append(TrailRecord("8.7", "8.7", (provisional, *[f.name for f in flags])))
    return Determination(facts.id, base.outcome, base.new_client, base.entry, tuple(flags), provisional,
                         Trail(tuple(trail), None, facts), regime, p.meldregio.id,
                         base.wp.gemeente if base.wp else None, RULESET_VERSION, ctx.digest, digest)
