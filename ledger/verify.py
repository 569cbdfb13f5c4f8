"""Full verification of a store: every problem is reported with its sequence number and code.

Three passes, each a list of small named checks (one problem code each, tests/ledger/test_verify_checks.py):

1. The cryptographic pass, over the stored rows (on every core for a large store; `ROW_CHECKS`):
   sequence numbers without gaps (SEQ_GAP), each leaf hash recomputed from the stored fields
   (LEAF_HASH_MISMATCH), the chain (CHAIN_BROKEN), received_at never going back
   (RECEIVED_AT_REGRESSION), the signature over the statement bytes under the key the row names
   (SIGNATURE_INVALID, KEY_NOT_VALID for a key never registered); a row that cannot be read at all
   is ROW_UNREADABLE.
2. The replay, in seq order (`replay`): each statement parsed as its kind (STATEMENT_INVALID,
   PAYLOAD_INVALID, UNKNOWN_KIND), the indexed columns equal to it (COLUMN_MISMATCH), then the
   admission of ledger/admission.py, exactly as on append, under the rule set in force at the
   entry's received_at: key validity, references, entitlement, key entries and every business rule
   (the workflow, cost-line basis, notices, seals ...). So an entry written into the database by
   other means than the append is named with the rule it breaks.
3. The store as a whole (`STORE_CHECKS`): duplicate idempotency keys (DUPLICATE_IDEMPOTENCY_KEY),
   every checkpoint (CHECKPOINT_UNREADABLE, CHECKPOINT_SIGNATURE_INVALID, CHECKPOINT_ORDER,
   CHECKPOINT_BEYOND_LOG, CHECKPOINT_ROOT_MISMATCH against the tree of the recomputed hashes; the format of
   its date, ledger/data/checkpoints.toml: CHECKPOINT_FORMAT_INVALID, CHECKPOINT_ORIGIN_MISMATCH) and the
   stored tree state (TREE_STATE_MISMATCH).

Verify never stops at the first problem and never raises on damaged data: what cannot be read is a
problem like any other, and the check goes on.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from .admission import LedgerState, admit, replay_not_run
from .collector import collector_paused
from .crypto import verify_signature
from .entitlements import RefInfo
from .entries import (
    KEY_KINDS,
    OPERATOR,
    ZERO_HASH,
    Statement,
    entry_hash,
    parse_signed_statement,
    parse_statement,
)
from .errors import (
    CHAIN_BROKEN,
    CHECKPOINT_BEYOND_LOG,
    CHECKPOINT_FORMAT_INVALID,
    CHECKPOINT_ORDER,
    CHECKPOINT_ROOT_MISMATCH,
    CHECKPOINT_SIGNATURE_INVALID,
    COLUMN_MISMATCH,
    DUPLICATE_IDEMPOTENCY_KEY,
    KEY_NOT_VALID,
    LEAF_HASH_MISMATCH,
    RECEIVED_AT_REGRESSION,
    SEQ_GAP,
    SIGNATURE_INVALID,
    TREE_STATE_MISMATCH,
    LedgerError,
    Problem,
)
from .checkpoints import is_note_time, note_from, stored_note_problem
from .merkle import Frontier
from .note import NoteError
from .registry import KeyRegistry, named_key
from .store import CACHED_KINDS, Store, read_checkpoint_row, read_entry_row
from .store import CheckpointRow as Checkpoint
from .store import EntryRow as Row

PARALLEL_THRESHOLD = 20_000  # below this many entries, worker start-up costs more than it saves
SPAN = 2048  # entries per task of a worker: small enough that both cores finish together (the last task runs alone)
CHUNK = 5_000  # rows per query
ROW_UNREADABLE = "ROW_UNREADABLE"  # a stored row whose columns have the wrong types or values
CHECKPOINT_UNREADABLE = "CHECKPOINT_UNREADABLE"


@dataclass
class VerifyReport:
    entries: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    crypto_seconds: float = 0.0  # pass 1
    replay_seconds: float = 0.0  # pass 2
    # seqs of determinations (N3/N8) whose replay on their deposited facts was NOT run: this verify had no
    # access to the deposits (no key-encryption key); not run is not passed (ledger/determination_replay.py)
    replay_not_run: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def seqs(self) -> set[int]:
        return {p.seq for p in self.problems if p.seq is not None}

    def codes(self) -> set[str]:
        return {p.code for p in self.problems}


# ---------------------------------------------------------------------------------------------
# Pass 1: the cryptographic pass over the rows
# ---------------------------------------------------------------------------------------------
@dataclass
class ChunkResult:
    """What the cryptographic pass over one stretch of rows yields for the stitching."""

    problems: list[Problem] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    hashes: list[bytes] = field(default_factory=list)  # recomputed entry hashes, in row order
    first: Row | None = None  # the first and last readable rows (the stitching checks across stretches)
    last: Row | None = None
    bad_signatures: list[int] = field(default_factory=list)  # seqs the replay must not admit


class RowPass:
    """The cryptographic checks of rows in seq order (ROW_CHECKS), keeping what the stitching needs."""

    def __init__(self, public_keys: dict[str, bytes]) -> None:
        self.public_keys = public_keys  # every key id ever registered -> its raw public key
        self.out = ChunkResult()
        # the row before (None at the start of a stretch: the stitching checks its first row)
        self.expected: int | None = None  # the next seq
        self.prev: Row | None = None
        self.prev_hash: bytes | None = None

    def follow(self, last: Row, last_hash: bytes) -> None:
        """Continue after `last` (for the stitching of stretches)."""
        self.prev, self.prev_hash, self.expected = last, last_hash, last.seq + 1

    def add(self, problem: Problem) -> None:
        self.out.problems.append(problem)

    def rows(self, raw_rows: Iterable[tuple]) -> None:
        for r in raw_rows:
            try:
                row = read_entry_row(r)
            except (ValueError, TypeError, OverflowError) as exc:
                seq = r[0] if isinstance(r[0], int) else self.expected
                self.add(Problem(seq, ROW_UNREADABLE, f"the stored row cannot be read: {exc}"))
                if isinstance(r[0], int):
                    self.expected = r[0] + 1
                continue
            h = entry_hash(row.seq, row.received_at, row.prev_hash, row.signature, row.statement)
            for check in ROW_CHECKS:
                check(self, row, h)
            self.out.seqs.append(row.seq)
            self.out.hashes.append(h)
            if self.out.first is None:
                self.out.first = row
            self.out.last = row
            self.follow(row, h)


def check_sequence(p: RowPass, row: Row, _h: bytes) -> None:
    """SEQ_GAP: sequence numbers follow each other."""
    if p.expected is not None and row.seq != p.expected:
        p.add(Problem(p.expected, SEQ_GAP, f"entries {p.expected}..{row.seq - 1} are missing"
                      if row.seq > p.expected else f"sequence number {row.seq} out of order"))


def check_leaf_hash(p: RowPass, row: Row, h: bytes) -> None:
    """LEAF_HASH_MISMATCH: the stored leaf hash is the hash of the stored fields (entries.entry_hash)."""
    if h != row.leaf_hash:
        p.add(Problem(row.seq, LEAF_HASH_MISMATCH, "the stored leaf hash is not the hash of the entry"))


def check_chain(p: RowPass, row: Row, _h: bytes) -> None:
    """CHAIN_BROKEN: prev_hash is the recomputed hash of the previous entry."""
    if p.prev_hash is not None and row.prev_hash != p.prev_hash:
        p.add(Problem(row.seq, CHAIN_BROKEN, "prev_hash is not the hash of the previous entry"))


def check_received_order(p: RowPass, row: Row, _h: bytes) -> None:
    """RECEIVED_AT_REGRESSION: received_at never goes back."""
    if p.prev is not None and row.received_at < p.prev.received_at:
        p.add(Problem(row.seq, RECEIVED_AT_REGRESSION, "received_at is before the previous entry's"))


def check_row_signature(p: RowPass, row: Row, _h: bytes) -> None:
    """SIGNATURE_INVALID / KEY_NOT_VALID: Ed25519 over the statement bytes under the row's key."""
    pk = p.public_keys.get(row.key_id)
    if pk is None:
        p.add(Problem(row.seq, KEY_NOT_VALID, f"key {row.key_id[:16]} is not registered"))
        p.out.bad_signatures.append(row.seq)
    elif not verify_signature(pk, row.signature, row.statement):
        p.add(Problem(row.seq, SIGNATURE_INVALID, f"signature does not verify under key {row.key_id[:16]}"))
        p.out.bad_signatures.append(row.seq)


