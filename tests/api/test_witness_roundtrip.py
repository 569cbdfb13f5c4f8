"""Operator -> witnesses -> served note, over real HTTP: `bwledger serve` with BWLEDGER_WITNESSES sends each new
checkpoint to two `bwledger witness serve` processes (C2SP tlog-witness add-checkpoint, with the consistency proof
from the size each last cosigned), stores their cosignatures, and the cosigned note carries a quorum of 2; a
witness that lost its state is brought back by the 409 protocol; `bwledger witness collect` does the same from
the operator's command line."""
from __future__ import annotations

import time
from datetime import date, timedelta

import httpx
from api_helpers import Server
from test_witness_http import WitnessServer, cli, make_key

from ledger import cosignature as cs
from ledger import service
from ledger import witness as wt
from ledger.cosigned import cosigned_checkpoint_note
from ledger.crypto import new_signer
from ledger.note import parse_note


def _append_parties(home, n, start=0):
    """n key registrations, appended without a checkpoint (the server's timer makes it and asks the witnesses)."""
    store = service.open_ledger(f"sqlite:///{home / 'bwledger.db'}", home / "keys", checkpoint_on_append=False)
    for i in range(start, start + n):
        service.register_key(store, new_signer(f"GM{166 + i:04d}"))
    size = store.size()
    store.dispose()
    return size


def _wait_for_quorum(home, vkeys, k, size, seconds=60):
    store = service.open_ledger(f"sqlite:///{home / 'bwledger.db'}")
    deadline = time.monotonic() + seconds
    try:
        while True:
            note = store.latest_checkpoint_note()
            if note is not None:
                served = cosigned_checkpoint_note(store)
                opened = cs.verified_cosigners(served, service.log_vkey(store), vkeys)
                if opened.checkpoint.tree_size == size and opened.distinct_witnesses >= k:
                    return served, service.log_vkey(store), store.witness_sizes()
            assert time.monotonic() < deadline, "no quorum of cosignatures arrived"
            time.sleep(0.2)
    finally:
        store.dispose()


