"""One municipality's quarter, for the finance officer's page: its lines with why each is definitive,
provisional or disputed (line_status.py), the totals per class and per reason, the readings a what-if
can choose (the alternative outcomes of the flags raised on the quarter's determinations) and the
verdeelsleutels of the pools that cover the quarter. Reads only; nothing is booked.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..store import Store
from .catalogue import load_catalogue
from .line_status import CLASS_ADJ_NL, CLASS_NL, payloads_of
from .quarters import Quarter
from .settle import CLASSES, Position, Settlement, WhatIf, settle, whatif

#: a what-if choice that the quarter does not offer (a typed reading or key is not taken as it is)
WHATIF_READING_UNKNOWN = "WHATIF_READING_UNKNOWN"
WHATIF_KEY_UNKNOWN = "WHATIF_KEY_UNKNOWN"

#: the trail of a recorded determination: (seq, payload) -> Determination.to_dict() (with "flags":
#: [{"name", "alternatives": [{"cost_bearer", ...}]}]) or None when it is not kept
TrailOf = Callable[[int, dict[str, Any]], "dict[str, Any] | None"]


@dataclass(frozen=True)
class ViewLine:
    seq: int  # the ledger entry (a pool share: its first cohort line)
    entry_ids: tuple[int, ...]
    kind: str  # cost_line | reversal | pool
    counterparty: str
    client: str
    period_from: date
    period_to: date
    product: str
    units: int
    tariff_cents: int
    amount_cents: int  # from the party's view: + to receive, - to pay
    klass: str
    reason: str  # why this class, in Dutch
    reverses: int | None
    determination: int | None
    reversal_reason: str
    decision: tuple[str, int] | None  # (case id, decision entry seq)
    corrects: str | None


@dataclass(frozen=True)
class Reason:
    text: str
    count: int
    amount_cents: int


@dataclass(frozen=True)
class ClassTotal:
    klass: str
    label: str
    count: int
    amount_cents: int
    reasons: tuple[Reason, ...]
    adjective: str = ""  # "definitieve" (regels)


@dataclass(frozen=True)
class Reading:
    """An alternative reading a what-if can choose: `flag` on determination `determination` would make
    `alternative` the cost bearer instead of `current`."""

    determination: int
    flag: str
    current: str
    alternative: str
    lines: int
    amount_cents: int
    note: str = ""  # what the flag says, in Dutch (from the trail)

    @property
    def value(self) -> str:
        return f"{self.determination}={self.alternative}"


@dataclass(frozen=True)
class FlagWithoutAlternative:
    determination: int
    flag: str


@dataclass(frozen=True)
class PoolKeys:
    pool: str
    current: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Counterparty:
    """The party's position towards one counterparty (+ to receive, - to pay), per class."""

    party: str
    definitive_cents: int
    provisional_cents: int
    disputed_cents: int

    @property
    def payable_cents(self) -> int:
        return self.definitive_cents + self.provisional_cents


@dataclass(frozen=True)
class QuarterView:
    quarter: str
    party: str
    settlement: Settlement
    position: Position
    classes: tuple[ClassTotal, ...]
    lines: tuple[ViewLine, ...]
    readings: tuple[Reading, ...]
    unknown: tuple[FlagWithoutAlternative, ...]  # flagged, but no kept trail says what the alternative is
    pools: tuple[PoolKeys, ...]
    counterparties: tuple[Counterparty, ...] = ()

    def klass(self, name: str) -> ClassTotal:
        return next(c for c in self.classes if c.klass == name)


def _lines(store: Store, s: Settlement, party: str, viewer: str | None) -> list[ViewLine]:
    from ..reports.statements import collect

    ps = collect(store, s, viewer).get(party)
    if ps is None:
        return []
    out = []
    items = [(cp, ln) for cp in sorted(ps.lines) for ln in ps.lines[cp]] + [(party, ln) for ln in ps.own]
    for cp, ln in items:
        out.append(ViewLine(ln[0], tuple(ln[16]), ln[1], cp, ln[2], ln[4], ln[5], ln[6], ln[7], ln[8], ln[9], ln[10],
                            ln[17], ln[13], ln[14], ln[18], ln[19], ln[12]))
    return out


def _classes(lines: list[ViewLine], party: str) -> tuple[ClassTotal, ...]:
    """Per class the lines with another party (own costs do not settle), their total and reasons."""
    out = []
    for klass in CLASSES:
        mine = [ln for ln in lines if ln.klass == klass and ln.counterparty != party]
        by: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for ln in mine:
            by[ln.reason][0] += 1
            by[ln.reason][1] += ln.amount_cents
        out.append(ClassTotal(klass, CLASS_NL[klass], len(mine), sum(ln.amount_cents for ln in mine),
                              tuple(Reason(r, v[0], v[1]) for r, v in sorted(by.items())), CLASS_ADJ_NL[klass]))
    return tuple(out)