ROW_CHECKS: tuple[Callable[[RowPass, Row, bytes], None], ...] = (
    check_sequence, check_leaf_hash, check_chain, check_received_order, check_row_signature)
#: the checks between one stretch's last row and the next stretch's first
STITCH_CHECKS = (check_sequence, check_chain, check_received_order)


def public_keys(store: Store) -> dict[str, bytes]:
    """Every public key a key entry of the store names (validity is judged by the replay)."""
    out: dict[str, bytes] = {}
    for raw_row in store.iter_raw_chunks(kinds=sorted(KEY_KINDS)):
        for r in raw_row:
            try:
                p = parse_statement(bytes(r[9])).payload
            except (LedgerError, TypeError, ValueError):
                continue  # reported by the replay
            brought = named_key(p)
            if brought is not None:
                out.setdefault(*brought)
    return out


_worker: dict = {}


def _init_worker(url: str, schema: str | None, keys: dict[str, bytes]) -> None:
    _worker["store"] = Store(url, schema=schema)
    _worker["keys"] = keys


def _run_chunk(bounds: tuple[int, int | None]) -> ChunkResult:
    """The row pass over one stretch, in a worker process (the collector paused, ledger/collector.py:
    the stretch's rows and results are all kept until it is sent)."""
    p = RowPass(_worker["keys"])
    with collector_paused():
        for rows in _worker["store"].iter_raw_chunks(bounds[0], bounds[1], chunk=CHUNK):
            p.rows(rows)
    return p.out


