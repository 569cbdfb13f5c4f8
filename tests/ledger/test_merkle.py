"""RFC 6962 / 9162 Merkle tree against known-answer vectors and an independent naive implementation.

Vectors: the leaf inputs, roots and proofs of transparency-dev/merkle (testonly/constants.go and
proof/verify_test.go), which are the certificate-transparency reference vectors.
"""
import hashlib

import pytest
from hypothesis import given, settings, strategies as st

from ledger.merkle import (EMPTY_ROOT, Frontier, InclusionVerifier, MerkleTree, leaf_hash, node_hash, root_of,
                           verify_consistency, verify_inclusion)

h = bytes.fromhex
LEAVES = [h(x) for x in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f"]]
ROOTS = [h(x) for x in [  # root of the tree of the first n leaves, n = 1..8
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]]
INCLUSION = [  # (leaf index, tree size, proof)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]
CONSISTENCY = [  # (size1, size2, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
HASHES = [leaf_hash(x) for x in LEAVES]
TREE = MerkleTree(HASHES)


# An independent implementation, written straight from the recursive definitions of RFC 6962 2.1.
def naive_mth(d):
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:])).digest()


def test_empty_tree_and_hash_prefixes():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root_of([]) == EMPTY_ROOT == MerkleTree([]).root()
    assert leaf_hash(b"") == ROOTS[0]
    assert node_hash(HASHES[0], HASHES[1]) == ROOTS[1]


@pytest.mark.parametrize("n", range(1, 9))
def test_roots_known_answers(n):
    assert TREE.root(n) == ROOTS[n - 1]
    assert root_of(HASHES[:n]) == ROOTS[n - 1]
    assert naive_mth(LEAVES[:n]) == ROOTS[n - 1]


@pytest.mark.parametrize("index,size,proof", INCLUSION)
def test_inclusion_known_answers(index, size, proof):
    proof = [h(p) for p in proof]
    assert TREE.inclusion_proof(index, size) == proof
    assert verify_inclusion(index, size, HASHES[index], proof, ROOTS[size - 1])


@pytest.mark.parametrize("size1,size2,proof", CONSISTENCY)
def test_consistency_known_answers(size1, size2, proof):
    proof = [h(p) for p in proof]
    assert TREE.consistency_proof(size1, size2) == proof
    assert verify_consistency(size1, size2, proof, ROOTS[size1 - 1], ROOTS[size2 - 1])


def _flip(b: bytes) -> bytes:
    return bytes([b[0] ^ 8]) + b[1:]


