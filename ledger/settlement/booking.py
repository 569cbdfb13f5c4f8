"""Booking cost lines and reversals for placements (append-only: changes are reversals plus new lines)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date

from ..confidential_locations import location_to_sign
from ..crypto import Signer
from ..drafts import Draft
from ..service import SignedStatement, sign_statement
from ..store import AppendResult, Store
from . import store as sstore
from .catalogue import Catalogue, load_catalogue
from .costlines import LineSpec, Placement, line_specs
from .quarters import Quarter, correction_label

SignerFor = Callable[[str], Signer]


def sealed_quarters(store: Store, conn=None) -> dict[str, tuple[int, int]]:
    """quarter code -> (through_seq, seal entry seq) of every sealed quarter."""
    out: dict[str, tuple[int, int]] = {}
    for seq, _author, _client, p, _at in sstore.entries_of_kind(store, ["settlement_seal"], conn=conn):
        q = p.get("quarter") or Quarter.of(date.fromisoformat(p["period_from"])).code
        out.setdefault(q, (p["through_seq"], seq))
    return out


def open_quarter(sealed: dict[str, tuple[int, int]], q: Quarter) -> Quarter:
    """`q`, or the first quarter after it that is not sealed."""
    while q.code in sealed:
        q = q.next()
    return q


def booking_quarter(sealed: dict[str, tuple[int, int]], period_from: date, today: date | None,
                    correction: bool) -> Quarter:
    """Where a line is booked (label it 'correctie op ...' when that is not its period's quarter).

    A regular line goes into its period's quarter; a correction (another cost bearer for a past
    period) into the open quarter of `today`; either moves on past sealed quarters.
    """
    pq = Quarter.of(period_from)
    q = max(pq, Quarter.of(today)) if (correction and today is not None) else pq
    return open_quarter(sealed, q)


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:40]


def cost_line_payload(*, fronting: str, bearer: str, spec: LineSpec, status: str, historical: bool,
                      determination: dict | None, agreement_version: str | None, placement_id: str | None,
                      location: str | None, quarter: Quarter, corrects: str | None) -> dict:
    return {"fronting_party": fronting, "cost_bearer": bearer, "period_from": spec.period_from.isoformat(),
            "period_to": spec.period_to.isoformat(), "product": spec.product, "units": spec.units,
            "tariff_cents": spec.tariff_cents, "amount_cents": spec.amount_cents, "status": status,
            "historical_budget": historical, "determination": determination,
            "agreement_version": agreement_version, "placement_id": placement_id or None,
            "location": location or None, "booking_quarter": quarter.code, "corrects_period": corrects}


def _content(line: sstore.Line) -> tuple:
    return (line.fronting, line.bearer, line.period_from, line.period_to, line.product, line.tariff_cents,
            line.status, line.historical)


def live_lines(store: Store, client: str) -> list[sstore.Line]:
    """The client's cost lines that no reversal cancels (after bringing the index up to date)."""
    sstore.sync_index(store)
    rows = sstore.client_lines(store, client)
    reversed_ = {r.reverses_seq for r in rows if r.kind == "reversal"}
    return [r for r in rows if r.kind == "cost_line" and r.seq not in reversed_]


def _generation(rows: Sequence[sstore.Line], content: tuple) -> int:
    return sum(1 for r in rows if r.kind == "cost_line" and _content(r) == content)


