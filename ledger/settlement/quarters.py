"""Settlement quarters: "2026K1" (kwartaal 1 of 2026), bounds, labels and splitting of periods."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from rules import day_range

from ..errors import LedgerError

QUARTER_INVALID = "QUARTER_INVALID"
_RE = re.compile(r"^\s*(\d{4})\s*[-_ ]?\s*[KkQq]\s*([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """'2026K1', '2026-K1', '2026Q1' -> Quarter(2026, 1); anything else: LedgerError(QUARTER_INVALID)."""
        m = _RE.match(str(text))
        if not m:
            raise LedgerError(QUARTER_INVALID, f"geen kwartaal (bijvoorbeeld 2026-K1): {text!r}")
        year = int(m.group(1))
        if not day_range.year_in_range(year):
            raise LedgerError(QUARTER_INVALID, f"het kwartaal {str(text).strip()} ligt buiten de jaren "
                                               f"{day_range.FIRST_DAY.year} tot en met {day_range.LAST_DAY.year}")
        return cls(year, int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def prev(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    @property
    def code(self) -> str:
        """The form stored in entries: '2026K1'."""
        return f"{self.year}K{self.q}"

    @property
    def label(self) -> str:
        """The form finance staff read: '2026-K1'."""
        return f"{self.year}-K{self.q}"

    def __str__(self) -> str:
        return self.code


def month_end(day: date) -> date:
    nxt = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return nxt - timedelta(days=1)


def months(start: date, stop: date) -> list[tuple[date, date]]:
    """The calendar-month pieces of start..stop (both inclusive)."""
    out = []
    day = start
    while day <= stop:
        end = min(month_end(day), stop)
        out.append((day, end))
        day = end + timedelta(days=1)
    return out


def days(start: date, stop: date) -> int:
    """Days from start to stop, both ends inclusive."""
    return (stop - start).days + 1


def correction_label(period_from: date, period_to: date) -> str:
    """'correctie op 2024-K2' (or '2024-K2 t/m 2024-K3' when the period spans quarters)."""
    a, b = Quarter.of(period_from), Quarter.of(period_to)
    return f"correctie op {a.label}" if a == b else f"correctie op {a.label} t/m {b.label}"
