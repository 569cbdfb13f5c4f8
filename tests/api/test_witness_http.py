"""`bwledger witness` over real HTTP: the witness's key made and shown by the CLI, `bwledger witness serve` in a
subprocess answering the C2SP tlog-witness add-checkpoint protocol (200 with the cosignature, 409 with the known
size as text/x.tlog.size, 403/404/422) and its monitoring endpoint; `bwledger witness compare` reporting a split
view between two witnesses' checkpoints with both notes as evidence (exit 1)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
from api_helpers import ROOT, LoggedProcess, free_port
from typer.testing import CliRunner

from api.cli import app
from ledger import cosignature as cs
from ledger import note
from ledger import witness as wt
from ledger.checkpoints import checkpoint_text
from ledger.crypto import new_signer
from ledger.merkle import MerkleTree, leaf_hash

runner = CliRunner()
ORIGIN = "bwledger.test/http-witness"
LOG = new_signer("OPERATOR")
LOG_VKEY = note.Verifier(ORIGIN, note.ED25519, LOG.public_key).vkey()
TREE = MerkleTree([leaf_hash(b"%d" % i) for i in range(30)])


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def signed(tree, size):
    text = checkpoint_text(ORIGIN, size, tree.root(size))
    return note.format_note(text, [note.sign_line(ORIGIN, LOG.public_key, LOG.sign, text)])


class WitnessServer(LoggedProcess):
    """`bwledger witness serve` in a subprocess on a free port."""

    def __init__(self, home, key, *logs, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = home / "state.json"
        self.log = open(home / "witness.log", "w+b")  # noqa: SIM115 - closed by LoggedProcess.close
        args = [a for v in logs for a in ("--log", v)]
        self.proc = subprocess.Popen([sys.executable, "-m", "api.cli", "witness", "serve", "--key", str(key),
                                      "--state", str(self.state), "--port", str(self.port), *args],
                                     cwd=ROOT, env=dict(os.environ), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            assert self.proc.poll() is None, self.output()
            try:
                if httpx.get(self.url + "/", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.1)

    def add(self, old, proof, note_bytes):
        return httpx.post(self.url + "/add-checkpoint", content=wt.add_checkpoint_body(old, proof, note_bytes))


def make_key(tmp_path, name):
    out = tmp_path / f"{name.replace('/', '_')}.pem"
    r = cli("witness", "key", "new", "--party", "RG:ijssel-vecht", "--name", name, "--out", out)
    assert r.exit_code == 0, r.output
    vkey = r.output.split("verifier key: ")[1].strip()
    shown = cli("witness", "key", "show", out)
    assert shown.exit_code == 0 and shown.output.strip() == vkey
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    return out, vkey


def test_add_checkpoint_over_http(tmp_path):
    key, vkey = make_key(tmp_path, "getuige.test/w1")
    server = WitnessServer(tmp_path, key, LOG_VKEY)
    try:
        info = httpx.get(server.url + "/").text
        assert vkey in info and ORIGIN in info
        monitor = f"{server.url}/{wt.origin_hash(ORIGIN)}/checkpoint"
        assert httpx.get(monitor).status_code == 404
        r = server.add(0, [], signed(TREE, 7))
        assert r.status_code == 200 and r.text.startswith("\u2014 getuige.test/w1 ")
        cosigned = wt.with_cosignatures(signed(TREE, 7), note.parse_signature_lines(r.content))
        assert cs.require_quorum(cosigned, LOG_VKEY, [vkey], 1).checkpoint.tree_size == 7
        # the monitoring endpoint serves it with the log's signature and the cosignature
        served = httpx.get(monitor)
        assert served.status_code == 200 and cs.require_quorum(served.content, LOG_VKEY, [vkey], 1)
        # a stale old size: 409 with the size the witness knows
        r = server.add(0, [], signed(TREE, 9))
        assert (r.status_code, r.headers["content-type"], r.text) == (409, "text/x.tlog.size", "7\n")
        # the next one, with its proof
        assert server.add(7, TREE.consistency_proof(7, 20), signed(TREE, 20)).status_code == 200
        # an inconsistent one: 422 and a Dutch reason
        other = MerkleTree([leaf_hash(b"x%d" % i) for i in range(25)])
        r = server.add(20, other.consistency_proof(20, 25), signed(other, 25))
        assert r.status_code == 422 and "WITNESS_PROOF_INVALID" in r.text and "niet alleen aangevuld" in r.text
        # another root at the size it cosigned: 422, a split view
        r = server.add(20, [], signed(other, 20))
        assert r.status_code == 422 and "WITNESS_SPLIT_VIEW" in r.text
        # not signed by the log's key: 403; an unknown log: 404
        forged = note.format_note(checkpoint_text(ORIGIN, 22, TREE.root(22)), [note.sign_line(
            ORIGIN, new_signer("X").public_key, new_signer("X").sign, checkpoint_text(ORIGIN, 22, TREE.root(22)))])
        assert server.add(20, TREE.consistency_proof(20, 22), forged).status_code == 403
        text = checkpoint_text("elders.test/log", 1, TREE.root(1))
        assert server.add(0, [], note.format_note(text, [note.sign_line("elders.test/log", LOG.public_key,
                                                                        LOG.sign, text)])).status_code == 404
        assert httpx.post(server.url + "/add-checkpoint", content=b"rubbish").status_code == 400
        # the state file is private, and still says 20
        assert oct(server.state.stat().st_mode & 0o777) == "0o600"
        assert cs.verified_cosigners(httpx.get(monitor).content, LOG_VKEY, [vkey]).checkpoint.tree_size == 20
        assert server.stop() == 0 and "Traceback" not in server.output(), server.output()
    finally:
        server.close()


def test_compare_reports_a_split_view_with_both_notes(tmp_path):
    (k1, v1), (k2, v2) = make_key(tmp_path, "w1.test/w"), make_key(tmp_path, "w2.test/w")
    w1 = wt.open_witness(k1, [LOG_VKEY], tmp_path / "s1.json")
    w2 = wt.open_witness(k2, [LOG_VKEY], tmp_path / "s2.json")
    forked = MerkleTree([leaf_hash(b"%d" % i) for i in range(5)] + [leaf_hash(b"hidden")])
    w1.cosign_checkpoint(0, [], signed(TREE, 6))
    w2.cosign_checkpoint(0, [], signed(forked, 6))
    a, b = tmp_path / "a.note", tmp_path / "b.note"
    assert cli("witness", "checkpoint", "--state", tmp_path / "s1.json", "--out", a).exit_code == 0
    assert cli("witness", "checkpoint", "--state", tmp_path / "s2.json", "--out", b).exit_code == 0
    r = cli("witness", "compare", a, b, "--log", LOG_VKEY, "--witness", v1, "--witness", v2)
    assert r.exit_code == 1, r.output
    assert "GESPLITST BEELD" in r.output and "SPLIT_VIEW" in r.output
    assert a.read_text() in r.output and b.read_text() in r.output  # both notes as evidence
    assert "medeondertekend door w1.test/w" in r.output and "medeondertekend door w2.test/w" in r.output
    same = cli("witness", "compare", a, a, "--log", LOG_VKEY)
    assert same.exit_code == 0 and "in orde" in same.output


def test_witness_settings_and_key_file_refusals(tmp_path):
    import pytest

    from api.settings import load_settings
    from ledger.keyfile import new_key_file

    vkey = cs.witness_verifier("w.test/w", new_signer("X").public_key).vkey()
    s = load_settings({"BWLEDGER_HOME": str(tmp_path), "BWLEDGER_WITNESSES": f"{vkey} http://a:1,\n{vkey} https://b"})
    assert s.witnesses == ((vkey, "http://a:1"), (vkey, "https://b"))
    for bad in (f"{vkey}", f"{vkey} ftp://x", f"{LOG_VKEY} http://x"):  # no URL, not HTTP, a log key
        with pytest.raises(ValueError, match="BWLEDGER_WITNESSES"):
            load_settings({"BWLEDGER_HOME": str(tmp_path), "BWLEDGER_WITNESSES": bad})
    r = cli("witness", "key", "new", "--party", "RG:ijssel-vecht", "--name", "met spatie", "--out", tmp_path / "k.pem")
    assert r.exit_code == 2 and "geen geldige naam" in r.output and not (tmp_path / "k.pem").exists()
    new_key_file(tmp_path / "party.pem", "GM0166")  # an ordinary party key is no witness key
    r = cli("witness", "key", "show", tmp_path / "party.pem")
    assert r.exit_code == 2 and "geen sleutel van een getuige" in r.output
    r = cli("witness", "serve", "--key", tmp_path / "party.pem")
    assert r.exit_code == 2 and "--log" in r.output