def book_placement(store: Store, signer_for: SignerFor, placement: Placement, *, until: date,
                   today: date | None = None, reason: str = "nieuwe beschikking",
                   catalogue: Catalogue | None = None) -> list[AppendResult]:
    """Bring the placement's cost lines in line with `placement` up to `until`, in one batch.

    Lines that already exist unchanged are kept; lines that differ (another cost bearer, product,
    tariff, status, period) are reversed and new ones booked. Calling it twice books nothing new.
    A line whose period lies in a sealed quarter goes into the next open quarter, labelled
    "correctie op <quarter>"; a changed cost bearer is booked in the open quarter of `today`.
    """
    cat = catalogue or load_catalogue()
    specs = line_specs(placement, cat, until)
    sealed = sealed_quarters(store)
    sstore.sync_index(store)
    all_rows = [r for r in sstore.client_lines(store, placement.client) if r.placement_id == placement.placement_id]
    reversed_ = {r.reverses_seq for r in all_rows if r.kind == "reversal"}
    live = [r for r in all_rows if r.kind == "cost_line" and r.seq not in reversed_]
    want = {(placement.fronting_party, placement.cost_bearer, s.period_from, s.period_to, s.product,
             s.tariff_cents, placement.status, placement.historical_budget): s for s in specs}
    keep = {c for c in (_content(r) for r in live) if c in want}
    bearer_changed = any(r.bearer != placement.cost_bearer or r.historical != placement.historical_budget
                         for r in live)
    items: list[SignedStatement] = []
    location = location_to_sign(store, placement.client, placement.location)  # spec 8.7: "vertrouwelijk"
    for r in live:
        if _content(r) in keep:
            continue
        q = booking_quarter(sealed, r.period_from, today, correction=True)
        label = correction_label(r.period_from, r.period_to) if q != Quarter.of(r.period_from) else None
        items.append(_reversal(store, signer_for, r, reason, q, label))
    for content, spec in want.items():
        if content in keep:
            continue
        q = booking_quarter(sealed, spec.period_from, today, correction=bearer_changed)
        label = correction_label(spec.period_from, spec.period_to) if q != Quarter.of(spec.period_from) else None
        payload = cost_line_payload(fronting=placement.fronting_party, bearer=placement.cost_bearer, spec=spec,
                                    status=placement.status, historical=placement.historical_budget,
                                    determination=placement.determination,
                                    agreement_version=placement.agreement_version,
                                    placement_id=placement.placement_id, location=location,
                                    quarter=q, corrects=label)
        gen = _generation(all_rows, content)
        items.append(sign_statement(signer_for(placement.fronting_party), "cost_line", payload,
                                    idempotency_key=f"cl-{_key(placement.placement_id, *content, gen)}",
                                    client=placement.client))
    if not items:
        return []
    results = store.append_batch([i.as_item() for i in items])
    sstore.sync_index(store)
    return results


def reversal_draft(store: Store, line: sstore.Line, reason: str, q: Quarter, label: str | None,
                   decision: dict | None = None) -> Draft:
    """The unsigned reversal of `line` by its fronting party, booked in `q` (ledger/drafts.py)."""
    kinds = sstore.entry_kinds(store, [line.seq])
    payload = {"reverses": {"seq": line.seq, "entry_hash": kinds[line.seq][1].hex()}, "reason": reason,
               "booking_quarter": q.code, "corrects_period": label}
    if decision is not None:  # the decision that orders it (ledger/costline_basis.py)
        payload["decision"] = decision
    return Draft("reversal", payload, reversal_key(line.seq), line.client or None)


def reversal_key(line_seq: int) -> str:
    """The idempotency key of the reversal of cost line `line_seq`."""
    return f"rev-{line_seq}"


def _reversal(store: Store, signer_for: SignerFor, line: sstore.Line, reason: str, q: Quarter,
              label: str | None, decision: dict | None = None) -> SignedStatement:
    d = reversal_draft(store, line, reason, q, label, decision)
    return sign_statement(signer_for(line.fronting), d.kind, d.payload, idempotency_key=d.idempotency_key,
                          client=d.client)


def reversal_statement(store: Store, signer_for: SignerFor, line: sstore.Line, reason: str, q: Quarter,
                       label: str | None, decision: dict | None = None) -> SignedStatement:
    """A signed reversal of `line`, booked in `q` (public for corrections)."""
    return _reversal(store, signer_for, line, reason, q, label, decision)