# ---------------------------------------------------------------------------------------------
# Pass 2: the replay of admission
# ---------------------------------------------------------------------------------------------
_COLUMNS = ("kind", "author", "key_id", "idempotency_key", "client")


def _columns_problem(row: Row, st: Statement) -> Problem | None:
    """COLUMN_MISMATCH: the indexed columns equal the statement."""
    m = st.model
    stored = (row.kind, row.author, row.key_id, row.idempotency_key, row.client)
    signed = (m.kind, m.author, m.key_id, m.idempotency_key, m.client)
    if stored == signed:
        return None
    names = [n for n, x, y in zip(_COLUMNS, stored, signed) if x != y]
    return Problem(row.seq, COLUMN_MISMATCH, f"column(s) {', '.join(names)} differ from the statement")


def replay(store: Store, hashes: dict[int, bytes], skip: set[int], problems: list[Problem],
           deep: bool = False, stop: int | None = None, not_run: list[int] | None = None) -> LedgerState:
    """Admission replayed over every stored entry in seq order, against the state of the entries
    admitted before it (a refused entry is reported and left out of the state, as on append).
    `hashes`: the recomputed entry hash per seq (references are judged against them); `skip`: the
    seqs whose signature failed. Admitted entries of CACHED_KINDS (what later entries refer to) are kept for the references to
    them; any other referenced entry is read from the store when its chunk needs it. `not_run` collects the
    seqs of determinations whose replay on their deposits is in force but could not run (no `store.replayer`:
    verify without the clients' key-encryption key)."""
    state = LedgerState()
    referred: dict[int, RefInfo] = {}  # admitted entries of CACHED_KINDS
    replayer = store.replayer.for_verify() if store.replayer is not None else None
    for chunk in store.iter_raw_chunks(stop=stop, chunk=CHUNK):
        parsed: list[tuple[Row, Statement]] = []
        for r in chunk:
            try:
                row = read_entry_row(r)
            except (ValueError, TypeError, OverflowError):
                continue  # reported by the row pass
            if row.seq in skip:
                continue
            try:
                st = parse_statement(row.statement) if deep else parse_signed_statement(row.statement, row.kind)
            except LedgerError as exc:
                problems.append(Problem(row.seq, exc.code, exc.message))
                continue
            problem = _columns_problem(row, st)
            if problem:
                problems.append(problem)
            parsed.append((row, st))
        in_chunk = {row.seq: (row, st) for row, st in parsed}  # judged by what this chunk admits before them
        wanted = {s for _row, st in parsed for s in st.payload.referenced_seqs()} - in_chunk.keys() - referred.keys()
        stored = _ref_infos(store, wanted)
        admitted: set[int] = set()

        def lookup(seq: int, admitted=admitted, stored=stored, in_chunk=in_chunk) -> RefInfo | None:
            if seq not in hashes:
                return None  # a missing or unreadable row is no entry to refer to
            info = referred.get(seq) or stored.get(seq)
            if info is None and seq in admitted:
                row, st = in_chunk[seq]
                info = RefInfo(seq, hashes[seq], st.kind, st.author, json.loads(row.statement)["payload"],
                               st.client, row.received_at)
            if info is None:
                return None
            return info if info.entry_hash == hashes[seq] else RefInfo(
                info.seq, hashes[seq], info.kind, info.author, info.payload, info.client, info.received_at)

        for row, st in parsed:
            _refs, err = admit(st, row.seq, row.received_at, state, lookup, replayer)
            if not_run is not None and (replay_not_run(st, row.received_at, replayer) or (
                    replayer is not None and st.kind in ("determination", "redetermination")
                    and (st.client, st.payload.determination_digest) in replayer.skipped)):
                not_run.append(row.seq)
            if err:
                problems.append(Problem(row.seq, err.code, err.message))
                continue
            state.apply(row.seq, row.received_at, st)
            admitted.add(row.seq)
            if st.kind in CACHED_KINDS:
                referred[row.seq] = RefInfo(row.seq, hashes.get(row.seq, b""), st.kind, st.author,
                                            json.loads(row.statement)["payload"], st.client, row.received_at)
    return state


