"""RFC 6962 / RFC 9162 Merkle tree: tree head, inclusion and consistency proofs, and their checks.

Hashes (RFC 9162 section 2.1.1): leaf hash = SHA-256(0x00 || d), node hash = SHA-256(0x01 || l || r),
the hash of an empty tree is SHA-256 of the empty string.  Each verifier is the numbered algorithm
of RFC 9162 and returns a bool; nothing here raises on bad input.
"""
from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "EMPTY_ROOT", "leaf_hash", "node_hash", "root_of", "Frontier", "MerkleTree",
    "verify_inclusion", "verify_consistency", "root_from_inclusion", "InclusionVerifier",
]

_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()
HASH_SIZE = 32


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 2.1.1: MTH({d(0)}) = HASH(0x00 || d(0))."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 2.1.1: HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1), RFC 9162 2.1.1."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 2.1.1, computed with a frontier (O(n) time, O(log n) memory)."""
    frontier = Frontier()
    for h in leaf_hashes:
        frontier.append(h)
    return frontier.root()


def _perfect_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a perfect tree (a power of two of leaves), level by level."""
    level = list(leaf_hashes)
    while len(level) > 1:
        level = [_sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


class Frontier:
    """The roots of the perfect subtrees of a growing tree ("compact range" from the left edge).

    Enough to compute the tree head after every append without keeping the leaves.
    """

    __slots__ = ("size", "hashes")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError("frontier does not match the tree size")
        self.size = size
        self.hashes = list(hashes)

    def append(self, h: bytes) -> None:
        hashes = self.hashes
        hashes.append(h)
        n = self.size
        while n & 1:
            right = hashes.pop()
            hashes[-1] = _sha256(b"\x01" + hashes[-1] + right).digest()
            n >>= 1
        self.size += 1

    def extend(self, leaf_hashes: Sequence[bytes], roots_at: Sequence[int] = ()) -> dict[int, bytes]:
        """`append` of each leaf hash in turn, batched (the same frontier, property-tested), and the
        root at each tree size of `roots_at` (sorted) that the tree passes on the way, by size.

        The leaves are taken in the largest perfect subtrees that the tree's size and the next size of
        `roots_at` allow (its size a multiple of theirs), each hashed level by level (RFC 9162 2.1.1)
        and then appended as one frontier hash."""
        roots: dict[int, bytes] = {}
        start, end = self.size, self.size + len(leaf_hashes)
        stops = list(roots_at[bisect_right(roots_at, start):bisect_right(roots_at, end)])
        for stop in [*stops, end]:
            while self.size < stop:
                lo = self.size - start
                width = stop - self.size
                k = 1 << (width.bit_length() - 1)  # the largest power of two that fits ...
                if self.size:
                    k = min(k, self.size & -self.size)  # ... and divides the size
                self._append_subtree(_perfect_root(leaf_hashes[lo:lo + k]), k)
            if stop in stops:
                roots[stop] = self.root()
        return roots

    def _append_subtree(self, h: bytes, k: int) -> None:
        """Append the root `h` of a perfect subtree of k leaves (k a power of two dividing the size)."""
        hashes = self.hashes
        hashes.append(h)
        n = self.size // k
        while n & 1:
            right = hashes.pop()
            hashes[-1] = _sha256(b"\x01" + hashes[-1] + right).digest()
            n >>= 1
        self.size += k

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        h = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            h = _sha256(b"\x01" + left + h).digest()
        return h

    def to_bytes(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> Frontier:
        return cls(size, [data[i:i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)])

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes)


class MerkleTree:
    """All perfect-subtree hashes of a list of leaf hashes, for proofs at any size <= len(leaves)."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        levels = [list(leaf_hashes)]
        while len(levels[-1]) > 1:
            prev = levels[-1]
            levels.append([_sha256(b"\x01" + prev[i] + prev[i + 1]).digest()
                           for i in range(0, len(prev) - 1, 2)])
        self._levels = levels
        self.size = len(leaf_hashes)

    def leaf(self, index: int) -> bytes:
        """The leaf hash at `index`."""
        return self._levels[0][index]

    def _subtree(self, lo: int, hi: int) -> bytes:
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            return self._levels[n.bit_length() - 1][lo // n]
        k = _split(n)
        return node_hash(self._subtree(lo, lo + k), self._subtree(lo + k, hi))

    def root(self, size: int | None = None) -> bytes:
        """MTH(D[size]) of RFC 9162 2.1.1."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError("size out of range")
        return EMPTY_ROOT if size == 0 else self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(m, D[n]) of RFC 9162 2.1.3.1."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError("index or size out of range")
        return self._path(index, 0, size)

    def _path(self, m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return self._path(m, lo, lo + k) + [self._subtree(lo + k, hi)]
        return self._path(m - k, lo + k, hi) + [self._subtree(lo, lo + k)]

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 2.1.4.1."""
        size = self.size if size is None else size
        if not 0 <= old_size <= size <= self.size:
            raise ValueError("sizes out of range")
        if old_size == 0 or old_size == size:
            return []
        return self._subproof(old_size, 0, size, True)

    def _subproof(self, m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if whole else [self._subtree(lo, hi)]
        k = _split(n)
        if m <= k:
            return self._subproof(m, lo, lo + k, whole) + [self._subtree(lo + k, hi)]
        return self._subproof(m - k, lo + k, hi, False) + [self._subtree(lo, lo + k)]


def _is_size(n: object) -> bool:
    return isinstance(n, int) and not isinstance(n, bool)


_HASH_TYPES = (bytes, bytearray)


def _is_hash(h: object) -> bool:
    return isinstance(h, _HASH_TYPES) and len(h) == HASH_SIZE


def _inclusion_input(index: object, size: object, leaf: object, proof: object) -> bool:
    """Step 1 of RFC 9162 2.1.3.2 (0 <= index < size), and well-formed leaf hash and proof list."""
    return (_is_size(index) and _is_size(size) and 0 <= index < size and _is_hash(leaf)
            and isinstance(proof, (list, tuple)))


def _ascend(fn: int, sn: int) -> tuple[bool, int, int]:
    """One step up an audit path on positions only: RFC 9162 2.1.3.2 steps 4b-4c (the same as
    2.1.4.2 steps 6b-6c).  Returns whether the next path element is the left sibling of the node at
    (fn, sn) (LSB(fn) set or fn == sn; then fn and sn are right-shifted until LSB(fn) is set or fn is
    0), and the position of their parent (both right-shifted once more).  The callers hash."""
    if fn & 1 or fn == sn:
        while fn and not fn & 1:
            fn >>= 1
            sn >>= 1
        return True, fn >> 1, sn >> 1
    return False, fn >> 1, sn >> 1


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """Steps 1-5 of RFC 9162 2.1.3.2: the root the proof leads to, or None if the proof is malformed."""
    if not _inclusion_input(index, size, leaf, proof):  # step 1
        return None
    fn, sn = index, size - 1  # step 2
    r = bytes(leaf)  # step 3
    for p in proof:  # step 4
        if sn == 0 or not _is_hash(p):  # 4a
            return None
        left, fn, sn = _ascend(fn, sn)  # 4b, 4c
        r = node_hash(p, r) if left else node_hash(r, p)
    return r if sn == 0 else None  # step 5: sn must be 0


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2: does `proof` show leaf hash `leaf` at `index` in the tree of `size` with `root`?"""
    return root_from_inclusion(index, size, leaf, proof) == root


class InclusionVerifier:
    """RFC 9162 2.1.3.2 for many leaves against one tree head, memoised by node position.

    From a point of the algorithm on, its outcome depends only on the node reached (fn, sn), the
    hash value there and the rest of the proof.  So each point a check passes is remembered with its
    value, the remaining proof and the outcome; a later check that reaches a remembered node with
    the same value and the same remaining proof has the same outcome without hashing further.
    `verify(index, leaf, proof)` is exactly `verify_inclusion(index, size, leaf, proof, root)` for
    every input (property-tested); the leaves of one bundle share most of their paths.

    `decode` (e.g. bytes.fromhex) turns each proof element into bytes when it is hashed, so that a
    proof read from a document is decoded only as far as it is not remembered; an element it
    refuses (TypeError, ValueError) fails the proof, as one that is not a 32-byte hash does. It must
    return bytes (its result is then checked for length only).
    """

    __slots__ = ("size", "root", "decode", "_memo")

    def __init__(self, size: int, root: bytes, decode: Callable[[Any], bytes] | None = None) -> None:
        self.size, self.root, self.decode = size, root, decode
        self._memo: dict[tuple[int, int], tuple[bytes, tuple, int, bool]] = {}

    def verify(self, index: int, leaf: bytes, proof: Sequence[Any]) -> bool:
        size = self.size
        if not _inclusion_input(index, size, leaf, proof):  # step 1
            return False
        proof = tuple(proof)  # remembered below: the caller may change its list afterwards
        decode, memo = self.decode, self._memo
        if decode is None and bytearray in map(type, proof):  # or a bytearray in it
            proof = tuple(bytes(p) if type(p) is bytearray else p for p in proof)
        visited = []
        fn, sn, r = index, size - 1, bytes(leaf)  # steps 2-3
        result = None
        for k, p in enumerate(proof):  # step 4
            if k:
                seen = memo.get((fn, sn))
                if seen is not None and seen[0] == r and seen[1][seen[2]:] == proof[k:]:
                    result = seen[3]
                    break
            if sn == 0:  # 4a
                return False
            if decode is not None:
                try:
                    p = decode(p)
                except (TypeError, ValueError):
                    return False
                if len(p) != HASH_SIZE:  # 4a: a 32-byte hash (decode returns bytes)
                    return False
            elif not _is_hash(p):  # 4a
                return False
            visited.append((fn, sn, r, k))
            left, fn, sn = _ascend(fn, sn)  # 4b, 4c
            r = _sha256(b"\x01" + p + r).digest() if left else _sha256(b"\x01" + r + p).digest()  # node_hash
        if result is None:
            result = sn == 0 and r == self.root  # step 5
        for f, s, value, k in visited:
            memo.setdefault((f, s), (value, proof, k, result))
        return result


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> bool:
    """RFC 9162 2.1.4.2: is the tree (size1, root1) a prefix of the tree (size2, root2)?

    Refused: size1 == 0 (RFC 9162 2.1.4.1 defines PROOF(m, D[n]) for 0 < m; a proof from the empty
    tree proves nothing, and the reference implementations refuse it: transparency-dev/merkle
    proof.VerifyConsistency, golang.org/x/mod/sumdb/tlog.CheckTree), size1 > size2 (2.1.4: the
    second tree is the later one), a root or proof element that is not a 32-byte hash, an empty
    proof for size1 < size2 (step 1), a proof for size1 == size2 (identical trees: the roots must be
    equal and the proof empty, as in both reference implementations), a proof of the wrong length
    (steps 6a and 7).
    """
    if not (_is_size(size1) and _is_size(size2)) or not 0 < size1 <= size2:
        return False
    if not (_is_hash(root1) and _is_hash(root2)) or not isinstance(proof, Sequence):
        return False
    if not all(_is_hash(c) for c in proof):
        return False
    if size1 == size2:  # identical trees: nothing to prove
        return not proof and root1 == root2
    if not proof:  # step 1
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # step 2: size1 is an exact power of 2
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:  # 6a
            return False
        left, fn, sn = _ascend(fn, sn)  # 6b, 6c
        if left:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
        else:
            sr = node_hash(sr, c)
    return sn == 0 and fr == root1 and sr == root2  # step 7
