"""Full verification of a store: every problem is reported with its sequence number and code.

Checked: sequence numbers without gaps; each leaf hash recomputed from the stored fields; the chain
(prev_hash = the recomputed hash of the previous entry); received_at never going back; each
statement canonical and valid for its kind; the indexed columns equal to the statement; the
signature under the key valid at received_at; entitlements and references; the key entries replayed
in order; every checkpoint's signature and root against the tree recomputed from the entries; and
the stored tree state.  Signatures are checked on every core when the store is large.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .check import check_admission, check_signature
from .crypto import verify_signature
from .entitlements import RefInfo, load_entitlements
from .entries import KEY_KINDS, OPERATOR, ZERO_HASH, entry_hash, light_or_full, parse_statement
from .errors import (CHAIN_BROKEN, CHECKPOINT_BEYOND_LOG, CHECKPOINT_ORDER, CHECKPOINT_ROOT_MISMATCH,
                     CHECKPOINT_SIGNATURE_INVALID, COLUMN_MISMATCH, DUPLICATE_IDEMPOTENCY_KEY,
                     LEAF_HASH_MISMATCH, PAYLOAD_INVALID, RECEIVED_AT_REGRESSION, SEQ_GAP,
                     TREE_STATE_MISMATCH, LedgerError, Problem)
from .merkle import Frontier
from .registry import KeyRegistry
from .store import EntryRow, Store, ref_info

PARALLEL_THRESHOLD = 20_000  # below this many entries, worker start-up costs more than it saves
CHUNK = 25_000


@dataclass
class VerifyReport:
    entries: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1

    @property
    def ok(self) -> bool:
        return not self.problems

    def seqs(self) -> set[int]:
        return {p.seq for p in self.problems if p.seq is not None}

    def codes(self) -> set[str]:
        return {p.code for p in self.problems}


@dataclass
class _ChunkResult:
    """What one chunk of rows yields: its problems and what the stitching needs."""

    problems: list[Problem]
    seqs: list[int]
    hashes: list[bytes]  # recomputed entry hashes, in row order
    first_prev: bytes | None
    first_received: datetime | None
    last_received: datetime | None
    deferred: list[tuple[int, bytes, bytes, datetime]]  # rows needing references: (seq, raw, sig, at)


def _check_rows(rows: Iterable[EntryRow], registry: KeyRegistry, deep: bool = False) -> _ChunkResult:
    rules = load_entitlements()
    problems: list[Problem] = []
    seqs: list[int] = []
    hashes: list[bytes] = []
    deferred = []
    prev_hash = prev_received = first_prev = first_received = None
    expected = None
    for row in rows:
        seq = row.seq
        if expected is not None and seq != expected:
            problems.append(Problem(expected, SEQ_GAP, f"entries {expected}..{seq - 1} are missing"
                                    if seq > expected else f"sequence number {seq} out of order"))
        expected = seq + 1
        h = entry_hash(seq, row.received_at, row.prev_hash, row.signature, row.statement)
        if h != row.leaf_hash:
            problems.append(Problem(seq, LEAF_HASH_MISMATCH, "the stored leaf hash is not the hash of the entry"))
        if prev_hash is None:
            first_prev, first_received = row.prev_hash, row.received_at
        else:
            if row.prev_hash != prev_hash:
                problems.append(Problem(seq, CHAIN_BROKEN, "prev_hash is not the hash of the previous entry"))
            if row.received_at < prev_received:
                problems.append(Problem(seq, RECEIVED_AT_REGRESSION, "received_at is before the previous entry's"))
        prev_hash, prev_received = h, row.received_at
        seqs.append(seq)
        hashes.append(h)
        try:
            st = light_or_full(row.statement, row.kind, deep)
        except LedgerError as exc:
            problems.append(Problem(seq, exc.code, exc.message))
            continue
        stored = (row.kind, row.author, row.key_id, row.idempotency_key, row.client)
        signed = (st.kind, st.author, st.key_id, st.idempotency_key, st.client)
        if stored != signed:
            names = [n for n, a, b in zip(("kind", "author", "key_id", "idempotency_key", "client"),
                                          stored, signed) if a != b]
            problems.append(Problem(seq, COLUMN_MISMATCH, f"column(s) {', '.join(names)} differ from the statement"))
        err = check_signature(st, row.signature, registry, seq)
        if err:
            problems.append(Problem(seq, err.code, err.message))
            continue
        if rules[st.kind].needs_refs and st.payload.refs():
            deferred.append((seq, row.statement, row.signature, row.received_at))
            continue
        err = check_admission(st, seq, row.received_at, registry, lambda _s: None, key_semantics=False)
        if err:
            problems.append(Problem(seq, err.code, err.message))
    return _ChunkResult(problems, seqs, hashes, first_prev, first_received, prev_received, deferred)


# --- worker processes ------------------------------------------------------------------------
_worker: dict = {}


def _init_worker(url: str, schema: str | None, registry: KeyRegistry, deep: bool) -> None:
    _worker["store"] = Store(url, schema=schema)
    _worker["registry"] = registry
    _worker["deep"] = deep


def _run_chunk(bounds: tuple[int, int | None]) -> _ChunkResult:
    store: Store = _worker["store"]
    return _check_rows(store.iter_rows_fast(bounds[0], bounds[1]), _worker["registry"], _worker["deep"])


def _replay_keys(store: Store, problems: list[Problem]) -> KeyRegistry:
    """Replay the key entries in order, checking each can apply to the registry as it stood."""
    reg = KeyRegistry()
    for row in store.key_rows():
        try:
            st = parse_statement(row.statement)
        except LedgerError:
            continue  # reported by the row check
        if st.kind not in KEY_KINDS:
            continue
        why = reg.entry_problem(st)
        if why:
            problems.append(Problem(row.seq, PAYLOAD_INVALID, why))
        else:
            reg.apply(row.seq, row.received_at, st)
    return reg


def verify_store(store: Store, *, workers: int | None = None, deep: bool = False) -> VerifyReport:
    """Verify everything in the store; never stops at the first problem.

    deep=True also re-validates every payload against its kind's schema (slower)."""
    started = time.perf_counter()
    report = VerifyReport()
    problems = report.problems
    registry = _replay_keys(store, problems)
    state = store.tree_state()
    total = store.count_rows()
    report.entries = total
    workers = workers or os.cpu_count() or 1
    if total < PARALLEL_THRESHOLD or workers <= 1 or ":memory:" in store.url:
        results: Iterable[_ChunkResult] = [_check_rows(store.iter_rows_fast(), registry, deep)]
        report.workers = 1
        pool = None
    else:
        top = max(state.tree_size, total) + 1
        bounds = [(lo, lo + CHUNK) for lo in range(0, top, CHUNK)]
        bounds[-1] = (bounds[-1][0], None)
        pool = multiprocessing.get_context("spawn").Pool(workers, _init_worker,
                                                         (store.url, store.schema, registry, deep))
        results = pool.imap(_run_chunk, bounds)
        report.workers = workers
    try:
        hashes: list[bytes] = []
        deferred = []
        last_seq = -1
        last_hash = ZERO_HASH
        last_received = None
        for res in results:
            problems.extend(res.problems)
            if not res.seqs:
                continue
            first = res.seqs[0]
            if first != last_seq + 1:
                problems.append(Problem(last_seq + 1, SEQ_GAP, f"entries {last_seq + 1}..{first - 1} are missing"
                                        if first > last_seq + 1 else f"sequence number {first} out of order"))
            if res.first_prev != last_hash:
                problems.append(Problem(first, CHAIN_BROKEN, "prev_hash is not the hash of the previous entry"))
            if last_received is not None and res.first_received < last_received:
                problems.append(Problem(first, RECEIVED_AT_REGRESSION, "received_at is before the previous entry's"))
            last_seq, last_hash, last_received = res.seqs[-1], res.hashes[-1], res.last_received
            hashes.extend(res.hashes)
            deferred.extend(res.deferred)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    for seqs in store.duplicate_idempotency_keys():  # the unique index may have been dropped
        for seq in seqs[1:]:
            problems.append(Problem(seq, DUPLICATE_IDEMPOTENCY_KEY, f"same author and idempotency key as seq {seqs[0]}"))
    _check_deferred(store, deferred, hashes, registry, problems)
    report.checkpoints = _check_tree(store, hashes, registry, state, problems)
    problems.sort(key=lambda p: (p.seq if p.seq is not None else -1, p.code))
    report.seconds = time.perf_counter() - started
    return report


