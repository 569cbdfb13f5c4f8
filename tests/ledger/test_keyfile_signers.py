"""A party's key file (ledger.keyfile) and the external signer (ledger.signers.CommandSigner): files of
mode 0600 naming their party, encrypted with a passphrase or not, Dutch errors; a signing command in a
real subprocess (tests/sign_with_keyfile.py) that signs statements and checkpoints wherever a Signer is
taken."""
import base64
import os
import shlex
import stat
import sys
from pathlib import Path

import pytest

from ledger import keystatements, service
from ledger.crypto import load_signer, new_signer, save_signer, verify_signature
from ledger.entries import OPERATOR
from ledger.keyfile import (
    KeyFileError,
    KeyFileExists,
    new_key_file,
    public_key_path,
    read_key_file,
    read_key_header,
    read_public_key_file,
)
from ledger.signers import CommandSigner, SignerError, StatementSigner, parse_signature_output

SCRIPT = Path(__file__).resolve().parents[1] / "sign_with_keyfile.py"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def command(key: Path, *extra: str) -> str:
    return shlex.join([sys.executable, str(SCRIPT), str(key), *extra])


def test_a_new_key_file_is_0600_names_its_party_and_is_never_overwritten(tmp_path):
    path = tmp_path / "nieuw" / "sleutels" / "gm0166.pem"
    signer = new_key_file(path, "GM0166")
    assert mode(path) == 0o600 and mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    assert read_public_key_file(public_key_path(path)) == signer.public_key
    assert public_key_path(path).read_text() == signer.public_key.hex() + "\n"
    assert read_key_header(path) == {"party": "GM0166", "key-id": signer.key_id}
    text = path.read_text()
    assert "-----BEGIN PRIVATE KEY-----" in text and "ENCRYPTED" not in text
    back = read_key_file(path)
    assert (back.party, back.key_id) == ("GM0166", signer.key_id)
    assert read_key_file(path, party="GM0166").key_id == signer.key_id
    with pytest.raises(KeyFileError, match="sleutel van GM0166, niet van GM0193"):
        read_key_file(path, party="GM0193")
    with pytest.raises(KeyFileExists, match="bestaat al"):
        new_key_file(path, "GM0166")
    with pytest.raises(FileExistsError):  # KeyFileExists is both
        new_key_file(path, "GM0193")
    assert read_key_file(path).key_id == signer.key_id  # untouched
    with pytest.raises(KeyFileError, match="geen partij"):
        new_key_file(tmp_path / "x.pem", "Kampen")
    assert not (tmp_path / "x.pem").exists()


def test_existing_folders_keep_their_mode(tmp_path):
    folder = tmp_path / "gedeeld"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    new_key_file(folder / "k.pem", "GM0166")
    assert mode(folder) == 0o755 and mode(folder / "k.pem") == 0o600


def test_an_encrypted_key_file_and_its_dutch_errors(tmp_path):
    path = tmp_path / "gm.pem"
    signer = new_key_file(path, "GM0166", passphrase="correct paard batterij niet")
    assert "-----BEGIN ENCRYPTED PRIVATE KEY-----" in path.read_text() and mode(path) == 0o600
    assert read_key_header(path)["party"] == "GM0166"  # readable without the passphrase
    assert read_key_file(path, "correct paard batterij niet").key_id == signer.key_id
    with pytest.raises(KeyFileError, match="verkeerd wachtwoord"):
        read_key_file(path, "fout")
    with pytest.raises(KeyFileError, match="versleuteld; er is geen wachtwoord gegeven"):
        read_key_file(path)
    with pytest.raises(KeyFileError, match="wachtwoord is leeg"):
        new_key_file(tmp_path / "leeg.pem", "GM0166", passphrase="")
    assert not (tmp_path / "leeg.pem").exists()
    plain = tmp_path / "plain.pem"
    new_key_file(plain, "GM0166")
    with pytest.raises(KeyFileError, match="niet versleuteld"):
        read_key_file(plain, "iets")


@pytest.mark.parametrize("content, message", [
    (b"hallo\n", "geen sleutelbestand"),
    (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "geen leesbare privésleutel"),
    (b"\xff\xfe", "geen sleutelbestand"),
])
def test_a_file_that_is_not_a_key(tmp_path, content, message):
    path = tmp_path / "k.pem"
    path.write_bytes(content)
    with pytest.raises(KeyFileError, match=message):
        read_key_file(path, party="GM0166")
    with pytest.raises(KeyFileError, match="bestaat niet"):
        read_key_file(tmp_path / "nergens.pem")


def test_other_key_types_headers_and_public_key_files(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "ec.pem").write_bytes(ec_key)
    with pytest.raises(KeyFileError, match="geen Ed25519-sleutel"):
        read_key_file(tmp_path / "ec.pem", party="GM0166")
    # a key file without the party line (older files, other tools) needs the party; a wrong key id is caught
    legacy = tmp_path / "legacy.pem"
    s = new_signer("GM0166")
    pem = s.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    legacy.write_bytes(pem)
    with pytest.raises(KeyFileError, match="vermeldt geen partij"):
        read_key_file(legacy)
    assert load_signer(legacy, "GM0166").key_id == s.key_id
    lying = tmp_path / "lying.pem"
    lying.write_bytes(b"bwledger-party: GM0166\nbwledger-key-id: " + b"ab" * 32 + b"\n" + legacy.read_bytes())
    with pytest.raises(KeyFileError, match="sleutel-id in het bestand"):
        read_key_file(lying)
    pub = tmp_path / "k.pub"
    pub.write_text("# GM0166, uit de HSM\n" + s.public_key.hex().upper() + "\n")
    assert read_public_key_file(pub) == s.public_key
    for bad in ("abc\n", s.public_key.hex() + "\n" + s.public_key.hex() + "\n", ""):
        pub.write_text(bad)
        with pytest.raises(KeyFileError, match="geen publieke sleutel"):
            read_public_key_file(pub)


