"""`bwledger keys new|register|rotate|revoke` and `bwledger submit`: each party holds its own key and
signs on its own machine; the CLI needs none of the server's files to act for a party. Against a real
`bwledger serve` (a subprocess on a free port, SQLite in a temp BWLEDGER_HOME); the external signer
is tests/sign_with_keyfile.py in a real subprocess. Submissions use key_* kinds only."""
from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from api.http.camel import camel
from api_helpers import ROOT, Server, free_port, scripted_server
from party_auth import token_in_database
from typer.testing import CliRunner

from api.cli import app
from ledger import service
from ledger.crypto import find_signers
from ledger.entries import OPERATOR
from ledger.keyfile import read_key_file, read_public_key_file

SCRIPT = ROOT / "tests" / "sign_with_keyfile.py"
runner = CliRunner()


def cli(*args: str | Path, env: dict[str, str] | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def ok(result, *expected: str) -> str:
    assert result.exit_code == 0, result.output
    for text in expected:
        assert text in result.output, result.output
    return result.output


def refused(result, code: str) -> str:
    assert result.exit_code == 1, result.output
    assert f"geweigerd: {code}: " in result.output, result.output
    assert "Traceback" not in result.output
    return result.output


def failed(result, text: str) -> str:
    assert result.exit_code == 2, result.output
    assert f"fout: {text}" in result.output or text in result.output, result.output
    assert "Traceback" not in result.output
    return result.output


def seq_of(output: str) -> int:
    return int(output.split("opgenomen als volgnummer ")[1].split()[0])


def new_key(path: Path, party: str, passphrase_env: str | None = None, env=None) -> str:
    """`keys new`; returns the key id."""
    args = ["keys", "new", "--party", party, "--out", path]
    if passphrase_env:
        args += ["--passphrase-env", passphrase_env]
    out = ok(cli(*args, env=env), f"Partij: {party}", "Sleutel-id: ", "Publieke sleutel: ")
    return out.split("Sleutel-id: ")[1].split()[0]


def statement_file(path: Path, kind: str, payload: dict, key: str, **extra) -> Path:
    path.write_text(json.dumps({"kind": kind, "payload": payload, "idempotency_key": key, **extra}))
    return path


def sign_command(key: Path, *extra: str) -> str:
    return shlex.join([sys.executable, str(SCRIPT), str(key), *extra])


# ------------------------------------------------------------------------------ without a server
def test_keys_new_writes_a_0600_key_and_its_public_key(tmp_path):
    out_file = tmp_path / "gemeente" / "kampen.pem"
    key_id = new_key(out_file, "GM0166")
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(out_file.parent.stat().st_mode) == 0o700
    pub = Path(str(out_file) + ".pub")
    signer = read_key_file(out_file)
    assert signer.party == "GM0166" and signer.key_id == key_id
    assert pub.read_text().strip() == signer.public_key.hex() == read_public_key_file(pub).hex()
    failed(cli("keys", "new", "--party", "GM0166", "--out", out_file), "bestaat al")
    failed(cli("keys", "new", "--party", "Kampen", "--out", tmp_path / "x.pem"), "geen partij")


def test_keys_new_encrypted_and_a_wrong_passphrase(tmp_path):
    key = tmp_path / "kampen.pem"
    new_key(key, "GM0166", "BWL_PW", env={"BWL_PW": "lange zin als wachtwoord"})
    assert "ENCRYPTED PRIVATE KEY" in key.read_text() and stat.S_IMODE(key.stat().st_mode) == 0o600
    failed(cli("keys", "new", "--party", "GM0166", "--out", tmp_path / "b.pem", "--passphrase-env", "BWL_LEEG",
               env={"BWL_LEEG": ""}), "BWL_LEEG is niet gezet of leeg")
    st = statement_file(tmp_path / "st.json", "key_revocation",
                        {"party": "GM0166", "key_id": "ab" * 32, "reason": "test"}, "r-1")
    server = "http://127.0.0.1:9"  # never reached: the key is read first
    failed(cli("submit", st, "--server", server, "--key", key, "--passphrase-env", "BWL_PW",
               env={"BWL_PW": "fout"}),
           "verkeerd wachtwoord")
    failed(cli("submit", st, "--server", server, "--key", key), "met een wachtwoord versleuteld")
    (tmp_path / "geen.pem").write_text("dit is geen sleutel\n")
    failed(cli("submit", st, "--server", server, "--key", tmp_path / "geen.pem"), "geen sleutelbestand")
    failed(cli("submit", st, "--server", server), "precies één van beide")


def test_register_by_the_operator_on_the_local_ledger(tmp_path):
    home = tmp_path / "operator"
    env = {"BWLEDGER_HOME": str(home), "BWLEDGER_DATABASE_URL": ""}
    party_key = tmp_path / "kampen" / "kampen.pem"
    key_id = new_key(party_key, "GM0166")
    failed(cli("keys", "register", "--party", "GM0166", "--public-key", f"{party_key}.pub", env=env),
           "geen operatorsleutel")
    ok(cli("ledger", "init", env=env))
    out = ok(cli("keys", "register", "--party", "GM0166", "--public-key", f"{party_key}.pub", env=env),
             "Sleutel van GM0166 geregistreerd: opgenomen als volgnummer 1", f"Sleutel-id: {key_id}",
             "Geldig vanaf: ")
    assert "tot" not in out.split("Geldig vanaf: ")[1]
    # a party key cannot register anything (only the operator registers keys)
    failed(cli("keys", "register", "--party", "GM0166", "--public-key", f"{party_key}.pub", "--key", party_key,
               env=env), "alleen de operator registreert sleutels")
    # twice: the ledger refuses (the key is registered already)
    assert cli("keys", "register", "--party", "GM0166", "--public-key", f"{party_key}.pub", env=env).exit_code == 1
    failed(cli("keys", "register", "--party", "GM0166", "--public-key", party_key, env=env),
           "geen publieke sleutel")
    failed(cli("keys", "register", "--party", "GM0166", "--public-key", f"{party_key}.pub", "--valid-from",
               "2027-01-01", "--valid-until", "2026-01-01", env=env), "--valid-until ligt niet na")
    store = service.open_ledger(f"sqlite:///{home / 'bwledger.db'}")
    rows = list(store.iter_rows())
    assert [(r.seq, r.kind, r.author) for r in rows] == [(0, "key_registration", OPERATOR),
                                                          (1, "key_registration", OPERATOR)]
    assert store.registry().public_key(key_id) == read_key_file(party_key).public_key
    assert service.verify_ledger(store, workers=1).ok
    store.dispose()


# ---------------------------------------------------------------------------- against a real server
@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A running `bwledger serve` with its operator key; parties keep their keys in folders of their own."""
    home = tmp_path_factory.mktemp("server")
    url = f"sqlite:///{home / 'bwledger.db'}"
    service.init_ledger(url, home / "keys").dispose()
    server = Server(home, checkpoint_seconds=0.3)
    operator_key = find_signers(home / "keys", OPERATOR)[0]
    tokens = {p: token_in_database(url, p) for p in (OPERATOR, "GM0166", "GM0193")}
    yield {"server": server, "url": server.url, "db": url, "operator_key": operator_key, "tokens": tokens}
    server.stop_and_verify(url)


def register(live, party: str, pub: Path) -> int:
    out = ok(cli("keys", "register", "--server", live["url"], "--key", live["operator_key"], "--party", party,
                 "--public-key", pub, env={"BWLEDGER_TOKEN": live["tokens"][OPERATOR]}),
             f"Sleutel van {party} geregistreerd: opgenomen als volgnummer ")
    return seq_of(out)


def entries_of(live, party: str) -> dict[int, dict]:
    """The key entries about `party` in the server's ledger (read from its database, as an auditor would)."""
    store = service.open_ledger(live["db"])
    try:
        rows = [r for r in store.iter_rows() if json.loads(r.statement)["payload"].get("party") == party]
    finally:
        store.dispose()
    return {r.seq: {"kind": r.kind, "author": r.author, "key_id": r.key_id} for r in rows}


def revocation_file(path: Path, party: str, key_id: str, idempotency_key: str, **extra) -> Path:
    """A statement file revoking `party`'s key `key_id` (the author is filled in from the signing key)."""
    return statement_file(path, "key_revocation", {"party": party, "key_id": key_id, "reason": "test"},
                          idempotency_key, **extra)


def test_a_party_registers_submits_rotates_and_revokes_with_key_files(live, tmp_path):
    pw = {"BWL_PW": "kampen-wachtwoord", "BWL_PW2": "nieuw-wachtwoord", "BWLEDGER_TOKEN": live["tokens"]["GM0166"]}
    key, spare, new = tmp_path / "kampen.pem", tmp_path / "reserve.pem", tmp_path / "kampen-2026.pem"
    key_id = new_key(key, "GM0166", "BWL_PW", env=pw)
    spare_id = new_key(spare, "GM0166")
    new_id = new_key(new, "GM0166", "BWL_PW2", env=pw)
    register(live, "GM0166", Path(f"{key}.pub"))
    register(live, "GM0166", Path(f"{spare}.pub"))
    server = ["--server", live["url"]]
    old_key = ["--key", key, "--passphrase-env", "BWL_PW"]
    new_key_args = ["--key", new, "--passphrase-env", "BWL_PW2"]

    # a statement file, signed here with the encrypted key file (author filled in from the key)
    st = revocation_file(tmp_path / "intrekking.json", "GM0166", spare_id, "kampen-revoke-spare")
    seq = seq_of(ok(cli("submit", st, *server, *old_key, env=pw), "opgenomen als volgnummer "))
    assert entries_of(live, "GM0166")[seq] == {"kind": "key_revocation", "author": "GM0166", "key_id": key_id}
    # an author that is not the key's party is caught here; a statement the ledger refuses gives exit 1
    other_author = revocation_file(tmp_path / "a.json", "GM0166", spare_id, "k-a", author="GM0193")
    failed(cli("submit", other_author, *server, *old_key, env=pw),
           "de auteur GM0193 is niet de partij van de sleutel (GM0166)")
    not_ours = revocation_file(tmp_path / "b.json", "GM0193", "cd" * 32, "k-b")
    refused(cli("submit", not_ours, *server, *old_key, env=pw), "NOT_ENTITLED")

    # rotation, signed with the old key; the new key's public key is read from NEW.pub (no passphrase needed)
    ok(cli("keys", "rotate", *server, *old_key, "--new-key", new, env=pw),
       f"Sleutel {key_id[:16]} van GM0166 vervangen: opgenomen als volgnummer ", f"Nieuwe sleutel-id: {new_id}")
    later = revocation_file(tmp_path / "later.json", "GM0166", new_id, "kampen-revoke-new")
    refused(cli("submit", later, *server, *old_key, env=pw), "KEY_NOT_VALID")
    # the party revokes its own (new) key; afterwards nothing it signs with that key is taken
    ok(cli("keys", "revoke", *server, *new_key_args, "--key-id", new_id, "--reason", "laptop gestolen", env=pw),
       f"Sleutel {new_id[:16]} van GM0166 ingetrokken: opgenomen als volgnummer ")
    # the real command in its own process: a refusal is exit 1 with the code on stderr
    argv = [sys.executable, "-m", "api.cli", "submit", str(later), *server, *map(str, new_key_args)]
    done = subprocess.run(argv,
                          cwd=ROOT, env={**os.environ, **pw}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "geweigerd: KEY_NOT_VALID: " in done.stderr, (done.stdout, done.stderr)
    kinds = [(r["kind"], r["author"]) for _, r in sorted(entries_of(live, "GM0166").items())]
    assert kinds == [("key_registration", OPERATOR), ("key_registration", OPERATOR), ("key_revocation", "GM0166"),
                     ("key_rotation", "GM0166"), ("key_revocation", "GM0166")]


def test_a_party_with_its_own_hsm_and_an_operator_revocation(live, tmp_path):
    """--sign-command: the private key never reaches bwledger (the script stands in for the HSM)."""
    hsm, spare, successor = tmp_path / "hsm" / "zwolle.pem", tmp_path / "reserve.pem", tmp_path / "zwolle-2027.pem"
    hsm_id = new_key(hsm, "GM0193")
    spare_id = new_key(spare, "GM0193")
    next_id = new_key(successor, "GM0193")
    register(live, "GM0193", Path(f"{hsm}.pub"))
    register(live, "GM0193", Path(f"{spare}.pub"))
    server, hsm_pub = ["--server", live["url"], "--token", live["tokens"]["GM0193"]], ["--public-key", f"{hsm}.pub"]
    st = revocation_file(tmp_path / "st.json", "GM0193", spare_id, "zwolle-1", author="GM0193")
    out = ok(cli("submit", st, *server, "--sign-command", sign_command(hsm, "--format", "base64"), *hsm_pub),
             "opgenomen als volgnummer ")
    assert entries_of(live, "GM0193")[seq_of(out)]["key_id"] == hsm_id
    # without an author in the file, --party says whose key the command holds
    anonymous = revocation_file(tmp_path / "x.json", "GM0193", spare_id, "zwolle-x")
    failed(cli("submit", anonymous, *server, "--sign-command", sign_command(hsm), *hsm_pub), "hoort --party")
    failed(cli("submit", st, *server, "--sign-command", sign_command(hsm, "--fail"), *hsm_pub),
           "HSM niet bereikbaar")
    failed(cli("submit", st, *server, "--sign-command", sign_command(spare), *hsm_pub),
           "klopt niet bij de publieke sleutel")
    # rotation signed by the HSM (raw signature), to a key given by its public key file only
    ok(cli("keys", "rotate", *server, "--sign-command", sign_command(hsm), *hsm_pub, "--party", "GM0193",
           "--new-key", f"{successor}.pub"), f"Nieuwe sleutel-id: {next_id}")
    # the operator revokes the party's key
    ok(cli("keys", "revoke", "--server", live["url"], "--token", live["tokens"][OPERATOR], "--key",
           live["operator_key"], "--key-id", next_id, "--key-party", "GM0193",
           "--reason", "op verzoek van de gemeente"),
       f"Sleutel {next_id[:16]} van GM0193 ingetrokken: opgenomen als volgnummer ")
    rows = sorted(entries_of(live, "GM0193").items())
    assert [(r["kind"], r["author"]) for _, r in rows][-3:] == [
        ("key_revocation", "GM0193"), ("key_rotation", "GM0193"), ("key_revocation", OPERATOR)]


def test_connection_errors_the_token_and_what_a_server_may_answer(tmp_path):
    key = tmp_path / "k.pem"
    new_key(key, "GM0166")
    st = revocation_file(tmp_path / "st.json", "GM0166", "ab" * 32, "t-1")
    nobody = f"http://127.0.0.1:{free_port()}"
    failed(cli("submit", st, "--server", nobody, "--key", key), "is niet bereikbaar")
    failed(cli("submit", st, "--server", "ftp://127.0.0.1", "--key", key), "ongeldig serveradres")
    (tmp_path / "bad.json").write_text('{"kind": "key_revocation", "payload": {}, "idempotency_key": "x", '
                                       '"authored_at": "2026-01-01T00:00:00Z"}')
    failed(cli("submit", tmp_path / "bad.json", "--server", "http://127.0.0.1:9", "--key", key),
           "authored_at en v vult de CLI zelf in")

    problem = {"type": "urn:bwledger:problem:NOT_AUTHENTICATED", "status": 401, "code": "NOT_AUTHENTICATED",
               "detail": "onbekend token"}
    replies = [(401, "application/problem+json", json.dumps(problem).encode()),
               (502, "text/html", b"<html>proxy</html>"),
               (200, "application/json", json.dumps(camel({"seq": 7, "entry_hash": "ab" * 32, "duplicate": True,
                                                     "received_at": "2026-12-01T10:00:00.000000Z"})).encode())]

    with scripted_server(lambda _path, n: replies[n - 1]) as (url, seen):
        url += "/"
        refused(cli("submit", st, "--server", url, "--key", key, env={"BWLEDGER_TOKEN": "uit-de-omgeving"}),
                "NOT_AUTHENTICATED")
        refused(cli("submit", st, "--server", url, "--key", key, "--token", "op-de-regel"), "HTTP_502")
        ok(cli("submit", st, "--server", url, "--key", key), "al opgenomen als volgnummer 7 (dezelfde inhoud")
    assert [s["authorization"] for s in seen] == ["Bearer uit-de-omgeving", "Bearer op-de-regel", None]
    assert seen[0]["path"] == "/v1/grootboek/regels" and set(json.loads(seen[0]["body"])) == {"statement", "signature"}
