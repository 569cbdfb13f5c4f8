"""Checkpoint cosignatures, per C2SP tlog-cosignature v1 for Ed25519 (c2sp.org/tlog-cosignature, type 0x04).

A cosignature is a note signature line (ledger/note.py) on a checkpoint (ledger/checkpoints.py) by a
*witness*: "as of the specified time, the consistent tree head with the largest size the cosigner has
observed for the log identified by the origin line has the specified root hash" ("Ed25519 signed message").

    key ID    = SHA-256(<name> || "\\n" || 0x04 || 32-byte Ed25519 public key)[:4]     (ledger.note.key_id)
    signature = key ID (4) || u64 big-endian timestamp || Ed25519 signature (64)    ("timestamped_signature")
    message   = "cosignature/v1\\n" "time <timestamp>\\n" || the whole checkpoint note text

The timestamp is POSIX seconds, at most 2^63 - 1, in ASCII decimal without leading zeroes in the message.
`verify_cosignature` is the `check` that `note.open_note` takes for type 0x04 keys. `verified_cosigners`
opens a cosigned checkpoint with the log's key and the witnesses' keys a verifier trusts, and
`require_quorum` refuses one that fewer than K distinct witnesses cosigned. Pure: no clock, no I/O
(a caller that wants to refuse cosignatures from the future passes its own `not_after`).
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .checkpoints import CheckpointText, parse_checkpoint_text
from .crypto import verify_signature
from .note import (
    COSIGNATURE_V1,
    ED25519,
    Note,
    NoteError,
    NoteSignature,
    Verifier,
    key_id,
    open_note,
    parse_vkey,
)

__all__ = [
    "HEADER",
    "MAX_TIMESTAMP",
    "CosignedCheckpoint",
    "Cosigner",
    "check_quorum",
    "cosign",
    "cosignature_timestamp",
    "cosigned_message",
    "log_key",
    "require_quorum",
    "verified_cosigners",
    "verify_cosignature",
    "witness_verifier",
    "witness_verifiers",
]

HEADER = b"cosignature/v1\n"
#: "It MUST NOT exceed 2^63 - 1"
MAX_TIMESTAMP = 2 ** 63 - 1
_U64 = struct.Struct(">Q")
_SIGNATURE_SIZE = 4 + 8 + 64


def cosigned_message(note_text: bytes, timestamp: int) -> bytes:
    """The signed message: the header line, the time line, and the note text (with its final newline,
    without signature lines)."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("COSIGNATURE_TIMESTAMP_INVALID", "a cosignature's time lies between 0 and 2^63 - 1")
    return HEADER + b"time %d\n" % timestamp + note_text


def cosign(name: str, public_key: bytes, sign: Callable[[bytes], bytes], note_text: bytes,
           timestamp: int) -> NoteSignature:
    """The cosignature line of the witness `name` (whose key `sign` holds) on a checkpoint's note text."""
    signature = sign(cosigned_message(note_text, timestamp))
    return NoteSignature(name, key_id(name, COSIGNATURE_V1, public_key), _U64.pack(timestamp) + signature)


def cosignature_timestamp(sig: NoteSignature) -> int:
    """The timestamp of a cosignature line (COSIGNATURE_MALFORMED when it is not 8 + 64 bytes after the key ID,
    or its time exceeds 2^63 - 1)."""
    if len(sig.key_id) + len(sig.signature) != _SIGNATURE_SIZE:
        raise NoteError("COSIGNATURE_MALFORMED", f"the cosignature of {sig.name} is not a key ID, a time and "
                                                 "an Ed25519 signature")
    (timestamp,) = _U64.unpack(sig.signature[:8])
    if timestamp > MAX_TIMESTAMP:
        raise NoteError("COSIGNATURE_MALFORMED", f"the cosignature of {sig.name} has a time beyond 2^63 - 1")
    return timestamp


def verify_cosignature(verifier: Verifier, note: Note, sig: NoteSignature) -> bool:
    """Does `sig` verify as a cosignature/v1 of `note` by `verifier` (a type 0x04 key)? Never raises: a
    malformed cosignature does not verify (the `check` of note.open_note)."""
    if verifier.sig_type != COSIGNATURE_V1:
        return False
    try:
        timestamp = cosignature_timestamp(sig)
    except NoteError:
        return False
    return verify_signature(verifier.public_key, sig.signature[8:], cosigned_message(note.text, timestamp))


def witness_verifier(name: str, public_key: bytes) -> Verifier:
    """The cosignature/v1 verifier of a witness key: `.vkey()` is the text a witness publishes."""
    return Verifier(name, COSIGNATURE_V1, public_key)


def log_key(vkey: str | Verifier) -> Verifier:
    """The log's verifier key (Ed25519, type 0x01; its name is the log's origin); LOG_KEY_INVALID otherwise."""
    v = parse_vkey(vkey) if isinstance(vkey, str) else vkey
    if v.sig_type != ED25519:
        raise NoteError("LOG_KEY_INVALID", f"the log key {v.name} is not an Ed25519 (0x01) note key")
    return v


