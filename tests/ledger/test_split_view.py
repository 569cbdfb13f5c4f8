"""A split view made by the operator's own machinery: one ledger copied at size N, each copy grown by a
different entry and checkpointed with the same operator key and origin, each copy's checkpoint sent to another
witness through the operator's collection (ledger/cosigned.py). Each witness alone sees a log that only grows and
cosigns; comparing the two witnesses' cosigned checkpoints (compare_cosigned) reports SPLIT_VIEW with both notes,
and a witness shown the other copy's checkpoint refuses it (WITNESS_SPLIT_VIEW) and keeps it as evidence."""
import shutil

from ledger import service
from ledger.cosigned import collect_latest, cosigned_checkpoint_note
from ledger.crypto import new_signer
from ledger.witness import Witness, WitnessEndpoint, compare_cosigned


def _post_to(witness):
    def post(url, body):
        a = witness.add_checkpoint(body)
        return a.status, a.content_type, a.body
    return post


def test_two_copies_of_the_ledger_shown_to_two_witnesses_are_a_split_view(tmp_path):
    keys = tmp_path / "keys"
    url_a, url_b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    a = service.init_ledger(url_a, keys)
    service.register_key(a, new_signer("GM0166"))
    service.checkpoint(a)
    log = service.log_vkey(a)
    w1 = Witness("w1.test/w", new_signer("RG:ijssel-vecht"), [log], tmp_path / "w1" / "state.json")
    w2 = Witness("w2.test/w", new_signer("RG:drechtsteden"), [log], tmp_path / "w2" / "state.json")
    e1, e2 = (WitnessEndpoint(w.verifier, f"http://{w.name}") for w in (w1, w2))
    # both witnesses cosign the common history
    assert collect_latest(a, [e1], _post_to(w1)).problems == {}
    assert collect_latest(a, [e2], _post_to(w2)).problems == {}
    a.dispose()
    shutil.copy(tmp_path / "a.db", tmp_path / "b.db")  # the fork: same operator key, same origin
    b = service.open_ledger(url_b, keys)
    a = service.open_ledger(url_a, keys)
    service.register_key(a, new_signer("GM0193"))  # one history for w1 ...
    service.register_key(b, new_signer("GM0200"))  # ... another for w2, of the same size
    for store in (a, b):
        service.checkpoint(store)
    assert a.size() == b.size() and service.log_vkey(b) == log
    assert a.latest_checkpoint().root_hash != b.latest_checkpoint().root_hash
    # each witness alone sees a log that only grows, and cosigns
    assert collect_latest(a, [e1], _post_to(w1)).problems == {}
    assert collect_latest(b, [e2], _post_to(w2)).problems == {}
    seen_1, seen_2 = w1.latest(a.log_origin()), w2.latest(b.log_origin())
    assert seen_1 == cosigned_checkpoint_note(a) and seen_2 == cosigned_checkpoint_note(b)
    result = compare_cosigned(seen_1, seen_2, log, [w1.verifier, w2.verifier])
    assert result.split_view and result.evidence == (seen_1, seen_2)
    assert result.cosigners == (("w1.test/w",), ("w2.test/w",))
    # shown the other copy, a witness refuses and keeps both notes
    refused = collect_latest(b, [e1], _post_to(w1))
    assert "w1.test/w" in refused.problems and "andere root" in refused.problems["w1.test/w"]
    [evidence] = w1.evidence()
    assert evidence["code"] == "SPLIT_VIEW" and evidence["refused"].encode() == b.latest_checkpoint_note()
    a.dispose()
    b.dispose()
