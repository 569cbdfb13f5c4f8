"""The quarter page of one municipality and a ledger entry's page: edge checks (Dutch messages for a
person) over ledger.settlement.service; no business logic here."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from api.compose import RequestInvalid
from ledger.errors import LedgerError
from ledger.store import Store

#: what the reconciliation upload takes (their own administration's export)
RECONCILE_SUFFIXES = (".xlsx", ".csv")
RECONCILE_MAX_BYTES = 5_000_000
RECONCILE_TYPE_REFUSED = "RECONCILE_FILE_TYPE_REFUSED"
RECONCILE_TOO_LARGE = "RECONCILE_FILE_TOO_LARGE"
RECONCILE_EMPTY = "RECONCILE_FILE_MISSING"

#: the Dutch message a person reads for a refused reconciliation file, by code
RECONCILE_NL = {
    RECONCILE_EMPTY: "Kies een bestand: uw eigen overzicht van het kwartaal als .xlsx of .csv.",
    RECONCILE_TYPE_REFUSED: "Dit bestandstype wordt niet aanvaard. Kies een .xlsx- of .csv-bestand "
                            "(sla .xls of .ods eerst op als .xlsx).",
    RECONCILE_TOO_LARGE: f"Het bestand is groter dan {RECONCILE_MAX_BYTES // 1_000_000} MB. Kies een kleiner "
                         "bestand, bijvoorbeeld alleen dit kwartaal.",
    "RECONCILE_FILE_UNREADABLE": "Het bestand is niet te lezen als spreadsheet of CSV. Controleer of het een "
                                 "echt .xlsx- of .csv-bestand is en probeer het opnieuw.",
}


def check_quarter(text: str | None) -> str:
    from ledger.settlement.quarters import Quarter

    try:
        return Quarter.parse((text or "").strip()).code
    except LedgerError:
        raise RequestInvalid("kwartaal", f"geen kwartaal: {text!r} (bijvoorbeeld 2026K1)") from None


def check_municipality(code: str | None) -> str:
    """A municipality code of the register (GMxxxx), or a Dutch refusal."""
    from rules import loader

    code = (code or "").strip()
    if not code.startswith("GM") or loader.municipality_register().name(code) in (None, code):
        raise RequestInvalid("partij", f"onbekende gemeentecode: {code!r}")
    return code


def determination_trail(store: Store, seq: int, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The kept rule trail of a recorded determination (its Determination.to_dict(), with the flags'
    alternative outcomes), or None. The one place the quarter page asks for it: the trail store
    (GET /v1/beoordelingen/{digest}/spoor) plugs in here; until it does, no trail is kept, and the
    page says so for each flag instead of offering an alternative."""
    return None


def quarter(store: Store, quarter_code: str, party: str, *, viewer: str | None, sees_party=lambda _p: True,
            reading: str | None = None, keys: list[str] = ()) -> dict[str, Any]:
    """The page's view (ledger.settlement.quarter_view) and, when chosen, the what-if next to it (its
    rows: the municipalities `sees_party` allows, differing or the party itself)."""
    from ledger.settlement import service

    view = service.quarter_page(store, quarter_code, party, viewer=viewer,
                                trail_of=lambda seq, p: determination_trail(store, seq, p))
    chosen_keys: dict[str, str] = {}
    for item in keys:
        pool, _, key = str(item).partition("=")
        if pool and key:
            chosen_keys[pool] = key
    out: dict[str, Any] = {"view": view, "whatif": None, "whatif_fout": None, "sleutel_fout": None,
                           "lezing": reading or "", "sleutels": chosen_keys, "whatif_rijen": []}
    if reading or chosen_keys:
        try:
            out["whatif"] = service.quarter_whatif(store, view, readings=[reading] if reading else [],
                                                   keys=chosen_keys)
        except LedgerError as exc:
            from ledger.settlement.quarter_view import WHATIF_KEY_UNKNOWN

            out["sleutel_fout" if exc.code == WHATIF_KEY_UNKNOWN else "whatif_fout"] = exc.message
        if out["whatif"] is not None:
            out["whatif_rijen"] = [d for d in out["whatif"].differences
                                   if sees_party(d.party) and (d.party == party or d.difference_cents)]
    return out


def reconcile_upload(store: Store, quarter_code: str, party: str, filename: str | None, data: bytes):
    """Their file against the party's statement (ledger.settlement.service.reconcile_file's matching):
    an .xlsx or .csv of at most RECONCILE_MAX_BYTES; a refusal is a LedgerError with its code."""
    from ledger.reports.reconcile import reconcile

    name = Path(filename or "").name
    if not name or not data:
        raise LedgerError(RECONCILE_EMPTY, RECONCILE_NL[RECONCILE_EMPTY])
    suffix = Path(name).suffix.lower()
    if suffix not in RECONCILE_SUFFIXES:
        raise LedgerError(RECONCILE_TYPE_REFUSED, RECONCILE_NL[RECONCILE_TYPE_REFUSED])
    if len(data) > RECONCILE_MAX_BYTES:
        raise LedgerError(RECONCILE_TOO_LARGE, RECONCILE_NL[RECONCILE_TOO_LARGE])
    if suffix == ".xlsx" and data[:2] != b"PK":
        raise LedgerError("RECONCILE_FILE_UNREADABLE", RECONCILE_NL["RECONCILE_FILE_UNREADABLE"])
    with tempfile.TemporaryDirectory(prefix="bwledger-reconcile-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        rec = reconcile(store, quarter_code, party, path)
    from dataclasses import replace

    return replace(rec, source=name)


def entry(store: Store, seq: str, *, sees_all: bool, viewer: str | None) -> dict[str, Any] | None:
    """One ledger entry as its page shows it, or None when it does not exist or the caller may not see it
    (it concerns none of the parties the caller sees: ledger.bundle.concerns; a confidential client's
    N1/N2 withheld as on the ledger page)."""
    from ledger.bundle import concerns
    from ledger.confidential_locations import confidentiality
    from ledger.entries import parse_statement

    try:
        n = int(seq)
    except (TypeError, ValueError):
        return None
    rows = store.get_rows([n])
    row = rows.get(n)
    if row is None:
        return None
    st = parse_statement(row.statement)
    refs = {name: r.seq for name, r in st.payload.refs().items()}
    referenced = store.get_rows(sorted(set(refs.values())))
    parsed = {s: parse_statement(r.statement) for s, r in referenced.items()}
    if not sees_all and (viewer is None or not concerns(viewer, st, lambda s: parsed.get(s))):
        return None
    conf = confidentiality(store, {row.client} if row.client else set())
    if conf.withheld(viewer, row.kind, row.client):
        return None
    payload = conf.payload_for(viewer, row.kind, row.client, json.loads(row.statement)["payload"], row.author)
    trail = determination_trail(store, row.seq, payload) if row.kind in ("determination", "redetermination") else None
    return {"seq": row.seq, "kind": row.kind, "author": row.author, "client": row.client,
            "received_at": row.received_at, "entry_hash": row.leaf_hash.hex(), "payload": payload,
            "refs": refs, "authored_at": json.loads(row.statement)["authored_at"], "trail": trail}