def witness_verifiers(vkeys: Iterable[str | Verifier]) -> list[Verifier]:
    """The witnesses' verifier keys (type 0x04 each, COSIGNER_KEY_INVALID otherwise), each once."""
    out: list[Verifier] = []
    for text in vkeys:
        v = parse_vkey(text) if isinstance(text, str) else text
        if v.sig_type != COSIGNATURE_V1:
            raise NoteError("COSIGNER_KEY_INVALID", f"the witness key {v.name} is not a cosignature/v1 (0x04) key")
        if v not in out:
            out.append(v)
    return out


@dataclass(frozen=True)
class Cosigner:
    """A witness whose cosignature verified, and the time it states."""

    verifier: Verifier
    timestamp: int


@dataclass(frozen=True)
class CosignedCheckpoint:
    """A checkpoint note opened with the log's key and the trusted witnesses' keys."""

    checkpoint: CheckpointText
    note: Note
    cosigners: tuple[Cosigner, ...]

    @property
    def distinct_witnesses(self) -> int:
        """How many distinct witness keys cosigned: one Ed25519 key counts once whatever its names, since
        the cosigned message does not commit to the name ("MUST use distinct public keys")."""
        return len({c.verifier.public_key for c in self.cosigners})


def verified_cosigners(note_bytes: bytes, log_vkey: str | Verifier, witness_vkeys: Sequence[str | Verifier], *,
                       not_after: int | None = None) -> CosignedCheckpoint:
    """Open a cosigned checkpoint: the log must have signed it (LOG_SIGNATURE_MISSING) under the key named by
    its origin (CHECKPOINT_ORIGIN_MISMATCH); signature lines of unknown keys are ignored; a known key's
    signature that does not verify rejects the note (NOTE_SIGNATURE_INVALID, ledger/note.py). Returns the
    checkpoint and the trusted witnesses whose cosignatures verified (none is not an error here:
    `require_quorum`). With `not_after` (POSIX seconds), a verified cosignature dated later is refused
    (COSIGNATURE_TIME_IN_FUTURE; "verifiers MAY reject cosignatures with timestamps in the future")."""
    log = log_key(log_vkey)
    witnesses = [w for w in witness_verifiers(witness_vkeys) if (w.name, w.key_id) != (log.name, log.key_id)]
    try:
        note, verified = open_note(note_bytes, [log, *witnesses], check=verify_cosignature)
    except NoteError as exc:
        if exc.code != "NOTE_UNVERIFIED":
            raise
        verified = []
    if log not in verified:
        raise NoteError("LOG_SIGNATURE_MISSING", f"the checkpoint is not signed by the log key {log.name}")
    checkpoint = parse_checkpoint_text(note.text)
    if checkpoint.origin != log.name:
        raise NoteError("CHECKPOINT_ORIGIN_MISMATCH", f"the checkpoint's origin {checkpoint.origin} is not the "
                                                      f"log key's name {log.name}")
    cosigners = []
    by_id = {(w.name, w.key_id): w for w in verified if w.sig_type == COSIGNATURE_V1}
    seen = set()
    for sig in note.signatures:
        w = by_id.get((sig.name, sig.key_id))
        if w is None or w in seen:
            continue
        seen.add(w)
        timestamp = cosignature_timestamp(sig)
        if not_after is not None and timestamp > not_after:
            raise NoteError("COSIGNATURE_TIME_IN_FUTURE", f"the cosignature of {w.name} is dated after now")
        cosigners.append(Cosigner(w, timestamp))
    return CosignedCheckpoint(checkpoint, note, tuple(cosigners))


def check_quorum(opened: CosignedCheckpoint, witness_vkeys: Sequence[str | Verifier], k: int) -> None:
    """Refuse an opened checkpoint that fewer than `k` distinct trusted witnesses cosigned (QUORUM_NOT_MET); a
    quorum outside 1 .. the number of distinct witness keys given is QUORUM_INVALID."""
    if k < 1 or k > len({v.public_key for v in witness_verifiers(witness_vkeys)}):
        raise NoteError("QUORUM_INVALID", f"a quorum of {k} out of {len(witness_vkeys)} witness key(s) is not "
                                          "between 1 and the number of distinct witness keys")
    if opened.distinct_witnesses < k:
        raise NoteError("QUORUM_NOT_MET", f"{opened.distinct_witnesses} of the {k} required witnesses cosigned "
                                          f"the checkpoint at tree size {opened.checkpoint.tree_size}")


def require_quorum(note_bytes: bytes, log_vkey: str | Verifier, witness_vkeys: Sequence[str | Verifier], k: int,
                   *, not_after: int | None = None) -> CosignedCheckpoint:
    """`verified_cosigners`, then `check_quorum`."""
    opened = verified_cosigners(note_bytes, log_vkey, witness_vkeys, not_after=not_after)
    check_quorum(opened, witness_vkeys, k)
    return opened