def test_operator_collects_cosignatures_from_two_witnesses(tmp_path):
    home = tmp_path / "operator"
    home.mkdir()
    init = service.init_ledger(f"sqlite:///{home / 'bwledger.db'}", home / "keys")
    log_vkey = service.log_vkey(init)
    init.dispose()
    (k1, v1), (k2, v2) = make_key(tmp_path, "w1.test/w"), make_key(tmp_path, "w2.test/w")
    (tmp_path / "w1").mkdir()
    (tmp_path / "w2").mkdir()
    w1, w2 = WitnessServer(tmp_path / "w1", k1, log_vkey), WitnessServer(tmp_path / "w2", k2, log_vkey)
    size = _append_parties(home, 3)
    op = Server(home, checkpoint_seconds=0.3, BWLEDGER_WITNESSES=f"{v1} {w1.url}, {v2} {w2.url}")
    try:
        served, vkey, sizes = _wait_for_quorum(home, [v1, v2], 2, size)
        assert vkey == log_vkey and sizes == {"w1.test/w": size, "w2.test/w": size}
        assert cs.require_quorum(served, log_vkey, [v1, v2], 2).checkpoint.tree_size == size
        # GET /v1/checkpoint serves the note with both cosignatures
        r = httpx.get(op.url + "/v1/checkpoint")
        assert r.status_code == 200 and r.content == served
        assert cs.require_quorum(r.content, log_vkey, [v1, v2], 2).checkpoint.tree_size == size
        # a third witness fetches the checkpoint and the proof itself (bwledger witness poll)
        k3, v3 = make_key(tmp_path, "w3.test/w")
        poll = ("witness", "poll", "--server", op.url, "--key", k3, "--log", log_vkey, "--state", tmp_path / "w3.json")
        r = cli(*poll)
        assert r.exit_code == 0 and f"bij grootte {size}" in r.output, r.output
        # the log grows: each witness gets the consistency proof from the size it cosigned
        size = _append_parties(home, 4, start=3)
        served, _, sizes = _wait_for_quorum(home, [v1, v2], 2, size)
        assert sizes == {"w1.test/w": size, "w2.test/w": size}
        r = cli(*poll)  # from the size it cosigned, with GET /v1/bewijzen/consistentie
        assert r.exit_code == 0 and f"bij grootte {size}" in r.output, r.output
        third = wt.open_witness(k3, [log_vkey], tmp_path / "w3.json").latest(parse_note(served).text.split(b"\n")[0]
                                                                           .decode())
        assert cs.require_quorum(third, log_vkey, [v3], 1).checkpoint.tree_size == size
        assert sorted(s.name for s in parse_note(served).signatures[1:]) == ["w1.test/w", "w2.test/w"]
        # a witness that lost its state (a new machine) answers 409 with size 0 and is sent the checkpoint again
        w2.close()
        w2.state.unlink()
        w2 = WitnessServer(tmp_path / "w2", k2, log_vkey, port=w2.port)
        size = _append_parties(home, 1, start=7)
        served, _, sizes = _wait_for_quorum(home, [v1, v2], 2, size)
        assert sizes["w2.test/w"] == size
        op.stop()
        assert "Traceback" not in op.output(), op.output()
        # ... -> bundle -> verify-bundle --witness --quorum, offline
        store = service.open_ledger(f"sqlite:///{home / 'bwledger.db'}", home / "keys")
        bundle = tmp_path / "bundle.json"
        service.export_bundle(store, "GM0166", date.today() - timedelta(days=1), date.today() + timedelta(days=1),
                              bundle)
        operator_key = store.operator.key_id
        store.dispose()
        r = cli("ledger", "verify-bundle", bundle, "--operator-key", operator_key, "--witness", v1, "--witness", v2,
                "--quorum", "2")
        assert r.exit_code == 0, r.output
        assert "getuigen: 2 van de vereiste 2 medeondertekenden" in r.output
        stranger = new_witness_vkey()
        r = cli("ledger", "verify-bundle", bundle, "--witness", v1, "--witness", stranger, "--quorum", "2")
        assert r.exit_code == 1 and "te weinig getuigen" in r.output and "QUORUM_NOT_MET" in r.output, r.output
        assert cli("ledger", "verify-bundle", bundle).exit_code == 0  # without --witness: as before
    finally:
        op.close()
        w1.close()
        w2.close()


def test_witness_collect_from_the_command_line(tmp_path, monkeypatch):
    home = tmp_path / "operator"
    home.mkdir()
    store = service.init_ledger(f"sqlite:///{home / 'bwledger.db'}", home / "keys")
    log_vkey = service.log_vkey(store)
    store.dispose()
    (k1, v1) = make_key(tmp_path, "w1.test/w")
    (tmp_path / "w1").mkdir()
    w1 = WitnessServer(tmp_path / "w1", k1, log_vkey)
    try:
        size = _append_parties(home, 2)
        monkeypatch.setenv("BWLEDGER_HOME", str(home))
        monkeypatch.delenv("BWLEDGER_DATABASE_URL", raising=False)
        monkeypatch.setenv("BWLEDGER_WITNESSES", f"{v1} {w1.url},{new_witness_vkey()} http://127.0.0.1:9")
        r = cli("witness", "collect")
        assert r.exit_code == 1, r.output  # one witness unreachable
        assert "medeondertekend door w1.test/w" in r.output and "niet bereikbaar" in r.output
        assert "1 van 2 getuigen" in r.output
        store = service.open_ledger(f"sqlite:///{home / 'bwledger.db'}")
        served = cosigned_checkpoint_note(store)
        store.dispose()
        assert cs.require_quorum(served, log_vkey, [v1], 1).checkpoint.tree_size == size
    finally:
        w1.close()


def new_witness_vkey():
    return cs.witness_verifier("dood.test/w", new_signer("X").public_key).vkey()
