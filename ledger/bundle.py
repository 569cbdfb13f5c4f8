"""A party's self-contained bundle, and its offline verification (no database, no network).

Format: one UTF-8 JSON file, `"format": "bwledger-bundle/1"`:

    {
      "format": "bwledger-bundle/1",
      "party": "GM0166", "from": "2026-01-01", "to": "2026-03-31",   # received dates, inclusive
      "exported_at": "2026-04-01T09:00:00.000000Z",
      "checkpoint": {"tree_size": N, "root_hash": hex, "timestamp": "...Z", "key_id": hex,
                     "signature": base64,            # Ed25519 by the operator over checkpoint_body() ...
                     "note": "<origin>\n<N>\n..."},  # ... or, from note_from on, the checkpoint note (with
                                                     # the witnesses' cosignatures the operator collected)
      "since": {"checkpoint": {...},                 # optional: the party's previous checkpoint (either
                "consistency_proof": [hex, ...]},    # format) and the RFC 9162 2.1.4 proof to this one
      "entries": [
        {"role": "party" | "reference" | "key",
         "seq": int, "received_at": "...Z", "prev_hash": hex, "entry_hash": hex,
         "statement": base64 (the exact signed bytes), "signature": base64,
         "inclusion_proof": [hex, ...]}              # RFC 9162 2.1.3 audit path to the checkpoint
      ]
    }

"party" entries are those that concern the party (`concerns`): it authored them or is named in them
(in the payload, or as the author of an entry they refer to), or they change its statement through
an entry they refer to (a reversal of a cost line that names it, whoever reverses it); "reference"
entries are earlier entries they refer to; "key" entries are every
key registration, rotation and revocation in the log up to the checkpoint, from which the verifier
rebuilds the key registry (public keys and validity windows) itself. The N1 and N2 of a client of a
SAFETY_CONFIDENTIAL determination are left out of the bundle of a party that does not need the client's
location (ledger/confidential_locations.py, spec 8.7).

The checkpoint is in the format of its date (ledger/data/checkpoints.toml): before note_from the
operator's signature over the RFC 8785 JSON, from then on the C2SP checkpoint note (ledger/checkpoints.py),
whose signature is the note's (the JSON fields stay, `timestamp` being the row's created_at, which the
note does not sign). A note may carry witness cosignatures after the operator's line; they are ignored
here unless asked for (ledger/cosignature.py). `since` (`export --since-checkpoint FILE`) lets a party
check that the log it sees now extends the one it saw before.

To verify: check the checkpoint signature with the operator key (ideally a key id the auditor got
out of band: --operator-key); with witness keys (--witness VKEY --quorum K), that at least K of those
witnesses cosigned the checkpoint note (ledger/cosignature.py require_quorum); the previous checkpoint and its consistency proof when there is one; recompute every entry hash from its fields (entries.leaf_bytes) and
check its inclusion proof against the checkpoint root; replay the key entries; check every
statement's signature under the key valid at its received_at, its payload and the entitlement table.
"""
from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

import msgspec

from .admission import check_signature, entry_problem
from .checkpoints import SignedCheckpoint, checkpoint_signature_problem, log_verifier, read_checkpoint
from .collector import collector_paused
from .confidential_locations import NOTICE_KINDS, confidentiality, without_withheld
from .cosignature import check_quorum, verified_cosigners
from .cosigned import cosigned_note
from .entitlements import RefInfo, load_entitlements
from .entries import (KEY_KINDS, OPERATOR, PAYLOADS, _LightStatement, entry_hash, light_or_full,
                      parse_statement)
from .errors import (BUNDLE_MALFORMED, CHECKPOINT_NOT_COSIGNED, CHECKPOINT_SIGNATURE_INVALID, CONSISTENCY_PROOF_INVALID,
                     ENTRY_OUT_OF_SCOPE, INCLUSION_PROOF_INVALID, KEY_NOT_TRUSTED, LEAF_HASH_MISMATCH, PAYLOAD_INVALID,
                     LedgerError, Problem)
from .merkle import InclusionVerifier, MerkleTree, verify_consistency
from .note import NoteError, parse_note
from .registry import KeyRegistry
from .store import CheckpointRow, EntryRow, Store

FORMAT = "bwledger-bundle/1"
_JSON = msgspec.json.Decoder()
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
    since_size: int | None = None  # the size of the previous checkpoint whose consistency was checked
    #: the witnesses (key names) whose cosignatures of the checkpoint verified, when witness keys were given
    cosigners: list[str] = field(default_factory=list)
    quorum: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def _day_start(d: date) -> datetime:
    return datetime.combine(d, dtime(0), tzinfo=timezone.utc)


