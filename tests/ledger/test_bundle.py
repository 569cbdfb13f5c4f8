"""Bundles: export a party's entries, verify offline, and one test per failure path."""
import base64
import json
from datetime import date, timedelta

import pytest

from ledger.bundle import concerns, verify_bundle, verify_bundle_file
from ledger.entries import OPERATOR, parse_statement
from ledger.errors import (BUNDLE_MALFORMED, CHECKPOINT_SIGNATURE_INVALID, ENTRY_OUT_OF_SCOPE,
                           INCLUSION_PROOF_INVALID, KEY_NOT_TRUSTED, LEAF_HASH_MISMATCH, SIGNATURE_INVALID)
from ledger.service import export_bundle, party_entries
from ledger_helpers import cost_line, determination, ref

TODAY = date.today()


@pytest.fixture
def bundle(sqlite_env, tmp_path):
    e = sqlite_env
    det = e.append("GM0193", "determination", determination(addressee="GM0166"))
    e.append("GM0166", "objection", {"determination": ref(det), "reasons": "woonadres"})
    own = e.append("GM0166", "determination", determination(addressee="GM0193"))
    e.append("GM0166", "cost_line", cost_line(determination=ref(own)))
    e.append("GM0200", "cost_line", cost_line(fronting="GM0200", bearer="GM0193"))  # not GM0166's
    e.append("GM0193", "acceptance", {"determination": ref(own)})
    path = tmp_path / "b.json"
    summary = export_bundle(e.store, "GM0166", TODAY - timedelta(days=1), TODAY + timedelta(days=1), path)
    return e, path, summary


def test_export_and_verify(bundle):
    e, path, summary = bundle
    # det naming it, objection, cost line, determination, acceptance by reference; and the five
    # determinations of the setup that name GM0166 (what the cost lines of the tests rest on)
    assert summary.entries == 5 + 5
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


@pytest.mark.parametrize("element", ["zz" * 32, "00" * 31, "", 7, None])
def test_proof_element_that_is_not_a_hex_hash_fails_only_that_entry(bundle, element):
    """A path element that is not the hex of a 32-byte hash makes that entry's inclusion proof
    invalid (merkle.InclusionVerifier gets it decoded, or not at all); the bundle is still read."""
    e, path, _ = bundle

    def spoil(d):
        x = _party(d)[1]
        x["inclusion_proof"][0] = element
    r = _tamper(path, spoil)
    doc = json.loads(path.read_text())
    assert [(p.seq, p.code) for p in r.problems] == [(_party(doc)[1]["seq"], INCLUSION_PROOF_INVALID)]


def _line_by_gm0193_borne_by_gm0166(e):
    """A cost line by GM0193 with GM0166 as cost bearer, resting on GM0193's determination naming
    GM0166 (its outcome's cost bearer and addressee), the period from the reference date on."""
    det = e.append("GM0193", "determination", determination(addressee="GM0166", reference_date="2026-01-01"))
    line = e.append("GM0193", "cost_line", cost_line(fronting="GM0193", bearer="GM0166", units=3,
                                                     determination=ref(det), period_from="2026-01-01"))
    return det, line


def test_reversal_of_a_cost_line_naming_the_party_is_in_its_bundle(sqlite_env, tmp_path):
    """A reversal changes the statement of every party the reversed cost line names, whoever
    reverses it: GM0193 reverses its cost line of which GM0166 is the cost bearer; the reversal is
    one of GM0166's party entries and in its bundle, which verifies; GM0200's entries do not hold it."""
    e = sqlite_env
    det, line = _line_by_gm0193_borne_by_gm0166(e)
    rev = e.append("GM0193", "reversal", {"reverses": ref(line), "reason": "verkeerde periode"})
    days = (TODAY - timedelta(days=1), TODAY + timedelta(days=1))
    assert rev.seq in {r.seq for r in party_entries(e.store, "GM0166", *days)}
    assert rev.seq in {r.seq for r in party_entries(e.store, "GM0193", *days)}
    assert rev.seq not in {r.seq for r in party_entries(e.store, "GM0200", *days)}
    path = tmp_path / "gm0166.json"
    export_bundle(e.store, "GM0166", *days, path)
    report = verify_bundle_file(path, trusted_operator_keys=[e.store.operator.key_id])
    assert report.ok, report.problems
    doc = json.loads(path.read_text())
    roles = {x["seq"]: x["role"] for x in doc["entries"]}
    assert [roles.get(s) for s in (det.seq, line.seq, rev.seq)] == ["party"] * 3, roles
    doc["party"] = "GM0200"  # the same entries are out of GM0200's scope
    assert (rev.seq, ENTRY_OUT_OF_SCOPE) in {(p.seq, p.code) for p in verify_bundle(doc).problems}


def test_reversal_by_the_operator_concerns_the_parties_of_the_cost_line(sqlite_env):
    """The rule the export chooses by and the bundle verifier checks (bundle.concerns), for a
    reversal by the operator of GM0193's cost line borne by GM0166: it concerns GM0166 and GM0193,
    not GM0200, and nobody when the cost line is unknown.  (Signed, not appended: when the operator
    may reverse a cost line is admission's business, not the bundle's.)"""
    e = sqlite_env
    _, line = _line_by_gm0193_borne_by_gm0166(e)
    stored = {line.seq: parse_statement(e.store.get_rows([line.seq])[line.seq].statement)}
    rev = parse_statement(e.sign(OPERATOR, "reversal", {"reverses": ref(line), "reason": "besluit"}).statement)
    assert concerns("GM0166", rev, stored.get) and concerns("GM0193", rev, stored.get)
    assert not concerns("GM0200", rev, stored.get)
    assert not concerns("GM0166", rev, {}.get)
    other = parse_statement(e.sign("GM0200", "acceptance", {"determination": ref(line)}).statement)
    assert concerns("GM0200", other, stored.get) and concerns("GM0193", other, stored.get)  # author, referred author
    assert not concerns("GM0166", other, stored.get)  # only a reversal reaches the parties the referred entry names


def test_a_bundle_file_nested_too_deep_is_malformed_not_a_crash(tmp_path):
    path = tmp_path / "diep.json"
    path.write_text('{"entries": ' + "[" * 100_000 + "]" * 100_000 + "}")
    report = verify_bundle_file(path)
    assert not report.ok and [p.code for p in report.problems] == ["BUNDLE_MALFORMED"]
    assert "te diep genest" in report.problems[0].message
