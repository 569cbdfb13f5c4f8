"""Checkpoint note text, per C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint, "Note text").

    <origin>\\n            a unique identifier of the log (a schema-less URL, no spaces, no '+')
    <tree size>\\n         ASCII decimal, no leading zeroes ("0" for the empty tree)
    <base64 root hash>\\n  the RFC 6962 root at that size
    [extension lines]\\n   opaque, non-empty; this log writes none

The operator signs this text as a C2SP signed note (ledger/note.py) with the key name equal to the
origin ("The log's key name in its signature line SHOULD match the origin line"). Checkpoints signed
before the format change (ledger/data/admission.toml `checkpoint_note_from`) are RFC 8785 JSON
(ledger/entries.py checkpoint_body) and stay verifiable as such.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from .note import NoteError

__all__ = ["CheckpointText", "checkpoint_text", "parse_checkpoint_text"]

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
