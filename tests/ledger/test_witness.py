"""The witness (ledger/witness.py, C2SP tlog-witness add-checkpoint) on real Merkle trees and signed checkpoint
notes: it cosigns a log that only grows, and refuses (with the protocol's status, a stable code and a Dutch
message) an inconsistent checkpoint, a log going backwards, another root at the same size (a split view), and
every malformed request; two witnesses' cosigned checkpoints compared show the split view."""
import base64
import hashlib
import os
import stat

import pytest

from ledger import cosignature as cs
from ledger import note
from ledger import witness as wt
from ledger.checkpoints import checkpoint_text
from ledger.crypto import new_signer
from ledger.merkle import MerkleTree, leaf_hash

ORIGIN = "bwledger.test/witnessed"
LOG = new_signer("OPERATOR")
LOG_VKEY = note.Verifier(ORIGIN, note.ED25519, LOG.public_key).vkey()


def leaves(n, tag=b"e"):
    return [leaf_hash(tag + b"%d" % i) for i in range(n)]


def signed(tree: MerkleTree, size: int, signer=LOG, origin=ORIGIN) -> bytes:
    text = checkpoint_text(origin, size, tree.root(size))
    return note.format_note(text, [note.sign_line(origin, signer.public_key, signer.sign, text)])


def make_witness(tmp_path, name="w1.test/witness", clock=lambda: 1_800_000_000):
    return wt.Witness(name, new_signer("RG:ijssel-vecht"), [LOG_VKEY], tmp_path / name.replace("/", "_") / "state.json",
                      clock=clock)


def answer(w, old, proof, note_bytes):
    a = w.add_checkpoint(wt.add_checkpoint_body(old, proof, note_bytes))
    return a.status, a.body.decode()


TREE = MerkleTree(leaves(20))


