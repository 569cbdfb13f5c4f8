"""Raw-SQL tampering for the verify tests: the append-only triggers dropped, rows changed with typed
binds, statements stored bypassing admission, and a log rewritten so that only the intended fault is
left (leaf hashes, chain, checkpoint roots and signatures and tree state recomputed around it).

Everything goes through SQL on the ledger tables (not through Store methods other than the engine
and the operator key), so the tests stay valid while the store and the verifier change inside.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ledger.entries import ZERO_HASH, entry_hash
from ledger.merkle import Frontier, MerkleTree
from ledger.store import UTCDateTime, signed_checkpoint_columns
from ledger_helpers import LedgerEnv, cost_line, determination, ref

_TIMES = ("received_at", "created_at", "last_received_at")


def drop_append_only_triggers(store) -> None:
    """The triggers that refuse UPDATE and DELETE on entries and checkpoints (migration 0001)."""
    with store.engine.begin() as c:
        for t in ("ledger_entries", "ledger_checkpoints"):
            if store.dialect == "sqlite":
                for action in ("update", "delete"):
                    c.exec_driver_sql(f"DROP TRIGGER {t}_no_{action}")
            else:
                c.exec_driver_sql(f"DROP TRIGGER {t}_append_only ON {t}")


def execute(store, sql: str, **params):
    """One statement in its own transaction; datetimes and bytes bound with the columns' types."""
    stmt = sa.text(sql)
    for k, v in params.items():
        if isinstance(v, datetime):
            stmt = stmt.bindparams(sa.bindparam(k, type_=UTCDateTime()))
        elif isinstance(v, bytes):
            stmt = stmt.bindparams(sa.bindparam(k, type_=sa.LargeBinary()))
    with store.engine.begin() as c:
        return c.execute(stmt, params)


def select(store, sql: str, **params) -> list[dict]:
    """Rows as dicts; the time columns as aware UTC datetimes, blobs as bytes."""
    stmt = sa.text(sql).bindparams(**params) if params else sa.text(sql)
    with store.engine.connect() as c:
        rows = c.execute(stmt).mappings().all()
    out = []
    for r in rows:
        d = {}
        for k, v in r.items():
            if k in _TIMES and v is not None:
                v = UTCDateTime().process_result_value(
                    datetime.fromisoformat(v) if isinstance(v, str) else v, store.engine.dialect)
            elif isinstance(v, memoryview):
                v = bytes(v)
            d[k] = v
        out.append(d)
    return out


def entry_rows(store) -> list[dict]:
    return select(store, "SELECT * FROM ledger_entries ORDER BY seq")


def checkpoint_rows(store) -> list[dict]:
    return select(store, "SELECT * FROM ledger_checkpoints ORDER BY id")


def tree_state(store) -> dict:
    return select(store, "SELECT * FROM ledger_tree_state WHERE id = 1")[0]


def sign_checkpoint(store, cp_id: int, tree_size: int, root: bytes, created_at: datetime) -> None:
    """Set a checkpoint row to (tree_size, root, created_at), signed by the operator key in the format of
    its date (the RFC 8785 JSON or the checkpoint note, ledger/data/checkpoints.toml)."""
    cols = signed_checkpoint_columns(store.operator, store.log_origin(), tree_size, root, created_at)
    execute(store, "UPDATE ledger_checkpoints SET tree_size = :n, root_hash = :r, created_at = :t, signature = :s, "
            "note = :note WHERE id = :i", n=tree_size, r=root, t=created_at, i=cp_id, s=cols["signature"],
            note=cols["note"])


def set_tree(store, hashes: list[bytes]) -> None:
    """The tree-state row's size, head hash and frontier for the log whose entry hashes are `hashes`."""
    frontier = Frontier()
    for h in hashes:
        frontier.append(h)
    execute(store, "UPDATE ledger_tree_state SET tree_size = :n, head_hash = :h, frontier = :f WHERE id = 1",
            n=len(hashes), h=hashes[-1] if hashes else ZERO_HASH, f=frontier.to_bytes())


def rechain(store, start: int, change=None) -> list[bytes]:
    """Rewrite the log from seq `start` on as the ledger would have written it around one fault.

    Each row from `start` on gets prev_hash = the previous row's hash; `change(row, previous row)`
    may then alter the row at `start` (a dict of its columns); every leaf hash from there is
    recomputed from the row's fields, every checkpoint covering a rewritten row gets the root of the
    rewritten tree and a new operator signature, and the tree state follows.  Returns the hashes."""
    rows = entry_rows(store)
    hashes = [r["leaf_hash"] for r in rows]
    first = None
    for i, r in enumerate(rows):
        if r["seq"] < start:
            continue
        first = i if first is None else first
        r["prev_hash"] = hashes[i - 1] if i else ZERO_HASH
        if r["seq"] == start and change is not None:
            change(r, rows[i - 1] if i else None)
        hashes[i] = entry_hash(r["seq"], r["received_at"], r["prev_hash"], r["signature"], r["statement"])
        execute(store, "UPDATE ledger_entries SET received_at = :t, prev_hash = :p, leaf_hash = :h WHERE seq = :s",
                t=r["received_at"], p=r["prev_hash"], h=hashes[i], s=r["seq"])
    assert first is not None, f"no entry from seq {start} on"
    tree = MerkleTree(hashes)
    for cp in checkpoint_rows(store):
        if first < cp["tree_size"] <= len(hashes):
            sign_checkpoint(store, cp["id"], cp["tree_size"], tree.root(cp["tree_size"]), cp["created_at"])
    set_tree(store, hashes)
    return hashes


