"""Which parties exist on a date, and which may pay (pure; the registers are package data).

- A municipality (`GMxxxx`) exists on a day when the CBS register (rules/data/municipality_codes.csv)
  has its statcode valid on that day (mergers take effect on 1 January, spec 8.6).
- A region (`RG:<id>`) exists on a day when the regions table (rules/data/regions_verified.csv with
  rules/data/regions.toml) has it valid on that day.
- The committee and the operator are never a fronting party, cost bearer, addressee or creditor: they
  settle nothing (spec 8.12; issue 11).
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from rules import loader

from .entries import COMMITTEE, OPERATOR, party_class
from .errors import PARTY_ROLE_INVALID, PARTY_UNKNOWN, LedgerError


@lru_cache(maxsize=1)
def _regions() -> dict:
    return {r.id: r for r in loader.verified_regions()}


def exists_on(party: str, on: date) -> bool:
    """Whether `party` is a municipality or region that exists on `on` (the operator and committee always)."""
    cls = party_class(party)
    if cls == "municipality":
        m = loader.municipality_register().get(party)
        return m is not None and m.valid_on(on)
    if cls == "region":
        r = _regions().get(party[3:])
        return r is not None and r.valid_on(on)
    return True


def unknown_party_problem(field: str, party: str | None, on: date) -> LedgerError | None:
    """PARTY_UNKNOWN when `party` (in payload field `field`) does not exist on `on`."""
    if party is None or exists_on(party, on):
        return None
    what = "municipality" if party_class(party) == "municipality" else "region"
    return LedgerError(PARTY_UNKNOWN, f"{field}: {party} is no {what} on {on.isoformat()}")


def paying_party_problem(field: str, party: str | None) -> LedgerError | None:
    """PARTY_ROLE_INVALID when the committee or the operator stands where a paying party belongs."""
    if party in (COMMITTEE, OPERATOR):
        return LedgerError(PARTY_ROLE_INVALID,
                           f"{field}: {party} is never a fronting party, cost bearer, addressee or creditor")
    return None


def municipality_problem(field: str, party: str, on: date) -> LedgerError | None:
    """A fronting party or cost bearer of a cost line: a municipality that exists on `on`."""
    err = paying_party_problem(field, party)
    if err:
        return err
    if party_class(party) != "municipality":
        return LedgerError(PARTY_ROLE_INVALID, f"{field}: {party} is not a municipality")
    return unknown_party_problem(field, party, on)
