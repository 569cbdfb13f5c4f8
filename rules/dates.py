"""Calendar arithmetic the rules rely on, with the counting conventions of the spec."""
from __future__ import annotations

from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def minus_one_year(d: date) -> date:
    """The same day one calendar year earlier; 29 February becomes 28 February (spec 8.7)."""
    month, day = d.month, d.day
    if month == 2 and day == 29:
        day = 28
    return date(d.year - 1, month, day)


def plus_one_year_clamped(d: date) -> date:
    """The same day one calendar year later; 29 February becomes 28 February."""
    try:
        return d.replace(year=d.year + 1)
    except ValueError:
        return date(d.year + 1, 2, 28)


def r6_period(end: date) -> tuple[date, date]:
    """The twelve months of R6 after a BW episode that ended on ``end`` (spec 8.8).

    ``s = E + 1 day``; the period is ``[s, date(s.year + 1, s.month, s.day) - 1 day]``; when ``s``
    is 29 February the period ends on 28 February of the next year (Awb art. 6:8 by analogy: a
    period 'since' an event starts the day after it).
    """
    s = end + ONE_DAY
    if s.month == 2 and s.day == 29:
        return s, date(s.year + 1, 2, 28)
    return s, date(s.year + 1, s.month, s.day) - ONE_DAY


def r6_alternative_last_day(end: date) -> date:
    """BOUNDARY_12M's reading: R6 holds while ``M < E + 12 months`` (29 February clamped)."""
    month, day = end.month, end.day
    if month == 2 and day == 29:  # plus_one_year_clamped, without the exception
        day = 28
    return date(end.year + 1, month, day) - ONE_DAY


def days_inclusive(start: date, end: date) -> int:
    return (end - start).days + 1


def eighteenth_birthday(birth: date) -> date:
    try:
        return birth.replace(year=birth.year + 18)
    except ValueError:  # born on 29 February: of age on 1 March in a common year
        return date(birth.year + 18, 3, 1)


MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december")


def dutch_date(d: date) -> str:
    """A date as a person reads it in Dutch: `2 december 2026`."""
    return f"{d.day} {MONTHS_NL[d.month - 1]} {d.year}"


def dutch_date_short(d: date) -> str:
    """A date as a person reads it in a table: `02-12-2026`."""
    return f"{d.day:02d}-{d.month:02d}-{d.year}"
