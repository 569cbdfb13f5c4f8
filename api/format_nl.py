"""How a person reads dates, times, quarters and amounts: `2 december 2026` (`02-12-2026` in tables),
`2 december 2026 15:53` (Europe/Amsterdam), `2026-K1`, `€ 1.234,56`. The one place for it at the edges
(pages, CLI output); the documents (ledger/reports, cases/dossier.py) use the same rules.dates helpers and
the quarter's own label (ledger/settlement/quarters.py). Codes in words: rules/glossary.py."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from rules.dates import dutch_date, dutch_date_short

ZONE = ZoneInfo("Europe/Amsterdam")


def _day(value: date | str) -> date:
    if isinstance(value, str):
        if len(value) > 10:  # a timestamp: its day in Amsterdam
            return _moment(value).astimezone(ZONE).date()
        return date.fromisoformat(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(ZONE).date()
    return value


def _moment(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def date_nl(value: date | str | None) -> str:
    """`2 december 2026` (a timestamp: its day in Europe/Amsterdam)."""
    if value is None or value == "":
        return "-"
    return dutch_date(_day(value))


def quarter_nl(value: object) -> str:
    """A quarter as a person reads it: `2026-K1` (the code `2026K1` stays in URLs and payloads)."""
    if value is None or value == "":
        return "-"
    from ledger.errors import LedgerError
    from ledger.settlement.quarters import Quarter

    try:
        return Quarter.parse(str(value)).label
    except LedgerError:
        return str(value)


def month_nl(value: str | date) -> str:
    """'2026-03' (or a day in it) -> 'maart 2026'."""
    day = value if isinstance(value, date) else date.fromisoformat(f"{value[:7]}-01")
    return dutch_date(day.replace(day=1)).split(" ", 1)[1]


def datetime_nl(value: datetime | str | None, seconds: bool = False) -> str:
    """A UTC-aware timestamp as Dutch local time: `2 december 2026 15:53` (CET/CEST as on that day)."""
    if value is None or value == "":
        return "-"
    local = _moment(value).astimezone(ZONE)
    return f"{date_nl(local.date())} {local.strftime('%H:%M:%S' if seconds else '%H:%M')}"


def euro(cents: int) -> str:
    """1234567 -> '€ 12.345,67' (cents are integers; euros only at the edge)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}€ {whole:,}".replace(",", ".") + f",{rest:02d}"


def number_nl(n: int) -> str:
    """1234567 -> '1.234.567' (a count in Dutch: a dot between thousands)."""
    return f"{int(n):,}".replace(",", ".")


def date_table_nl(value: date | str | None) -> str:
    """A date in a table: `02-12-2026` (a timestamp: its Dutch calendar date)."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(ZONE).date()
    return dutch_date_short(value)  # the one rule for a date in a table (rules/dates.py)
