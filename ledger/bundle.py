"""A party's self-contained bundle, and its offline verification (no database, no network).

Format: one UTF-8 JSON file, `"format": "bwledger-bundle/1"`:

    {
      "format": "bwledger-bundle/1",
      "party": "GM0166", "from": "2026-01-01", "to": "2026-03-31",   # received dates, inclusive
      "exported_at": "2026-04-01T09:00:00.000000Z",
      "checkpoint": {"tree_size": N, "root_hash": hex, "timestamp": "...Z", "key_id": hex,
                     "signature": base64},           # Ed25519 by the operator over checkpoint_body()
      "entries": [
        {"role": "party" | "reference" | "key",
         "seq": int, "received_at": "...Z", "prev_hash": hex, "entry_hash": hex,
         "statement": base64 (the exact signed bytes), "signature": base64,
         "inclusion_proof": [hex, ...]}              # RFC 9162 2.1.3 audit path to the checkpoint
      ]
    }

"party" entries are those the party authored or is named in (in the payload, or as the author of an
entry they refer to); "reference" entries are earlier entries they refer to; "key" entries are every
key registration, rotation and revocation in the log up to the checkpoint, from which the verifier
rebuilds the key registry (public keys and validity windows) itself.

To verify: check the checkpoint signature with the operator key (ideally a key id the auditor got
out of band: --operator-key); recompute every entry hash from its fields (entries.leaf_bytes) and
check its inclusion proof against the checkpoint root; replay the key entries; check every
statement's signature under the key valid at its received_at, its payload and the entitlement table.
"""
from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

from .check import check_admission, check_signature
from .crypto import verify_signature
from .entitlements import RefInfo
from .entries import KEY_KINDS, OPERATOR, checkpoint_body, entry_hash, light_or_full, parse_statement
from .errors import (BUNDLE_MALFORMED, CHECKPOINT_SIGNATURE_INVALID, ENTRY_OUT_OF_SCOPE, INCLUSION_PROOF_INVALID,
                     KEY_NOT_TRUSTED, LEAF_HASH_MISMATCH, PAYLOAD_INVALID, LedgerError, Problem)
from .merkle import MerkleTree, verify_inclusion
from .registry import KeyRegistry
from .store import EntryRow, Store

FORMAT = "bwledger-bundle/1"
_b64 = base64.b64encode
_unb64 = base64.b64decode


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class BundleSummary:
    path: Path
    party: str
    entries: int
    references: int
    key_entries: int
    tree_size: int


@dataclass
class BundleReport:
    party: str = ""
    entries: int = 0
    tree_size: int = 0
    operator_key_id: str = ""
    trusted_operator: bool = False
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def _day_start(d: date) -> datetime:
    return datetime.combine(d, dtime(0), tzinfo=timezone.utc)


def _names(row: EntryRow, party: str, authors: dict[int, str]) -> bool:
    st = parse_statement(row.statement)
    if party in st.parties():
        return True
    return any(authors.get(r.seq) == party for r in st.payload.refs().values())


