"""Erasing a client's personal data (retention, an AVG request): `bwledger clients erase PSEUDONYM --reason`.

Every copy goes: the client's data key is destroyed (cases/client_keys.py), so its exhibits, stored facts
and trail can no longer be decrypted by anyone; their ciphertext files are removed as well, and so are
the outputs holding its data (the dossiers of its cases in outputs/, cases.dossier.dossier_filename), and
any plain-text copy a store from before the encryption still held. Reading any of them afterwards answers
CLIENT_ERASED ("gegevens gewist"), never a crash.

The ledger is not touched: it names the client by pseudonym only, so it still verifies and every
statement total stays the same. The erasure is recorded (who, when, why; the pseudonym, no personal data)
in the client's key row; its reason is refused when it holds personal data itself (ledger.privacy).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ledger.privacy import WHAT, find
from ledger.store import Store

from .client_keys import Erasure
from .documents import ContentStore
from .dossier import dossier_filename
from .errors import CLIENT_UNKNOWN, ERASURE_INVALID, CaseError
from .service import data_owner, list_cases
from .store import CaseStore


@dataclass(frozen=True)
class ErasureReport:
    erasure: Erasure
    case_ids: tuple[str, ...]
    documents_removed: int
    outputs_removed: tuple[Path, ...]


def erase_client(store: Store, documents: ContentStore, client: str, *, by: str, reason: str,
                 outputs_dir: Path | None = None) -> ErasureReport:
    """Destroy the data key of `client` (a pseudonym), remove its documents and the outputs holding its data,
    and record who (`by`), when and why (`reason`). A client erased before answers the first record (the
    files are removed again if any came back). CLIENT_UNKNOWN when the ledger has no case of it and nothing
    was stored for it; ERASURE_INVALID for an empty reason or one holding personal data."""
    client, reason, by = client.strip(), reason.strip(), by.strip()
    if not reason:
        raise CaseError(ERASURE_INVALID, "een wissing heeft een reden nodig (--reason)")
    what = find(reason)
    if what:
        raise CaseError(ERASURE_INVALID, f"de reden bevat {WHAT[what]}; schrijf de reden zonder persoonsgegevens")
    if not by:
        raise CaseError(ERASURE_INVALID, "een wissing noemt wie haar uitvoert")
    cases = [v for v in list_cases(store) if data_owner(v) == client]
    keys = documents.keys
    if keys.key_id_of(client) is None:
        if not cases:
            raise CaseError(CLIENT_UNKNOWN, f"het grootboek kent geen geschil van cliënt {client} en er zijn "
                                            f"geen gegevens van opgeslagen")
        keys.key_for(client, create=True)  # nothing stored yet: a key only to record the erasure on
    erasure = keys.destroy(client, by=by, reason=reason)
    removed = documents.remove_client(erasure.key_id)
    for v in cases:  # plain-text copies of a store from before the encryption
        for d in CaseStore(store).list(v.case_id, role=None):
            legacy = documents.legacy_path(d.sha256)
            if legacy.exists():
                legacy.unlink()
                removed += 1
    outputs: list[Path] = []
    if outputs_dir is not None:
        for v in cases:
            out = Path(outputs_dir) / dossier_filename(v.case_id)
            if out.exists():
                out.unlink()
                outputs.append(out)
    return ErasureReport(erasure, tuple(v.case_id for v in cases), removed, tuple(outputs))

