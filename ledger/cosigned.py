"""The operator's cosigned checkpoints: the witnesses' cosignatures of its checkpoint notes, collected per
C2SP tlog-witness and kept in `ledger_cosignatures` (migration 0010), and the note served with them.

`collect_latest(store, witnesses, post)` sends the newest checkpoint note to each witness (ledger/witness.py
`collect`, with the consistency proof from the size each one last cosigned, as this table remembers it)
and stores the cosignature lines that verify. `cosigned_note(store)` is the newest note with the lines of
its tree size appended (`GET /v1/checkpoint`, bundles). The HTTP transport is the caller's
(api/bootstrap.py `witness_collector`); nothing here knows of a network.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from .checkpoints import parse_checkpoint_text
from .merkle import MerkleTree
from .note import NoteSignature, parse_note
from .service import checkpoint_note
from .store import Store, UTCDateTime
from .witness import CollectResult, Post, WitnessEndpoint, collect, with_cosignatures

__all__ = ["cosignatures", "record_cosignatures", "cosignature_lines", "cosigned_note", "cosigned_checkpoint_note",
           "known_sizes",
           "collect_latest"]

metadata = sa.MetaData()
cosignatures = sa.Table(
    "ledger_cosignatures", metadata,
    sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("witness", sa.String(200), primary_key=True),
    sa.Column("key_id", sa.String(8), primary_key=True),
    sa.Column("root_hash", sa.LargeBinary, nullable=False),
    sa.Column("line", sa.Text, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
)


def record_cosignatures(store: Store, note_bytes: bytes, lines: Sequence[NoteSignature]) -> int:
    """Keep the cosignature lines of a checkpoint note (verified by the caller: `collect` keeps only those);
    a witness's later line for the same size replaces nothing (the first stays). How many were new."""
    cp = parse_checkpoint_text(parse_note(note_bytes).text)
    new = 0
    with store.engine.begin() as conn:
        have = {(r.witness, r.key_id) for r in conn.execute(
            sa.select(cosignatures.c.witness, cosignatures.c.key_id).where(cosignatures.c.tree_size == cp.tree_size))}
        for line in lines:
            if (line.name, line.key_id.hex()) in have:
                continue
            conn.execute(cosignatures.insert().values(tree_size=cp.tree_size, witness=line.name,
                                                      key_id=line.key_id.hex(), root_hash=cp.root_hash,
                                                      line=line.line(), received_at=store.clock()))
            have.add((line.name, line.key_id.hex()))
            new += 1
    return new


def cosignature_lines(store: Store, tree_size: int, root_hash: bytes) -> list[NoteSignature]:
    """The stored cosignature lines of the checkpoint (tree_size, root_hash), in the order they arrived."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(cosignatures.c.line, cosignatures.c.root_hash)
                            .where(cosignatures.c.tree_size == tree_size)
                            .order_by(cosignatures.c.received_at, cosignatures.c.witness)).all()
    return [parse_note(b"x\n\n" + r.line.encode()).signatures[0] for r in rows if bytes(r.root_hash) == root_hash]


def cosigned_note(store: Store, note_bytes: bytes) -> bytes:
    """The checkpoint note with the cosignatures collected for it appended (the note as it is when none were)."""
    cp = parse_checkpoint_text(parse_note(note_bytes).text)
    lines = cosignature_lines(store, cp.tree_size, cp.root_hash)
    return with_cosignatures(note_bytes, lines) if lines else note_bytes


def known_sizes(store: Store) -> dict[str, int]:
    """Per witness (key name), the largest tree size it cosigned for this operator: the old size to send it."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(cosignatures.c.witness, sa.func.max(cosignatures.c.tree_size))
                            .group_by(cosignatures.c.witness)).all()
    return {r[0]: int(r[1]) for r in rows}


def collect_latest(store: Store, witnesses: Sequence[WitnessEndpoint], post: Post) -> CollectResult | None:
    """Ask every witness to cosign the newest checkpoint note and store what they give; None when the log has
    no checkpoint note yet. The consistency proofs come from the store's own leaves."""
    note_bytes = store.latest_checkpoint_note()
    if note_bytes is None or not witnesses:
        return None
    size = parse_checkpoint_text(parse_note(note_bytes).text).tree_size
    tree: list[MerkleTree] = []

    def proof_for(old: int, new: int) -> list[bytes]:
        if not tree:
            tree.append(MerkleTree(store.leaf_hashes(size)))
        return tree[0].consistency_proof(old, new)

    result = collect(note_bytes, witnesses, proof_for, post, known_sizes(store))
    if result.lines:
        record_cosignatures(store, note_bytes, result.lines)
    return result


def cosigned_checkpoint_note(store: Store) -> bytes:
    """The newest checkpoint note with the witnesses' cosignatures collected for it (`GET /v1/checkpoint`,
    bundles): ledger.service.checkpoint_note, then `cosigned_note`."""
    return cosigned_note(store, checkpoint_note(store))
