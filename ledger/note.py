"""Signed notes, per C2SP signed-note (c2sp.org/signed-note, v1.0.0), with Ed25519 keys.

A note is a UTF-8 text ending in a newline, a blank line, and one or more signature lines

    — <key name> base64(32-bit key ID || signature)

The key ID is SHA-256(key name || 0x0A || signature type || public key)[:4] ("Signatures"); the
signature types used here are 0x01 (Ed25519 over the note text, "Ed25519 signatures") and 0x04
(timestamped Ed25519 cosignatures, c2sp.org/tlog-cosignature, whose signed message ledger/cosignature.py
builds). A verifier key ("vkey") is `<name>+hex(key ID)+base64(type || public key)` ("Verifier keys").

This module knows nothing of checkpoints (ledger/checkpoints.py) or cosignatures beyond their key IDs:
it splits, joins, signs and opens notes. Verifiers MUST ignore signatures of unknown keys, MUST reject
a note whose known signature does not verify, and MUST reject a note no known key signed ("Signatures").
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from .crypto import verify_signature

__all__ = ["ED25519", "COSIGNATURE_V1", "NoteError", "NoteSignature", "Note", "Verifier", "key_id",
           "vkey", "parse_vkey", "parse_note", "parse_signature_lines", "format_note", "sign_line", "open_note",
           "MAX_SIGNATURES"]

#: signature type bytes ("Signature types")
ED25519 = 0x01
COSIGNATURE_V1 = 0x04
#: "Verifiers ... MUST accept at least up to 16 signatures"; we accept up to 64 and refuse more
MAX_SIGNATURES = 64
_DASH = "\u2014 "
_NAME = re.compile(r"[^\s+]+")  # "non-empty and MUST NOT contain any Unicode spaces or plus"


class NoteError(ValueError):
    """A malformed note, key or signature line; `code` is a stable problem code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise NoteError("NOTE_KEY_NAME_INVALID", f"key name {name!r} is empty or holds a space or '+'")
    return name


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(key name || 0x0A || signature type || public key)[:4]."""
    return hashlib.sha256(_check_name(name).encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A known key: its name, signature type and 32-byte Ed25519 public key."""

    name: str
    sig_type: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, self.public_key)

    def vkey(self) -> str:
        return vkey(self.name, self.sig_type, self.public_key)


def vkey(name: str, sig_type: int, public_key: bytes) -> str:
    """`<name>+hex(key ID)+base64(signature type || public key)` ("Verifier keys")."""
    return f"{name}+{key_id(name, sig_type, public_key).hex()}+" \
           f"{base64.b64encode(bytes([sig_type]) + public_key).decode()}"


