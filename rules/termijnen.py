"""The Algemene termijnenwet (BWBR0002448), as domain specification 8.10 applies it to deadlines.

- art. 1 lid 1: a term that ends on a Saturday, Sunday or algemeen erkende feestdag is extended to
  the next day that is none of these;
- art. 2: a term of at least three days is, where needed, extended so that it contains at least two
  days that are not a Saturday, Sunday or algemeen erkende feestdag;
- art. 3 lid 1: Nieuwjaarsdag, tweede Paasdag, tweede Pinksterdag, both Kerstdagen, Hemelvaartsdag,
  the day the King's birthday is celebrated (27 April, 26 April when 27 April is a Sunday; before
  2014 the Queen's: 30 April, 29 April when that is a Sunday) and 5 May (every year);
  lid 2: Goede Vrijdag; lid 3: days equated by royal decree (rules/data/atw_gelijkgestelde_dagen.toml).

Easter Sunday comes from dateutil.easter (western). Pure functions: no clock.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from dateutil.easter import easter
from dateutil.relativedelta import relativedelta

DATA = Path(__file__).parent / "data" / "atw_gelijkgestelde_dagen.toml"


@lru_cache(maxsize=1)
def equated_days() -> dict[date, str]:
    """art. 3 lid 3: day -> the title of the royal decree that equates it."""
    doc = tomllib.loads(DATA.read_text(encoding="utf-8"))
    out: dict[date, str] = {}
    for b in doc["besluit"]:
        for d in b["days"]:
            out[d] = b["title"]
    return out


def _kings_day(year: int) -> date:
    if year >= 2014:
        d = date(year, 4, 27)
    else:
        d = date(year, 4, 30)
    return d - timedelta(days=1) if d.weekday() == 6 else d


@lru_cache(maxsize=256)
def holidays(year: int) -> dict[date, str]:
    """Every algemeen erkende feestdag (art. 3 lid 1 and 2) and equated day (lid 3) of `year`."""
    e = easter(year)
    days = {
        date(year, 1, 1): "Nieuwjaarsdag (art. 3 lid 1)",
        e - timedelta(days=2): "Goede Vrijdag (art. 3 lid 2)",
        e + timedelta(days=1): "tweede Paasdag (art. 3 lid 1)",
        _kings_day(year): ("Koningsdag" if year >= 2014 else "Koninginnedag") + " (art. 3 lid 1)",
        date(year, 5, 5): "5 mei (art. 3 lid 1)",
        e + timedelta(days=39): "Hemelvaartsdag (art. 3 lid 1)",
        e + timedelta(days=50): "tweede Pinksterdag (art. 3 lid 1)",
        date(year, 12, 25): "eerste Kerstdag (art. 3 lid 1)",
        date(year, 12, 26): "tweede Kerstdag (art. 3 lid 1)",
    }
    for d, title in equated_days().items():
        if d.year == year:
            days.setdefault(d, f"gelijkgesteld (art. 3 lid 3): {title}")
    return days


def holiday_name(d: date) -> str | None:
    return holidays(d.year).get(d)


def is_rest_day(d: date) -> bool:
    """Saturday, Sunday or algemeen erkende feestdag (or a day equated with one)."""
    return d.weekday() >= 5 or d in holidays(d.year)


def next_working_day(d: date) -> date:
    """art. 1: `d` itself, or the next day that is no rest day."""
    while is_rest_day(d):
        d += timedelta(days=1)
    return d


@dataclass(frozen=True)
class Term:
    """A computed term: the calendar end and the end after the Algemene termijnenwet."""

    start: date  # the day of the event the term runs from (the term starts the day after)
    calendar_end: date
    end: date
    articles: tuple[str, ...]  # "art. 1", "art. 2" when they extended the term

    @property
    def extended(self) -> bool:
        return self.end != self.calendar_end


def term(start: date, *, days: int = 0, weeks: int = 0, months: int = 0) -> Term:
    """The end of a term of `months` + `days` + `weeks` running from `start` (exclusive), extended by
    art. 1 and 2 (a term in months ends on the same day of the month, or the month's last day)."""
    length = days + 7 * weeks
    if length < 1 and months < 1:
        raise ValueError("a term is at least one day")
    calendar_end = start + relativedelta(months=months) + timedelta(days=length)
    length = (calendar_end - start).days
    end = next_working_day(calendar_end)
    articles = ["art. 1"] if end != calendar_end else []
    if length >= 3:
        working = sum(1 for i in range(1, (end - start).days + 1) if not is_rest_day(start + timedelta(days=i)))
        if working < 2:
            while working < 2:
                end += timedelta(days=1)
                if not is_rest_day(end):
                    working += 1
            articles.append("art. 2")
    return Term(start, calendar_end, end, tuple(articles))


def working_days_after(start: date, count: int) -> date:
    """The `count`-th working day after `start` (exclusive): a term counted in working days, e.g. the
    five working days an addressee has to acknowledge a notice (no Saturday, Sunday, algemeen
    erkende feestdag or equated day counts, so art. 1 and 2 hold by construction)."""
    if count < 1:
        raise ValueError("a term is at least one working day")
    day = start
    while count:
        day += timedelta(days=1)
        if not is_rest_day(day):
            count -= 1
    return day
