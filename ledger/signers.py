"""Signers whose private key is not in this process: an external command (the HSM / KMS interface).

Whatever signs a statement or a checkpoint needs four things, and nothing else is asked of it
(`ledger.service.sign_statement`, `Store(operator=...)`, the CLI):

    party       "GM0166", "OPERATOR", ...
    key_id      hex SHA-256 of the raw public key (`crypto.key_id_of`)
    public_key  the raw 32-byte Ed25519 public key
    sign(data)  the 64-byte Ed25519 signature of `data`

`crypto.Signer` (a private key in memory, e.g. from a key file) and `CommandSigner` both have them
(`StatementSigner` is that protocol).

**CommandSigner** runs a command for every signature: the exact bytes to sign on its stdin, the
signature on its stdout, exit status 0. The output accepted is

* exactly 64 bytes: the raw signature;
* otherwise text (surrounding whitespace ignored): 128 hexadecimal characters, or base64 of the 64
  bytes (standard or URL-safe alphabet, padding optional).

Anything else, a non-zero exit status, a command that cannot be started or takes longer than its
timeout is a `SignerError` (a Dutch message, with the start of the command's stderr). Each signature
is checked against the public key before it is returned, so a signer holding another key, or one
that signed other bytes, is caught on this machine rather than refused by the server. The command
gets the environment of the caller; its public key is read from a file (the FILE.pub the operator
registered, `ledger.keyfile.read_public_key_file`).
"""
from __future__ import annotations

import base64
import binascii
import re
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from .crypto import key_id_of, verify_signature

__all__ = ["StatementSigner", "CommandSigner", "SignerError", "parse_signature_output"]

_HEX_SIG = re.compile(r"^[0-9a-fA-F]{128}$")
_B64_SIG = re.compile(r"^[A-Za-z0-9+/_-]{86}(==)?$")


@runtime_checkable
class StatementSigner(Protocol):
    """What signs a statement or checkpoint (crypto.Signer, CommandSigner)."""

    @property
    def party(self) -> str: ...

    @property
    def key_id(self) -> str: ...

    @property
    def public_key(self) -> bytes: ...

    def sign(self, data: bytes) -> bytes: ...


class SignerError(RuntimeError):
    """An external signer that failed or answered something other than a valid signature (Dutch)."""


def parse_signature_output(out: bytes) -> bytes:
    """The 64-byte signature from a signer's stdout: raw 64 bytes, or hex / base64 text."""
    if len(out) == 64:
        return out
    try:
        text = out.decode("ascii").strip()
    except UnicodeDecodeError:
        text = ""
    if _HEX_SIG.match(text):
        return bytes.fromhex(text)
    if _B64_SIG.match(text):
        try:
            sig = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            sig = b""
        if len(sig) == 64:
            return sig
    raise SignerError(f"het ondertekenprogramma gaf geen handtekening: {len(out)} bytes, verwacht 64 bytes, "
                      "of 128 hexadecimale tekens, of base64")


@dataclass(frozen=True)
class CommandSigner:
    """Signs by running `command` (argv) with the bytes on stdin; see the module docstring."""

    party: str
    public_key: bytes
    command: tuple[str, ...]
    timeout: float = 30.0

    def __post_init__(self) -> None:
        from .parties import party_code_problem  # the one party check

        err = party_code_problem(self.party or "")
        if err:
            raise SignerError(err.message)
        if len(self.public_key) != 32:
            raise SignerError("een Ed25519 publieke sleutel is 32 bytes")
        if not self.command:
            raise SignerError("geen ondertekenprogramma opgegeven")

    @classmethod
    def from_files(cls, party: str, command: str | Sequence[str], public_key_file: Path,
                   timeout: float = 30.0) -> CommandSigner:
        """`command` as one shell-style string (split with shlex, not run by a shell) or as argv."""
        from .keyfile import read_public_key_file

        argv = tuple(shlex.split(command)) if isinstance(command, str) else tuple(command)
        return cls(party, read_public_key_file(Path(public_key_file)), argv, timeout)

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    def sign(self, data: bytes) -> bytes:
        name = self.command[0]
        try:
            done = subprocess.run(list(self.command), input=data, capture_output=True, timeout=self.timeout,
                                  check=False)
        except FileNotFoundError:
            raise SignerError(f"het ondertekenprogramma {name} bestaat niet") from None
        except PermissionError:
            raise SignerError(f"het ondertekenprogramma {name} mag niet worden uitgevoerd") from None
        except subprocess.TimeoutExpired:
            raise SignerError(f"het ondertekenprogramma {name} antwoordde niet binnen "
                              f"{self.timeout:g} s") from None
        except OSError as exc:
            raise SignerError(f"het ondertekenprogramma {name} kan niet starten: {exc.strerror}") from None
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace").strip()[:500]
            raise SignerError(f"het ondertekenprogramma {name} stopte met status {done.returncode}"
                              + (f": {said}" if said else ""))
        signature = parse_signature_output(done.stdout)
        if not verify_signature(self.public_key, signature, data):
            raise SignerError(f"de handtekening van {name} klopt niet bij de publieke sleutel "
                              f"{self.key_id[:16]}: tekent het programma met een andere sleutel?")
        return signature
