"""The order of settlement seals (pure): a quarter is sealed once, and only after every earlier
quarter with booked lines is sealed (ledger/settlement; issue 11). Otherwise a later quarter could
be closed while lines of an earlier one are still open to booking and correction.
"""
from __future__ import annotations

from datetime import date

from .errors import SEAL_ORDER, LedgerError
from .settlement.quarters import Quarter


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def seal_quarter(payload: dict) -> str:
    """The quarter a seal (its payload as JSON) closes: its `quarter`, else that of its first day."""
    return payload.get("quarter") or Quarter.of(_day(payload["period_from"])).code


def line_quarter(payload: dict) -> str | None:
    """The quarter a cost line or reversal (its payload as JSON) is booked in, where it says."""
    if payload.get("booking_quarter"):
        return payload["booking_quarter"]
    if payload.get("period_from"):
        return Quarter.of(_day(payload["period_from"])).code
    return None


def seal_problem(payload: dict, sealed: dict[str, int], booked: set[str]) -> LedgerError | None:
    """Why this seal may not be admitted: its quarter sealed before, or an earlier booked quarter open."""
    quarter = seal_quarter(payload)
    if quarter in sealed:
        return LedgerError(SEAL_ORDER, f"quarter {quarter} was sealed before (entry {sealed[quarter]})")
    open_before = sorted(q for q in booked if q < quarter and q not in sealed)
    if open_before:
        return LedgerError(SEAL_ORDER, f"quarter {quarter} is sealed only after {', '.join(open_before)}, which "
                                       "have booked lines")
    return None
