"""Incomplete BRP dates (spec 8.12, flag ``DATE_INCOMPLETE``): never completed silently.

The BRP records dates of which only the year, or the year and the month, is known, or nothing at
all (``datumOnbekend``). In an address history such a date (a period's ``from`` or ``to``) is
written in the facts as ``"2019"``, ``"2019-05"`` or ``"onbekend"``. The fact model keeps that text
(``from_partial``, ``to_partial``) and holds the date at its **earliest** possible day: the default
reading. The **alternative** reading takes every incomplete date at its **latest** possible day.

Both readings stay a valid history (periods do not overlap, no period ends before it starts): in
the earliest reading an incomplete start lies after the end of the period before it, and an
incomplete end not before its own start; in the latest reading an incomplete end lies before the
start of the period after it, and an incomplete start not after its own end. The BRP's own pattern
(one period ending and the next starting in the same month, both known to the month only) reads as
a move on the first days of that month by default and on its last days in the alternative.

The engine determines both readings; when their outcomes differ, ``DATE_INCOMPLETE`` (kind O, the
table of flags, ``rules/flags.py``) opens the outcome with the latest reading's outcome as its
alternative. Pure functions; no clock.
"""
from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .day_range import FIRST_DAY, LAST_DAY

if TYPE_CHECKING:
    from .facts import Address, CaseFacts

#: the BRP's "datumOnbekend": the whole date is unknown
UNKNOWN_TEXT = "onbekend"
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_DAY = timedelta(days=1)


def is_partial(value: Any) -> bool:
    """Whether ``value`` is the text of an incomplete date (year, year and month, or unknown)."""
    # (a full ISO date has ten characters, every incomplete form fewer: most values end at the length)
    return (isinstance(value, str) and len(value) < 10
            and (value == UNKNOWN_TEXT or _PARTIAL.fullmatch(value) is not None))


def bounds(text: str) -> tuple[date, date]:
    """The earliest and the latest day an incomplete date can stand for (``ValueError`` if it is none)."""
    if text == UNKNOWN_TEXT:
        return FIRST_DAY, LAST_DAY
    m = _PARTIAL.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"not an incomplete date (YYYY, YYYY-MM or {UNKNOWN_TEXT!r}): {text!r}")
    year = int(m.group(1))
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise ValueError(f"the year of {text!r} lies outside {FIRST_DAY.year}..{LAST_DAY.year}")
    if m.group(2) is None:
        return date(year, 1, 1), date(year, 12, 31)
    month = int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"not a month: {text!r}")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _full(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _key(item: dict, name: str) -> str:
    return name if name in item else name + "_"


def earliest(addresses: Sequence[Any]) -> list[Any] | None:
    """The address dicts (as given to the fact model) with every incomplete date at its earliest
    day and its text under ``from_partial`` / ``to_partial``; None when there is nothing to read
    (no incomplete date, or a value the fact model will refuse by itself)."""
    for a in addresses:
        if isinstance(a, dict) and (is_partial(a.get("from")) or is_partial(a.get("to")) or is_partial(a.get("from_"))
                                    or is_partial(a.get("to_")) or "from_partial" in a or "to_partial" in a):
            break
    else:
        return None
    items, found = [], False
    for a in addresses:
        if not isinstance(a, dict):
            return None
        fk, tk = _key(a, "from"), _key(a, "to")
        f_text = a[fk] if is_partial(a.get(fk)) else a.get("from_partial")
        t_text = a[tk] if is_partial(a.get(tk)) else a.get("to_partial")
        try:
            f_span = bounds(f_text) if f_text is not None else None
            t_span = bounds(t_text) if t_text is not None else None
        except ValueError:
            return None
        f = f_span[0] if f_span else _full(a.get(fk))
        if f is None:
            return None
        found = found or f_span is not None or t_span is not None
        items.append((f, a, fk, tk, f_text, t_text, f_span, t_span))
    if not found:
        return None
    out = []
    prev_end: date | None = None
    for f, a, fk, tk, f_text, t_text, f_span, t_span in sorted(items, key=lambda x: x[0]):
        a = dict(a)
        if f_span is not None:
            if prev_end is not None and f <= prev_end:
                f = min(prev_end + _DAY, f_span[1])
            a[fk], a["from_partial"] = f, f_text
        t = _full(a.get(tk)) if t_span is None else max(t_span[0], f)
        if t_span is not None:
            t = min(t, t_span[1])
            a[tk], a["to_partial"] = t, t_text
        prev_end = t
        out.append(a)
    return out


def has_incomplete(facts: CaseFacts) -> bool:
    return any(a.from_partial is not None or a.to_partial is not None for a in facts.addresses)


def incomplete_texts(facts: CaseFacts) -> list[str]:
    """The incomplete dates, in Dutch, for the flag's note."""
    out = []
    for a in sorted(facts.addresses, key=lambda a: a.from_):
        where = a.gemeente or (a.status.value if a.status is not None else "?")
        if a.from_partial is not None:
            out.append(f"begin {a.from_partial} ({where})")
        if a.to_partial is not None:
            out.append(f"einde {a.to_partial} ({where})")
    return out


def latest(addresses: Sequence[Address]) -> list[Address]:
    """The addresses with every incomplete date at its latest day (the alternative reading)."""
    ordered = sorted(addresses, key=lambda a: a.from_)
    out: list[Address] = []
    next_start: date | None = None
    for a in reversed(ordered):
        t = a.to
        if a.to_partial is not None:
            lo, hi = bounds(a.to_partial)
            t = hi if next_start is None or hi < next_start else max(next_start - _DAY, lo, a.from_)
        f = a.from_
        if a.from_partial is not None:
            lo, hi = bounds(a.from_partial)
            f = hi if t is None or hi <= t else max(t, lo)
        out.append(a.model_copy(update={"from_": f, "to": t}) if (f, t) != (a.from_, a.to) else a)
        next_start = f
    out.reverse()
    return out


def latest_reading(facts: CaseFacts) -> CaseFacts:
    """The facts with every incomplete BRP date at its latest possible day."""
    return facts.model_copy(update={"addresses": tuple(latest(facts.addresses))})