def insert_by_hand(store, signed):
    """Store a signed statement by raw SQL, bypassing admission, with a correct chain, tree state and
    checkpoint (so only what admission would have refused is wrong); returns (seq, the old state)."""
    from ledger.store import checkpoints as cp_table, entries as entries_table, tree_state as ts_table

    state = store.tree_state()
    d = json.loads(signed.statement)
    seq, at = state.tree_size, state.last_received_at
    h = entry_hash(seq, at, state.head_hash, signed.signature, signed.statement)
    frontier = Frontier.from_bytes(state.tree_size, state.frontier)
    frontier.append(h)
    with store.engine.begin() as c:
        c.execute(entries_table.insert().values(seq=seq, received_at=at, prev_hash=state.head_hash, leaf_hash=h,
                                                kind=d["kind"], author=d["author"], key_id=d["key_id"],
                                                idempotency_key=d["idempotency_key"], client=d["client"],
                                                statement=signed.statement, signature=signed.signature))
        c.execute(cp_table.insert().values(tree_size=seq + 1, root_hash=frontier.root(), created_at=at,
                                           key_id=store.operator.key_id,
                                           **signed_checkpoint_columns(store.operator, store.log_origin(), seq + 1,
                                                                       frontier.root(), at)))
        c.execute(ts_table.update().values(tree_size=seq + 1, head_hash=h, frontier=frontier.to_bytes(),
                                           checkpoint_size=seq + 1))
    return seq, state


def remove_by_hand(store, seq, state) -> None:
    """Undo insert_by_hand."""
    from ledger.store import tree_state as ts_table

    with store.engine.begin() as c:
        c.exec_driver_sql(f"DELETE FROM ledger_entries WHERE seq = {seq}")
        c.exec_driver_sql(f"DELETE FROM ledger_checkpoints WHERE tree_size = {seq + 1}")
        c.execute(ts_table.update().values(tree_size=state.tree_size, head_hash=state.head_hash,
                                           frontier=state.frontier, checkpoint_size=state.checkpoint_size))


@dataclass
class SmallLog:
    env: LedgerEnv
    det: int  # the determination; the key entries are the seqs before it (checkpoint A)
    batch: range  # six cost lines of one batch (checkpoint B after them)
    singles: range  # six cost lines appended one by one (checkpoint C after them)

    @property
    def store(self):
        return self.env.store

    @property
    def size(self) -> int:
        return self.singles.stop

    def line(self, units: int) -> dict:
        """A cost line by GM0166 borne by GM0193, resting on the determination naming GM0193, from its
        reference date on."""
        row = entry_rows(self.store)[self.det]
        return cost_line(units=units, determination={"seq": self.det, "entry_hash": row["leaf_hash"].hex()},
                         period_from="2026-01-01")


def build_small_log(url, schema, keys, *, checkpoint_keys: bool = True) -> SmallLog:
    """The key entries LedgerEnv makes (the operator's and the parties'), checkpoint A (unless not
    `checkpoint_keys`); a determination by GM0166 naming GM0193, its acceptance, one batch of six cost
    lines resting on it, checkpoint B; six such cost lines appended one by one, checkpoint C.  With
    LedgerEnv's keys at HEAD: 20 entries.  The append-only triggers are dropped."""
    e = LedgerEnv.create(url, schema, keys, checkpoint_on_append=False)
    if checkpoint_keys:
        e.store.checkpoint()  # A
    det = e.append("GM0166", "determination", determination(addressee="GM0193", reference_date="2026-01-01"))
    e.append("GM0193", "acceptance", {"determination": ref(det)})
    log = SmallLog(e, det.seq, range(det.seq + 2, det.seq + 8), range(det.seq + 8, det.seq + 14))
    e.store.append_batch([e.sign("GM0166", "cost_line", log.line(1 + i)).as_item() for i in log.batch])
    e.store.checkpoint()  # B
    for i in log.singles:
        e.append("GM0166", "cost_line", log.line(1 + i))
    e.store.checkpoint()  # C
    sizes = [det.seq] * checkpoint_keys + [log.batch.stop, log.size]
    assert [c["tree_size"] for c in checkpoint_rows(e.store)] == sizes
    drop_append_only_triggers(e.store)
    return log
