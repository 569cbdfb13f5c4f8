"""What a placement record must rest on, and what a cost line booked from one must agree with (pure;
issue 14, from rule set 2026-12-04: ledger/data/admission.toml, family `placements`).

A `placement` entry (ledger/entries.py `PlacementRecord`) is the fronting party's record of a placement it
contracted: client, provider, product, start and end, the contract whose tariffs apply, the
determination naming the cost bearer and, for a placement outside the placing region, its N1. The
monthly cost lines are booked from it (ledger/settlement/booking.py `book_month`). It is admitted only:

- by its fronting party (the entitlement table, ledger/data/entitlements.toml), a municipality that
  exists on the start date, with a municipality as cost bearer (never the committee or the operator);
- on a determination or re-determination of the same client that names that cost bearer, from a
  reference date on or before the start (the basis a cost line needs, ledger/costline_basis.py: a
  placement whose lines would be refused is refused itself);
- for a product of the catalogue and a contract the fronting party uses (its own or its region's,
  ledger/data/tariffs.toml) that has a tariff for that product on the start date (`contract` absent:
  the one the fronting party uses by default);
- naming, as its N1 (`notice`), an N1 of the same client sent by the fronting party;
- as a chain per fronting party and `placement_id`: the first record replaces nothing, each later one
  replaces (`previous`) exactly the newest record of that placement, of the same client. So the newest
  record is the placement as it stands, and nothing can fork it.

A cost line that names its placement record (`placement`) must agree with it: the same client, fronting
party, placement id and product, and a period within the placement's start and end. (Its cost bearer is
the basis's to judge: a decision may name another one for a period.)
"""
from __future__ import annotations

from datetime import date
from typing import NamedTuple

from .costline_basis import determination_basis_problem
from .errors import PLACEMENT_INVALID, PRODUCT_UNKNOWN, TARIFF_INVALID, LedgerError
from .parties import municipality_problem
from .settlement.catalogue import load_catalogue


class _Span(NamedTuple):
    """What determination_basis_problem reads of a line: its cost bearer and first day."""

    cost_bearer: str
    period_from: date


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def contract_problem(fronting: str, product: str, contract: str | None, on: date) -> LedgerError | None:
    """The contract (or, absent, the fronting party's default one) is one the fronting party uses and has
    a tariff for `product` on `on`."""
    cat = load_catalogue()
    usable = cat.contracts_for(fronting)
    cid = contract or (usable[0] if usable else None)
    if cid is None or cid not in usable:
        return LedgerError(TARIFF_INVALID, f"contract {cid or '-'} is not a contract {fronting} uses "
                                           f"(known: {', '.join(usable) or 'none'})")
    if not any(t.contract == cid and t.product == product and t.covers(on) for t in cat.tariffs):
        return LedgerError(TARIFF_INVALID, f"contract {cid} has no tariff for {product} on {on.isoformat()}")
    return None


def placement_problem(author: str, p, client: str | None, refs: dict, heads: dict[tuple[str, str], int]
                      ) -> LedgerError | None:
    """Why a placement record (a PlacementRecord model, its resolved references; `heads`: the newest
    record seq per (fronting party, placement id)) may not be admitted, or None."""
    for field in ("fronting_party", "cost_bearer"):
        err = municipality_problem(field, getattr(p, field), p.start_date)
        if err:
            return err
    err = determination_basis_problem(_Span(p.cost_bearer, p.start_date), client, refs["determination"])
    if err:
        return err
    if p.product not in load_catalogue().products:
        return LedgerError(PRODUCT_UNKNOWN, f"product {p.product!r} is not in the catalogue")
    err = contract_problem(p.fronting_party, p.product, p.contract, p.start_date)
    if err:
        return err
    notice = refs.get("notice")
    if notice is not None and (notice.client != client or notice.payload.get("placing_party") != author):
        return LedgerError(PLACEMENT_INVALID, f"notice: entry {notice.seq} is not an N1 of this client by {author}")
    head = heads.get((author, p.placement_id))
    previous = refs.get("previous")
    if previous is None:
        if head is not None:
            return LedgerError(PLACEMENT_INVALID, f"placement {p.placement_id} was recorded before (entry {head}): "
                                                  "a new record replaces the newest one (field previous)")
        return None
    if previous.seq != head or previous.client != client or previous.payload.get("placement_id") != p.placement_id:
        return LedgerError(PLACEMENT_INVALID, f"previous: entry {previous.seq} is not the newest record of placement "
                                              f"{p.placement_id} of this client"
                                              + (f" (that is entry {head})" if head is not None else ""))
    return None


def cost_line_placement_problem(line, client: str | None, placement) -> LedgerError | None:
    """A cost line (a CostLine model) naming its placement record (RefInfo) agrees with it."""
    if placement is None:
        return None
    p = placement.payload
    if placement.client != client:
        return LedgerError(PLACEMENT_INVALID, f"placement: entry {placement.seq} is about another client")
    differs = [f for f, mine in (("fronting_party", line.fronting_party), ("placement_id", line.placement_id),
                                 ("product", line.product)) if p.get(f) != mine]
    if differs:
        return LedgerError(PLACEMENT_INVALID, f"the line differs from placement {placement.seq} in {', '.join(differs)}")
    start, end = _day(p["start_date"]), p.get("end_date")
    if line.period_from < start or (end is not None and line.period_to > _day(end)):
        return LedgerError(PLACEMENT_INVALID, f"{line.period_from.isoformat()}..{line.period_to.isoformat()} is not "
                                              f"within placement {placement.seq} ({start.isoformat()}.."
                                              f"{end or 'lopend'})")
    return None


__all__ = ["contract_problem", "cost_line_placement_problem", "placement_problem"]
