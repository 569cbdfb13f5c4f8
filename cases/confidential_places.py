"""The place of a SAFETY_CONFIDENTIAL client, kept encrypted with the client's own data key, for the
parties that need it (spec 8.7, case E40; the rule: ledger/confidential_locations.py).

The ledger never holds such a place in clear: the N1 says `location = "vertrouwelijk"` and may carry
`location_ref`, the SHA-256 of a sealed place in the clients' encrypted store (cases/documents.py,
ContentStore). So the host municipality and region learn the place through the system, and nobody else:

1. the placing party seals the place (`seal_place`): {"v", "client", "place", "sealed_by", "nonce"} as
   canonical JSON, put encrypted under the client's key; the random nonce makes the reference no digest a
   reader could guess a place from. The answer is the reference it signs into its N1.
2. a party reads it back through the signed N1 (`read_place`): only when the N1 is of a client whose place
   it may see (`Confidentiality.sees_locations`: the placing party, the host municipality and region), and
   only the place the N1 refers to. Any other reader, a missing N1 or reference: `PLACE_NOT_FOUND`, the
   same answer, so nobody learns whether there is a place to see.
3. erasing the client (cases/erasure.py) destroys its key: the place can no longer be read
   (`CLIENT_ERASED`), and the ledger still verifies (it only ever held the reference).
"""
from __future__ import annotations

import json
import os

from ledger.canonical import canonical_json
from ledger.confidential_locations import MASK, confidentiality
from ledger.privacy import personal_data_problem
from ledger.store import Store

from .documents import ContentStore
from .errors import PLACE_INVALID, PLACE_NOT_FOUND, CaseError

MAX_PLACE = 400
_FORMAT = "bwledger-place/1"


def seal_place(documents: ContentStore, client: str, place: str, *, by: str) -> str:
    """Keep `place` encrypted with `client`'s data key; the reference (`location_ref`) to sign into the N1."""
    text = place.strip() if isinstance(place, str) else ""
    if not text or len(text) > MAX_PLACE or text == MASK:
        raise CaseError(PLACE_INVALID, f"de plaats is verplicht, hoogstens {MAX_PLACE} tekens")
    err = personal_data_problem(json.dumps({"place": text}).encode())
    if err is not None:  # a street address with postcode and number is more than a place needs
        raise CaseError(PLACE_INVALID, "de plaats bevat persoonsgegevens (een BSN, e-mailadres of postcode met "
                                       "huisnummer): noem de voorziening, niet het adres")
    raw = canonical_json({"v": _FORMAT, "client": client, "place": text, "sealed_by": by,
                          "nonce": os.urandom(16).hex()})
    return documents.put(client, raw)


def read_place(store: Store, documents: ContentStore, seq: int, *, viewer: str | None) -> dict[str, object]:
    """The place the N1 at `seq` refers to, for `viewer` (the caller's party) when it may see it."""
    not_found = CaseError(PLACE_NOT_FOUND, f"geen vertrouwelijke plaats bij grootboekregel {seq} die u mag inzien")
    row = store.get_rows([seq]).get(seq)
    if row is None or row.kind != "placement_notice" or row.client is None:
        raise not_found
    payload = json.loads(row.statement)["payload"]
    ref = payload.get("location_ref")
    if not ref or not confidentiality(store, [row.client]).sees_locations(viewer, row.client):
        raise not_found
    sealed = json.loads(documents.get(row.client, ref))  # CLIENT_ERASED once the client's key is destroyed
    if sealed.get("v") != _FORMAT or sealed.get("client") != row.client:
        raise not_found
    return {"seq": seq, "client": row.client, "place": sealed["place"], "sealed_by": sealed["sealed_by"],
            "host_municipality": payload["host_municipality"], "start_date": payload["start_date"]}


__all__ = ["PLACE_INVALID", "PLACE_NOT_FOUND", "read_place", "seal_place"]