def inclusion_failures(index, size, proof, root, leaf):
    """One probe per failure path (after transparency-dev/merkle's corruptInclusionProof)."""
    probes = {
        "index-1": (index - 1, size, leaf, proof, root), "index+1": (index + 1, size, leaf, proof, root),
        "index^2": (index ^ 2, size, leaf, proof, root), "size*2": (index, size * 2, leaf, proof, root),
        "size/2": (index, size // 2, leaf, proof, root), "wrong leaf": (index, size, b"WrongLeaf", proof, root),
        "empty root": (index, size, leaf, proof, EMPTY_ROOT), "random root": (index, size, leaf, proof, SOME_HASH),
        "trailing garbage": (index, size, leaf, proof + [b""], root),
        "trailing root": (index, size, leaf, proof + [root], root),
        "preceding garbage": (index, size, leaf, [b""] + proof, root),
        "preceding root": (index, size, leaf, [root] + proof, root),
    }
    for i in range(len(proof)):
        probes[f"flip {i}"] = (index, size, leaf, proof[:i] + [_flip(proof[i])] + proof[i + 1:], root)
    if proof:
        probes["removed"] = (index, size, leaf, proof[:-1], root)
    if len(proof) > 1:
        probes["inserted"] = (index, size, leaf, [proof[0], SOME_HASH] + proof[1:], root)
    return probes


@pytest.mark.parametrize("index,size,proof", INCLUSION[:4])
def test_inclusion_failure_paths(index, size, proof):
    proof = [h(p) for p in proof]
    for name, args in inclusion_failures(index, size, proof, ROOTS[size - 1], HASHES[index]).items():
        assert not verify_inclusion(*args), name


def test_inclusion_degenerate_inputs():
    assert verify_inclusion(0, 1, HASHES[0], [], HASHES[0])
    assert not verify_inclusion(0, 0, SOME_HASH, [], EMPTY_ROOT)  # empty tree holds nothing
    assert not verify_inclusion(1, 1, SOME_HASH, [], SOME_HASH)  # index beyond the tree
    assert not verify_inclusion(-1, 1, SOME_HASH, [], SOME_HASH)
    assert not verify_inclusion(0, 1, b"", [], b"")  # wrong hash size
    proof = TREE.inclusion_proof(2, 8)
    for bad in (b"", "0" * 32, None, 3):  # a path element that is not a 32-byte hash (RFC 9162 2.1.1)
        assert not verify_inclusion(2, 8, HASHES[2], proof[:1] + [bad] + proof[2:], ROOTS[7])
    assert not verify_inclusion(2, 8, HASHES[2], None, ROOTS[7])


@pytest.mark.parametrize("size1,size2,proof", CONSISTENCY[1:])
def test_consistency_failure_paths(size1, size2, proof):
    proof = [h(p) for p in proof]
    r1, r2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    probes = {
        "size1-1": (size1 - 1, size2, proof, r1, r2), "size1+1": (size1 + 1, size2, proof, r1, r2),
        "size1^2": (size1 ^ 2, size2, proof, r1, r2), "size2*2": (size1, size2 * 2, proof, r1, r2),
        "size2/2": (size1, size2 // 2, proof, r1, r2), "wrong root1": (size1, size2, proof, b"WrongRoot", r2),
        "wrong root2": (size1, size2, proof, r1, b"WrongRoot"), "swapped": (size1, size2, proof, r2, r1),
        "empty proof": (size1, size2, [], r1, r2),
        "trailing garbage": (size1, size2, proof + [b""], r1, r2),
        "trailing root1": (size1, size2, proof + [r1], r1, r2),
        "trailing root2": (size1, size2, proof + [r2], r1, r2),
        "preceding garbage": (size1, size2, [b""] + proof, r1, r2),
        "preceding root1": (size1, size2, [r1] + proof, r1, r2),
        "preceding root2": (size1, size2, [r2] + proof, r1, r2),
        "preceding proof[0]": (size1, size2, [proof[0]] + proof, r1, r2),
        "truncated": (size1, size2, proof[:-1], r1, r2),
    }
    for i in range(len(proof)):
        probes[f"flip {i}"] = (size1, size2, proof[:i] + [_flip(proof[i])] + proof[i + 1:], r1, r2)
    for name, args in probes.items():
        assert not verify_consistency(*args), name


def test_consistency_trivial_cases():
    a, b = SOME_HASH, _flip(SOME_HASH)
    assert verify_consistency(1, 1, [], b, b)  # identical trees: equal roots, nothing to prove
    assert verify_consistency(5, 5, [], ROOTS[4], ROOTS[4])
    assert not verify_consistency(1, 1, [], a, b)  # same size, other root
    assert not verify_consistency(1, 0, [], a, b)  # time travel
    assert not verify_consistency(2, 1, [], a, b)
    assert not verify_consistency(1, 2, [], a, b)  # empty proof
    assert not verify_consistency(1, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT)


# --- verify_consistency's failure paths, one test each (RFC 9162 section 2.1.4) -----------------
def _valid_consistency(size1, size2):
    return TREE.consistency_proof(size1, size2), TREE.root(size1), TREE.root(size2)


@pytest.mark.parametrize("size2", range(9))
def test_consistency_from_the_empty_tree_is_refused_rfc9162_2_1_4_1(size2):
    """PROOF(m, D[n]) is defined for 0 < m (RFC 9162 2.1.4.1); a proof from the empty tree proves
    nothing, and transparency-dev/merkle (VerifyConsistency) and golang.org/x/mod/sumdb/tlog
    (CheckTree) refuse it, whatever the roots and the proof."""
    root2 = TREE.root(size2)
    assert not verify_consistency(0, size2, [], EMPTY_ROOT, root2)
    assert not verify_consistency(0, size2, [], root2, root2)
    assert not verify_consistency(0, size2, [EMPTY_ROOT], EMPTY_ROOT, root2)
    if size2:
        assert not verify_consistency(0, size2, TREE.inclusion_proof(0, size2), EMPTY_ROOT, root2)


@pytest.mark.parametrize("size1,size2,proof", CONSISTENCY[1:])
def test_consistency_first_tree_larger_than_second_is_refused_rfc9162_2_1_4(size1, size2, proof):
    """The first tree is the earlier one: size1 <= size2 (RFC 9162 2.1.4), even with the sizes and
    roots of a valid proof swapped."""
    proof = [h(p) for p in proof]
    r1, r2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    assert not verify_consistency(size2, size1, proof, r2, r1)
    assert not verify_consistency(size2, size1, proof, r1, r2)
    assert not verify_consistency(size2, size1, [], r2, r2)
    assert not verify_consistency(size1 + 1, size1, [], r1, r1)


@pytest.mark.parametrize("size1,size2", [(-1, 4), (-1, -1), (3, -1), (True, 2), (1.0, 2), ("1", "8"), (None, 8)])
def test_consistency_sizes_that_are_not_tree_sizes_are_refused_rfc9162_2_1_4(size1, size2):
    proof, r1, r2 = _valid_consistency(1, 8)
    assert not verify_consistency(size1, size2, proof, r1, r2)
    assert not verify_consistency(size1, size2, [], r1, r1)


@pytest.mark.parametrize("size1,size2,proof", CONSISTENCY[1:])
def test_consistency_empty_proof_is_refused_rfc9162_2_1_4_2_step_1(size1, size2, proof):
    assert not verify_consistency(size1, size2, [], ROOTS[size1 - 1], ROOTS[size2 - 1])
    assert not verify_consistency(size1, size2, (), ROOTS[size1 - 1], ROOTS[size2 - 1])


@pytest.mark.parametrize("size1,size2,proof", CONSISTENCY[1:])
@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33, "0" * 32, None, 7, [b"\x00" * 32]],
                         ids=["empty", "31 bytes", "33 bytes", "str", "None", "int", "list"])
