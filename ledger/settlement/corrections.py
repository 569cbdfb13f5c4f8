"""Retroactive change of the cost bearer for past periods (a committee decision, a BRP correction).

Nothing is edited: each live cost line of the client that overlaps a changed period is reversed, and
new lines are booked for its days (the overlapping days with the new cost bearer, the rest with the
old one), in the open quarter of `today`, labelled "correctie op 2024-K2".
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..confidential_locations import location_to_sign
from ..costline_basis import contract_tariff_holds
from ..drafts import Draft
from ..entries import PARTY_RE, EntryRef
from ..errors import LedgerError
from ..store import AppendResult, Store
from . import store as sstore
from .booking import (
    SignerFor,
    _key,
    booking_quarter,
    cost_line_payload,
    live_lines,
    reversal_draft,
    sealed_quarters,
)
from .costlines import LineSpec, split_days
from .quarters import Quarter, correction_label, days

CORRECTION_INVALID = "CORRECTION_INVALID"


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date  # inclusive
    cost_bearer: str
    historical_budget: bool = False


def _periods(periods: Sequence[Period | tuple]) -> list[Period]:
    out = [p if isinstance(p, Period) else Period(*p) for p in periods]
    for p in out:
        if not isinstance(p.date_from, date) or not isinstance(p.date_to, date) or p.date_to < p.date_from:
            raise LedgerError(CORRECTION_INVALID, f"period {p.date_from}..{p.date_to} is not a date range")
        if not PARTY_RE.match(str(p.cost_bearer)):
            raise LedgerError(CORRECTION_INVALID, f"not a party: {p.cost_bearer!r}")
    out.sort(key=lambda p: p.date_from)
    for a, b in zip(out, out[1:]):
        if b.date_from <= a.date_to:
            raise LedgerError(CORRECTION_INVALID, f"periods overlap: {a.date_from}..{a.date_to} and "
                              f"{b.date_from}..{b.date_to}")
    return out


def draft_rebook(store: Store, *, client: str, periods: Sequence[Period | tuple[date, date, str, bool]],
                 reason: str, today: date, ref: EntryRef | dict | None = None,
                 decision: dict | None = None) -> list[tuple[str, Draft]]:
    """The reversals and new lines (unsigned, reversals first) that make `client`'s cost lines follow
    `periods`, each with the fronting party of its line; [] when nothing differs (see rebook)."""
    if not reason or not reason.strip():
        raise LedgerError(CORRECTION_INVALID, "a correction needs a reason")
    wanted = _periods(periods)
    det_ref: dict | None = None
    if ref is not None:
        r = ref.model_dump() if isinstance(ref, EntryRef) else dict(ref)
        kinds = sstore.entry_kinds(store, [int(r["seq"])])
        info = kinds.get(int(r["seq"]))
        if info is None or info[1].hex() != r["entry_hash"]:
            raise LedgerError(CORRECTION_INVALID, f"reference {r['seq']} is not an entry of this ledger")
        if info[0] in ("determination", "redetermination"):
            det_ref = {"seq": int(r["seq"]), "entry_hash": r["entry_hash"]}
    sealed = sealed_quarters(store)
    live = live_lines(store, client)
    all_rows = sstore.client_lines(store, client)
    items: list[tuple[str, Draft]] = []
    new_lines: list[tuple[str, Draft]] = []
    cuts = [(p.date_from, p.date_to, p) for p in wanted]
    for line in live:
        pieces = split_days(line.period_from, line.period_to, cuts)
        changed = any(v is not None and (v.cost_bearer != line.bearer or v.historical_budget != line.historical)
                      for _a, _b, v in pieces)
        if not changed:
            continue
        q = booking_quarter(sealed, line.period_from, today, correction=True)
        label = correction_label(line.period_from, line.period_to)
        items.append((line.fronting, reversal_draft(store, line, reason, q, label, decision)))
        for a, b, v in pieces:
            bearer = v.cost_bearer if v is not None else line.bearer
            hist = v.historical_budget if v is not None else line.historical
            spec = LineSpec(a, b, line.product, days(a, b), line.tariff_cents, "")
            payload = cost_line_payload(
                fronting=line.fronting, bearer=bearer, spec=spec, status=line.status, historical=hist,
                determination=det_ref if (v is not None and det_ref) else _det(store, line),
                agreement_version=None, placement_id=line.placement_id,
                location=location_to_sign(store, line.client, line.location), quarter=q,
                corrects=label)
            if not contract_tariff_holds(line.fronting, line.product, a, b, line.tariff_cents):
                # the old line's deviating tariff: the new piece is marked and provisional again, until
                # its cost bearer accepts it (ledger/settlement/tariff_acceptance.py)
                payload.update(tariff_deviation=True, status="provisional")
            if decision is not None:
                payload["decision"] = decision
                if v is not None:  # inside the decision's periods the decision is the basis
                    payload["determination"] = _det(store, line)
            content = (line.fronting, bearer, a, b, line.product, line.tariff_cents, line.status, hist)
            gen = sum(1 for r in all_rows if r.kind == "cost_line" and
                      (r.fronting, r.bearer, r.period_from, r.period_to, r.product, r.tariff_cents, r.status,
                       r.historical) == content)
            new_lines.append((line.fronting, Draft("cost_line", payload, f"cor-{_key(client, line.seq, *content, gen)}",
                                                   client)))
    return items + new_lines if items else []


def rebook(store: Store, signer_for: SignerFor, *, client: str, periods: Sequence[Period | tuple[date, date, str, bool]],
           reason: str, today: date, ref: EntryRef | dict | None = None,
           decision: dict | None = None) -> list[AppendResult]:
    """Book reversals and new lines so that `client`'s cost lines follow `periods`; idempotent.

    `decision`: the reference of the dispute_event whose decision orders the correction; every
    reversal and new line then carries it as its basis (ledger/costline_basis.py), and `signer_for`
    gives the operator's key (the operator books what a decision orders). Without it (a BRP
    correction) each party signs its own lines and `ref` names the determination they rest on.
    Returns the appended entries (reversals first, then new lines), [] when nothing differs.
    """
    drafts = draft_rebook(store, client=client, periods=periods, reason=reason, today=today, ref=ref,
                          decision=decision)
    if not drafts:
        return []
    now = store.clock()
    results = store.append_batch([d.signed(signer_for(party), now).as_item() for party, d in drafts])
    sstore.sync_index(store)
    return results


def _det(store: Store, line: sstore.Line) -> dict | None:
    if line.determination_seq is None:
        return None
    info = sstore.entry_kinds(store, [line.determination_seq]).get(line.determination_seq)
    return {"seq": line.determination_seq, "entry_hash": info[1].hex()} if info else None


__all__ = ["CORRECTION_INVALID", "Period", "Quarter", "draft_rebook", "rebook"]
