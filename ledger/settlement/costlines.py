"""Cost lines from placements (pure: no I/O).

A placement (start, stop, location, product, fronting party, the cost bearer of its determination)
gives one line per calendar month and tariff: days are counted exactly (both ends inclusive), a
month is cut where the contract's tariff changes, interruptions (gaps) are left out. Tariffs are
cents per etmaal, so amount = days * tariff exactly: cutting a period never changes its total.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..errors import PLACEMENT_INVALID, LedgerError
from .catalogue import Catalogue
from .quarters import days, months


@dataclass(frozen=True)
class Placement:
    placement_id: str
    client: str  # pseudonym
    fronting_party: str
    cost_bearer: str
    product: str
    start: date
    stop: date | None  # None: still running (lines up to `until`)
    location: str = ""
    historical_budget: bool = False
    status: str = "definitive"  # "provisional" when the determination carries flags
    determination: dict | None = None  # {"seq": .., "entry_hash": ..} of the determination entry
    agreement_version: str | None = None
    interruptions: tuple[tuple[date, date], ...] = field(default=())  # days without BW (gaps)
    contract: str | None = None  # a specific contract; default: the fronting party's

    def check(self) -> None:
        if self.stop is not None and self.stop < self.start:
            raise LedgerError(PLACEMENT_INVALID, f"placement {self.placement_id}: stop before start")
        if self.status not in ("provisional", "definitive"):
            raise LedgerError(PLACEMENT_INVALID, f"placement {self.placement_id}: status {self.status!r}")
        for a, b in self.interruptions:
            if b < a:
                raise LedgerError(PLACEMENT_INVALID, f"placement {self.placement_id}: interruption ends before it starts")


@dataclass(frozen=True)
class LineSpec:
    """One cost line to book (the payload fields settlement decides)."""

    period_from: date
    period_to: date
    product: str
    units: int
    tariff_cents: int
    contract: str

    @property
    def amount_cents(self) -> int:
        return self.units * self.tariff_cents


def _active_ranges(start: date, stop: date, gaps: Sequence[tuple[date, date]]) -> list[tuple[date, date]]:
    ranges = [(start, stop)]
    for ga, gb in sorted(gaps):
        nxt = []
        for a, b in ranges:
            if gb < a or ga > b:
                nxt.append((a, b))
                continue
            if ga > a:
                nxt.append((a, ga - timedelta(days=1)))
            if gb < b:
                nxt.append((gb + timedelta(days=1), b))
        ranges = nxt
    return ranges


def line_specs(p: Placement, cat: Catalogue, until: date) -> list[LineSpec]:
    """The monthly lines of a placement up to min(stop, until)."""
    p.check()
    stop = min(p.stop, until) if p.stop is not None else until
    if stop < p.start:
        return []
    out: list[LineSpec] = []
    for a, b in _active_ranges(p.start, stop, p.interruptions):
        for ma, mb in months(a, b):
            for sa_, sb, t in cat.tariff_segments(p.fronting_party, p.product, ma, mb, p.contract):
                out.append(LineSpec(sa_, sb, p.product, days(sa_, sb), t.cents_per_day, t.contract))
    return out


def split_days(start: date, stop: date, cuts: Sequence[tuple[date, date, object]]
               ) -> list[tuple[date, date, object | None]]:
    """start..stop cut into pieces: inside a cut -> its value, outside -> None. Cuts must not overlap."""
    pieces: list[tuple[date, date, object | None]] = []
    day = start
    for ca, cb, value in sorted(cuts, key=lambda c: c[0]):
        if cb < day or ca > stop:
            continue
        a = max(ca, day)
        if a > day:
            pieces.append((day, a - timedelta(days=1), None))
        b = min(cb, stop)
        pieces.append((a, b, value))
        day = b + timedelta(days=1)
        if day > stop:
            break
    if day <= stop:
        pieces.append((day, stop, None))
    return pieces