def test_consistency_element_that_is_not_a_hash_is_refused_rfc9162_2_1_1(size1, size2, proof, bad):
    """Every path element is a 32-byte SHA-256 value (RFC 9162 2.1.1): anything else is refused,
    wherever it stands, without an exception."""
    proof = [h(p) for p in proof]
    r1, r2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    for i in range(len(proof)):
        assert not verify_consistency(size1, size2, proof[:i] + [bad] + proof[i + 1:], r1, r2), i
    assert not verify_consistency(size1, size2, proof + [bad], r1, r2)
    assert not verify_consistency(size1, size2, [bad] + proof, r1, r2)


@pytest.mark.parametrize("bad", [b"", b"WrongRoot", SOME_HASH[:31], SOME_HASH.hex(), None],
                         ids=["empty", "9 bytes", "31 bytes", "hex str", "None"])
def test_consistency_root_that_is_not_a_hash_is_refused_rfc9162_2_1_1(bad):
    proof, r1, r2 = _valid_consistency(4, 8)  # size1 a power of two: root1 becomes the first path element
    assert not verify_consistency(4, 8, proof, bad, r2)
    assert not verify_consistency(4, 8, proof, r1, bad)
    assert not verify_consistency(3, 3, [], bad, bad)
    for proof in (None, 5, b"\x00" * 32, "ab"):  # not a sequence of hashes
        assert not verify_consistency(4, 8, proof, r1, r2)


