"""Full verification of a store: every problem is reported with its sequence number and code.

Checked: sequence numbers without gaps; each leaf hash recomputed from the stored fields; the chain
(prev_hash = the recomputed hash of the previous entry); received_at never going back; each
statement canonical and valid for its kind; the indexed columns equal to the statement; the
signature under the key valid at received_at; entitlements and references; the key entries replayed
in order; every checkpoint's signature and root against the tree recomputed from the entries; and
the stored tree state.  Signatures are checked on every core when the store is large.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import msgspec
from cryptography.exceptions import InvalidSignature
from pydantic import ValidationError

from .check import check_admission, check_signature, client_problem, inline_kinds, no_ref
from .crypto import public_key_object, verify_signature
from .entitlements import RefInfo, attribute_of, entitled, load_entitlements
from .entries import (KEY_KINDS, LEAF_MAGIC, OPERATOR, STATEMENT_MODELS, ZERO_HASH, Statement, _LightStatement,
                      light_or_full, micros, parse_signed_statement, parse_statement)
from .errors import (CHAIN_BROKEN, CHECKPOINT_BEYOND_LOG, CHECKPOINT_ORDER, CHECKPOINT_ROOT_MISMATCH,
                     CHECKPOINT_SIGNATURE_INVALID, COLUMN_MISMATCH, DUPLICATE_IDEMPOTENCY_KEY, KEY_NOT_VALID,
                     LEAF_HASH_MISMATCH, NOT_ENTITLED, PAYLOAD_INVALID, RECEIVED_AT_REGRESSION, SEQ_GAP,
                     SIGNATURE_INVALID, TREE_STATE_MISMATCH, LedgerError, Problem)
from .merkle import Frontier
from .registry import KeyRegistry, KeyWindow
from .store import _INT64, _UINT64, Store, ref_info

PARALLEL_THRESHOLD = 20_000  # below this many entries, worker start-up costs more than it saves
SPAN = 8192  # entries per task of a worker: small enough that both cores finish together; a power of two,
# so that the main process can hash each task's entries as one perfect subtree (_TreeCheck.extend)
CHUNK = 5_000  # rows per query
_JSON = msgspec.json.Decoder()


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
    deferred: list[tuple[int, bytes, bytes, datetime, str]]  # rows needing references: (seq, raw, sig, at, kind)


def _received(value: Any) -> datetime:
    """received_at as the driver returned it (SQLite: naive UTC text; PostgreSQL: aware) -> aware UTC."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class _Checker:
    """Checks rows one by one (the per-row half of verify_store), keeping what the stitching needs.

    Each row: the sequence number follows the previous one; the leaf hash recomputed from the stored
    fields equals the stored one; prev_hash is the previous entry's recomputed hash; received_at never
    goes back; the statement parses as its kind; the indexed columns equal the statement; the signature
    verifies under the key the statement names; the key is valid at received_at for the author; the
    client rule and the entitlement hold (entries whose rules need the entries they refer to are
    deferred to _check_deferred).  `schemas` validates each payload against its kind's pydantic model
    (exactly as on admission, less the canonical-form check); `deep` also re-checks the canonical form.
    """

    def __init__(self, registry: KeyRegistry, deep: bool = False, schemas: bool = True) -> None:
        self.registry = registry
        self.deep = deep
        self.schemas = schemas or deep
        self.rules = _rules()
        self.problems: list[Problem] = []
        self.seqs: list[int] = []
        self.hashes: list[bytes] = []
        self.deferred: list[tuple[int, bytes, bytes, datetime, str]] = []
        self.first_prev: bytes | None = None
        self.first_received: datetime | None = None
        self.last_received: datetime | None = None
        self._prev_hash: bytes | None = None
        self._expected: int | None = None
        self._at_raw: Any = None
        self._at: datetime | None = None
        self._at_packed = b""
        self._keys: dict[str, Any] = {}  # key id -> parsed public key, or None when not registered
        # (key id, author) -> the key's KeyWindow when the key is the author's, else None (registry.key_problem
        # gives the message on failure)
        self._windows: dict[tuple[str, str], KeyWindow | None] = {}

    def result(self) -> _ChunkResult:
        return _ChunkResult(self.problems, self.seqs, self.hashes, self.first_prev, self.first_received,
                            self.last_received, self.deferred)

    def _public_key(self, key_id: str):
        try:
            return self._keys[key_id]
        except KeyError:
            pk = self.registry.public_key(key_id)
            try:
                obj = None if pk is None else public_key_object(pk)
            except ValueError:  # not a valid key: nothing verifies under it (as in verify_signature)
                obj = _NO_KEY
            self._keys[key_id] = obj
            return obj

    def rows(self, rows: Iterable[tuple]) -> None:
        """Check rows (driver tuples or EntryRows, ENTRY_COLUMNS order, blobs as bytes) in seq order."""
        problems, seqs, hashes = self.problems, self.seqs, self.hashes
        add = problems.append
        sha256 = hashlib.sha256
        pack_seq = _UINT64.pack
        head = b"\x00" + LEAF_MAGIC
        rules, registry = self.rules, self.registry
        key_problem = registry.key_problem
        models = STATEMENT_MODELS
        fast_ok = not self.deep
        schemas = self.schemas
        decode = _JSON.decode
        kinds = _KIND_INFO
        public_key = self._public_key
        keys, windows = self._keys, self._windows
        join = b"".join
        prev_hash, prev_received, expected = self._prev_hash, self.last_received, self._expected
        at_last, received, at_packed = self._at_raw, self._at, self._at_packed
        for seq, at_raw, prev, stored_hash, kind, author, key_id, idem, client, raw, sig in rows:
            if seq != expected and expected is not None:
                add(Problem(expected, SEQ_GAP, f"entries {expected}..{seq - 1} are missing"
                            if seq > expected else f"sequence number {seq} out of order"))
            expected = seq + 1
            if at_raw != at_last:  # consecutive entries of a batch share received_at
                at_last = at_raw
                received = _received(at_raw)
                at_packed = _INT64.pack(micros(received))
            h = sha256(join((head, pack_seq(seq), at_packed, prev, sig, raw))).digest()
            if h != stored_hash:
                add(Problem(seq, LEAF_HASH_MISMATCH, "the stored leaf hash is not the hash of the entry"))
            if prev_hash is None:
                self.first_prev, self.first_received = prev, received
            else:
                if prev != prev_hash:
                    add(Problem(seq, CHAIN_BROKEN, "prev_hash is not the hash of the previous entry"))
                if received < prev_received:
                    add(Problem(seq, RECEIVED_AT_REGRESSION, "received_at is before the previous entry's"))
            prev_hash, prev_received = h, received
            seqs.append(seq)
            hashes.append(h)
            # -- the fast path: a non-key kind whose statement is what its kind column says
            info = kinds.get(kind) if fast_ok else None
            if info is not None:
                ref_fields, rule_client, rule = info
                d = None
                if schemas:
                    try:
                        m = models[kind].model_validate_json(raw)
                    except ValidationError:
                        m = None  # the general path below reports the precise error
                    if m is not None:
                        s_author, s_key, s_idem, s_client, payload = (m.author, m.key_id, m.idempotency_key,
                                                                      m.client, m.payload)
                        has_refs = any(getattr(payload, f) is not None for f in ref_fields)
                        d = True
                else:
                    try:
                        d = decode(raw)
                        payload = d["payload"]
                        if d["kind"] != kind or d["v"] != 1 or type(payload) is not dict:
                            d = None
                        else:
                            s_author, s_key, s_idem, s_client = d["author"], d["key_id"], d["idempotency_key"], d["client"]
                            has_refs = False
                            for f in ref_fields:
                                if payload.get(f) is not None:
                                    has_refs = True
                                    break
                    except (msgspec.DecodeError, KeyError, TypeError):
                        d = None
                if d is not None:
                    if author != s_author or key_id != s_key or idem != s_idem or client != s_client:
                        names = [n for n, x, y in zip(("author", "key_id", "idempotency_key", "client"),
                                                      (author, key_id, idem, client), (s_author, s_key, s_idem, s_client))
                                 if x != y]
                        add(Problem(seq, COLUMN_MISMATCH, f"column(s) {', '.join(names)} differ from the statement"))
                    pk = keys.get(s_key, _MISSING)
                    if pk is _MISSING:
                        pk = public_key(s_key)
                    if pk is None:
                        add(Problem(seq, KEY_NOT_VALID, f"key {s_key[:16]} is not registered"))
                        continue
                    try:
                        if len(sig) != 64:
                            raise InvalidSignature
                        pk.verify(sig, raw)
                    except (InvalidSignature, ValueError):
                        add(Problem(seq, SIGNATURE_INVALID, f"signature does not verify under key {s_key[:16]}"))
                        continue
                    if has_refs:  # rare enough for the general functions
                        st = Statement(raw, m) if schemas else _LightStatement(raw, d)
                        if rule.needs_refs:
                            self.deferred.append((seq, raw, sig, received, kind))
                            continue
                        err = check_admission(st, seq, received, registry, _no_lookup, key_semantics=False,
                                              rules=rules)
                        if err:
                            add(Problem(seq, err.code, err.message))
                        continue
                    # check_admission without references, inline: client rule, key validity, entitlement
                    err = client_problem(kind, rule_client, s_client) if rule_client != "optional" else None
                    if err:
                        add(Problem(seq, err.code, err.message))
                    else:
                        w = windows.get((s_key, s_author), _MISSING)
                        if w is _MISSING:
                            w = windows[(s_key, s_author)] = registry.window(s_key, s_author)
                        if w is not None and w.admits(seq, received):
                            why = None
                        else:
                            why = key_problem(s_key, s_author, seq, received)
                        if why:
                            add(Problem(seq, KEY_NOT_VALID, why))
                        elif not entitled(rule, s_author, payload, no_ref, attribute_of if schemas else dict.get):
                            add(Problem(seq, NOT_ENTITLED, f"{s_author} may not author a {kind}"))
                    continue
            # -- the general path: key entries, deep checks, and anything unusual
            try:
                st = light_or_full(raw, kind, self.deep) if not schemas else _full(raw, kind, self.deep)
            except LedgerError as exc:
                add(Problem(seq, exc.code, exc.message))
                continue
            if (kind, author, key_id, idem, client) != (st.kind, st.author, st.key_id, st.idempotency_key,
                                                        st.client):
                names = [n for n, x, y in zip(("kind", "author", "key_id", "idempotency_key", "client"),
                                              (kind, author, key_id, idem, client),
                                              (st.kind, st.author, st.key_id, st.idempotency_key, st.client))
                         if x != y]
                add(Problem(seq, COLUMN_MISMATCH, f"column(s) {', '.join(names)} differ from the statement"))
            err = check_signature(st, sig, registry, seq)
            if err:
                add(Problem(seq, err.code, err.message))
                continue
            if rules[st.kind].needs_refs and st.payload.refs():
                self.deferred.append((seq, raw, sig, received, st.kind))
                continue
            err = check_admission(st, seq, received, registry, _no_lookup, key_semantics=False, rules=rules)
            if err:
                add(Problem(seq, err.code, err.message))
        self._prev_hash, self.last_received, self._expected = prev_hash, prev_received, expected
        self._at_raw, self._at, self._at_packed = at_last, received, at_packed


