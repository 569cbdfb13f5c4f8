"""Ed25519 keys, key ids and signatures (RFC 8032 via `cryptography`).

A key id is the lowercase hex SHA-256 of the 32-byte raw public key.  Private keys live in files
with mode 0600 (PKCS#8 PEM); they never enter the ledger database.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = ["Signer", "key_id_of", "verify_signature", "public_key_object", "load_signer", "save_signer", "new_signer"]


def key_id_of(public_key: bytes) -> str:
    """Key id: hex SHA-256 of the raw 32-byte Ed25519 public key."""
    if len(public_key) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return hashlib.sha256(public_key).hexdigest()


@lru_cache(maxsize=4096)
def public_key_object(public_key: bytes) -> Ed25519PublicKey:
    """The parsed key, cached per raw public key (parsing costs about as much as a hash)."""
    return Ed25519PublicKey.from_public_bytes(public_key)


_public = public_key_object


def verify_signature(public_key: bytes, signature: bytes, data: bytes) -> bool:
    """True iff `signature` is a valid Ed25519 signature of `data` under `public_key`."""
    if len(signature) != 64 or len(public_key) != 32:
        return False
    try:
        _public(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Signer:
    """A party's private key, with its public key and key id."""

    party: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)


def new_signer(party: str) -> Signer:
    return Signer(party, Ed25519PrivateKey.generate())


def _key_path(keys_dir: Path, party: str, key_id: str) -> Path:
    return keys_dir / f"{party.replace(':', '_')}.{key_id[:16]}.pem"


def save_signer(keys_dir: Path, signer: Signer) -> Path:
    """Write the private key as PKCS#8 PEM with mode 0600 (created exclusively, never overwritten),
    naming its party and key id (the layout of ledger.keyfile)."""
    from .keyfile import write_key_file
    from .private_files import private_dir

    private_dir(keys_dir)
    return write_key_file(_key_path(keys_dir, signer.party, signer.key_id), signer)


def load_signer(path: Path, party: str) -> Signer:
    """The key of `party` in an unencrypted key file (ledger.keyfile.read_key_file for a passphrase)."""
    from .keyfile import read_key_file

    return read_key_file(Path(path), party=party)


def find_signers(keys_dir: Path, party: str) -> list[Path]:
    """Key files of a party in `keys_dir`, newest first."""
    files = sorted(keys_dir.glob(f"{party.replace(':', '_')}.*.pem"), key=lambda p: p.stat().st_mtime)
    return files[::-1]
