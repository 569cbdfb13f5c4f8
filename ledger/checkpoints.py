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
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources

from .note import ED25519, Note, NoteError, Verifier, format_note, open_note, parse_vkey, sign_line

__all__ = ["CheckpointText", "checkpoint_text", "parse_checkpoint_text", "note_from", "is_note_time",
           "default_origin", "log_verifier", "sign_checkpoint_note", "open_checkpoint_note"]

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
        raise NoteError("CHECKPOINT_ORIGIN_MISMATCH",
                        f"the checkpoint's origin {cp.origin!r} is not the log's key name {verifier.name!r}")
    return cp, note
