"""The operator's cosigned checkpoints: the witnesses' cosignatures of its checkpoint notes, collected per
C2SP tlog-witness, and the note served with them.

`collect_latest(store, witnesses, post)` sends the newest checkpoint note to each witness (ledger/witness.py
`collect`, with the consistency proof from the size each one last cosigned, as the store remembers it)
and stores the cosignature lines that verify (table `ledger_cosignatures`, migration 0013, read and
written by ledger/store.py). `cosigned_note(store, note)` is a note with the lines of its tree size appended,
`cosigned_checkpoint_note(store)` the newest one so (`GET /v1/checkpoint`, bundles). The HTTP transport is the caller's
(api/bootstrap.py `witness_collector`); nothing here knows of a network.
"""
from __future__ import annotations

from collections.abc import Sequence

from .checkpoints import parse_checkpoint_text
from .note import NoteSignature, parse_note, parse_signature_lines
from .proofs import consistency_proof
from .service import checkpoint_note
from .store import Store
from .witness import CollectResult, Post, WitnessEndpoint, collect, with_cosignatures

__all__ = [
    "collect_latest",
    "cosignature_lines",
    "cosigned_checkpoint_note",
    "cosigned_note",
    "record_cosignatures",
]


def record_cosignatures(store: Store, note_bytes: bytes, lines: Sequence[NoteSignature]) -> int:
    """Keep the cosignature lines of a checkpoint note (verified by the caller: `collect` keeps only those);
    a witness's later line for the same size replaces nothing (the first stays). How many were new."""
    cp = parse_checkpoint_text(parse_note(note_bytes).text)
    return store.add_cosignatures(cp.tree_size, cp.root_hash, [(s.name, s.key_id.hex(), s.line()) for s in lines])


def cosignature_lines(store: Store, tree_size: int, root_hash: bytes) -> list[NoteSignature]:
    """The stored cosignature lines of the checkpoint (tree_size, root_hash), in the order they arrived."""
    return [parse_signature_lines(line.encode())[0] for line in store.cosignature_lines(tree_size, root_hash)]


def cosigned_note(store: Store, note_bytes: bytes) -> bytes:
    """The checkpoint note with the cosignatures collected for it appended (the note as it is when none were)."""
    cp = parse_checkpoint_text(parse_note(note_bytes).text)
    lines = cosignature_lines(store, cp.tree_size, cp.root_hash)
    return with_cosignatures(note_bytes, lines) if lines else note_bytes


def collect_latest(store: Store, witnesses: Sequence[WitnessEndpoint], post: Post) -> CollectResult | None:
    """Ask every witness to cosign the newest checkpoint note and store what they give; None when the log has
    no checkpoint note yet. The consistency proofs are ledger/proofs.py's."""
    note_bytes = store.latest_checkpoint_note()
    if note_bytes is None or not witnesses:
        return None

    def proof_for(old: int, new: int) -> list[bytes]:
        return consistency_proof(store, old, new).proof

    result = collect(note_bytes, witnesses, proof_for, post, store.witness_sizes())
    if result.lines:
        record_cosignatures(store, note_bytes, result.lines)
    return result


def cosigned_checkpoint_note(store: Store) -> bytes:
    """The newest checkpoint note with the witnesses' cosignatures collected for it (`GET /v1/checkpoint`,
    bundles): ledger.service.checkpoint_note, then `cosigned_note`."""
    return cosigned_note(store, checkpoint_note(store))
