"""Checkpoint note text, per C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint, "Note text").

    <origin>\\n            a unique identifier of the log (a schema-less URL, no spaces, no '+')
    <tree size>\\n         ASCII decimal, no leading zeroes ("0" for the empty tree)
    <base64 root hash>\\n  the RFC 6962 root at that size
    [extension lines]\\n   opaque, non-empty; this log writes none

The operator signs this text as a C2SP signed note (ledger/note.py) with the key name equal to the
origin ("The log's key name in its signature line SHOULD match the origin line"). Checkpoints signed
before the format change (`note_from` in ledger/data/checkpoints.toml) are RFC 8785 JSON
(ledger/entries.py checkpoint_body) and stay verifiable as such.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources

from .crypto import verify_signature
from .entries import checkpoint_body
from .errors import CHECKPOINT_FORMAT_INVALID, CHECKPOINT_ORIGIN_MISMATCH
from .note import (ED25519, Note, NoteError, NoteSignature, Verifier, format_note, key_id, open_note, parse_note,
                   parse_vkey, sign_line)

__all__ = ["CheckpointText", "checkpoint_text", "parse_checkpoint_text", "note_from", "is_note_time",
           "default_origin", "log_verifier", "sign_checkpoint_note", "open_checkpoint_note",
           "stored_note_problem", "SignedCheckpoint", "read_checkpoint", "checkpoint_signature_problem"]

_SIZE = re.compile(r"0|[1-9][0-9]*")
_ORIGIN = re.compile(r"[^\s+]+")


@dataclass(frozen=True)
class CheckpointText:
    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()


def checkpoint_text(origin: str, tree_size: int, root_hash: bytes) -> bytes:
    """The note text of a checkpoint of this log (no extension lines)."""
    if not _ORIGIN.fullmatch(origin):
        raise NoteError("CHECKPOINT_ORIGIN_INVALID", f"origin {origin!r} is empty or holds a space or '+'")
    if tree_size < 0 or len(root_hash) != 32:
        raise NoteError("CHECKPOINT_MALFORMED", "a checkpoint has a size >= 0 and a 32-byte root hash")
    return f"{origin}\n{tree_size}\n{base64.b64encode(root_hash).decode()}\n".encode()


def parse_checkpoint_text(text: bytes) -> CheckpointText:
    """Origin, size, root hash and extension lines of a checkpoint note's text (its signatures are
    ledger/note.py's business)."""
    try:
        s = text.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("CHECKPOINT_MALFORMED", "a checkpoint is UTF-8")
    if not s.endswith("\n"):
        raise NoteError("CHECKPOINT_MALFORMED", "a checkpoint's text ends in a newline")
    lines = s[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise NoteError("CHECKPOINT_MALFORMED", "a checkpoint is at least three non-empty lines")
    origin, size, root_b64 = lines[:3]
    if not _SIZE.fullmatch(size):
        raise NoteError("CHECKPOINT_MALFORMED", "the tree size is a decimal without leading zeroes")
    try:
        root = base64.b64decode(root_b64, validate=True)
    except binascii.Error:
        raise NoteError("CHECKPOINT_MALFORMED", "the root hash is base64")
    if len(root) != 32:
        raise NoteError("CHECKPOINT_MALFORMED", "the root hash is 32 bytes (SHA-256)")
    return CheckpointText(origin, int(size), root, tuple(lines[3:]))


@lru_cache(maxsize=1)
def note_from() -> datetime:
    """From when (a checkpoint's created_at) checkpoints are signed notes: ledger/data/checkpoints.toml."""
    doc = tomllib.loads(resources.files("ledger").joinpath("data/checkpoints.toml").read_text("utf-8"))
    return doc["note_from"].astimezone(UTC)


def is_note_time(created_at: datetime) -> bool:
    """Whether a checkpoint created at `created_at` is a signed note (else the RFC 8785 JSON of before)."""
    return created_at >= note_from()


def default_origin(genesis_entry_hash: bytes) -> str:
    """The origin of a deployment that did not choose one (BWLEDGER_LOG_ORIGIN): derived once from its
    genesis entry, so two ledgers never share it, and stored in the ledger (it never changes after)."""
    return f"bwledger.local/{genesis_entry_hash.hex()[:16]}"


def log_verifier(origin: str, public_key: bytes) -> Verifier:
    """The operator's note verifier key: key name = origin, Ed25519 (0x01)."""
    return Verifier(origin, ED25519, public_key)


def sign_checkpoint_note(signer, origin: str, tree_size: int, root_hash: bytes) -> bytes:
    """The checkpoint as a signed note: `checkpoint_text` signed by the operator (`signer`: anything with
    `public_key` and `sign(data)`, ledger.signers.StatementSigner), key name = origin."""
    text = checkpoint_text(origin, tree_size, root_hash)
    return format_note(text, [sign_line(origin, signer.public_key, signer.sign, text)])


def open_checkpoint_note(data: bytes, log_vkey: Verifier | str, check=None) -> tuple[CheckpointText, Note]:
    """Verify a checkpoint note against the log's verifier key (a Verifier or its vkey text) and read it.

    Refused (NoteError): a note the log's key did not sign or whose log signature fails (ledger/note.py
    codes), a malformed checkpoint text (CHECKPOINT_MALFORMED), an origin other than the key's name
    (CHECKPOINT_ORIGIN_MISMATCH).  Other signatures (witness cosignatures) are ignored here; `check`
    is passed on to open_note for callers that also know cosigner keys."""
    verifier = parse_vkey(log_vkey) if isinstance(log_vkey, str) else log_vkey
    note, _ = open_note(data, [verifier], check)
    cp = parse_checkpoint_text(note.text)
    if cp.origin != verifier.name:
        raise NoteError(CHECKPOINT_ORIGIN_MISMATCH,
                        f"the checkpoint's origin {cp.origin!r} is not the log's key name {verifier.name!r}")
    return cp, note


def stored_note_problem(note: bytes, origin: str | None, tree_size: int, root_hash: bytes,
                        public_key: bytes | None, signature: bytes) -> tuple[str | None, str]:
    """(code, why) when a stored checkpoint note is not exactly the checkpoint (origin, tree_size, root_hash)
    signed with `signature` by the key `public_key` (the operator's), else (None, ""). Whether the
    signature itself verifies is the caller's other check (ledger/verify.py)."""
    try:
        text = parse_checkpoint_text(parse_note(note).text)
    except NoteError as exc:
        return CHECKPOINT_FORMAT_INVALID, f"the checkpoint note cannot be read: {exc}"
    if origin is None or text.origin != origin:
        return CHECKPOINT_ORIGIN_MISMATCH, f"the checkpoint note names origin {text.origin!r}, the log is {origin!r}"
    if public_key is None:
        return CHECKPOINT_FORMAT_INVALID, "the checkpoint note's key is not a registered key"
    expected = format_note(checkpoint_text(origin, tree_size, root_hash),
                           [NoteSignature(origin, key_id(origin, ED25519, public_key), signature)])
    if note != expected:
        return CHECKPOINT_FORMAT_INVALID, "the checkpoint note is not the checkpoint of its row (size, root or signature)"
    return None, ""


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint as someone outside the log holds it: a note (`note` set) or an RFC 8785 JSON checkpoint
    (`created_at`, `key_id` and `signature` set), with the tree it signs."""

    tree_size: int
    root_hash: bytes
    note: bytes | None = None
    key_id: str | None = None  # hex SHA-256 of the operator key (ledger/crypto.py key_id_of); JSON form
    signature: bytes | None = None
    created_at: datetime | None = None

    @property
    def origin(self) -> str | None:
        return None if self.note is None else parse_checkpoint_text(parse_note(self.note).text).origin

    def as_json(self) -> dict:
        """The form a bundle carries: {"note": text} or the JSON checkpoint's fields (ledger/bundle.py)."""
        if self.note is not None:
            return {"note": self.note.decode()}
        return {"tree_size": self.tree_size, "root_hash": self.root_hash.hex(), "timestamp": _iso(self.created_at),
                "key_id": self.key_id, "signature": base64.b64encode(self.signature).decode()}


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def read_checkpoint(data: bytes | Mapping) -> SignedCheckpoint:
    """A checkpoint from what a party kept: a checkpoint note (GET /v1/checkpoint), a bundle (its
    `checkpoint`), or a bundle's `checkpoint` object ({"note": ...} or the JSON checkpoint's fields).
    Reads only; the signature is checkpoint_signature_problem's. NoteError (CHECKPOINT_MALFORMED, or the
    note's code) when it is none of these."""
    if isinstance(data, (bytes, bytearray)):
        if not data.lstrip().startswith(b"{"):
            note = bytes(data)
            text = parse_checkpoint_text(parse_note(note).text)
            return SignedCheckpoint(text.tree_size, text.root_hash, note=note)
        try:
            data = json.loads(data)
        except (ValueError, RecursionError):
            raise NoteError("CHECKPOINT_MALFORMED", "not a checkpoint note, a bundle or a checkpoint (JSON)")
    if not isinstance(data, Mapping):
        raise NoteError("CHECKPOINT_MALFORMED", "a checkpoint (JSON) is an object")
    if isinstance(data.get("checkpoint"), Mapping):  # a bundle
        data = data["checkpoint"]
    if isinstance(data.get("note"), str):
        return read_checkpoint(data["note"].encode())
    try:
        at = datetime.fromisoformat(data["timestamp"])
        if at.tzinfo is None:
            raise ValueError("the timestamp has no time zone")
        size = data["tree_size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError("tree_size is not a size")
        root = bytes.fromhex(data["root_hash"])
        if len(root) != 32:
            raise ValueError("root_hash is not 32 bytes")
        return SignedCheckpoint(size, root, key_id=str(data["key_id"]),
                                signature=base64.b64decode(data["signature"], validate=True), created_at=at)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise NoteError("CHECKPOINT_MALFORMED", f"not a checkpoint: {exc}")


def checkpoint_signature_problem(cp: SignedCheckpoint, operator_keys: Mapping[str, bytes],
                                 origin: str | None = None) -> str | None:
    """Why `cp` is not signed by one of `operator_keys` (key id -> raw public key: the operator keys the
    reader trusts, e.g. replayed from a bundle's key entries), or None when it is. A note must name
    `origin` when one is given; a JSON checkpoint is checked over its RFC 8785 body, and must be dated
    before note_from (a JSON checkpoint after it is not one this log made)."""
    if cp.note is None:
        public_key = operator_keys.get(cp.key_id or "")
        if public_key is None:
            return "the checkpoint is not signed by an operator key"
        if is_note_time(cp.created_at):
            return f"an RFC 8785 JSON checkpoint dated from {note_from():%Y-%m-%d %H:%M} UTC on, when checkpoints are notes"
        if not verify_signature(public_key, cp.signature or b"", checkpoint_body(cp.tree_size, cp.root_hash,
                                                                                 cp.created_at)):
            return "the checkpoint's signature does not verify"
        return None
    name = cp.origin
    if origin is not None and name != origin:
        return f"the checkpoint names origin {name!r}, not the log's {origin!r}"
    for public_key in operator_keys.values():
        try:
            open_checkpoint_note(cp.note, log_verifier(name, public_key))
            return None
        except NoteError as exc:
            if exc.code != "NOTE_UNVERIFIED":  # signed with this key's ID and failing: refused
                return f"the checkpoint note's signature does not verify ({exc.code})"
    return "the checkpoint note is not signed by an operator key"
