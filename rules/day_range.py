"""The calendar days any input may name: 1 januari 1900 up to and including 31 december 2199.

Every date arithmetic in the system (the 365-day window before a melding, a period's day after,
a quarter's bounds) stays inside Python's calendar (years 1..9999) for a date in this range, so a
date at the edge of the calendar (`0001-01-01`, `9999-12-31`) is refused where it comes in, with
the same Dutch message at every edge, instead of overflowing deep inside. One range, used by the
fact models, the casebook context, the query parameters of the API and the settlement quarters."""
from __future__ import annotations

from datetime import date

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)
#: the largest number of days a parameter of the rules may span (a window, a tolerance): 100 years
MAX_SPAN_DAYS = 36_525

_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december")


def dutch(day: date) -> str:
    """2 december 2026."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def out_of_range(day: date) -> str | None:
    """None when `day` is in the range; otherwise the Dutch reason."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return f"de datum {day.isoformat()} ligt buiten het bereik {dutch(FIRST_DAY)} tot en met {dutch(LAST_DAY)}"


def year_in_range(year: int) -> bool:
    return FIRST_DAY.year <= year <= LAST_DAY.year
