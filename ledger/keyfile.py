"""A party's private key file: Ed25519 as PKCS#8 PEM, mode 0600, optionally encrypted, naming its party.

The file is made on the party's own machine (`bwledger keys new`) and never leaves it; the server
only ever sees the public key. Layout (RFC 7468 allows explanatory text before the encapsulation
boundary; OpenSSL and `cryptography` read past it, so the file is an ordinary PEM key to any tool):

    bwledger-party: GM0166
    bwledger-key-id: 3f1a...c9            (hex SHA-256 of the raw public key)
    -----BEGIN PRIVATE KEY-----          (-----BEGIN ENCRYPTED PRIVATE KEY----- with a passphrase:
    ...                                   cryptography's BestAvailableEncryption, PBES2/AES-256)
    -----END PRIVATE KEY-----

Next to it, `FILE.pub` holds the public key: one line, the raw 32-byte key in lowercase hex (lines
starting with `#` are ignored when it is read). That file is what the operator registers.

The private key file is created exclusively (never overwritten) with mode 0600; a parent folder
that does not exist yet is created with mode 0700. Errors (`KeyFileError`) are Dutch sentences: a
person reads them.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .crypto import Signer
from .entries import PARTY_RE

__all__ = ["KeyFileError", "KeyFileExists", "new_key_file", "write_key_file", "read_key_file",
           "read_key_header", "write_public_key_file", "read_public_key_file", "public_key_path",
           "key_file_bytes"]

_HEADER = re.compile(r"^bwledger-([a-z-]+):\s*(\S+)\s*$")
_BEGIN = b"-----BEGIN "
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}$")


class KeyFileError(ValueError):
    """A key file that cannot be written or read, with a Dutch message."""


class KeyFileExists(KeyFileError, FileExistsError):
    """The file to write exists already (key files are never overwritten)."""


def public_key_path(path: Path) -> Path:
    """Where the public key of the private key file `path` goes: FILE.pub."""
    path = Path(path)
    return path.with_name(path.name + ".pub")


def _encode_passphrase(passphrase: str | bytes | None) -> bytes | None:
    if passphrase is None:
        return None
    raw = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    if not raw:
        raise KeyFileError("het wachtwoord is leeg")
    return raw


def _make_parent(path: Path) -> None:
    """Create the missing folders above `path` with mode 0700 (existing folders are left alone)."""
    missing = []
    parent = path.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)  # mkdir's mode is reduced by the umask


def _write_exclusive(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise KeyFileExists(f"{path} bestaat al; een sleutelbestand wordt nooit overschreven") from None
    except OSError as exc:
        raise KeyFileError(f"kan {path} niet schrijven: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, mode)  # the mode of os.open is reduced by the umask


def key_file_bytes(signer: Signer, passphrase: str | bytes | None = None,
                   header: dict[str, str] | None = None) -> bytes:
    """The file's content: the header naming party and key id (and any further `bwledger-NAME: VALUE`
    lines of `header`, e.g. a witness key's `witness-name`), then the PKCS#8 PEM."""
    secret = _encode_passphrase(passphrase)
    encryption = (serialization.BestAvailableEncryption(secret) if secret is not None
                  else serialization.NoEncryption())
    pem = signer.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           encryption)
    lines = [f"bwledger-party: {signer.party}", f"bwledger-key-id: {signer.key_id}"]
    for name, value in (header or {}).items():
        if not re.fullmatch(r"[a-z-]+", name) or name in ("party", "key-id") or not re.fullmatch(r"\S+", value):
            raise KeyFileError(f"ongeldige kopregel voor een sleutelbestand: {name}: {value}")
        lines.append(f"bwledger-{name}: {value}")
    return ("\n".join(lines) + "\n").encode("utf-8") + pem


def write_key_file(path: Path, signer: Signer, passphrase: str | bytes | None = None,
                   header: dict[str, str] | None = None) -> Path:
    """Write `signer`'s private key to `path` (exclusively, mode 0600; parent folders 0700 if created)."""
    path = Path(path)
    data = key_file_bytes(signer, passphrase, header)
    _make_parent(path)
    _write_exclusive(path, data, 0o600)
    return path


def write_public_key_file(path: Path, public_key: bytes) -> Path:
    """Write the raw public key as one line of lowercase hex (exclusively, mode 0644)."""
    path = Path(path)
    _make_parent(path)
    _write_exclusive(path, public_key.hex().encode("ascii") + b"\n", 0o644)
    return path


