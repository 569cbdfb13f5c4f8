"""Bundles: export a party's entries, verify offline, and one test per failure path."""
import base64
import json
from datetime import date, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from ledger.bundle import verify_bundle, verify_bundle_file
from ledger.errors import (BUNDLE_MALFORMED, CHECKPOINT_SIGNATURE_INVALID, ENTRY_OUT_OF_SCOPE,
                           INCLUSION_PROOF_INVALID, KEY_NOT_TRUSTED, LEAF_HASH_MISMATCH, SIGNATURE_INVALID)
from ledger.service import export_bundle
from ledger_helpers import cost_line, determination, ref

TODAY = date.today()


@pytest.fixture
def bundle(sqlite_env, tmp_path):
    e = sqlite_env
    det = e.append("GM0193", "determination", determination(addressee="GM0166"))
    e.append("GM0166", "objection", {"determination": ref(det), "reasons": "woonadres"})
    e.append("GM0166", "cost_line", cost_line())
    e.append("GM0200", "cost_line", cost_line(fronting="GM0200", bearer="GM0193"))  # not GM0166's
    e.append("GM0193", "acceptance", {"determination": ref(e.append("GM0166", "determination",
                                                                       determination(addressee="GM0193")))})
    path = tmp_path / "b.json"
    summary = export_bundle(e.store, "GM0166", TODAY - timedelta(days=1), TODAY + timedelta(days=1), path)
    return e, path, summary


def test_export_and_verify(bundle):
    e, path, summary = bundle
    assert summary.entries == 5  # det naming it, objection, cost line, determination, acceptance by reference
    report = verify_bundle_file(path, trusted_operator_keys=[e.store.operator.key_id])
    assert report.ok and report.trusted_operator, report.problems
    doc = json.loads(path.read_text())
    kinds = {json.loads(base64.b64decode(x["statement"]))["kind"] for x in doc["entries"] if x["role"] == "party"}
    assert kinds == {"determination", "objection", "cost_line", "acceptance"}
    empty = export_bundle(e.store, "GM0166", TODAY + timedelta(days=5), TODAY + timedelta(days=6), path)
    assert empty.entries == 0 and verify_bundle_file(path).ok


def test_party_entries_are_the_bundles_party_entries(bundle):
    from ledger.service import party_entries

    e, path, summary = bundle
    doc = json.loads(path.read_text())
    rows = party_entries(e.store, "GM0166", TODAY - timedelta(days=1), TODAY + timedelta(days=1))
    assert [r.seq for r in rows] == [x["seq"] for x in doc["entries"] if x["role"] == "party"]
    assert len(rows) == summary.entries and all(r.kind != "key_registration" for r in rows)
    assert party_entries(e.store, "GM0166", TODAY + timedelta(days=5), TODAY + timedelta(days=6)) == []


def _tamper(path, fn):
    doc = json.loads(path.read_text())
    fn(doc)
    return verify_bundle(doc)


def _party(doc):
    return [x for x in doc["entries"] if x["role"] == "party"]


def _flip_b64(s):
    raw = bytearray(base64.b64decode(s))
    raw[5] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def test_failure_paths(bundle):
    e, path, _ = bundle
    codes = lambda r: {p.code for p in r.problems}  # noqa: E731
    assert BUNDLE_MALFORMED in codes(_tamper(path, lambda d: d.update(format="other")))
    assert BUNDLE_MALFORMED in codes(_tamper(path, lambda d: d.pop("checkpoint")))
    r = _tamper(path, lambda d: _party(d)[0].update(statement=_flip_b64(_party(d)[0]["statement"])))
    assert LEAF_HASH_MISMATCH in codes(r) and INCLUSION_PROOF_INVALID in codes(r)

    def resign_hash(d):  # a consistent entry hash but a wrong signature: still not in the tree
        x = _party(d)[0]
        x["signature"] = _flip_b64(x["signature"])
    r = _tamper(path, resign_hash)
    assert {SIGNATURE_INVALID, INCLUSION_PROOF_INVALID} <= codes(r)
    r = _tamper(path, lambda d: _party(d)[1]["inclusion_proof"].reverse() or _party(d)[1]["inclusion_proof"].append("00" * 32))
    assert codes(r) == {INCLUSION_PROOF_INVALID}
    r = _tamper(path, lambda d: d["checkpoint"].update(signature=_flip_b64(d["checkpoint"]["signature"])))
    assert CHECKPOINT_SIGNATURE_INVALID in codes(r)
    r = _tamper(path, lambda d: d["checkpoint"].update(root_hash="00" * 32))
    assert {CHECKPOINT_SIGNATURE_INVALID, INCLUSION_PROOF_INVALID} <= codes(r)
    r = _tamper(path, lambda d: d.update(party="GM0200"))
    assert codes(r) == {ENTRY_OUT_OF_SCOPE}
    r = _tamper(path, lambda d: d.update(to=(TODAY - timedelta(days=1)).isoformat()))
    assert codes(r) == {ENTRY_OUT_OF_SCOPE}
    doc = json.loads(path.read_text())
    assert {p.code for p in verify_bundle(doc, trusted_operator_keys=["ab" * 32]).problems} == {KEY_NOT_TRUSTED}
    r = _tamper(path, lambda d: d.update(entries=[x for x in d["entries"] if x["role"] != "key"]))
    assert CHECKPOINT_SIGNATURE_INVALID in codes(r)  # without key entries nothing can be trusted
    path.write_text("{")
    assert {p.code for p in verify_bundle_file(path).problems} == {BUNDLE_MALFORMED}


@settings(max_examples=60)
@given(size=st.integers(1, 70), data=st.data())
def test_memoised_inclusion_checks_equal_rfc9162(size, data):
    """bundle._Inclusion (steps memoised by node position) gives verify_inclusion's answer for every
    entry of a run that mixes valid proofs with corrupted ones against one tree head."""
    import hashlib

    from ledger.bundle import _Inclusion
    from ledger.merkle import MerkleTree, verify_inclusion

    leaves = [hashlib.sha256(b"%d" % i).digest() for i in range(size)]
    tree = MerkleTree(leaves)
    root = tree.root()
    checker = _Inclusion(size, root)
    for _ in range(data.draw(st.integers(1, 3 * size))):
        index = data.draw(st.integers(-1, size), label="index")
        leaf = leaves[index] if 0 <= index < size else leaves[0]
        proof = [p.hex() for p in tree.inclusion_proof(index, size)] if 0 <= index < size else []
        how = data.draw(st.sampled_from(["valid", "flip", "drop", "extra", "leaf", "upper", "badhex"]), label="how")
        if how == "flip" and proof:
            i = data.draw(st.integers(0, len(proof) - 1))
            proof[i] = ("0" if proof[i][0] != "0" else "1") + proof[i][1:]
        elif how == "drop" and proof:
            proof.pop(data.draw(st.integers(0, len(proof) - 1)))
        elif how == "extra":
            proof.append("00" * 32)
        elif how == "leaf":
            leaf = hashlib.sha256(leaf).digest()
        elif how == "upper" and proof:
            proof[0] = proof[0].upper()
        elif how == "badhex" and proof:
            proof[-1] = "zz"
        try:
            expected = verify_inclusion(index, size, leaf, [bytes.fromhex(p) for p in proof], root)
        except ValueError:
            expected = False
        assert checker.check(index, leaf, proof) == expected, (index, how)