def _ref_infos(store: Store, seqs: set[int]) -> dict[int, RefInfo]:
    """RefInfo of the stored entries `seqs` (rows that cannot be read are left out)."""
    out: dict[int, RefInfo] = {}
    for r in store.raw_rows_in(seqs):
        try:
            row = read_entry_row(r)
            payload = json.loads(row.statement)["payload"]
        except (ValueError, TypeError, KeyError, OverflowError):
            continue
        out[row.seq] = RefInfo(row.seq, row.leaf_hash, row.kind, row.author, payload, row.client, row.received_at)
    return out


# ---------------------------------------------------------------------------------------------
# Pass 3: the store as a whole
# ---------------------------------------------------------------------------------------------
def read_checkpoints(raw: list[tuple], problems: list[Problem]) -> list[Checkpoint]:
    """The checkpoints in id order (driver tuples, Store.raw_checkpoints); a damaged one is
    CHECKPOINT_UNREADABLE and left out."""
    out = []
    for r in raw:
        try:
            out.append(read_checkpoint_row(r))
        except (ValueError, TypeError, OverflowError) as exc:
            problems.append(Problem(None, CHECKPOINT_UNREADABLE, f"the stored checkpoint cannot be read: {exc}",
                                    r[0] if isinstance(r[0], int) else None))
    return out


def check_checkpoint_order(cps: list[Checkpoint], _roots: dict[int, bytes], _n: int, _reg: KeyRegistry,
                           problems: list[Problem]) -> None:
    """CHECKPOINT_ORDER: checkpoints never go back in size or time."""
    for prev, cp in zip(cps, cps[1:]):
        if cp.tree_size < prev.tree_size or cp.created_at < prev.created_at:
            problems.append(Problem(cp.tree_size - 1 if cp.tree_size else None, CHECKPOINT_ORDER,
                                    "checkpoint goes back in size or time", cp.id))


def _signed_body(cp: Checkpoint) -> bytes | None:
    """What the operator signed for `cp` (its note's text, or the RFC 8785 JSON), None for a note that
    cannot be read (check_checkpoint_formats names that)."""
    try:
        return cp.body()
    except NoteError:
        return None


def check_checkpoint_signatures(cps: list[Checkpoint], _roots: dict[int, bytes], _n: int, reg: KeyRegistry,
                                problems: list[Problem]) -> None:
    """CHECKPOINT_SIGNATURE_INVALID: signed by an operator key valid at that time."""
    for cp in cps:
        last = cp.tree_size - 1 if cp.tree_size > 0 else None
        rec = reg.records.get(cp.key_id)
        why = None
        if rec is None or rec.party != OPERATOR:
            why = "not signed by an operator key"
        elif (body := _signed_body(cp)) is None:
            why = "the checkpoint note cannot be read"
        elif not verify_signature(rec.public_key, cp.signature, body):
            why = "signature does not verify"
        else:
            why = reg.key_problem(cp.key_id, OPERATOR, cp.tree_size, cp.created_at)
        if why:
            problems.append(Problem(last, CHECKPOINT_SIGNATURE_INVALID, why, cp.id))


