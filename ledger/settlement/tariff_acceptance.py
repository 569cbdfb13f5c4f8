"""A deviating tariff: the cost bearer accepts it, the fronting party then books the line definitive.

A cost line whose tariff is not the contract's is admitted only marked `tariff_deviation` and
provisional (ledger/costline_basis.py). Its cost bearer accepts it with a `tariff_acceptance` entry
that repeats the accepted terms (`accept_tariff`). The fronting party then replaces the provisional
line (`book_accepted_tariff`): a reversal of it and a definitive line on the same terms that refers
to the acceptance and the reversal. Both steps are idempotent: run again, they answer the entries
already there. The rules (who, which line, once) are the ledger's, at admission.

Each write is a draft first (ledger/drafts.py): `draft_accept_tariff` and `draft_book_accepted_tariff`
read the ledger and say what to sign; the local functions sign those drafts here, and the HTTP draft
endpoint (POST /v1/verrekeningen/concepten) hands them to the party to sign on its own machine. Booking is
two steps, because the definitive line names the reversal's seq and entry hash: the draft answers the
next statement given what is already admitted (found by the idempotency keys), so it is resumable.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from ..costline_basis import ACCEPTED_TERMS, accepted_tariff_key
from ..crypto import Signer
from ..drafts import Draft
from ..errors import TARIFF_ACCEPTANCE_INVALID, LedgerError
from ..store import AppendResult, Store, entries
from . import store as sstore
from .booking import booking_quarter, reversal_draft, reversal_key, sealed_quarters
from .quarters import correction_label

#: booking an accepted tariff takes at most this many drafts: the reversal, the definitive line, done
BOOKING_STEPS = 3


def _row(store: Store, seq: int, kind: str):
    row = store.get_rows([seq]).get(seq)
    if row is None or row.kind != kind:
        raise LedgerError(TARIFF_ACCEPTANCE_INVALID, f"entry {seq} is not a {kind}")
    return row


def _ref(row) -> dict:
    return {"seq": row.seq, "entry_hash": row.leaf_hash.hex()}


def acceptance_key(line_seq: int) -> str:
    """The idempotency key of the acceptance of cost line `line_seq`."""
    return f"tariff-accept:{line_seq}"


def draft_accept_tariff(store: Store, line_seq: int, *, note: str = "") -> Draft:
    """The acceptance of the deviating tariff of the provisional line at `line_seq`, for its cost bearer
    to sign (the same statement every time, so a second submission answers the first)."""
    row = _row(store, line_seq, "cost_line")
    line = json.loads(row.statement)["payload"]
    payload = {"cost_line": _ref(row), **{f: line[f] for f in ACCEPTED_TERMS}, "note": note}
    return Draft("tariff_acceptance", payload, acceptance_key(line_seq), row.client)


def accept_tariff(store: Store, signer: Signer, line_seq: int, *, note: str = "") -> AppendResult:
    """The cost bearer (`signer`) accepts the deviating tariff of the provisional line at `line_seq`."""
    d = draft_accept_tariff(store, line_seq, note=note)
    return store.append(*d.signed(signer, store.clock()).as_item())


@dataclass(frozen=True)
class TariffBooking:
    """Where booking acceptance `acceptance_seq` stands for `party`: the accepted line, the reversal and
    the definitive line already admitted (None while not), and the next statement to sign (None: done)."""

    acceptance_seq: int
    line_seq: int
    reversal: AppendResult | None
    definitive: AppendResult | None
    next: Draft | None


def _admitted(store: Store, party: str, key: str, kind: str) -> tuple[AppendResult, dict] | None:
    rows = store.rows_where(entries.c.author == party, entries.c.idempotency_key == key, entries.c.kind == kind)
    if not rows:
        return None
    r = rows[0]
    return AppendResult(r.seq, r.leaf_hash, r.received_at, True), json.loads(r.statement)["payload"]


def draft_book_accepted_tariff(store: Store, party: str, acceptance_seq: int, *, today: date) -> TariffBooking:
    """The next statement the fronting party (`party`) signs to replace the line accepted at
    `acceptance_seq` by a definitive one: the reversal (booked like a correction, in the open quarter
    of `today`), then, once that is admitted, the definitive line naming it; none when both are there."""
    acceptance = _row(store, acceptance_seq, "tariff_acceptance")
    line_seq = json.loads(acceptance.statement)["payload"]["cost_line"]["seq"]
    old = _row(store, line_seq, "cost_line")
    reason = f"tarief aanvaard door {acceptance.author}"
    reversal = _admitted(store, party, reversal_key(line_seq), "reversal")
    if reversal is not None and reversal[1].get("reason") != reason:
        reversal = None  # another reversal holds the key: drafted again, the ledger answers the conflict
    definitive = _admitted(store, party, accepted_tariff_key(acceptance_seq), "cost_line")
    done = TariffBooking(acceptance_seq, line_seq, reversal and reversal[0], definitive and definitive[0], None)
    if reversal is not None and definitive is not None:
        return done
    sstore.sync_index(store)
    indexed = next((ln for ln in sstore.client_lines(store, old.client or "") if ln.seq == line_seq), None)
    if indexed is None:
        raise LedgerError(TARIFF_ACCEPTANCE_INVALID, f"cost line {line_seq} is not in the settlement index")
    q = booking_quarter(sealed_quarters(store), indexed.period_from, today, correction=True)
    label = correction_label(indexed.period_from, indexed.period_to)
    if reversal is None:
        return TariffBooking(acceptance_seq, line_seq, None, done.definitive,
                             reversal_draft(store, indexed, reason, q, label))
    payload = dict(json.loads(old.statement)["payload"])
    payload.update(status="definitive", tariff_acceptance=_ref(acceptance),
                   replaces={"seq": reversal[0].seq, "entry_hash": reversal[0].entry_hash.hex()},
                   booking_quarter=q.code, corrects_period=label if q.code != indexed.booking_quarter else None)
    return TariffBooking(acceptance_seq, line_seq, reversal[0], None,
                         Draft("cost_line", payload, accepted_tariff_key(acceptance_seq), old.client))


def book_accepted_tariff(store: Store, signer: Signer, acceptance_seq: int, *, today: date
                         ) -> list[AppendResult]:
    """The fronting party (`signer`) replaces the accepted provisional line by a definitive one: its
    reversal, then the definitive line (draft_book_accepted_tariff, step by step); [reversal, line]."""
    made: dict[str, AppendResult] = {}
    for _ in range(BOOKING_STEPS):
        step = draft_book_accepted_tariff(store, signer.party, acceptance_seq, today=today)
        if step.next is None:
            sstore.sync_index(store)
            return [made.get("reversal", step.reversal), made.get("cost_line", step.definitive)]
        made[step.next.kind] = store.append(*step.next.signed(signer, store.clock()).as_item())
    raise LedgerError(TARIFF_ACCEPTANCE_INVALID, f"acceptance {acceptance_seq} was not booked in {BOOKING_STEPS} steps")


__all__ = ["TariffBooking", "accept_tariff", "book_accepted_tariff", "draft_accept_tariff",
           "draft_book_accepted_tariff"]