def _check_deferred(store: Store, deferred, hashes: list[bytes], registry: KeyRegistry,
                    problems: list[Problem]) -> None:
    """Entries whose entitlement or validity depends on the entries they refer to."""
    if not deferred:
        return
    wanted = set()
    parsed = []
    for seq, raw, sig, at in deferred:
        st = parse_statement(raw)
        parsed.append((seq, st, at))
        wanted.update(ref.seq for ref in st.payload.refs().values())
    rows = store.get_rows(sorted(wanted))

    def lookup(ref_seq: int) -> RefInfo | None:
        row = rows.get(ref_seq)
        if row is None:
            return None
        info = ref_info(row)
        if ref_seq < len(hashes):  # judge the reference against the recomputed hash
            info = RefInfo(info.seq, hashes[ref_seq], info.kind, info.author, info.payload)
        return info

    for seq, st, at in parsed:
        err = check_admission(st, seq, at, registry, lookup, key_semantics=False)
        if err:
            problems.append(Problem(seq, err.code, err.message))


def _check_tree(store: Store, hashes: list[bytes], registry: KeyRegistry, state, problems: list[Problem]) -> int:
    cps = store.checkpoints()
    by_size: dict[int, list] = {}
    prev = None
    for cp in cps:
        last = cp.tree_size - 1 if cp.tree_size > 0 else None
        if prev is not None and (cp.tree_size < prev.tree_size or cp.created_at < prev.created_at):
            problems.append(Problem(last, CHECKPOINT_ORDER, "checkpoint goes back in size or time", cp.id))
        prev = cp
        pk = registry.public_key(cp.key_id)
        rec = registry.records.get(cp.key_id)
        if pk is None or rec is None or rec.party != OPERATOR:
            problems.append(Problem(last, CHECKPOINT_SIGNATURE_INVALID, "not signed by an operator key", cp.id))
        elif not verify_signature(pk, cp.signature, cp.body()):
            problems.append(Problem(last, CHECKPOINT_SIGNATURE_INVALID, "signature does not verify", cp.id))
        elif registry.key_problem(cp.key_id, OPERATOR, cp.tree_size, cp.created_at):
            problems.append(Problem(last, CHECKPOINT_SIGNATURE_INVALID,
                                    registry.key_problem(cp.key_id, OPERATOR, cp.tree_size, cp.created_at), cp.id))
        if cp.tree_size > len(hashes):
            problems.append(Problem(last, CHECKPOINT_BEYOND_LOG, f"covers {cp.tree_size} entries, the log has "
                                    f"{len(hashes)}", cp.id))
        else:
            by_size.setdefault(cp.tree_size, []).append(cp)
    frontier = Frontier()
    for cp in by_size.get(0, ()):
        if cp.root_hash != frontier.root():
            problems.append(Problem(None, CHECKPOINT_ROOT_MISMATCH, "root differs from the empty tree", cp.id))
    for i, h in enumerate(hashes):
        frontier.append(h)
        for cp in by_size.get(i + 1, ()):
            if cp.root_hash != frontier.root():
                problems.append(Problem(i, CHECKPOINT_ROOT_MISMATCH,
                                        f"root of checkpoint {cp.id} differs from the tree of the entries", cp.id))
    if (state.tree_size, state.head_hash, state.frontier) != (len(hashes), hashes[-1] if hashes else ZERO_HASH,
                                                              frontier.to_bytes()):
        problems.append(Problem(len(hashes) - 1 if hashes else None, TREE_STATE_MISMATCH,
                                f"stored tree state (size {state.tree_size}) differs from the entries "
                                f"(size {len(hashes)})"))
    return len(cps)
