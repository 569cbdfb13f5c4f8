"""A bundle carries the cosigned checkpoint note, and `verify_bundle --witness ... --quorum K` (ledger/bundle.py)
refuses a checkpoint without K valid cosignatures of the trusted witnesses: met, not met, a forged cosignature,
a checkpoint that is no note, and without witness keys the bundle verifies as before. The witnesses are real
ledger.witness.Witness objects reached through the add-checkpoint protocol in-process (the HTTP transport is
tests/api/test_witness_roundtrip.py). On SQLite and PostgreSQL (the cosignatures table)."""
import json
from datetime import date, timedelta

import pytest
from ledger_helpers import determination

from ledger import service
from ledger.bundle import verify_bundle, verify_bundle_file
from ledger.cosigned import collect_latest, cosigned_checkpoint_note
from ledger.crypto import new_signer
from ledger.errors import CHECKPOINT_NOT_COSIGNED, QUORUM_NOT_MET
from ledger.witness import Witness, WitnessEndpoint

TODAY = date.today()


def _witnesses(tmp_path, store, n):
    log = service.log_vkey(store)
    return [Witness(f"w{i}.test/w", new_signer("RG:ijssel-vecht"), [log], tmp_path / f"w{i}" / "state.json")
            for i in range(n)]


def _collect(store, witnesses):
    by_url = {f"http://w{i}": w for i, w in enumerate(witnesses)}

    def post(url, body):
        a = by_url[url.removesuffix("/add-checkpoint")].add_checkpoint(body)
        return a.status, a.content_type, a.body

    endpoints = [WitnessEndpoint.parse(w.verifier.vkey(), u) for u, w in by_url.items()]
    return collect_latest(store, endpoints, post)


@pytest.fixture
def cosigned_bundle(env, tmp_path):
    e = env
    e.append("GM0193", "determination", determination(addressee="GM0166"))
    service.checkpoint(e.store)
    ws = _witnesses(tmp_path, e.store, 3)
    result = _collect(e.store, ws[:2])  # two of the three cosign
    assert result.problems == {} and len(result.lines) == 2
    path = tmp_path / "b.json"
    service.export_bundle(e.store, "GM0166", TODAY - timedelta(days=1), TODAY + timedelta(days=1), path)
    return e, path, [w.verifier.vkey() for w in ws]


def test_the_bundle_carries_the_served_cosigned_note(cosigned_bundle):
    e, path, _ = cosigned_bundle
    assert json.loads(path.read_text())["checkpoint"]["note"].encode() == cosigned_checkpoint_note(e.store)


def test_quorum_met(cosigned_bundle):
    e, path, vkeys = cosigned_bundle
    report = verify_bundle_file(path, trusted_operator_keys=[e.store.operator.key_id], witness_vkeys=vkeys[:2],
                                quorum=2)
    assert report.ok, report.problems
    assert sorted(report.cosigners) == ["w0.test/w", "w1.test/w"] and report.quorum == 2
    assert verify_bundle_file(path, witness_vkeys=vkeys, quorum=2).ok  # 2 of 3 is enough


def test_quorum_not_met(cosigned_bundle):
    _, path, vkeys = cosigned_bundle
    report = verify_bundle_file(path, witness_vkeys=vkeys)  # all three asked for, two cosigned
    assert [p.code for p in report.problems] == [QUORUM_NOT_MET]
    assert [p.code for p in verify_bundle_file(path, witness_vkeys=vkeys[2:], quorum=1).problems] == [QUORUM_NOT_MET]


def test_without_witness_keys_the_bundle_verifies_as_before(cosigned_bundle):
    _, path, _ = cosigned_bundle
    report = verify_bundle_file(path)
    assert report.ok and report.cosigners == [] and report.quorum == 0


def test_a_forged_cosignature_rejects_the_checkpoint(cosigned_bundle):
    _, path, vkeys = cosigned_bundle
    doc = json.loads(path.read_text())
    lines = doc["checkpoint"]["note"].split("\n")
    last = lines[-2]  # the last cosignature line
    lines[-2] = last[:-6] + ("AAAA" if last[-6:-2] != "AAAA" else "BBBB") + last[-2:]
    doc["checkpoint"]["note"] = "\n".join(lines)
    assert [p.code for p in verify_bundle(doc, witness_vkeys=vkeys[:2], quorum=1).problems] == \
        ["NOTE_SIGNATURE_INVALID"]


def test_a_note_that_is_not_the_bundles_checkpoint_is_refused(cosigned_bundle):
    _, path, _ = cosigned_bundle
    doc = json.loads(path.read_text())
    doc["checkpoint"]["tree_size"] += 1  # the note is of another tree than the bundle says
    assert {p.code for p in verify_bundle(doc).problems} & {"BUNDLE_MALFORMED", "CHECKPOINT_SIGNATURE_INVALID"}


def test_a_checkpoint_without_a_note_is_not_cosigned(cosigned_bundle):
    _, path, vkeys = cosigned_bundle
    doc = json.loads(path.read_text())
    del doc["checkpoint"]["note"]  # as a bundle of an RFC 8785 JSON checkpoint (before note_from)
    codes = {p.code for p in verify_bundle(doc, witness_vkeys=vkeys[:1], quorum=1).problems}
    assert CHECKPOINT_NOT_COSIGNED in codes


def test_a_quorum_above_the_witnesses_given_is_invalid(cosigned_bundle):
    _, path, vkeys = cosigned_bundle
    assert [p.code for p in verify_bundle_file(path, witness_vkeys=vkeys[:1], quorum=2).problems] == \
        ["QUORUM_INVALID"]