_KIND_INFO = inline_kinds(load_entitlements())


_MISSING = object()
_RULES: dict = {}


def _rules() -> dict:
    """The entitlement table, parsed once per process (it is package data, not state of a store)."""
    if not _RULES:
        _RULES.update(load_entitlements())
    return _RULES


class _NoKey:
    def verify(self, _signature: bytes, _data: bytes) -> None:
        raise InvalidSignature


_NO_KEY = _NoKey()


def _full(raw: bytes, kind: str, deep: bool):
    """The statement validated against its kind's model (deep: and its canonical form re-checked)."""
    return parse_statement(raw) if deep else parse_signed_statement(raw, kind)


def _no_lookup(_seq: int) -> None:
    return None


def _check_rows(rows: Iterable[Any], registry: KeyRegistry, deep: bool = False, schemas: bool = True) -> _ChunkResult:
    """Check rows (EntryRow or driver tuples in ENTRY_COLUMNS order) of one stretch of the log."""
    checker = _Checker(registry, deep, schemas)
    checker.rows(tuple(r) for r in rows)
    return checker.result()


# --- worker processes ------------------------------------------------------------------------
_worker: dict = {}


def _init_worker(url: str, schema: str | None, registry: KeyRegistry, deep: bool, schemas: bool) -> None:
    _worker["store"] = Store(url, schema=schema)
    _worker["args"] = (registry, deep, schemas)