@pytest.mark.parametrize("size1,size2,proof", CONSISTENCY[1:])
def test_consistency_proof_too_long_is_refused_rfc9162_2_1_4_2_step_6a(size1, size2, proof):
    """An element left over after sn has reached 0 (step 6a), at the end or in between."""
    proof = [h(p) for p in proof]
    r1, r2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    for extra in (SOME_HASH, r1, r2, proof[-1]):
        assert not verify_consistency(size1, size2, proof + [extra], r1, r2)
        assert not verify_consistency(size1, size2, proof[:1] + [extra] + proof[1:], r1, r2)


@pytest.mark.parametrize("size1,size2,proof", CONSISTENCY[1:])
def test_consistency_proof_too_short_is_refused_rfc9162_2_1_4_2_step_7(size1, size2, proof):
    """sn must be 0 after the last element (step 7): a truncated proof ends below the root."""
    proof = [h(p) for p in proof]
    r1, r2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    for n in range(1, len(proof)):
        assert not verify_consistency(size1, size2, proof[:n], r1, r2), n
        assert not verify_consistency(size1, size2, proof[len(proof) - n:], r1, r2), n


@pytest.mark.parametrize("size1,size2,proof", CONSISTENCY[1:])
def test_consistency_wrong_roots_are_refused_rfc9162_2_1_4_2_step_7(size1, size2, proof):
    """fr must equal the first root and sr the second (step 7)."""
    proof = [h(p) for p in proof]
    r1, r2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    assert verify_consistency(size1, size2, proof, r1, r2)
    assert not verify_consistency(size1, size2, proof, _flip(r1), r2)
    assert not verify_consistency(size1, size2, proof, r1, _flip(r2))
    assert not verify_consistency(size1, size2, proof, r2, r1)
    assert not verify_consistency(size1, size2, proof, EMPTY_ROOT, r2)


@pytest.mark.parametrize("size1,size2,proof", CONSISTENCY[1:])
def test_consistency_changed_element_is_refused_rfc9162_2_1_4_2_step_7(size1, size2, proof):
    proof = [h(p) for p in proof]
    r1, r2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    for i in range(len(proof)):
        assert not verify_consistency(size1, size2, proof[:i] + [_flip(proof[i])] + proof[i + 1:], r1, r2), i
    assert not verify_consistency(size1, size2, list(reversed(proof)), r1, r2)


@pytest.mark.parametrize("size", [1, 2, 5, 8])
def test_consistency_of_identical_trees_needs_equal_roots_and_no_proof(size):
    """size1 == size2: RFC 9162 2.1.4.2 has nothing to prove; as in both reference implementations
    the proof must be empty and the roots equal."""
    root = ROOTS[size - 1]
    assert verify_consistency(size, size, [], root, root)
    assert not verify_consistency(size, size, [], root, _flip(root))
    assert not verify_consistency(size, size, [root], root, root)
    assert not verify_consistency(size, size, TREE.inclusion_proof(0, size) + [root], root, root)


@given(st.integers(-3, 20), st.integers(-3, 20), st.lists(st.one_of(st.binary(max_size=40), st.none(),
                                                                      st.text(max_size=33)), max_size=8),
       st.binary(max_size=33), st.binary(max_size=33))
def test_consistency_never_raises(size1, size2, proof, root1, root2):
    assert verify_consistency(size1, size2, proof, root1, root2) in (True, False)
    assert verify_inclusion(size1, size2, root1, proof, root2) in (True, False)


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=70), st.data())
def test_against_naive_implementation(leaves, data):
    hashes = [leaf_hash(x) for x in leaves]
    tree = MerkleTree(hashes)
    n = len(leaves)
    assert tree.root() == naive_mth(leaves) == root_of(hashes)
    size = data.draw(st.integers(1, n))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))
    assert verify_inclusion(index, size, hashes[index], tree.inclusion_proof(index, size), tree.root(size))
    assert verify_consistency(old, size, tree.consistency_proof(old, size), tree.root(old), tree.root(size))
    assert not verify_consistency(0, size, tree.consistency_proof(0, size), EMPTY_ROOT, tree.root(size))