def test_save_signer_writes_the_same_layout(tmp_path):
    s = new_signer(OPERATOR)
    path = save_signer(tmp_path / "keys", s)
    assert mode(path) == 0o600 and mode(tmp_path / "keys") == 0o700
    assert read_key_header(path) == {"party": OPERATOR, "key-id": s.key_id}
    assert read_key_file(path).key_id == load_signer(path, OPERATOR).key_id == s.key_id


@pytest.mark.parametrize("fmt", ["raw", "hex", "base64", "base64url"])
def test_command_signer_formats(tmp_path, fmt):
    path = tmp_path / "hsm.pem"
    key = new_key_file(path, "GM0166")
    signer = CommandSigner.from_files("GM0166", command(path, "--format", fmt), public_key_path(path))
    assert isinstance(signer, StatementSigner) and isinstance(key, StatementSigner)
    assert signer.key_id == key.key_id and signer.public_key == key.public_key
    sig = signer.sign(b"de verklaring")
    assert sig == key.sign(b"de verklaring")  # Ed25519 is deterministic
    assert verify_signature(signer.public_key, sig, b"de verklaring")


def test_parse_signature_output():
    sig = bytes(range(64))
    assert parse_signature_output(sig) == sig
    for text in (sig.hex(), sig.hex().upper() + "\r\n", base64.b64encode(sig).decode() + "\n",
                 base64.urlsafe_b64encode(sig).decode().rstrip("=")):
        assert parse_signature_output(text.encode()) == sig
    for bad in (b"", sig + b"\n", sig.hex()[:-2].encode(), base64.b64encode(sig[:63]), b"\x00" * 65):
        with pytest.raises(SignerError, match="geen handtekening"):
            parse_signature_output(bad)


def test_command_signer_failures(tmp_path):
    path = tmp_path / "hsm.pem"
    new_key_file(path, "GM0166")
    pub = public_key_path(path)
    with pytest.raises(SignerError, match="status 3: HSM niet bereikbaar"):
        CommandSigner.from_files("GM0166", command(path, "--fail"), pub).sign(b"x")
    with pytest.raises(SignerError, match="geen handtekening"):
        CommandSigner.from_files("GM0166", command(path, "--garbage"), pub).sign(b"x")
    other = tmp_path / "ander.pem"
    new_key_file(other, "GM0166")
    with pytest.raises(SignerError, match="klopt niet bij de publieke sleutel"):
        CommandSigner.from_files("GM0166", command(other), pub).sign(b"x")
    with pytest.raises(SignerError, match="bestaat niet"):
        CommandSigner.from_files("GM0166", str(tmp_path / "geen-programma"), pub).sign(b"x")
    with pytest.raises(SignerError, match="niet binnen 0.3 s"):
        CommandSigner.from_files("GM0166", ["sleep", "5"], pub, timeout=0.3).sign(b"x")
    with pytest.raises(SignerError, match="geen partij"):
        CommandSigner.from_files("Kampen", command(path), pub)


def test_command_signers_sign_statements_and_checkpoints_in_a_store(tmp_path, monkeypatch):
    """An operator and a party whose keys never enter the process: genesis, registration, checkpoints,
    a rotation, all signed by commands; the ledger verifies."""
    op_file, gm_file = tmp_path / "hsm" / "operator.pem", tmp_path / "hsm" / "gm0166.pem"
    new_key_file(op_file, OPERATOR, passphrase="operator-geheim")
    new_key_file(gm_file, "GM0166")
    monkeypatch.setenv("BWL_TEST_OP_PASS", "operator-geheim")  # read by the signing command only
    operator = CommandSigner.from_files(OPERATOR, command(op_file, "--passphrase-env", "BWL_TEST_OP_PASS"),
                                        public_key_path(op_file))
    party = CommandSigner.from_files("GM0166", command(gm_file, "--format", "base64"),
                                     public_key_path(gm_file))
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    store = service.init_ledger(url, tmp_path / "keys", operator=operator)
    assert store.operator is operator and not list((tmp_path / "keys").glob("*.pem"))
    service.register_key(store, party)
    successor = new_signer("GM0166")
    rotated = store.append(*keystatements.rotation(party, successor.public_key).as_item())
    assert rotated.seq == 2
    service.checkpoint(store)
    cp = store.latest_checkpoint()
    assert cp.key_id == operator.key_id and cp.tree_size == store.size() == 3
    report = service.verify_ledger(store, workers=1)
    assert report.ok, report.problems
    assert store.registry().window(party.key_id, "GM0166").ended_seq == 2
    store.dispose()