def _run_chunk(bounds: tuple[int, int | None]) -> _ChunkResult:
    store: Store = _worker["store"]
    checker = _Checker(*_worker["args"])
    for rows in store.iter_raw_chunks(bounds[0], bounds[1], chunk=CHUNK):
        checker.rows(rows)
    return checker.result()


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


def verify_store(store: Store, *, workers: int | None = None, deep: bool = False,
                 schemas: bool = False) -> VerifyReport:
    """Verify everything in the store; never stops at the first problem.

    Checked always: sequence numbers, every leaf hash, the chain, received_at order, the indexed
    columns against the statements, every signature under the key valid at that time, the client
    rule, entitlements and references, the key entries in order, duplicate idempotency keys, every
    checkpoint (operator signature, key validity, order, root) and the stored tree state.

    Not re-checked by default: the payload schema and the canonical form of each statement.  Both were
    enforced when the entry was admitted and the signature covers the exact bytes, so no change to a
    stored entry can get past the signature check; re-validating costs about 5% more.
    `schemas=True` re-validates every payload against its kind's model; `deep=True` runs every
    statement through the full admission parser (canonical form and schema)."""
    started = time.perf_counter()
    report = VerifyReport()
    problems = report.problems
    registry = _replay_keys(store, problems)
    state = store.tree_state()
    total = store.count_rows()
    report.entries = total
    tree = _TreeCheck(store.checkpoints())
    workers = workers or os.cpu_count() or 1
    pool = None
    if total < PARALLEL_THRESHOLD or workers <= 1 or ":memory:" in store.url:
        checker = _Checker(registry, deep, schemas)
        for rows in store.iter_raw_chunks(chunk=CHUNK):
            checker.rows(rows)
        results: Iterable[_ChunkResult] = [checker.result()]
        report.workers = 1
    else:
        top = max(state.tree_size, total) + 1
        bounds = [(lo, lo + SPAN) for lo in range(0, top, SPAN)]
        bounds[-1] = (bounds[-1][0], None)
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        pool = ctx.Pool(workers, _init_worker, (store.url, store.schema, registry, deep, schemas))
        results = pool.imap(_run_chunk, bounds)
        report.workers = workers
    # the duplicate-key query runs while the rows are checked (sqlite3 and psycopg release the GIL)
    side = ThreadPoolExecutor(1)
    duplicates = side.submit(store.duplicate_idempotency_keys)
    try:
        hashes: list[bytes] = []
        deferred = []
        last_seq = -1
        last_hash = ZERO_HASH
        last_received = None
        for res in results:  # in order; the tree is built while the workers go on
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
            tree.extend(res.hashes)
            deferred.extend(res.deferred)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        side.shutdown(wait=True)
    for seqs in duplicates.result():  # the unique index may have been dropped
        for seq in seqs[1:]:
            problems.append(Problem(seq, DUPLICATE_IDEMPOTENCY_KEY, f"same author and idempotency key as seq {seqs[0]}"))
    _check_deferred(store, deferred, hashes, registry, problems)
    report.checkpoints = tree.finish(registry, state, hashes, last_received, problems)
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
    for seq, raw, _sig, at, kind in deferred:
        try:
            st = parse_signed_statement(raw, kind)  # the row check parsed it already: this succeeds
        except LedgerError as exc:  # pragma: no cover - defensive
            problems.append(Problem(seq, exc.code, exc.message))
            continue
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