@given(st.integers(0, 70), st.lists(st.integers(0, 40), max_size=4))
def test_extended_is_the_tree_of_all_leaves(first, more):
    """MerkleTree.extended (what ledger/proofs.py grows its kept tree with) gives every root and proof of the tree
    built from all the leaves at once, and leaves the tree it extends as it was."""
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(first + sum(more))]
    tree = MerkleTree(leaves[:first])
    n = first
    for k in more:
        before = tree.root() if n else None
        grown = tree.extended(leaves[n:n + k])
        assert tree.size == n and (not n or tree.root() == before)
        tree, n = grown, n + k
        whole = MerkleTree(leaves[:n])
        assert tree.size == n and tree._levels == whole._levels
        for m in range(1, n + 1):
            assert tree.root(m) == whole.root(m) and tree.consistency_proof(m) == whole.consistency_proof(m)


def _decoded(proof, decode):
    """The proof verify_inclusion gets when InclusionVerifier decodes each element (None: refused)."""
    if decode is None:
        return proof
    try:
        return [decode(p) for p in proof]
    except (TypeError, ValueError):
        return None


@settings(max_examples=80)
@given(size=st.integers(1, 70), hexed=st.booleans(), data=st.data())
def test_inclusion_verifier_equals_verify_inclusion(size, hexed, data):
    """InclusionVerifier (steps memoised by node position) gives verify_inclusion's answer for every
    check of a run against one tree head that mixes valid proofs with corrupted ones, proofs of other
    leaves and malformed input, with proofs as bytes or as hex decoded on the way (as a bundle has
    them); the caller's proof lists are changed after each check (the memo must not see it)."""
    leaves = [hashlib.sha256(b"%d" % i).digest() for i in range(size)]
    tree = MerkleTree(leaves)
    root = data.draw(st.sampled_from([tree.root(), tree.root(max(size - 1, 1)), SOME_HASH]), label="root")
    decode = bytes.fromhex if hexed else None
    verifier = InclusionVerifier(size, root, decode=decode)
    hows = ["valid", "flip", "drop", "extra", "leaf", "other", "swap", "notahash", "size-1", "bytearray", "upper"]
    for _ in range(data.draw(st.integers(1, 3 * size), label="checks")):
        index = data.draw(st.integers(-1, size), label="index")
        inside = 0 <= index < size
        leaf = leaves[index] if inside else leaves[0]
        proof = tree.inclusion_proof(index, size) if inside else []
        how = data.draw(st.sampled_from(hows), label="how")
        if how == "flip" and proof:
            i = data.draw(st.integers(0, len(proof) - 1))
            proof[i] = _flip(proof[i])
        elif how == "drop" and proof:
            proof.pop(data.draw(st.integers(0, len(proof) - 1)))
        elif how == "extra":
            proof.insert(data.draw(st.integers(0, len(proof))), data.draw(st.sampled_from([SOME_HASH, root])))
        elif how == "leaf":
            leaf = hashlib.sha256(leaf).digest()
        elif how == "other":  # the proof of another leaf
            proof = tree.inclusion_proof(data.draw(st.integers(0, size - 1)), size)
        elif how == "swap" and len(proof) > 1:
            proof[0], proof[1] = proof[1], proof[0]
        elif how == "size-1" and inside and index < size - 1:  # a proof in the tree one leaf smaller
            proof = tree.inclusion_proof(index, size - 1)
        elif how == "bytearray" and proof and not hexed:
            proof[0] = bytearray(proof[0])
        if hexed:
            proof = [p.hex() for p in proof]
            if how == "upper" and proof:
                proof[0] = proof[0].upper()
        if how == "notahash" and proof:
            i = data.draw(st.integers(0, len(proof) - 1))
            proof[i] = data.draw(st.sampled_from([b"", SOME_HASH[:31], SOME_HASH.hex(), SOME_HASH, "zz" * 32,
                                                  "ab" * 31, None, 7]))
        plain = _decoded(proof, decode)
        expected = plain is not None and verify_inclusion(index, size, leaf, plain, root)
        assert verifier.verify(index, leaf, proof) == expected, (index, how)
        if proof:
            proof[0] = SOME_HASH


