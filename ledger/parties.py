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

from .entries import COMMITTEE, OPERATOR, PARTY_RE, party_class
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


#: the forms of a party code, as a person reads them in a refusal
PARTY_FORMS = "GM en vier cijfers, RG:<regio>, OPERATOR of COMMITTEE"


def is_known(party: str) -> bool:
    """Whether a well-formed party code names a party the registers know, on any day (history stays
    readable): a statcode of the CBS register, a region of the regions table, the operator, the committee."""
    cls = party_class(party)
    if cls == "municipality":
        return loader.municipality_register().get(party) is not None
    if cls == "region":
        return party[3:] in _regions()
    return party in (OPERATOR, COMMITTEE)


def party_code_problem(party: object) -> LedgerError | None:
    """The one check of a party code that a person or a program names (a CLI option, a query or path
    parameter, an account, the parties of a statement run): None, or PARTY_UNKNOWN with a Dutch message
    (an edge may keep REQUEST_INVALID for a code of the wrong form: PARTY_RE)."""
    text = party.strip() if isinstance(party, str) else party
    if not isinstance(text, str) or not PARTY_RE.match(text):
        return LedgerError(PARTY_UNKNOWN, f"geen partij: {party!r} ({PARTY_FORMS})")
    if not is_known(text):
        if party_class(text) == "municipality":
            return LedgerError(PARTY_UNKNOWN, f"onbekende gemeentecode {text}: die staat niet in het CBS-register "
                                              "van gemeenten")
        return LedgerError(PARTY_UNKNOWN, f"onbekende regio {text}: die staat niet in de regio-indeling")
    return None


def check_party_code(party: object) -> str:
    """`party` stripped when it is a known party; else the LedgerError of party_code_problem."""
    err = party_code_problem(party)
    if err:
        raise err
    return party.strip()  # type: ignore[union-attr]


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
