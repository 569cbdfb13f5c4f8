"""A case's machine-verifiable bundle: the `bwledger-bundle/1` format of ledger/bundle.py, for the
committee, plus the case and its document hashes.

Entries: every key entry up to the checkpoint (the verifier rebuilds the key registry from them); the
case's dispute events as "party" entries of COMMITTEE (they name it); every other entry about the
case's client pseudonym (the determination, N4, cost lines, reversals, bookings) as "reference"
entries. Each carries its RFC 9162 inclusion proof to the signed checkpoint, so `bwledger ledger
verify-bundle` checks it offline. Extra top-level keys (ignored by the ledger's verifier):
"case" (id, status, parties) and "documents" (number, title, party, date, media type, size, SHA-256,
and the seq of the signed event that lists the hash).
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ledger.bundle import FORMAT, checkpoint_document
from ledger.confidential_locations import confidentiality, without_withheld
from ledger.entries import COMMITTEE, KEY_KINDS
from ledger.errors import BUNDLE_MALFORMED, LedgerError
from ledger.merkle import MerkleTree
from ledger.store import EntryRow, Store, entries as entries_table

from .service import CaseView, case_view, list_documents

BUNDLE_NAME = "bwledger-bundle.json"


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class CaseBundle:
    case_id: str
    doc: dict
    entries: int
    tree_size: int

    def to_bytes(self) -> bytes:
        return (json.dumps(self.doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def case_entries(store: Store, view: CaseView) -> list[EntryRow]:
    """Every non-key entry about the case's client (the case's events among them), in seq order; the N1 and
    N2 of a SAFETY_CONFIDENTIAL client left out (the bundle goes to the committee and both parties, none of
    which needs where the client is: ledger/confidential_locations.py)."""
    rows = [r for r in store.rows_where(entries_table.c.client == view.client) if r.kind not in KEY_KINDS]
    conf = confidentiality(store, [view.client])
    return without_withheld(rows, lambda r: conf.withheld(COMMITTEE, r.kind, r.client))


def build_case_bundle(store: Store, case_id: str) -> CaseBundle:
    view = case_view(store, case_id)
    if store.operator is not None:
        store.checkpoint()
    cp = store.latest_checkpoint()
    if cp is None:
        raise LedgerError(BUNDLE_MALFORMED, "the ledger has no checkpoint to prove against")
    n = cp.tree_size
    rows = [r for r in case_entries(store, view) if r.seq < n]
    mine = {e.seq for e in view.events}
    tree = MerkleTree(store.leaf_hashes(n))
    keys = [r for r in store.key_rows() if r.seq < n]

    def encode(row: EntryRow, role: str) -> dict:
        return {"role": role, "seq": row.seq, "received_at": _iso(row.received_at), "prev_hash": row.prev_hash.hex(),
                "entry_hash": row.leaf_hash.hex(), "statement": base64.b64encode(row.statement).decode(),
                "signature": base64.b64encode(row.signature).decode(),
                "inclusion_proof": [p.hex() for p in tree.inclusion_proof(row.seq, n)]}

    party_rows = [r for r in rows if r.seq in mine]
    if not party_rows:
        raise LedgerError(BUNDLE_MALFORMED, f"case {case_id} has no events under the checkpoint yet")
    signed = view.signed_documents
    docs = [{"number": d.number, "title": d.title, "author_party": d.author_party,
             "document_date": d.document_date.isoformat(), "media_type": d.media_type, "filename": d.filename,
             "size": d.size, "sha256": d.sha256, "signed_in_seq": signed.get(d.sha256)}
            for d in list_documents(store, case_id)]
    doc = {
        "format": FORMAT, "party": COMMITTEE,
        "from": min(r.received_at for r in party_rows).astimezone(timezone.utc).date().isoformat(),
        "to": max(r.received_at for r in party_rows).astimezone(timezone.utc).date().isoformat(),
        "exported_at": _iso(store.clock()),
        "checkpoint": checkpoint_document(store, cp),
        "entries": [encode(r, "key") for r in keys] + [encode(r, "party" if r.seq in mine else "reference")
                                                       for r in rows],
        "case": {"case_id": case_id, "status": view.status, "claiming": view.parties.claiming,
                 "responding": view.parties.responding, "committee": view.parties.committee,
                 "client": view.client, "determination_seq": view.determination_seq},
        "documents": docs,
    }
    return CaseBundle(case_id, doc, len(rows), n)


def export_case_bundle(store: Store, case_id: str, out: Path) -> CaseBundle:
    """Write the case's bundle to `out` (JSON)."""
    b = build_case_bundle(store, case_id)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b.to_bytes())
    return b