def test_inclusion_verifier_memo_is_shared_and_exact():
    """Known answers: every leaf of the 8-leaf tree verifies, the memo then answers for them, and
    a corrupted path element still fails although the rest of the path is remembered."""
    v = InclusionVerifier(8, ROOTS[7])
    assert all(v.verify(i, HASHES[i], TREE.inclusion_proof(i, 8)) for i in range(8))
    assert all(v.verify(i, HASHES[i], TREE.inclusion_proof(i, 8)) for i in range(8))
    for i in range(8):
        proof = TREE.inclusion_proof(i, 8)
        for k in range(3):
            assert not v.verify(i, HASHES[i], proof[:k] + [_flip(proof[k])] + proof[k + 1:]), (i, k)
    v = InclusionVerifier(8, ROOTS[7])  # a caller that mends its list after a failed check
    proof = TREE.inclusion_proof(0, 8)
    good, proof[-1] = proof[-1], _flip(proof[-1])
    assert not v.verify(0, HASHES[0], proof)
    proof[-1] = good
    assert v.verify(1, HASHES[1], TREE.inclusion_proof(1, 8)) and v.verify(0, HASHES[0], proof)
    assert not v.verify(8, HASHES[0], TREE.inclusion_proof(0, 8))
    assert not v.verify(0, HASHES[0], None)
    assert not InclusionVerifier(8, SOME_HASH).verify(0, HASHES[0], TREE.inclusion_proof(0, 8))
    assert not InclusionVerifier(0, EMPTY_ROOT).verify(0, HASHES[0], [])


def test_frontier_tracks_root_and_round_trips():
    f = Frontier()
    for n, x in enumerate(HASHES, 1):
        f.append(x)
        assert f.root() == ROOTS[n - 1]
        g = Frontier.from_bytes(f.size, f.to_bytes())
        assert g.root() == f.root() and g.hashes == f.hashes
    with pytest.raises(ValueError):
        Frontier(3, [SOME_HASH])


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 70), st.integers(0, 140), st.lists(st.integers(0, 220), max_size=8))
def test_frontier_extend_is_append_one_by_one(before, n, at):
    """The batch function (perfect subtrees hashed level by level) against the plain one: the same
    frontier after it, and at every size of `roots_at` the tree passes, the root append gives there."""
    data = [i.to_bytes(2, "big") for i in range(before + n)]
    leaves = [leaf_hash(d) for d in data]
    plain, batched = Frontier(), Frontier()
    for x in leaves[:before]:
        plain.append(x)
        batched.append(x)
    sizes = sorted(at)
    expected = {}
    for x in leaves[before:]:
        plain.append(x)
        if plain.size in sizes:
            expected[plain.size] = plain.root()
    assert batched.extend(leaves[before:], sizes) == expected
    assert (batched.size, batched.hashes) == (plain.size, plain.hashes)
    assert batched.root() == plain.root() == naive_mth(data)


def test_frontier_extend_known_answers():
    f = Frontier()
    assert f.extend(HASHES, [0, 3, 5, 8, 9]) == {3: ROOTS[2], 5: ROOTS[4], 8: ROOTS[7]}
    assert f.root() == ROOTS[7] and f.extend([]) == {}
