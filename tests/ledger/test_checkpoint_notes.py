"""Checkpoints as C2SP signed notes (issue 15), on SQLite and PostgreSQL: the notes the store signs, the
origin, the dated format change (a ledger with RFC 8785 JSON checkpoints before note_from and notes after
it verifies, and so do its bundles), the proofs of ledger/proofs.py and a bundle's consistency proof
from the party's previous checkpoint in either format."""
import base64
import json
from datetime import timedelta

import pytest

from ledger import service
from ledger.bundle import verify_bundle_file
from ledger.checkpoints import (log_verifier, note_from, open_checkpoint_note, read_checkpoint,
                                sign_checkpoint_note)
from ledger.errors import (CHECKPOINT_FORMAT_INVALID, CHECKPOINT_ORIGIN_MISMATCH, CHECKPOINT_SIGNATURE_INVALID,
                           CONSISTENCY_PROOF_INVALID, LOG_ORIGIN_MISMATCH, PROOF_RANGE_INVALID, LedgerError)
from ledger.merkle import verify_consistency, verify_inclusion
from ledger.note import NoteError, parse_note
from ledger.proofs import consistency_proof, inclusion_proof
from ledger.store import Store
from ledger.verify import verify_store
from ledger_helpers import LedgerEnv, cost_line
from tamper_helpers import drop_append_only_triggers, execute