def test_cosigns_a_log_that_grows_and_keeps_its_state_private(tmp_path):
    w = make_witness(tmp_path)
    status, body = answer(w, 0, [], signed(TREE, 5))
    assert status == 200 and body.startswith("\u2014 w1.test/witness ") and body.endswith("\n")
    status, body = answer(w, 5, TREE.consistency_proof(5, 12), signed(TREE, 12))
    assert status == 200
    served = w.latest(ORIGIN)
    opened = cs.require_quorum(served, LOG_VKEY, [w.verifier.vkey()], 1)
    assert opened.checkpoint.tree_size == 12 and opened.cosigners[0].timestamp == 1_800_000_000
    assert stat.S_IMODE(os.stat(w.state_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(w.state_path.parent).st_mode) == 0o700
    # the same checkpoint again is cosigned again (old = size, same root)
    assert answer(w, 12, [], signed(TREE, 12))[0] == 200


def test_refuses_an_inconsistent_checkpoint(tmp_path):
    w = make_witness(tmp_path)
    assert answer(w, 0, [], signed(TREE, 8))[0] == 200
    rewritten = MerkleTree(leaves(3) + [leaf_hash(b"changed")] + leaves(20)[4:])  # entry 3 rewritten
    status, body = answer(w, 8, rewritten.consistency_proof(8, 16), signed(rewritten, 16))
    assert status == 422 and "WITNESS_PROOF_INVALID" in body and "klopt niet" in body
    assert w.known_size(ORIGIN) == 8  # nothing stored
    assert [e["code"] for e in w.evidence()] == ["CONSISTENCY_PROOF_INVALID"]
    # a proof for the right tree but another checkpoint root fails as well
    assert answer(w, 8, TREE.consistency_proof(8, 16), signed(rewritten, 16))[0] == 422


def test_refuses_a_log_going_backwards(tmp_path):
    w = make_witness(tmp_path)
    assert answer(w, 0, [], signed(TREE, 10))[0] == 200
    # the protocol: the witness answers 409 with the size it knows ...
    a = w.add_checkpoint(wt.add_checkpoint_body(4, [], signed(TREE, 6)))
    assert (a.status, a.content_type, a.body) == (409, wt.SIZE_CONTENT_TYPE, b"10\n")
    # ... and an old size above the checkpoint's, the one it knows, is the log gone backwards
    status, body = answer(w, 10, [], signed(TREE, 6))
    assert status == 400 and "WITNESS_LOG_ROLLED_BACK" in body and "teruggegaan" in body
    # a witness that fetches the checkpoint itself says so too
    with pytest.raises(wt.WitnessRefused) as e:
        w.observe(signed(TREE, 6), TREE.consistency_proof)
    assert e.value.code == "WITNESS_LOG_ROLLED_BACK" and "grootte 6" in e.value.message
    assert w.known_size(ORIGIN) == 10


def test_refuses_another_root_at_the_same_size_and_keeps_the_evidence(tmp_path):
    w = make_witness(tmp_path)
    assert answer(w, 0, [], signed(TREE, 10))[0] == 200
    other = MerkleTree(leaves(10, b"other"))
    status, body = answer(w, 10, [], signed(other, 10))
    assert status == 422 and "WITNESS_SPLIT_VIEW" in body and "andere root" in body
    [item] = w.evidence()
    assert item["code"] == "SPLIT_VIEW" and item["refused"].encode() == signed(other, 10)
    assert w.latest(ORIGIN).startswith(checkpoint_text(ORIGIN, 10, TREE.root(10)))


def test_a_stale_old_size_gets_409_with_the_known_size(tmp_path):
    w = make_witness(tmp_path)
    assert answer(w, 0, [], signed(TREE, 5))[0] == 200
    a = w.add_checkpoint(wt.add_checkpoint_body(0, [], signed(TREE, 9)))
    assert (a.status, a.content_type, a.body) == (409, "text/x.tlog.size", b"5\n")


def test_observe_fetches_the_proof_from_the_size_it_knows(tmp_path):
    w = make_witness(tmp_path)
    asked = []

    def proof_for(old, new):
        asked.append((old, new))
        return TREE.consistency_proof(old, new)

    w.observe(signed(TREE, 3), proof_for)
    w.observe(signed(TREE, 17), proof_for)
    assert asked == [(3, 17)] and w.known_size(ORIGIN) == 17


@pytest.mark.parametrize("body, status, code", [
    (b"old 0\n", 400, "WITNESS_REQUEST_MALFORMED"),                           # no blank line
    (b"new 0\n\n" + b"x", 400, "WITNESS_REQUEST_MALFORMED"),                  # no old line
    (b"old 01\n\n", 400, "WITNESS_REQUEST_MALFORMED"),                        # a leading zero
    (b"old 0\nnot-a-hash\n\n", 400, "WITNESS_REQUEST_MALFORMED"),
    (b"old 0\n" + (base64.b64encode(bytes(32)) + b"\n") * 64 + b"\n", 400, "WITNESS_REQUEST_MALFORMED"),
])
def test_malformed_requests_are_400(tmp_path, body, status, code):
    a = make_witness(tmp_path).add_checkpoint(body)
    assert a.status == status and code in a.body.decode()


def test_an_unknown_origin_is_404(tmp_path):
    other = signed(TREE, 4, origin="other.test/log")
    status, body = answer(make_witness(tmp_path), 0, [], other)
    assert status == 404 and "WITNESS_ORIGIN_UNKNOWN" in body


def test_a_checkpoint_not_signed_by_the_trusted_log_key_is_403(tmp_path):
    w = make_witness(tmp_path)
    status, body = answer(w, 0, [], signed(TREE, 4, signer=new_signer("OPERATOR")))  # same origin, other key
    assert status == 403 and "WITNESS_LOG_SIGNATURE_INVALID" in body
    good = signed(TREE, 4)
    forged = good.replace(b"\n4\n", b"\n5\n")  # the text changed under the log's signature
    assert answer(w, 0, [], forged)[0] == 403
    assert w.latest(ORIGIN) is None


def test_old_size_above_the_checkpoint_is_400(tmp_path):
    status, body = answer(make_witness(tmp_path), 7, [], signed(TREE, 5))
    assert status == 400 and "WITNESS_OLD_SIZE_INVALID" in body


def test_a_proof_from_size_zero_is_422(tmp_path):
    status, body = answer(make_witness(tmp_path), 0, [bytes(32)], signed(TREE, 5))
    assert status == 422 and "WITNESS_PROOF_INVALID" in body


def test_an_empty_checkpoint_needs_the_empty_root(tmp_path):
    text = checkpoint_text(ORIGIN, 0, bytes(32))
    bad = note.format_note(text, [note.sign_line(ORIGIN, LOG.public_key, LOG.sign, text)])
    assert answer(make_witness(tmp_path), 0, [], bad)[0] == 422
    assert answer(make_witness(tmp_path, "w2.test/w"), 0, [], signed(TREE, 0))[0] == 200


def test_other_signatures_on_the_submitted_note_are_ignored(tmp_path):
    w1, w2 = make_witness(tmp_path), make_witness(tmp_path, "w2.test/witness")
    first = signed(TREE, 6)
    line = note.parse_signature_lines(w1.add_checkpoint(wt.add_checkpoint_body(0, [], first)).body)
    cosigned = wt.with_cosignatures(first, line)
    assert answer(w2, 0, [], cosigned)[0] == 200
    assert cs.require_quorum(wt.with_cosignatures(cosigned, note.parse_note(w2.latest(ORIGIN)).signatures),
                             LOG_VKEY, [w1.verifier, w2.verifier], 2).distinct_witnesses == 2


# --- the split view: the operator shows two witnesses two histories --------------------------------------------
def test_a_split_view_is_detected_by_comparing_the_witnesses_checkpoints(tmp_path):
    w1, w2 = make_witness(tmp_path, "w1.test/w"), make_witness(tmp_path, "w2.test/w")
    # the same history up to 6 for both ...
    for w in (w1, w2):
        assert answer(w, 0, [], signed(TREE, 6))[0] == 200
    # ... then the operator appends one entry for w1 and another for w2, both signed with its key
    honest = TREE
    forked = MerkleTree(leaves(6) + [leaf_hash(b"hidden")] + leaves(20)[7:])
    assert answer(w1, 6, honest.consistency_proof(6, 9), signed(honest, 9))[0] == 200
    assert answer(w2, 6, forked.consistency_proof(6, 9), signed(forked, 9))[0] == 200  # each view is consistent
    a, b = w1.latest(ORIGIN), w2.latest(ORIGIN)
    keys = [w1.verifier.vkey(), w2.verifier.vkey()]
    result = wt.compare_cosigned(a, b, LOG_VKEY, keys)
    assert result.split_view and result.verdict == "SPLIT_VIEW" and result.evidence == (a, b)
    assert result.cosigners == (("w1.test/w",), ("w2.test/w",)) and "SPLIT_VIEW" in result.message
    # the same comparison of one witness's view with itself, or with an earlier consistent one, is no split view
    assert wt.compare_cosigned(a, a, LOG_VKEY, keys).verdict == "CONSISTENT"
    earlier = signed(honest, 4)
    assert wt.compare_cosigned(earlier, a, LOG_VKEY).verdict == "UNDECIDED"
    assert wt.compare_cosigned(earlier, a, LOG_VKEY, proof=honest.consistency_proof(4, 9)).verdict == "CONSISTENT"
    # of different sizes, a proof against the other view fails: a split view too
    later_b = signed(forked, 12)
    assert wt.compare_cosigned(a, later_b, LOG_VKEY, proof=honest.consistency_proof(9, 12)).split_view


def test_compare_refuses_a_note_the_log_did_not_sign():
    good = signed(TREE, 5)
    with pytest.raises(note.NoteError):
        wt.compare_cosigned(good, signed(TREE, 5, signer=new_signer("OPERATOR")), LOG_VKEY)


# --- the operator's side --------------------------------------------------------------------------------------
def test_collect_retries_from_the_size_a_witness_names_and_keeps_verified_lines(tmp_path):
    w1, w2 = make_witness(tmp_path, "w1.test/w"), make_witness(tmp_path, "w2.test/w")
    answer(w1, 0, [], signed(TREE, 4))  # w1 knows size 4 already; the operator does not know that
    by_url = {"http://w1": w1, "http://w2": w2}
    sent = []

    def post(url, body):
        sent.append((url, body.split(b"\n", 1)[0]))
        a = by_url[url.removesuffix("/add-checkpoint")].add_checkpoint(body)
        return a.status, a.content_type, a.body

    endpoints = [wt.WitnessEndpoint.parse(w1.verifier.vkey(), "http://w1/"),
                 wt.WitnessEndpoint.parse(w2.verifier.vkey(), "http://w2")]
    res = wt.collect(signed(TREE, 11), endpoints, TREE.consistency_proof, post)
    assert res.problems == {} and res.sizes == {"w1.test/w": 11, "w2.test/w": 11}
    assert sent == [("http://w1/add-checkpoint", b"old 0"), ("http://w1/add-checkpoint", b"old 4"),
                    ("http://w2/add-checkpoint", b"old 0")]
    served = wt.with_cosignatures(signed(TREE, 11), res.lines)
    assert cs.require_quorum(served, LOG_VKEY, [w1.verifier, w2.verifier], 2).distinct_witnesses == 2
    # a witness that refuses is listed, with its Dutch reason; the others still cosign
    other = MerkleTree(leaves(11, b"x"))
    res = wt.collect(signed(other, 11), endpoints, other.consistency_proof, post, known_sizes=res.sizes)
    assert set(res.problems) == {"w1.test/w", "w2.test/w"} and "andere root" in res.problems["w1.test/w"]


def test_origin_hash_is_the_lowercase_hex_sha256():
    assert wt.origin_hash(ORIGIN) == hashlib.sha256(ORIGIN.encode()).hexdigest()
