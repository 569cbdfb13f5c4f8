"""A deviating tariff: the cost bearer accepts it, the fronting party then books the line definitive.

A cost line whose tariff is not the contract's is admitted only marked `tariff_deviation` and
provisional (ledger/costline_basis.py). Its cost bearer accepts it with a `tariff_acceptance` entry
that repeats the accepted terms (`accept_tariff`). The fronting party then replaces the provisional
line (`book_accepted_tariff`): a reversal of it and a definitive line on the same terms that refers
to the acceptance and the reversal. Both steps are idempotent: run again, they answer the entries
already there. The rules (who, which line, once) are the ledger's, at admission.
"""
from __future__ import annotations

import json
from datetime import date

from ..costline_basis import ACCEPTED_TERMS, accepted_tariff_key
from ..crypto import Signer
from ..errors import TARIFF_ACCEPTANCE_INVALID, LedgerError
from ..service import sign_statement
from ..store import AppendResult, Store
from . import store as sstore
from .booking import booking_quarter, reversal_statement, sealed_quarters
from .quarters import correction_label


def _row(store: Store, seq: int, kind: str):
    row = store.get_rows([seq]).get(seq)
    if row is None or row.kind != kind:
        raise LedgerError(TARIFF_ACCEPTANCE_INVALID, f"entry {seq} is not a {kind}")
    return row


def _ref(row) -> dict:
    return {"seq": row.seq, "entry_hash": row.leaf_hash.hex()}


def accept_tariff(store: Store, signer: Signer, line_seq: int, *, note: str = "") -> AppendResult:
    """The cost bearer (`signer`) accepts the deviating tariff of the provisional line at `line_seq`."""
    row = _row(store, line_seq, "cost_line")
    line = json.loads(row.statement)["payload"]
    payload = {"cost_line": _ref(row), **{f: line[f] for f in ACCEPTED_TERMS}, "note": note}
    st = sign_statement(signer, "tariff_acceptance", payload, idempotency_key=f"tariff-accept:{line_seq}",
                        client=row.client, authored_at=store.clock())
    return store.append(*st.as_item())


def book_accepted_tariff(store: Store, signer: Signer, acceptance_seq: int, *, today: date
                         ) -> list[AppendResult]:
    """The fronting party (`signer`) replaces the accepted provisional line by a definitive one: its
    reversal (booked like a correction, in the open quarter), then the definitive line."""
    acceptance = _row(store, acceptance_seq, "tariff_acceptance")
    line_seq = json.loads(acceptance.statement)["payload"]["cost_line"]["seq"]
    old = _row(store, line_seq, "cost_line")
    sstore.sync_index(store)
    indexed = next((ln for ln in sstore.client_lines(store, old.client or "") if ln.seq == line_seq), None)
    if indexed is None:
        raise LedgerError(TARIFF_ACCEPTANCE_INVALID, f"cost line {line_seq} is not in the settlement index")
    q = booking_quarter(sealed_quarters(store), indexed.period_from, today, correction=True)
    label = correction_label(indexed.period_from, indexed.period_to)
    reversal = reversal_statement(store, lambda _party: signer, indexed, f"tarief aanvaard door {acceptance.author}",
                                  q, label)
    rev = store.append(*reversal.as_item())
    payload = dict(json.loads(old.statement)["payload"])
    payload.update(status="definitive", tariff_acceptance=_ref(acceptance),
                   replaces={"seq": rev.seq, "entry_hash": rev.entry_hash.hex()},
                   booking_quarter=q.code, corrects_period=label if q.code != indexed.booking_quarter else None)
    line = sign_statement(signer, "cost_line", payload, idempotency_key=accepted_tariff_key(acceptance_seq),
                          client=old.client, authored_at=store.clock())
    results = [rev, store.append(*line.as_item())]
    sstore.sync_index(store)
    return results


__all__ = ["accept_tariff", "book_accepted_tariff"]
