"""The operator's checkpoint notes and the log's proofs checked by an implementation nobody here wrote: Go's
golang.org/x/mod/sumdb/note (note.Open) and golang.org/x/mod/sumdb/tlog (CheckTree, TreeHash, ProveTree),
through tests/interop/go/notecheck (Debian golang-go and golang-golang-x-mod-dev: `make go`). Never skipped:
without Go the build fails and so does this test."""
import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from ledger import service
from ledger.checkpoints import sign_checkpoint_note
from ledger.crypto import new_signer
from ledger.note import format_note, parse_note, sign_line
from ledger.proofs import consistency_proof
from ledger_helpers import cost_line

ROOT = Path(__file__).resolve().parents[2]
GOPATH = "/usr/share/gocode"


@pytest.fixture(scope="module")
def notecheck(tmp_path_factory):
    out = tmp_path_factory.mktemp("go") / "notecheck"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": GOPATH, "GOCACHE": str(out.parent / "cache"),
           "GOFLAGS": ""}
    build = subprocess.run(["go", "build", "-o", str(out), "./tests/interop/go/notecheck"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    assert build.returncode == 0, f"go build failed (make go installs Go and x/mod): {build.stderr}"

    def run(*args, stdin: bytes = b""):
        return subprocess.run([str(out), *args], input=stdin, capture_output=True)
    return run


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


@pytest.fixture
def log(sqlite_env):
    env = sqlite_env
    for i in range(13):
        env.store.append(*env.sign("GM0166", "cost_line", cost_line(units=1 + i)).as_item())
    return env


def test_go_note_open_verifies_the_operators_checkpoint_note(log, notecheck):
    store = log.store
    note, vkey = service.checkpoint_note(store), service.log_vkey(store)
    r = notecheck("open", vkey, stdin=note)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["text"].encode() == parse_note(note).text and out["verifiedBy"] == [store.origin()]
    assert out["text"].splitlines() == [store.origin(), str(store.size()), _b64(store.latest_checkpoint().root_hash)]


def test_go_refuses_a_changed_note_and_a_note_of_another_key(log, notecheck):
    store = log.store
    note, vkey = service.checkpoint_note(store), service.log_vkey(store)
    lines = note.split(b"\n")
    lines[1] = str(int(lines[1]) + 1).encode()  # another tree size under the same signature
    r = notecheck("open", vkey, stdin=b"\n".join(lines))
    assert r.returncode == 1 and b"invalid signature" in r.stderr
    cp = store.latest_checkpoint()
    forged = sign_checkpoint_note(new_signer("OPERATOR"), store.origin(), cp.tree_size, cp.root_hash)
    r = notecheck("open", vkey, stdin=forged)
    assert r.returncode == 1 and b"no verifiable signatures" in r.stderr


def test_go_ignores_a_cosignature_line_it_does_not_know(log, notecheck):
    """A witness's line after the operator's (what ledger/cosignature.py adds; any other key here) leaves the
    operator's signature verifying in Go (C2SP signed-note: unknown signatures are ignored)."""
    store = log.store
    note = parse_note(service.checkpoint_note(store))
    witness = new_signer("RG:ijssel-vecht")
    extra = sign_line("witness.example/ijssel-vecht", witness.public_key, witness.sign, note.text)
    r = notecheck("open", service.log_vkey(store), stdin=format_note(note.text, [*note.signatures, extra]))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["unverified"] == 1


def test_go_tlog_checktree_accepts_every_consistency_proof_of_the_log(log, notecheck):
    store = log.store
    n = store.latest_checkpoint().tree_size
    for old in range(1, n + 1):
        p = consistency_proof(store, old, n)
        req = {"oldSize": old, "oldRoot": _b64(p.old_root), "newSize": n, "newRoot": _b64(p.new_root),
               "proof": [_b64(h) for h in p.proof]}
        r = notecheck("checktree", stdin=json.dumps(req).encode())
        assert r.returncode == 0, (old, r.stderr)
        if p.proof:
            bad = dict(req, proof=[_b64(bytes(32))] + req["proof"][1:])
            assert notecheck("checktree", stdin=json.dumps(bad).encode()).returncode == 1


def test_go_builds_the_same_tree_and_the_same_proofs_from_the_stored_leaf_hashes(log, notecheck):
    store = log.store
    leaves = store.leaf_hashes()
    sizes = [1, 2, 3, 7, 8, 9, len(leaves)]
    r = notecheck("tree", stdin=json.dumps({"leafHashes": [_b64(h) for h in leaves], "sizes": sizes}).encode())
    assert r.returncode == 0, r.stderr
    go = json.loads(r.stdout)
    for n in sizes:
        ours = consistency_proof(store, 1, n) if n <= store.latest_checkpoint().tree_size else None
        assert base64.b64decode(go[str(n)]["root"]) == ours.new_root
        for m in range(1, n + 1):
            assert go[str(n)]["proofs"][str(m)] == [_b64(h) for h in consistency_proof(store, m, n).proof], (m, n)
