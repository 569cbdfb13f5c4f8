"""The server's checkpoint timer and the witnesses (api/http/timer.py): after a checkpoint it asks them; a witness
that was down is listed in `witness_problems` (the health endpoint's checkpoint_timer) and asked again for the same
checkpoint after `witness_retry_seconds`, without a new checkpoint. The witness is a real ledger.witness.Witness;
only its reachability is switched."""
from api.http.timer import CheckpointTimer
from ledger import service
from ledger.cosignature import require_quorum
from ledger.cosigned import collect_latest, cosigned_checkpoint_note
from ledger.crypto import new_signer
from ledger.witness import Witness, WitnessEndpoint


def test_a_witness_that_was_down_is_asked_again(tmp_path):
    store = service.init_ledger(f"sqlite:///{tmp_path / 'l.db'}", tmp_path / "keys", checkpoint_on_append=False)
    witness = Witness("w.test/w", new_signer("RG:ijssel-vecht"), [service.log_vkey(store)], tmp_path / "w.json")
    up = {"now": False}

    def post(url, body):
        if not up["now"]:
            raise OSError("verbinding geweigerd")
        a = witness.add_checkpoint(body)
        return a.status, a.content_type, a.body

    endpoint = WitnessEndpoint(witness.verifier, "http://w")
    timer = CheckpointTimer(store, seconds=0.001, anchor_seconds=0,
                            collector=lambda: collect_latest(store, [endpoint], post))
    service.register_key(store, new_signer("GM0166"))
    assert timer.tick()  # a checkpoint; the witness is down
    assert "niet bereikbaar" in timer.witness_problems["w.test/w"]
    assert timer.status()["witness_problems"] == timer.witness_problems
    up["now"] = True
    timer.witness_retry_seconds = 3600
    assert not timer.tick() and timer.witness_problems  # not yet asked again
    timer.witness_retry_seconds = 0
    assert not timer.tick()  # no new checkpoint, but the witness asked again
    assert timer.witness_problems == {}
    assert require_quorum(cosigned_checkpoint_note(store), service.log_vkey(store), [witness.verifier], 1)
    store.dispose()