class _TreeCheck:
    """The Merkle tree of the recomputed entry hashes, built incrementally, against every checkpoint
    (its signature by an operator key valid at that time, its root at its size, their order) and the
    stored tree state: size, head hash and frontier from the entries; last_received_at the latest of
    the last entry's received_at and the last checkpoint's time; checkpoint_size the last checkpoint's
    tree size (-1 before the first)."""

    def __init__(self, cps: list) -> None:
        self.cps = cps
        self.by_size: dict[int, list] = {}
        for cp in cps:
            self.by_size.setdefault(cp.tree_size, []).append(cp)
        self.frontier = Frontier()
        self.mismatch: list[Problem] = []
        for cp in self.by_size.get(0, ()):
            if cp.root_hash != self.frontier.root():
                self.mismatch.append(Problem(None, CHECKPOINT_ROOT_MISMATCH, "root differs from the empty tree", cp.id))

    def extend(self, hashes: list[bytes]) -> None:
        frontier, by_size = self.frontier, self.by_size
        n, base = len(hashes), frontier.size
        if n > 1 and n & (n - 1) == 0 and base % n == 0:
            # a perfect subtree: hashed level by level (no per-leaf frontier updates); a checkpoint inside it
            # gets its root from the frontier before it and the perfect subtrees of the part it covers
            sha256 = hashlib.sha256
            levels = [hashes]
            while len(levels[-1]) > 1:
                lv = levels[-1]
                levels.append([sha256(b"\x01" + a + b).digest() for a, b in zip(lv[0::2], lv[1::2])])
            for size in sorted(by_size):
                if base < size <= base + n:
                    m = size - base
                    stack = list(frontier.hashes)
                    for k in range(len(levels) - 1, -1, -1):
                        if m >> k & 1:
                            stack.append(levels[k][(m >> k) - 1])
                    root = stack[-1]
                    for left in reversed(stack[:-1]):
                        root = sha256(b"\x01" + left + root).digest()
                    for cp in by_size[size]:
                        if cp.root_hash != root:
                            self.mismatch.append(Problem(size - 1, CHECKPOINT_ROOT_MISMATCH,
                                                         f"root of checkpoint {cp.id} differs from the tree of the "
                                                         f"entries", cp.id))
            # append the subtree root to the frontier (base is a multiple of n: merge as Frontier.append does)
            fh = frontier.hashes
            fh.append(levels[-1][0])
            q = base // n
            while q & 1:
                right = fh.pop()
                fh[-1] = sha256(b"\x01" + fh[-1] + right).digest()
                q >>= 1
            frontier.size = base + n
            return
        for h in hashes:
            frontier.append(h)
            cps = by_size.get(frontier.size)
            if cps:
                root = frontier.root()
                for cp in cps:
                    if cp.root_hash != root:
                        self.mismatch.append(Problem(frontier.size - 1, CHECKPOINT_ROOT_MISMATCH,
                                                     f"root of checkpoint {cp.id} differs from the tree of the entries",
                                                     cp.id))

    def finish(self, registry: KeyRegistry, state, hashes: list[bytes], last_received: datetime | None,
               problems: list[Problem]) -> int:
        n = len(hashes)
        prev = None
        for cp in self.cps:
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
            if cp.tree_size > n:
                problems.append(Problem(last, CHECKPOINT_BEYOND_LOG, f"covers {cp.tree_size} entries, the log has "
                                        f"{n}", cp.id))
        problems.extend(self.mismatch)
        # the tree-state row: what appends and checkpoints leave behind, recomputed
        latest = self.cps[-1] if self.cps else None
        times = [t for t in (last_received, latest.created_at if latest else None) if t is not None]
        expected = {"tree_size": n, "head_hash": hashes[-1] if hashes else ZERO_HASH,
                    "frontier": self.frontier.to_bytes(), "last_received_at": max(times) if times else None,
                    "checkpoint_size": latest.tree_size if latest else -1}
        stored = {"tree_size": state.tree_size, "head_hash": state.head_hash, "frontier": state.frontier,
                  "last_received_at": state.last_received_at, "checkpoint_size": state.checkpoint_size}
        wrong = [name for name in expected if stored[name] != expected[name]]
        if wrong:
            problems.append(Problem(n - 1 if hashes else None, TREE_STATE_MISMATCH,
                                    f"stored tree state ({', '.join(f'{k}={stored[k]!r:.40}' for k in wrong)}) "
                                    f"differs from the entries and checkpoints (size {n})"))
        return len(self.cps)
