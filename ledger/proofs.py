"""Merkle proofs of the stored log (RFC 9162 2.1.3 inclusion, 2.1.4 consistency), for the HTTP API, the CLI and
bundles. The math is ledger/merkle.py's; this module reads the stored leaf hashes it needs.

A proof is computed from the Merkle tree of the stored leaf hashes up to the newest checkpoint. That tree is
kept per store and process (`_trees`) and grown by the entries after it (tree_of), so proofs against one
checkpoint read the leaves once and each later checkpoint reads only its new entries; a process's first
proof reads every leaf hash of the log (about 5 s for a million entries on the development machine). A log of
many millions of entries would store perfect-subtree hashes (C2SP tlog-tiles) instead, which this log does
not yet.
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


def tree_of(store: Store, size: int, checkpoint: tuple[int, bytes]) -> MerkleTree:
    """The Merkle tree of the log up to `checkpoint` (its size and root; size <= its size), for proofs up to it.

    The tree kept for the store is used when it has the checkpoint's root at the checkpoint's size, and grown
    by the leaves after it when it is smaller (MerkleTree.extended: one query for the new leaf hashes, the
    new nodes only), so a witness asking after every checkpoint costs the new entries, not the log. The
    root commits to every leaf before it: a kept tree that does not lead to it (a database replaced
    meanwhile, a restore) is dropped and the tree read anew."""
    top, root = checkpoint
    key = (store.url, store.schema)
    with _lock:
        kept = _trees.get(key)
    if kept is not None and kept.size < top:
        kept = kept.extended(store.leaf_hashes(top, start=kept.size))
    if kept is None or kept.size < top or kept.root(top) != root:
        kept = MerkleTree(store.leaf_hashes(top))
        if kept.size != top:
            raise LedgerError(PROOF_RANGE_INVALID, f"the log has {kept.size} entries, not {top}")
    with _lock:
        if key not in _trees or _trees[key].size <= kept.size:
            _trees[key] = kept
    return kept


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