def parse_vkey(text: str) -> Verifier:
    """A Verifier from its vkey text; the key ID in it must match the one computed from the rest."""
    parts = text.strip().split("+", 2)  # the base64 key may hold '+' itself (Go: note.NewVerifier chops twice)
    if len(parts) != 3:
        raise NoteError("NOTE_VKEY_MALFORMED", "a verifier key is <name>+<key ID>+<key>")
    name, hex_id, b64 = parts
    try:
        raw = base64.b64decode(b64, validate=True)
        wanted = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError):
        raise NoteError("NOTE_VKEY_MALFORMED", "the key ID or the key of a verifier key is not hex/base64")
    if len(wanted) != 4 or len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise NoteError("NOTE_VKEY_MALFORMED", "not an Ed25519 (0x01) or cosignature/v1 (0x04) verifier key")
    verifier = Verifier(_check_name(name), raw[0], raw[1:])
    if verifier.key_id != wanted:
        raise NoteError("NOTE_VKEY_MALFORMED", "the key ID of the verifier key does not match its key")
    return verifier


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{_DASH}{self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


@dataclass(frozen=True)
class Note:
    """A note's text (with its final newline) and its signature lines, in order."""

    text: bytes
    signatures: tuple[NoteSignature, ...]


def parse_note(data: bytes) -> Note:
    """Split a signed note into its text and signatures ("Format"); refuses control characters other than
    newline, invalid UTF-8, a text without final newline, no signature, or a malformed signature line."""
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("NOTE_MALFORMED", "a note is UTF-8")
    if any(ord(c) < 0x20 and c != "\n" for c in s):
        raise NoteError("NOTE_MALFORMED", "a note holds no control characters other than newline")
    cut = s.rfind("\n\n")  # "the text is separated from the signatures by the last empty line"
    if cut < 0 or not s.endswith("\n"):
        raise NoteError("NOTE_MALFORMED", "a note is its text, a blank line and signature lines")
    text, sig_block = s[:cut + 1], s[cut + 2:]
    lines = sig_block[:-1].split("\n")
    if not sig_block or len(lines) > MAX_SIGNATURES:
        raise NoteError("NOTE_MALFORMED", f"a note carries 1 to {MAX_SIGNATURES} signatures")
    sigs = []
    for line in lines:
        if not line.startswith(_DASH) or line.count(" ") != 2:
            raise NoteError("NOTE_MALFORMED", "a signature line is '— <name> <base64>'")
        name, b64 = line[len(_DASH):].split(" ")
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error:
            raise NoteError("NOTE_MALFORMED", "a signature is base64")
        if len(raw) < 5:
            raise NoteError("NOTE_MALFORMED", "a signature is a key ID and at least one byte")
        sigs.append(NoteSignature(_check_name(name), raw[:4], raw[4:]))
    return Note(text.encode(), tuple(sigs))


def parse_signature_lines(data: bytes) -> tuple[NoteSignature, ...]:
    """Signature lines alone (a tlog-witness add-checkpoint answer, a stored cosignature), parsed as those of a
    note (NOTE_MALFORMED when they are not)."""
    return parse_note(b"-\n\n" + data).signatures


def format_note(text: bytes, signatures: Iterable[NoteSignature]) -> bytes:
    """The note's bytes: text, blank line, signature lines."""
    sigs = list(signatures)
    if not text.endswith(b"\n") or not sigs:
        raise NoteError("NOTE_MALFORMED", "a note's text ends in a newline and it carries a signature")
    return text + b"\n" + "".join(s.line() for s in sigs).encode()


def sign_line(name: str, public_key: bytes, sign: Callable[[bytes], bytes], text: bytes) -> NoteSignature:
    """An Ed25519 (0x01) signature of `text` by the key `sign` holds, named `name`."""
    return NoteSignature(name, key_id(name, ED25519, public_key), sign(text))


def open_note(data: bytes, known: Sequence[Verifier],
              check: Callable[[Verifier, Note, NoteSignature], bool] | None = None) -> tuple[Note, list[Verifier]]:
    """Parse a note and verify it against the known keys: (note, the keys whose signatures verified).

    Signatures whose (name, key ID) match no known key are ignored; one that matches a known key and does
    not verify rejects the note (NOTE_SIGNATURE_INVALID); a note no known key signed is rejected
    (NOTE_UNVERIFIED).  Ed25519 (0x01) signatures are checked here over the note text; `check` verifies the
    other types (a cosignature's message is not the note text: ledger/cosignature.py)."""
    note = parse_note(data)
    by_id = {(v.name, v.key_id): v for v in known}
    verified: list[Verifier] = []
    for sig in note.signatures:
        v = by_id.get((sig.name, sig.key_id))
        if v is None:
            continue
        if v.sig_type == ED25519:
            ok = verify_signature(v.public_key, sig.signature, note.text)
        elif check is not None:
            ok = check(v, note, sig)
        else:
            raise NoteError("NOTE_SIGNATURE_TYPE", f"no check given for signature type {v.sig_type:#04x}")
        if not ok:
            raise NoteError("NOTE_SIGNATURE_INVALID", f"the signature of {sig.name} does not verify")
        if v not in verified:
            verified.append(v)
    if not verified:
        raise NoteError("NOTE_UNVERIFIED", "no known key signed the note")
    return note, verified