class Clock:
    """A clock the test sets: the store receives and checkpoints at `now`, statements are authored then."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def _lines(env, n, clock, fronting="GM0166", bearer="GM0193"):
    for i in range(n):
        env.store.append(*env.sign(fronting, "cost_line", cost_line(fronting=fronting, bearer=bearer, units=1 + i),
                                   authored_at=clock()).as_item())


@pytest.fixture
def mixed(backend, tmp_path):
    """A ledger written an hour before note_from (JSON checkpoints) and then an hour after it (notes)."""
    clock = Clock(note_from() - timedelta(hours=1))
    env = LedgerEnv.create(backend[0], backend[1], tmp_path / "keys", clock=clock)
    _lines(env, 3, clock)
    yield env, clock
    env.store.dispose()


def test_a_new_ledger_signs_notes_that_the_log_key_opens(env):
    store = env.store
    cps = store.checkpoints()
    assert cps and all(cp.note is not None for cp in cps)
    genesis = store.rows_where()[0].leaf_hash
    assert store.origin() == f"bwledger.local/{genesis.hex()[:16]}" == store.log_origin()
    note = service.checkpoint_note(store)
    assert note == cps[-1].note
    text, opened = open_checkpoint_note(note, service.log_vkey(store))
    assert (text.origin, text.tree_size, text.root_hash) == (store.origin(), cps[-1].tree_size, cps[-1].root_hash)
    assert [s.name for s in opened.signatures] == [store.origin()]
    assert note.decode().splitlines()[:2] == [store.origin(), str(store.size())]
    assert verify_store(store).ok


def test_the_origin_is_stored_once_and_a_setting_cannot_change_it(env, backend):
    store = env.store
    other = Store(backend[0], schema=backend[1], operator=store.operator, origin="example.nl/bwledger")
    try:
        _lines(env, 1, store.clock)
        with pytest.raises(LedgerError) as e:
            other.append(*env.sign("GM0166", "cost_line", cost_line(units=4)).as_item())
        assert e.value.code == LOG_ORIGIN_MISMATCH
        assert other.size() == store.size()  # the whole batch refused with its checkpoint
    finally:
        other.dispose()


def test_a_configured_origin_is_the_one_notes_name(backend, tmp_path):
    env = LedgerEnv.create(backend[0], backend[1], tmp_path / "keys", origin="grootboek.example.nl/bw")
    try:
        assert env.store.origin() == "grootboek.example.nl/bw"
        assert service.checkpoint_note(env.store).startswith(b"grootboek.example.nl/bw\n")
        assert service.log_vkey(env.store).startswith("grootboek.example.nl/bw+")
    finally:
        env.store.dispose()


def test_a_ledger_of_json_checkpoints_then_notes_verifies(mixed):
    env, clock = mixed
    store = env.store
    before = store.checkpoints()
    assert before and all(cp.note is None for cp in before) and store.origin() is None
    assert verify_store(store).ok
    clock.now = note_from() + timedelta(hours=1)
    with pytest.raises(LedgerError):
        service.checkpoint_note(store)  # reads only
    # the first checkpoint from note_from on is a note, also of a tree the last JSON checkpoint covered: what
    # `ledger init` (and the server's start) signs
    service.init_ledger(store.url, env.keys_dir, schema=store.schema, clock=clock).dispose()
    note = service.checkpoint_note(store)
    assert store.checkpoints()[-1].tree_size == before[-1].tree_size
    _lines(env, 2, clock)
    after = store.checkpoints()[len(before):]
    assert after and all(cp.note is not None for cp in after)
    assert open_checkpoint_note(note, service.log_vkey(store))[0].tree_size == before[-1].tree_size
    report = verify_store(store)
    assert report.ok, report.problems
    assert report.checkpoints == len(before) + len(after)


def _tamper(store):
    drop_append_only_triggers(store)
    return store.checkpoints()[-1]


def test_a_json_checkpoint_dated_from_note_from_on_is_refused(env):
    store = env.store
    cp = _tamper(store)
    from ledger.entries import checkpoint_body
    execute(store, "UPDATE ledger_checkpoints SET note = NULL, signature = :s WHERE id = :i", i=cp.id,
            s=store.operator.sign(checkpoint_body(cp.tree_size, cp.root_hash, cp.created_at)))
    problems = verify_store(store).problems
    assert [(p.code, p.checkpoint_id) for p in problems] == [(CHECKPOINT_FORMAT_INVALID, cp.id)]


def test_a_note_of_another_origin_is_refused(env):
    store = env.store
    cp = _tamper(store)
    note = sign_checkpoint_note(store.operator, "elders.example/log", cp.tree_size, cp.root_hash)
    execute(store, "UPDATE ledger_checkpoints SET note = :n, signature = :s WHERE id = :i", i=cp.id, n=note,
            s=parse_note(note).signatures[0].signature)
    problems = verify_store(store).problems
    assert [(p.code, p.checkpoint_id) for p in problems] == [(CHECKPOINT_ORIGIN_MISMATCH, cp.id)]


def test_a_note_with_an_extra_line_is_not_its_row(env):
    store = env.store
    cp = _tamper(store)
    execute(store, "UPDATE ledger_checkpoints SET note = :n WHERE id = :i", i=cp.id,
            n=cp.note.replace(b"=\n\n", b"=\nextra\n\n", 1))
    codes = {(p.code, p.checkpoint_id) for p in verify_store(store).problems}
    assert (CHECKPOINT_FORMAT_INVALID, cp.id) in codes


def test_proofs_verify_and_ranges_are_refused(env):
    store = env.store
    _lines(env, 7, store.clock)
    n = store.latest_checkpoint().tree_size
    for old in range(1, n + 1):
        p = consistency_proof(store, old, n)
        assert verify_consistency(old, n, p.proof, p.old_root, p.new_root)
    root = store.latest_checkpoint().root_hash
    assert consistency_proof(store, 1).new_root == root
    for seq in range(n):
        p = inclusion_proof(store, seq)
        assert p.root == root and verify_inclusion(seq, n, p.leaf_hash, p.proof, root)
    for bad in [(0, n), (2, 1), (1, n + 1)]:
        with pytest.raises(LedgerError) as e:
            consistency_proof(store, *bad)
        assert e.value.code == PROOF_RANGE_INVALID
    with pytest.raises(LedgerError) as e:
        inclusion_proof(store, n)
    assert e.value.code == PROOF_RANGE_INVALID


def _export(store, path, since=None):
    from datetime import date
    today = store.clock().date()
    return service.export_bundle(store, "GM0166", date(2026, 1, 1), today + timedelta(days=1), path, since=since)


def test_bundle_carries_the_note_and_a_consistency_proof_from_an_old_json_checkpoint(mixed, tmp_path):
    env, clock = mixed
    store = env.store
    old_bundle = tmp_path / "old.json"
    _export(store, old_bundle)
    assert "note" not in json.loads(old_bundle.read_text())["checkpoint"]
    assert verify_bundle_file(old_bundle).ok  # a bundle of JSON checkpoints stays verifiable
    clock.now = note_from() + timedelta(hours=1)
    _lines(env, 4, clock)
    new_bundle = tmp_path / "new.json"
    _export(store, new_bundle, since=read_checkpoint(old_bundle.read_bytes()))
    doc = json.loads(new_bundle.read_text())
    assert doc["checkpoint"]["note"].encode() == store.latest_checkpoint_note()
    assert doc["since"]["checkpoint"]["tree_size"] == json.loads(old_bundle.read_text())["checkpoint"]["tree_size"]
    report = verify_bundle_file(new_bundle)
    assert report.ok, report.problems
    assert report.since_size == doc["since"]["checkpoint"]["tree_size"]
    # and from a note: the newest checkpoint so far, then more entries
    note_file = tmp_path / "checkpoint.txt"
    note_file.write_bytes(store.latest_checkpoint_note())
    _lines(env, 2, clock)
    _export(store, new_bundle, since=read_checkpoint(note_file.read_bytes()))
    assert verify_bundle_file(new_bundle).ok
    # a changed proof element, or a proof left out: the log does not extend the previous checkpoint
    doc = json.loads(new_bundle.read_text())
    proof = doc["since"]["consistency_proof"]
    proof[0] = ("0" if proof[0][0] != "0" else "1") + proof[0][1:]
    new_bundle.write_text(json.dumps(doc))
    assert [p.code for p in verify_bundle_file(new_bundle).problems] == [CONSISTENCY_PROOF_INVALID]


def test_a_previous_checkpoint_the_log_never_showed_is_refused_on_export_and_on_verify(env, tmp_path):
    store = env.store
    _lines(env, 3, store.clock)
    cp = store.latest_checkpoint()
    forged_root = bytes(32)
    forged = sign_checkpoint_note(store.operator, store.origin(), cp.tree_size, forged_root)  # a split view
    with pytest.raises(LedgerError) as e:
        _export(store, tmp_path / "b.json", since=read_checkpoint(forged))
    assert e.value.code == CONSISTENCY_PROOF_INVALID
    # written into a bundle by hand, verify names it
    _lines(env, 1, store.clock)
    path = tmp_path / "b.json"
    _export(store, path, since=read_checkpoint(cp.note))
    doc = json.loads(path.read_text())
    doc["since"]["checkpoint"] = {"note": forged.decode()}
    path.write_text(json.dumps(doc))
    assert [p.code for p in verify_bundle_file(path).problems] == [CONSISTENCY_PROOF_INVALID]
    # a note signed by someone else's key
    from ledger.crypto import new_signer
    doc["since"]["checkpoint"] = {"note": sign_checkpoint_note(new_signer("OPERATOR"), store.origin(), cp.tree_size,
                                                               cp.root_hash).decode()}
    path.write_text(json.dumps(doc))
    assert [p.code for p in verify_bundle_file(path).problems] == [CHECKPOINT_SIGNATURE_INVALID]


def test_a_bundle_whose_fields_are_not_its_notes_tree_is_refused(env, tmp_path):
    store = env.store
    path = tmp_path / "b.json"
    _export(store, path)
    doc = json.loads(path.read_text())
    doc["checkpoint"]["tree_size"] += 1
    path.write_text(json.dumps(doc))
    assert CHECKPOINT_SIGNATURE_INVALID in {p.code for p in verify_bundle_file(path).problems}


def test_read_checkpoint_refuses_what_is_no_checkpoint():
    for data in (b"{}", b"[1]", b"not a note", b'{"tree_size": -1}', base64.b64encode(b"x")):
        with pytest.raises(NoteError):
            read_checkpoint(data)
    key = log_verifier("a.example/log", bytes(32))
    assert key.vkey().startswith("a.example/log+")


def test_a_replaced_database_is_not_answered_from_the_kept_tree(backend, tmp_path):
    """The tree kept for proofs belongs to the log whose newest checkpoint root it has: a ledger made anew at
    the same address (a restore, another log) gets proofs of its own tree."""
    first = LedgerEnv.create(backend[0], backend[1], tmp_path / "keys")
    _lines(first, 3, first.store.clock)
    n = first.store.latest_checkpoint().tree_size
    assert consistency_proof(first.store, 1, n).new_root == first.store.latest_checkpoint().root_hash
    first.store.dispose()
    if backend[1] is None:
        (tmp_path / "ledger.db").unlink()
    else:
        import sqlalchemy as sa
        from ledger_helpers import PG_URL
        engine = sa.create_engine(PG_URL)
        with engine.begin() as c:
            c.exec_driver_sql(f"DROP SCHEMA {backend[1]} CASCADE")
            c.exec_driver_sql(f"CREATE SCHEMA {backend[1]}")
        engine.dispose()
    second = LedgerEnv.create(backend[0], backend[1], tmp_path / "keys2")
    try:
        _lines(second, 2, second.store.clock)
        cp = second.store.latest_checkpoint()
        p = consistency_proof(second.store, 1, cp.tree_size)
        assert p.new_root == cp.root_hash and verify_consistency(1, cp.tree_size, p.proof, p.old_root, p.new_root)
    finally:
        second.store.dispose()
