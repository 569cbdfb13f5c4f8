"""N5 (handover request) and its answer (issue 14): the service functions `bwledger handover send|answer`
and `POST /v1/overdrachtsverzoeken` (and `.../{volgnummer}/antwoorden`) share. The meldgemeente asks the
party with the best chance of success to take the client over (spec section 4, R8 `LT_CHECK`); that party
answers once, yes from a date or no with reasons. What is admitted is the ledger's (ledger/notices.py:
the parties exist, the basis is listed, the answer by the party asked, once, for the request's client).
Each has a draft function (for signing on the party's own machine or in its browser) and a local one."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from ledger.crypto import Signer
from ledger.drafts import Draft
from ledger.notices import handover_answer_due
from ledger.store import AppendResult, Store

from .errors import CaseError

HANDOVER_NOT_FOUND = "HANDOVER_NOT_FOUND"
HANDOVER_INVALID = "HANDOVER_INVALID"


def draft_request(*, meldgemeente: str, to_party: str, client: str, reasons: str, proposed_date: date,
                  client_preference: str = "", legal_basis: str = "pseudoniem") -> Draft:
    """The N5 the meldgemeente signs."""
    if not reasons.strip():
        raise CaseError(HANDOVER_INVALID, "een overdrachtsverzoek noemt de redenen (de meeste kans van slagen)")
    payload: dict[str, Any] = {"meldgemeente": meldgemeente, "to_party": to_party, "reasons": reasons.strip(),
                               "proposed_date": proposed_date.isoformat(), "legal_basis": legal_basis}
    if client_preference.strip():
        payload["client_preference"] = client_preference.strip()
    return Draft("handover_request", payload, f"n5:{client}:{to_party}:{proposed_date.isoformat()}", client)


def _request_row(store: Store, seq: int):
    row = store.get_rows([seq]).get(seq)
    if row is None or row.kind != "handover_request":
        raise CaseError(HANDOVER_NOT_FOUND, f"grootboekregel {seq} is geen overdrachtsverzoek (N5)")
    return row


def draft_answer(store: Store, seq: int, *, accepted: bool, reasons: str = "",
                 take_over_date: date | None = None) -> Draft:
    """The answer to the N5 at `seq`: yes from `take_over_date` (default the proposed date), or no with reasons."""
    row = _request_row(store, seq)
    request = json.loads(row.statement)["payload"]
    payload: dict[str, Any] = {"request": {"seq": row.seq, "entry_hash": row.leaf_hash.hex()}, "accepted": accepted}
    if accepted:
        payload["take_over_date"] = (take_over_date or date.fromisoformat(request["proposed_date"])).isoformat()
    elif not reasons.strip():
        raise CaseError(HANDOVER_INVALID, "wie een overdracht afwijst, noemt de redenen")
    if reasons.strip():
        payload["reasons"] = reasons.strip()
    return Draft("handover_answer", payload, f"n5-antwoord:{row.seq}", row.client)


def answer_due(store: Store, seq: int) -> date:
    """The last day to answer the N5 at `seq` (two weeks after its receipt)."""
    from ledger.admission import local_date

    return handover_answer_due(local_date(_request_row(store, seq).received_at))


def send(store: Store, signer: Signer, **kwargs: Any) -> AppendResult:
    """`draft_request` for `signer`'s party, signed here and appended."""
    return store.append(*draft_request(meldgemeente=signer.party, **kwargs).signed(signer, store.clock()).as_item())


def answer(store: Store, signer: Signer, seq: int, **kwargs: Any) -> AppendResult:
    """`draft_answer`, signed here and appended."""
    return store.append(*draft_answer(store, seq, **kwargs).signed(signer, store.clock()).as_item())