def flag_readings(store: Store, lines: list[ViewLine], trail_of: TrailOf | None
                  ) -> tuple[tuple[Reading, ...], tuple[FlagWithoutAlternative, ...]]:
    """The alternative cost bearers of the flags raised on the determinations of these lines."""
    dets: dict[int, list[ViewLine]] = defaultdict(list)
    for ln in lines:
        if ln.determination is not None and ln.kind != "pool":
            dets[ln.determination].append(ln)
    payloads = payloads_of(store, sorted(dets))
    readings: dict[tuple[int, str, str], Reading] = {}
    unknown: list[FlagWithoutAlternative] = []
    for seq in sorted(dets):
        p = payloads.get(seq) or {}
        flags = list(p.get("flags") or ())
        if not flags:
            continue
        current = (p.get("outcome") or {}).get("cost_bearer") or ""
        trail = trail_of(seq, p) if trail_of is not None else None
        alts: dict[str, set[str]] = defaultdict(set)
        notes: dict[str, str] = {}
        for f in (trail or {}).get("flags", ()):
            notes[f["name"]] = str(f.get("note") or "")
            for a in f.get("alternatives", ()):
                if a.get("cost_bearer") and a["cost_bearer"] != current:
                    alts[f["name"]].add(a["cost_bearer"])
        mine = dets[seq]
        for flag in flags:
            if not alts.get(flag):
                unknown.append(FlagWithoutAlternative(seq, flag))
                continue
            for alt in sorted(alts[flag]):
                readings[(seq, flag, alt)] = Reading(seq, flag, current, alt, len(mine),
                                                     sum(ln.amount_cents for ln in mine), notes.get(flag, ""))
    return tuple(readings[k] for k in sorted(readings)), tuple(unknown)


def pool_keys(s: Settlement) -> tuple[PoolKeys, ...]:
    q = Quarter.parse(s.quarter)
    out = []
    for pool in load_catalogue().pools:
        if pool.covers(q.start) or pool.covers(q.end):
            out.append(PoolKeys(pool.id, s.keys.get(pool.id) or pool.default_key, tuple(sorted(pool.keys))))
    return tuple(out)


def counterparties(s: Settlement, party: str) -> tuple[Counterparty, ...]:
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for f in s.flows:
        if party not in (f.creditor, f.debtor):
            continue
        cp, sign = (f.debtor, 1) if f.creditor == party else (f.creditor, -1)
        for i, v in enumerate((f.definitive_cents, f.provisional_cents, f.disputed_cents)):
            per[cp][i] += sign * v
    return tuple(Counterparty(cp, *v) for cp, v in sorted(per.items()))


def quarter_view(store: Store, quarter: str, party: str, *, viewer: str | None = None,
                 trail_of: TrailOf | None = None, settlement: Settlement | None = None) -> QuarterView:
    """The party's quarter as its page shows it (see the module's docstring)."""
    s = settlement or settle(store, quarter)
    lines = _lines(store, s, party, viewer)
    readings, unknown = flag_readings(store, lines, trail_of)
    return QuarterView(s.quarter, party, s, s.position(party), _classes(lines, party), tuple(lines), readings, unknown,
                       pool_keys(s), counterparties(s, party))


def chosen_whatif(store: Store, view: QuarterView, *, readings: list[str], keys: Mapping[str, str]) -> WhatIf | None:
    """The what-if of the readings (`Reading.value`s) and verdeelsleutels chosen from `view`'s options
    only (nothing typed is taken as it is); None when nothing differs from now."""
    from ..errors import LedgerError

    offered = {r.value: r for r in view.readings}
    chosen: dict[int, str] = {}
    for v in readings:
        if v not in offered:
            raise LedgerError(WHATIF_READING_UNKNOWN, f"geen lezing van dit kwartaal: {v!r}")
        r = offered[v]
        if r.determination in chosen and chosen[r.determination] != r.alternative:
            raise LedgerError(WHATIF_READING_UNKNOWN, f"beoordeling {r.determination}: kies één andere lezing")
        chosen[r.determination] = r.alternative
    pools = {p.pool: p for p in view.pools}
    use: dict[str, str] = {}
    for pool, key in keys.items():
        if pool not in pools or key not in pools[pool].keys:
            raise LedgerError(WHATIF_KEY_UNKNOWN, f"geen verdeelsleutel {key!r} van pool {pool!r}")
        if key != pools[pool].current:
            use[pool] = key
    if not chosen and not use:
        return None
    return whatif(store, view.quarter, keys=use or None, reading=chosen or None)


__all__ = [
    "WHATIF_KEY_UNKNOWN",
    "WHATIF_READING_UNKNOWN",
    "ClassTotal",
    "Counterparty",
    "FlagWithoutAlternative",
    "PoolKeys",
    "QuarterView",
    "Reading",
    "Reason",
    "TrailOf",
    "ViewLine",
    "chosen_whatif",
    "counterparties",
    "flag_readings",
    "pool_keys",
    "quarter_view",
]
