"""Merkle proofs of the stored log (RFC 9162 2.1.3 inclusion, 2.1.4 consistency), for the HTTP API, the CLI and
bundles. The math is ledger/merkle.py's; this module reads the stored leaf hashes it needs.

A proof is computed from the stored leaf hashes of the first `tree_size` entries (one query, every leaf of
that prefix: the proof's subtrees together cover it). The tree of the newest checkpointed size is kept per
store (`_trees`), so a witness or party asking for proofs against the same checkpoint reads the leaves once;
a log of millions of entries would keep perfect-subtree hashes (C2SP tlog-tiles) instead, which this log
does not store yet.
"""
from __future__ import annotations

from dataclasses import dataclass
from threading import Lock

from .checkpoints import SignedCheckpoint, checkpoint_signature_problem
from .entries import OPERATOR
from .errors import CHECKPOINT_SIGNATURE_INVALID, CONSISTENCY_PROOF_INVALID, PROOF_RANGE_INVALID, LedgerError
from .merkle import MerkleTree, verify_consistency
from .store import Store

__all__ = ["ConsistencyProof", "InclusionProof", "ConsistencyCheck", "consistency_proof", "inclusion_proof",
           "check_consistency", "checkpointed_size", "tree_of"]

@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    proof: list[bytes]


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    tree_size: int
    leaf_hash: bytes
    root: bytes
    proof: list[bytes]


_trees: dict[tuple[str, str | None], MerkleTree] = {}
_lock = Lock()


def tree_of(store: Store, size: int, checkpoint: tuple[int, bytes] | None = None) -> MerkleTree:
    """The Merkle tree of the first `size` stored entries. A kept tree of at least that size is used when it
    has the root of `checkpoint` (size, root; size >= `size`) at that checkpoint's size: the root commits to
    every leaf before it, so a database replaced meanwhile (a restore) is never answered from the old tree.
    Proofs take the size, so a larger tree serves a smaller one."""
    key = (store.url, store.schema)
    with _lock:
        kept = _trees.get(key)
    if (kept is not None and checkpoint is not None and size <= checkpoint[0] <= kept.size
            and kept.root(checkpoint[0]) == checkpoint[1]):
        return kept
    tree = MerkleTree(store.leaf_hashes(size))
    if tree.size != size:
        raise LedgerError(PROOF_RANGE_INVALID, f"the log has {tree.size} entries, not {size}")
    with _lock:
        if key not in _trees or _trees[key].size < size:
            _trees[key] = tree
    return tree


def checkpointed_size(store: Store) -> int:
    """The size of the newest checkpoint (0 when there is none)."""
    return _newest(store)[0]


def _newest(store: Store) -> tuple[int, bytes]:
    cp = store.latest_checkpoint()
    return (0, b"") if cp is None else (cp.tree_size, cp.root_hash)


def consistency_proof(store: Store, old_size: int, new_size: int | None = None) -> ConsistencyProof:
    """PROOF(old_size, D[new_size]) of RFC 9162 2.1.4.1; new_size defaults to the newest checkpoint's size.
    Both sizes must be 0 < old_size <= new_size <= that size (PROOF_RANGE_INVALID otherwise)."""
    newest = _newest(store)
    top = newest[0]
    new_size = top if new_size is None else new_size
    if not 0 < old_size <= new_size <= top:
        raise LedgerError(PROOF_RANGE_INVALID, f"a consistency proof needs 0 < van <= tot <= {top} (the newest "
                          f"checkpoint), not van={old_size}, tot={new_size}")
    tree = tree_of(store, new_size, newest)
    return ConsistencyProof(old_size, new_size, tree.root(old_size), tree.root(new_size),
                            tree.consistency_proof(old_size, new_size))


def inclusion_proof(store: Store, seq: int, tree_size: int | None = None) -> InclusionProof:
    """PATH(seq, D[tree_size]) of RFC 9162 2.1.3.1 for the entry at `seq`; tree_size defaults to the newest
    checkpoint's size, and must be seq < tree_size <= it (PROOF_RANGE_INVALID otherwise)."""
    newest = _newest(store)
    top = newest[0]
    tree_size = top if tree_size is None else tree_size
    if not 0 <= seq < tree_size <= top:
        raise LedgerError(PROOF_RANGE_INVALID, f"an inclusion proof needs 0 <= volgnummer < grootte <= {top} "
                          f"(the newest checkpoint), not volgnummer={seq}, grootte={tree_size}")
    tree = tree_of(store, tree_size, newest)
    return InclusionProof(seq, tree_size, tree.leaf(seq), tree.root(tree_size),
                          tree.inclusion_proof(seq, tree_size))


@dataclass(frozen=True)
class ConsistencyCheck:
    """The outcome of `check_consistency`: the two trees, the proof between them, and what is wrong (each a
    (code, detail) pair; none: the newer tree extends the older)."""

    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    proof: list[bytes]
    problems: list[tuple[str, str]]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_consistency(store: Store, old: int | SignedCheckpoint, new: int | SignedCheckpoint) -> ConsistencyCheck:
    """Whether the log's tree `new` extends its tree `old` (`bwledger ledger consistency OLD NEW`): each a tree
    size of this log, or a checkpoint someone kept (a note or a JSON checkpoint, ledger.checkpoints
    read_checkpoint), which must be signed by one of the log's operator keys and name its origin. The
    proof is the log's (RFC 9162 2.1.4.1) and is checked against the roots the checkpoints state, so a
    checkpoint the log did not show (a split view) fails here."""
    problems: list[tuple[str, str]] = []
    operator_keys = {kid: rec.public_key for kid, rec in store.registry().records.items() if rec.party == OPERATOR}
    origin = store.log_origin()

    def tree_size_of(side: int | SignedCheckpoint, label: str) -> int:
        if isinstance(side, int):
            return side
        why = checkpoint_signature_problem(side, operator_keys, origin if side.note is not None else None)
        if why:
            problems.append((CHECKPOINT_SIGNATURE_INVALID, f"{label}: {why}"))
        return side.tree_size

    old_size, new_size = tree_size_of(old, "the old checkpoint"), tree_size_of(new, "the new checkpoint")
    p = consistency_proof(store, old_size, new_size)
    old_root = p.old_root if isinstance(old, int) else old.root_hash
    new_root = p.new_root if isinstance(new, int) else new.root_hash
    if not verify_consistency(old_size, new_size, p.proof, old_root, new_root):
        problems.append((CONSISTENCY_PROOF_INVALID, f"the tree of {new_size} entries does not extend the tree of "
                         f"{old_size} entries with these roots"))
    return ConsistencyCheck(old_size, new_size, old_root, new_root, p.proof, problems)