def export_bundle(store: Store, party: str, date_from: date, date_to: date, out: Path) -> BundleSummary:
    """Write the bundle of `party` for entries received on date_from..date_to (UTC, inclusive)."""
    if store.operator is not None:
        store.checkpoint()
    cp = store.latest_checkpoint()
    if cp is None:
        raise LedgerError(BUNDLE_MALFORMED, "the ledger has no checkpoint to prove against")
    n = cp.tree_size
    tree = MerkleTree(store.leaf_hashes(n))
    rows = [r for r in store.rows_received_between(_day_start(date_from), _day_start(date_to + timedelta(days=1)))
            if r.seq < n]
    # authors of entries referred to, to find entries that name the party by reference
    ref_seqs = set()
    parsed = {}
    for r in rows:
        parsed[r.seq] = parse_statement(r.statement)
        ref_seqs.update(x.seq for x in parsed[r.seq].payload.refs().values())
    referenced = store.get_rows(sorted(ref_seqs))
    authors = {s: row.author for s, row in referenced.items()}
    chosen = [r for r in rows if r.kind not in KEY_KINDS and _names(r, party, authors)]
    chosen_seqs = {r.seq for r in chosen}
    references = [referenced[s] for s in sorted(ref_seqs)
                  if s in referenced and s not in chosen_seqs
                  and any(s in {x.seq for x in parsed[c.seq].payload.refs().values()} for c in chosen)]
    keys = [r for r in store.key_rows() if r.seq < n]

    def encode(row: EntryRow, role: str) -> dict:
        return {"role": role, "seq": row.seq, "received_at": _iso(row.received_at), "prev_hash": row.prev_hash.hex(),
                "entry_hash": row.leaf_hash.hex(), "statement": _b64(row.statement).decode(),
                "signature": _b64(row.signature).decode(),
                "inclusion_proof": [p.hex() for p in tree.inclusion_proof(row.seq, n)]}

    doc = {
        "format": FORMAT, "party": party, "from": date_from.isoformat(), "to": date_to.isoformat(),
        "exported_at": _iso(store.clock()),
        "checkpoint": {"tree_size": n, "root_hash": cp.root_hash.hex(), "timestamp": _iso(cp.created_at),
                       "key_id": cp.key_id, "signature": _b64(cp.signature).decode()},
        "entries": [encode(r, "key") for r in keys] + [encode(r, "reference") for r in references]
                   + [encode(r, "party") for r in chosen],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return BundleSummary(out, party, len(chosen), len(references), len(keys), n)


def verify_bundle_file(path: Path, *, trusted_operator_keys: Sequence[str] = ()) -> BundleReport:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return BundleReport(problems=[Problem(None, BUNDLE_MALFORMED, f"cannot read bundle: {exc}")])
    return verify_bundle(doc, trusted_operator_keys=trusted_operator_keys)


def verify_bundle(doc: dict, *, trusted_operator_keys: Sequence[str] = ()) -> BundleReport:
    """Verify a parsed bundle; every problem is reported with its sequence number."""
    started = time.perf_counter()
    report = BundleReport()
    problems = report.problems
    try:
        if doc.get("format") != FORMAT:
            raise ValueError(f"format is not {FORMAT}")
        report.party = doc["party"]
        cp = doc["checkpoint"]
        size, root = int(cp["tree_size"]), bytes.fromhex(cp["root_hash"])
        cp_time = datetime.fromisoformat(cp["timestamp"])
        cp_sig = _unb64(cp["signature"])
        window = (_day_start(date.fromisoformat(doc["from"])),
                  _day_start(date.fromisoformat(doc["to"]) + timedelta(days=1)))
        items = []
        for e in doc["entries"]:
            items.append((e["role"], int(e["seq"]), datetime.fromisoformat(e["received_at"]),
                          bytes.fromhex(e["prev_hash"]), bytes.fromhex(e["entry_hash"]), _unb64(e["statement"]),
                          _unb64(e["signature"]), [bytes.fromhex(p) for p in e["inclusion_proof"]]))
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(Problem(None, BUNDLE_MALFORMED, f"malformed bundle: {exc}"))
        return report
    report.tree_size = size
    report.operator_key_id = cp["key_id"]
    # 1. every entry: recomputed hash, and inclusion in the checkpointed tree
    hashes: dict[int, bytes] = {}
    for role, seq, at, prev, stored, raw, sig, proof in items:
        h = entry_hash(seq, at, prev, sig, raw)
        if h != stored:
            problems.append(Problem(seq, LEAF_HASH_MISMATCH, "entry hash does not match its fields"))
        if not verify_inclusion(seq, size, h, proof, root):
            problems.append(Problem(seq, INCLUSION_PROOF_INVALID, "inclusion proof does not lead to the checkpoint root"))
        hashes[seq] = h
    # 2. the key registry, replayed from the key entries
    registry = KeyRegistry()
    statements = {}
    for role, seq, at, prev, stored, raw, sig, proof in sorted(items, key=lambda i: i[1]):
        try:
            statements[seq] = light_or_full(raw, None)
        except LedgerError as exc:
            problems.append(Problem(seq, exc.code, exc.message))
            continue
        st = statements[seq]
        if role == "key" and st.kind in KEY_KINDS:
            why = registry.entry_problem(st)
            if why:
                problems.append(Problem(seq, PAYLOAD_INVALID, why))
            else:
                registry.apply(seq, at, st)
    # 3. the checkpoint, signed by an operator key (trusted out of band when given)
    rec = registry.records.get(cp["key_id"])
    if rec is None or rec.party != OPERATOR:
        problems.append(Problem(None, CHECKPOINT_SIGNATURE_INVALID, "checkpoint key is not an operator key"))
    elif not verify_signature(rec.public_key, cp_sig, checkpoint_body(size, root, cp_time)):
        problems.append(Problem(None, CHECKPOINT_SIGNATURE_INVALID, "checkpoint signature does not verify"))
    if trusted_operator_keys:
        report.trusted_operator = cp["key_id"] in trusted_operator_keys
        if not report.trusted_operator:
            problems.append(Problem(None, KEY_NOT_TRUSTED, "the checkpoint is not signed by a trusted operator key"))
    # 4. every statement: signature under the key valid at received_at, payload, entitlement
    by_seq = {i[1]: i for i in items}

    def lookup(ref_seq: int) -> RefInfo | None:
        it = by_seq.get(ref_seq)
        st = statements.get(ref_seq)
        if it is None or st is None:
            return None
        return RefInfo(ref_seq, hashes[ref_seq], st.kind, st.author, json.loads(it[5])["payload"])

    party = report.party
    for role, seq, at, prev, stored, raw, sig, proof in items:
        st = statements.get(seq)
        if st is None:
            continue
        err = check_signature(st, sig, registry, seq) or check_admission(st, seq, at, registry, lookup,
                                                                         key_semantics=False)
        if err:
            problems.append(Problem(seq, err.code, err.message))
        if role == "party":
            report.entries += 1
            named = party in st.parties() or any(
                (lookup(r.seq) or RefInfo(0, b"", "", "", {})).author == party for r in st.payload.refs().values())
            if not named or not window[0] <= at < window[1]:
                problems.append(Problem(seq, ENTRY_OUT_OF_SCOPE, f"entry does not concern {party} in the bundle's dates"))
    problems.sort(key=lambda p: (p.seq if p.seq is not None else -1, p.code))
    report.seconds = time.perf_counter() - started
    return report