# References through which an entry changes the statement of the parties the referenced entry names:
# a reversal cancels a cost line, so it concerns the cost line's fronting party and cost bearer,
# whoever authored the cost line and whoever reverses it (the operator may).
CHANGES_REFERENCED = {"reversal": ("reverses",)}


def concerns(party: str, st, referenced: Callable[[int], object | None]) -> bool:
    """Whether the entry `st` belongs to `party`'s entries: it names the party (as its author or in
    its payload), the party authored an entry it refers to, or it changes the party's statement
    through an entry it refers to (CHANGES_REFERENCED).  `referenced(seq)` is the statement at seq,
    or None when it is not known (a bundle without it)."""
    if party in st.parties():
        return True
    through = CHANGES_REFERENCED.get(st.kind, ())
    for name, r in st.payload.refs().items():
        ref = referenced(r.seq)
        if ref is not None and (ref.author == party or (name in through and party in ref.parties())):
            return True
    return False


def select_party_entries(store: Store, party: str, date_from: date, date_to: date, stop: int | None = None,
                         viewer: str | None = None) -> tuple[list[EntryRow], list[EntryRow]]:
    """(entries `party` authored or is named in, received on date_from..date_to UTC inclusive; the
    earlier entries those refer to that are not themselves chosen), each in seq order, seq < stop. An
    N1/N2 of a SAFETY_CONFIDENTIAL client is left out unless `party` needs its location, and, when someone
    else reads the party's entries (`viewer`, e.g. an auditor), unless the viewer needs it too."""
    rows = [r for r in store.rows_received_between(_day_start(date_from), _day_start(date_to + timedelta(days=1)))
            if stop is None or r.seq < stop]
    # the entries referred to, to find entries that concern the party by reference
    ref_seqs = set()
    parsed = {}
    for r in rows:
        parsed[r.seq] = parse_statement(r.statement)
        ref_seqs.update(x.seq for x in parsed[r.seq].payload.refs().values())
    referenced = store.get_rows(sorted(ref_seqs))
    ref_statements = {s: parsed.get(s) or light_or_full(row.statement, row.kind) for s, row in referenced.items()}
    chosen = [r for r in rows if r.kind not in KEY_KINDS and concerns(party, parsed[r.seq], ref_statements.get)]
    # the N1/N2 of a SAFETY_CONFIDENTIAL client only for the parties that need its location (spec 8.7), and
    # with them what refers to them (an acknowledgement), so that no withheld notice returns as a reference
    conf = confidentiality(store, {r.client for r in (*chosen, *referenced.values()) if r.kind in NOTICE_KINDS})

    def hidden(r: EntryRow) -> bool:
        return conf.withheld(party, r.kind, r.client) or (
            viewer is not None and viewer != party and conf.withheld(viewer, r.kind, r.client))

    chosen = without_withheld(chosen, hidden, also=referenced.values())
    chosen_seqs = {r.seq for r in chosen}
    wanted = set()
    for c in chosen:
        wanted.update(x.seq for x in parsed[c.seq].payload.refs().values())
    references = [referenced[s] for s in sorted(ref_seqs) if s in referenced and s not in chosen_seqs and s in wanted]
    return chosen, references


def checkpoint_document(store: Store, cp: CheckpointRow) -> dict:
    """The bundle's "checkpoint" object (a party's bundle and a case's, cases/bundle.py): the row's fields and,
    for a checkpoint note, the note with the witnesses' cosignatures collected for it (ledger/cosigned.py)."""
    doc = {"tree_size": cp.tree_size, "root_hash": cp.root_hash.hex(), "timestamp": _iso(cp.created_at),
           "key_id": cp.key_id, "signature": _b64(cp.signature).decode()}
    if cp.note is not None:
        doc["note"] = cosigned_note(store, cp.note).decode()
    return doc