def new_key_file(path: Path, party: str, passphrase: str | bytes | None = None,
                 header: dict[str, str] | None = None) -> Signer:
    """Make a new key pair for `party`: the private key at `path` (0600) and its public key at FILE.pub;
    `header` adds `bwledger-NAME: VALUE` lines to the private key file."""
    from .parties import party_code_problem  # the one party check

    err = party_code_problem(party or "")
    if err:
        raise KeyFileError(err.message)
    path = Path(path)
    pub = public_key_path(path)
    for target in (path, pub):
        if target.exists():
            raise KeyFileExists(f"{target} bestaat al; een sleutelbestand wordt nooit overschreven")
    _encode_passphrase(passphrase)  # refuse an empty passphrase before anything is written
    signer = Signer(party, Ed25519PrivateKey.generate())
    key_file_bytes(signer, None, header)  # refuse a bad header line before anything is written
    write_key_file(path, signer, passphrase, header)
    write_public_key_file(pub, signer.public_key)
    return signer


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"{path} bestaat niet") from None
    except OSError as exc:
        raise KeyFileError(f"kan {path} niet lezen: {exc.strerror}") from None


def _split(path: Path, data: bytes) -> tuple[dict[str, str], bytes]:
    start = data.find(_BEGIN)
    if start < 0:
        raise KeyFileError(f"{path} is geen sleutelbestand (geen PEM-blok)")
    header: dict[str, str] = {}
    for line in data[:start].decode("utf-8", "replace").splitlines():
        m = _HEADER.match(line.strip())
        if m:
            header[m.group(1)] = m.group(2)
    return header, data[start:]


def read_key_header(path: Path) -> dict[str, str]:
    """The file's `bwledger-...` lines ({"party": ..., "key-id": ...}), without decrypting the key."""
    return _split(Path(path), _read(path))[0]


def read_key_file(path: Path, passphrase: str | bytes | None = None, *, party: str | None = None) -> Signer:
    """Load a private key file as a Signer for the party it names.

    `party`, when given, must agree with the file; a file without a `bwledger-party` line (an older
    key file of `BWLEDGER_HOME/keys`, or one from another tool) needs it. Raises KeyFileError with a
    Dutch message for a missing file, a file that is not an Ed25519 key, a wrong or missing
    passphrase, or a party or key id that does not match."""
    path = Path(path)
    header, pem = _split(path, _read(path))
    try:
        key = serialization.load_pem_private_key(pem, password=_encode_passphrase(passphrase))
    except TypeError:  # encrypted without a passphrase, or a passphrase for a plain key
        if passphrase is None:
            raise KeyFileError(f"{path} is met een wachtwoord versleuteld; er is geen wachtwoord "
                               "gegeven") from None
        raise KeyFileError(f"{path} is niet versleuteld; laat het wachtwoord weg") from None
    except ValueError as exc:
        if "password" in str(exc).lower() or "decrypt" in str(exc).lower():
            raise KeyFileError(f"verkeerd wachtwoord voor {path}") from None
        raise KeyFileError(f"{path} is geen leesbare privésleutel (PKCS#8 PEM)") from None
    except Exception:  # noqa: BLE001 - cryptography raises its own errors for unsupported algorithms
        raise KeyFileError(f"{path} is geen leesbare privésleutel (PKCS#8 PEM)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is geen Ed25519-sleutel")
    named = header.get("party")
    if named is not None and party is not None and named != party:
        raise KeyFileError(f"{path} is een sleutel van {named}, niet van {party}")
    who = named or party
    if who is None:
        raise KeyFileError(f"{path} vermeldt geen partij (regel 'bwledger-party: ...'); geef de partij op")
    if not PARTY_RE.match(who):
        raise KeyFileError(f"{path} vermeldt geen geldige partij: {who!r}")
    signer = Signer(who, key)
    if "key-id" in header and header["key-id"] != signer.key_id:
        raise KeyFileError(f"{path}: het sleutel-id in het bestand hoort niet bij de sleutel")
    return signer


def read_public_key_file(path: Path) -> bytes:
    """The raw 32-byte public key of a FILE.pub (64 hex characters; `#` lines ignored)."""
    path = Path(path)
    try:
        text = _read(path).decode("ascii")
    except UnicodeDecodeError:
        raise KeyFileError(f"{path} is geen publieke sleutel (64 hexadecimale tekens verwacht)") from None
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if len(lines) != 1 or not _HEX_KEY.match(lines[0]):
        raise KeyFileError(f"{path} is geen publieke sleutel (64 hexadecimale tekens verwacht)")
    public_key = bytes.fromhex(lines[0])
    try:
        Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError:
        raise KeyFileError(f"{path} is geen geldige Ed25519-sleutel") from None
    return public_key