def check_checkpoint_extent(cps: list[Checkpoint], _roots: dict[int, bytes], n: int, _reg: KeyRegistry,
                            problems: list[Problem]) -> None:
    """CHECKPOINT_BEYOND_LOG: no checkpoint covers more entries than the log has."""
    for cp in cps:
        if cp.tree_size > n:
            problems.append(Problem(cp.tree_size - 1, CHECKPOINT_BEYOND_LOG,
                                    f"covers {cp.tree_size} entries, the log has {n}", cp.id))


def check_checkpoint_roots(cps: list[Checkpoint], roots: dict[int, bytes], n: int, _reg: KeyRegistry,
                           problems: list[Problem]) -> None:
    """CHECKPOINT_ROOT_MISMATCH: the root is that of the tree of the recomputed entry hashes."""
    for cp in cps:
        if cp.tree_size <= n and roots.get(cp.tree_size) != cp.root_hash:
            problems.append(Problem(cp.tree_size - 1 if cp.tree_size else None, CHECKPOINT_ROOT_MISMATCH,
                                    f"root of checkpoint {cp.id} differs from the tree of the entries", cp.id))


def check_checkpoint_formats(cps: list[Checkpoint], origin: str | None, reg: KeyRegistry,
                             problems: list[Problem]) -> None:
    """CHECKPOINT_FORMAT_INVALID, CHECKPOINT_ORIGIN_MISMATCH: each checkpoint in the format of its date
    (ledger/data/checkpoints.toml: the RFC 8785 JSON before note_from, a signed note from then on), and a
    note exactly the checkpoint of its row (its text that of the row's size and root under the log's
    origin, its one signature line the row's signature under the operator key the row names), so that
    the note served is the one whose signature check_checkpoint_signatures verified."""
    for cp in cps:
        last = cp.tree_size - 1 if cp.tree_size > 0 else None
        if cp.note is None:
            if is_note_time(cp.created_at):
                problems.append(Problem(last, CHECKPOINT_FORMAT_INVALID, "an RFC 8785 JSON checkpoint dated from "
                                        f"{note_from():%Y-%m-%d %H:%M} UTC on, when checkpoints are notes", cp.id))
            continue
        if not is_note_time(cp.created_at):
            problems.append(Problem(last, CHECKPOINT_FORMAT_INVALID, "a checkpoint note dated before "
                                    f"{note_from():%Y-%m-%d %H:%M} UTC, when checkpoints were RFC 8785 JSON", cp.id))
            continue
        rec = reg.records.get(cp.key_id)
        code, why = stored_note_problem(cp.note, origin, cp.tree_size, cp.root_hash,
                                        None if rec is None else rec.public_key, cp.signature)
        if code:
            problems.append(Problem(last, code, why, cp.id))


CHECKPOINT_CHECKS = (check_checkpoint_order, check_checkpoint_signatures, check_checkpoint_extent,
                     check_checkpoint_roots)


def check_tree_state(state, hashes: list[bytes], frontier: Frontier, cps: list[Checkpoint],
                     last_received: datetime | None, problems: list[Problem]) -> None:
    """TREE_STATE_MISMATCH: the stored tree-state row is what the entries and checkpoints leave behind
    (size, head hash, frontier, last_received_at = the later of the last entry's and the last
    checkpoint's time, checkpoint_size = the last checkpoint's size or -1)."""
    n = len(hashes)
    if isinstance(state, Exception):  # what kept Store.verification_view from reading it
        problems.append(Problem(None, TREE_STATE_MISMATCH, f"the stored tree state cannot be read: {state}"))
        return
    latest = cps[-1] if cps else None
    times = [t for t in (last_received, latest.created_at if latest else None) if t is not None]
    expected = {"tree_size": n, "head_hash": hashes[-1] if hashes else ZERO_HASH, "frontier": frontier.to_bytes(),
                "last_received_at": max(times) if times else None,
                "checkpoint_size": latest.tree_size if latest else -1}
    stored = state._asdict()
    wrong = [name for name in expected if stored[name] != expected[name]]
    if wrong:
        problems.append(Problem(n - 1 if hashes else None, TREE_STATE_MISMATCH,
                                f"stored tree state ({', '.join(f'{k}={stored[k]!r:.40}' for k in wrong)}) "
                                f"differs from the entries and checkpoints (size {n})"))