def since_block(store: Store, since: SignedCheckpoint, tree: MerkleTree) -> dict:
    """The `since` part of a bundle: the party's previous checkpoint and the consistency proof from it to
    the bundle's tree. Refused (CONSISTENCY_PROOF_INVALID) when that checkpoint is not one of this log: not
    signed by its operator, larger than the tree, or with another root at its size."""
    keys = {kid: rec.public_key for kid, rec in store.registry().records.items() if rec.party == OPERATOR}
    why = checkpoint_signature_problem(since, keys, store.log_origin() if since.note is not None else None)
    if why is None and not 0 < since.tree_size <= tree.size:
        why = f"its size {since.tree_size} is not in 1..{tree.size}"
    if why is None and tree.root(since.tree_size) != since.root_hash:
        why = f"its root is not the log's at size {since.tree_size}: this log never showed it"
    if why:
        raise LedgerError(CONSISTENCY_PROOF_INVALID, "the previous checkpoint is not one of this log: " + why)
    return {"checkpoint": since.as_json(),
            "consistency_proof": [p.hex() for p in tree.consistency_proof(since.tree_size, tree.size)]}


def export_bundle(store: Store, party: str, date_from: date, date_to: date, out: Path,
                  viewer: str | None = None, since: SignedCheckpoint | None = None) -> BundleSummary:
    """Write the bundle of `party` for entries received on date_from..date_to (UTC, inclusive), as
    `viewer` may read it (select_party_entries; None: the party itself); with `since`, the party's
    previous checkpoint and the consistency proof from it (since_block)."""
    if store.operator is not None:
        store.checkpoint()
    cp = store.latest_checkpoint()
    if cp is None:
        raise LedgerError(BUNDLE_MALFORMED, "the ledger has no checkpoint to prove against")
    n = cp.tree_size
    tree = MerkleTree(store.leaf_hashes(n))
    chosen, references = select_party_entries(store, party, date_from, date_to, stop=n, viewer=viewer)
    keys = [r for r in store.key_rows() if r.seq < n]

    def encode(row: EntryRow, role: str) -> dict:
        return {"role": role, "seq": row.seq, "received_at": _iso(row.received_at), "prev_hash": row.prev_hash.hex(),
                "entry_hash": row.leaf_hash.hex(), "statement": _b64(row.statement).decode(),
                "signature": _b64(row.signature).decode(),
                "inclusion_proof": [p.hex() for p in tree.inclusion_proof(row.seq, n)]}

    doc = {
        "format": FORMAT, "party": party, "from": date_from.isoformat(), "to": date_to.isoformat(),
        "exported_at": _iso(store.clock()),
        "checkpoint": checkpoint_document(store, cp),
        **({} if since is None else {"since": since_block(store, since, tree)}),
        "entries": [encode(r, "key") for r in keys] + [encode(r, "reference") for r in references]
                   + [encode(r, "party") for r in chosen],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return BundleSummary(out, party, len(chosen), len(references), len(keys), n)


def verify_bundle_file(path: Path, *, trusted_operator_keys: Sequence[str] = (), witness_vkeys: Sequence[str] = (),
                       quorum: int | None = None) -> BundleReport:
    """Read and verify a bundle file; the reported time includes reading and parsing it. The cyclic
    garbage collector is paused meanwhile (ledger/collector.py): the parsed document and the
    statements of every entry are kept to the end, and the collections they trigger would traverse
    them all again and again (about 8 us per entry)."""
    with collector_paused():
        return _verify_file(path, trusted_operator_keys, witness_vkeys, quorum)


def _verify_file(path: Path, trusted_operator_keys: Sequence[str], witness_vkeys: Sequence[str] = (),
                 quorum: int | None = None) -> BundleReport:
    started = time.perf_counter()
    try:
        doc = _JSON.decode(Path(path).read_bytes())
    except (OSError, msgspec.DecodeError) as exc:
        return BundleReport(problems=[Problem(None, BUNDLE_MALFORMED, f"cannot read bundle: {exc}")])
    except RecursionError:
        return BundleReport(problems=[Problem(None, BUNDLE_MALFORMED, "cannot read bundle: de JSON is te diep genest")])
    if not isinstance(doc, dict):
        return BundleReport(problems=[Problem(None, BUNDLE_MALFORMED, "cannot read bundle: not a JSON object")])
    return _verify(doc, trusted_operator_keys, started, witness_vkeys, quorum)


def verify_bundle(doc: dict, *, trusted_operator_keys: Sequence[str] = (), witness_vkeys: Sequence[str] = (),
                  quorum: int | None = None) -> BundleReport:
    """Verify a parsed bundle; every problem is reported with its sequence number (the collector
    paused, as in verify_bundle_file)."""
    with collector_paused():
        return _verify(doc, trusted_operator_keys, time.perf_counter(), witness_vkeys, quorum)


def _verify(doc: dict, trusted_operator_keys: Sequence[str], started: float, witness_vkeys: Sequence[str] = (),
            quorum: int | None = None) -> BundleReport:
    report = BundleReport()
    problems = report.problems
    add = problems.append
    unb64 = binascii.a2b_base64  # base64.b64decode without its Python wrapper: the same lenient decoding
    try:
        if doc.get("format") != FORMAT:
            raise ValueError(f"format is not {FORMAT}")
        report.party = doc["party"]
        cp = doc["checkpoint"]
        size, root = int(cp["tree_size"]), bytes.fromhex(cp["root_hash"])
        signed = read_checkpoint(cp)  # the note, or the JSON checkpoint's fields
        since = doc.get("since")
        if since is not None:
            since_cp = read_checkpoint(since["checkpoint"])
            since_proof = [bytes.fromhex(h) for h in since["consistency_proof"]]
        window = (_day_start(date.fromisoformat(doc["from"])),
                  _day_start(date.fromisoformat(doc["to"]) + timedelta(days=1)))
        items = []
        times: dict[str, datetime] = {}
        for e in doc["entries"]:
            at_text = e["received_at"]
            at = times.get(at_text)
            if at is None:
                at = times[at_text] = datetime.fromisoformat(at_text)
                if at.tzinfo is None:
                    raise ValueError(f"received_at {at_text} has no time zone")
            proof = e["inclusion_proof"]
            if not isinstance(proof, list):
                raise ValueError("inclusion_proof is not a list")
            items.append((e["role"], int(e["seq"]), at, bytes.fromhex(e["prev_hash"]), bytes.fromhex(e["entry_hash"]),
                          unb64(e["statement"]), unb64(e["signature"]), proof))
    except (KeyError, TypeError, ValueError, AttributeError, NoteError) as exc:
        add(Problem(None, BUNDLE_MALFORMED, f"malformed bundle: {exc}"))
        report.seconds = time.perf_counter() - started
        return report
    report.tree_size = size
    report.operator_key_id = cp["key_id"]
    # 1. every entry: recomputed hash, and inclusion in the checkpointed tree
    inclusion = InclusionVerifier(size, root, decode=bytes.fromhex)  # the proof is hex
    hashes: dict[int, bytes] = {}
    for role, seq, at, prev, stored, raw, sig, proof in items:
        h = entry_hash(seq, at, prev, sig, raw)
        if h != stored:
            add(Problem(seq, LEAF_HASH_MISMATCH, "entry hash does not match its fields"))
        if not inclusion.verify(seq, h, proof):
            add(Problem(seq, INCLUSION_PROOF_INVALID, "inclusion proof does not lead to the checkpoint root"))
        hashes[seq] = h
    # 2. the statements (each parsed once), and the key registry replayed from the key entries
    registry = KeyRegistry()
    statements: dict[int, object] = {}
    payloads: dict[int, dict] = {}
    for role, seq, at, prev, stored, raw, sig, proof in sorted(items, key=lambda i: i[1]):
        try:
            st = statements[seq] = _statement(raw)
        except LedgerError as exc:
            add(Problem(seq, exc.code, exc.message))
            continue
        if role == "key" and st.kind in KEY_KINDS:
            why = registry.entry_problem(st)
            if why:
                add(Problem(seq, PAYLOAD_INVALID, why))
            else:
                registry.apply(seq, at, st)
    # 3. the checkpoint, signed by an operator key (trusted out of band when given)
    rec = registry.records.get(cp["key_id"])
    if rec is None or rec.party != OPERATOR:
        add(Problem(None, CHECKPOINT_SIGNATURE_INVALID, "checkpoint key is not an operator key"))
    elif why := checkpoint_signature_problem(signed, {cp["key_id"]: rec.public_key}):
        add(Problem(None, CHECKPOINT_SIGNATURE_INVALID, why))
    elif (signed.tree_size, signed.root_hash) != (size, root):  # the note signs another tree than the fields say
        add(Problem(None, CHECKPOINT_SIGNATURE_INVALID, "the checkpoint's tree_size and root_hash are not the "
                    "note's: the operator did not sign them"))
    elif signed.note is not None and unb64(cp["signature"]) not in {x.signature for x in parse_note(signed.note).signatures}:
        add(Problem(None, CHECKPOINT_SIGNATURE_INVALID, "the checkpoint's signature is not the note's"))
    # 3a. the witnesses: a quorum of the trusted ones cosigned the checkpoint note
    if witness_vkeys:
        report.quorum = len(witness_vkeys) if quorum is None else quorum
        for problem in _witness_problems(cp.get("note"), rec.public_key if rec is not None else None, witness_vkeys,
                                         report.quorum, report.cosigners):
            add(problem)
    # 3b. the party's previous checkpoint (either format), signed by an operator key of this log, and the
    # consistency proof from it to this one (RFC 9162 2.1.4.2)
    if since is not None:
        operator_keys = {kid: r.public_key for kid, r in registry.records.items() if r.party == OPERATOR}
        if why := checkpoint_signature_problem(since_cp, operator_keys, signed.origin if since_cp.note else None):
            add(Problem(None, CHECKPOINT_SIGNATURE_INVALID, "the previous checkpoint: " + why))
        if not verify_consistency(since_cp.tree_size, size, since_proof, since_cp.root_hash, root):
            add(Problem(None, CONSISTENCY_PROOF_INVALID, f"the log of the checkpoint ({size} entries) does not "
                        f"extend the previous checkpoint ({since_cp.tree_size} entries)"))
        report.since_size = since_cp.tree_size
    if trusted_operator_keys:
        report.trusted_operator = cp["key_id"] in trusted_operator_keys
        if not report.trusted_operator:
            add(Problem(None, KEY_NOT_TRUSTED, "the checkpoint is not signed by a trusted operator key"))
    # 4. every statement: signature under the key valid at received_at, client rule, entitlement
    def payload_of(ref_seq: int) -> dict:
        d = payloads.get(ref_seq)
        if d is None:
            st = statements[ref_seq]
            d = payloads[ref_seq] = st.payload._d if isinstance(st, _LightStatement) else \
                _JSON.decode(st.raw)["payload"]
        return d

    def lookup(ref_seq: int) -> RefInfo | None:
        st = statements.get(ref_seq)
        if st is None:
            return None
        return RefInfo(ref_seq, hashes[ref_seq], st.kind, st.author, payload_of(ref_seq))

    party = report.party
    for role, seq, at, prev, stored, raw, sig, proof in items:
        st = statements.get(seq)
        if st is None:
            continue
        # rules 1-5 of ledger/admission.py (the business rules need the whole ledger's state: `ledger verify`)
        err = check_signature(st, sig, registry, seq) or entry_problem(st, seq, at, registry, lookup,
                                                                       key_semantics=False)[1]
        if err:
            add(Problem(seq, err.code, err.message))
        if role == "party":
            report.entries += 1
            if not concerns(party, st, statements.get) or not window[0] <= at < window[1]:
                add(Problem(seq, ENTRY_OUT_OF_SCOPE, f"entry does not concern {party} in the bundle's dates"))
    problems.sort(key=lambda p: (p.seq if p.seq is not None else -1, p.code))
    report.seconds = time.perf_counter() - started
    return report


def _witness_problems(note: object, operator_key: bytes | None, witness_vkeys: Sequence[str], k: int,
                      cosigners: list[str]) -> list[Problem]:
    """CHECKPOINT_NOT_COSIGNED (no note to count cosignatures on), or the refusal of `check_quorum` (its code:
    QUORUM_NOT_MET, QUORUM_INVALID, COSIGNER_KEY_INVALID, a note code); the verified cosigners into `cosigners`."""
    if not isinstance(note, str) or operator_key is None:
        return [Problem(None, CHECKPOINT_NOT_COSIGNED, "the bundle's checkpoint is no note that witnesses cosigned "
                                                       "(a checkpoint from before note_from, or no operator key)")]
    log = log_verifier(note.split("\n", 1)[0], operator_key)
    try:
        opened = verified_cosigners(note.encode(), log, witness_vkeys)
        cosigners.extend(c.verifier.name for c in opened.cosigners)
        check_quorum(opened, witness_vkeys, k)
    except NoteError as exc:
        return [Problem(None, exc.code, str(exc))]
    return []


def _statement(raw: bytes):
    """A statement whose signature is checked afterwards: light for non-key kinds (the payload schema
    was enforced on admission and is covered by the signature and the inclusion proof), fully
    validated for key entries (the registry is built from them)."""
    try:
        d = _JSON.decode(raw)
        kind = d["kind"]
        if (kind in PAYLOADS and kind not in KEY_KINDS and d["v"] == 1 and type(d["payload"]) is dict):
            return _LightStatement(raw, d)
    except (msgspec.DecodeError, KeyError, TypeError, RecursionError):
        pass
    return light_or_full(raw, None)