def check_idempotency_keys(groups: list[list[int]], problems: list[Problem]) -> None:
    """DUPLICATE_IDEMPOTENCY_KEY: (author, idempotency key) is unique (the index may have been dropped)."""
    for seqs in groups:
        for seq in seqs[1:]:
            problems.append(Problem(seq, DUPLICATE_IDEMPOTENCY_KEY, f"same author and idempotency key as seq {seqs[0]}"))


# ---------------------------------------------------------------------------------------------
def verify_store(store: Store, *, workers: int | None = None, deep: bool = False,
                 schemas: bool = True) -> VerifyReport:
    """Verify everything in the store (the module docstring); never stops at the first problem.

    `deep=True` also re-checks the RFC 8785 canonical form of every statement (enforced on admission
    and covered by the signature). `schemas` is kept for callers of the earlier interface: the replay
    always validates every payload against its kind's model, as admission does."""
    started = time.perf_counter()
    report = VerifyReport()
    problems = report.problems
    keys = public_keys(store)
    # one consistent reading of the tree state, the checkpoints and the extent of the log: entries a
    # writer appends while this runs are the next verification's, not a false TREE_STATE_MISMATCH now
    view = store.verification_view()
    stop = view.max_seq + 1
    total = view.count
    report.entries = total
    workers = workers or os.cpu_count() or 1
    pool = None
    if total < PARALLEL_THRESHOLD or workers <= 1 or ":memory:" in store.url:
        row_pass = RowPass(keys)
        with collector_paused():
            for rows in store.iter_raw_chunks(stop=stop, chunk=CHUNK):
                row_pass.rows(rows)
        results: Iterable[ChunkResult] = [row_pass.out]
        report.workers = 1
    else:
        bounds = [(lo, min(lo + SPAN, stop)) for lo in range(0, stop, SPAN)] or [(0, 0)]
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        pool = ctx.Pool(workers, _init_worker, (store.url, store.schema, keys))
        results = pool.imap(_run_chunk, bounds)
        report.workers = workers
    hashes: list[bytes] = []
    by_seq: dict[int, bytes] = {}
    skip: set[int] = set()
    frontier, roots = Frontier(), {0: Frontier().root()}
    cps = read_checkpoints(view.raw_checkpoints, problems)
    sizes = sorted({cp.tree_size for cp in cps})
    stitch = RowPass(keys)  # the first entry follows seq -1 with the zero hash
    stitch.expected, stitch.prev_hash = 0, ZERO_HASH
    last_received = None
    try:
        for res in results:  # in order; the tree is built while the workers go on
            problems.extend(res.problems)
            skip.update(res.bad_signatures)
            if res.first is None:
                continue
            for check in STITCH_CHECKS:
                check(stitch, res.first, b"")
            stitch.follow(res.last, res.hashes[-1])
            last_received = res.last.received_at
            hashes.extend(res.hashes)
            by_seq.update(zip(res.seqs, res.hashes))
            roots.update(frontier.extend(res.hashes, sizes))
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    problems.extend(stitch.out.problems)
    report.crypto_seconds = time.perf_counter() - started
    # the duplicate-key query of pass 3 runs during the replay, which leaves the other cores idle (the
    # drivers release the GIL), not during the cryptographic pass, which keeps every core busy
    side = ThreadPoolExecutor(1)
    try:
        duplicates = side.submit(store.duplicate_idempotency_keys)
        replay_started = time.perf_counter()
        with collector_paused():  # the ledger state and the entries referred to are kept to the end
            registry = replay(store, by_seq, skip, problems, deep, stop=stop,
                                  not_run=report.replay_not_run).registry
        report.replay_seconds = time.perf_counter() - replay_started
    finally:
        side.shutdown(wait=True)
    check_idempotency_keys(duplicates.result(), problems)
    for check in CHECKPOINT_CHECKS:
        check(cps, roots, len(hashes), registry, problems)
    check_checkpoint_formats(cps, view.origin, registry, problems)
    check_tree_state(view.tree_state, hashes, frontier, cps, last_received, problems)
    report.checkpoints = len(cps)
    problems.sort(key=lambda p: (p.seq if p.seq is not None else -1, p.code))
    report.seconds = time.perf_counter() - started
    return report
