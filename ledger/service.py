"""Service functions the CLI and the HTTP API call.  No settings are read here: callers pass the
database URL and the keys directory (api.settings provides them)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from .crypto import Signer, find_signers, load_signer, new_signer, save_signer
from .entries import OPERATOR, PARTY_RE, Payload, make_statement
from .errors import KEY_NOT_VALID, NOT_INITIALISED, LedgerError
from .store import AppendResult, CheckpointRow, EntryRow, Store, utcnow

__all__ = [
    "AppendResult",
    "SignedStatement",
    "checkpoint",
    "checkpoint_due",
    "checkpoint_note",
    "checkpoint_if_due",
    "export_bundle",
    "init_ledger",
    "log_vkey",
    "open_ledger",
    "party_entries",
    "party_signer",
    "record",
    "record_batch",
    "record_groups",
    "register_key",
    "revoke_key",
    "rotate_key",
    "sign_statement",
    "submit_key_action",
    "upgrade_schema",
    "verify_bundle_file",
    "verify_ledger",
]


@dataclass(frozen=True)
class SignedStatement:
    statement: bytes
    signature: bytes

    def as_item(self) -> tuple[bytes, bytes]:
        return (self.statement, self.signature)


def sign_statement(signer: Signer, kind: str, payload: dict[str, Any] | Payload, *, idempotency_key: str,
                   client: str | None = None, authored_at: datetime | None = None) -> SignedStatement:
    """Build the canonical statement for `signer.party` and sign it."""
    raw = make_statement(kind=kind, author=signer.party, key_id=signer.key_id, payload=payload,
                         idempotency_key=idempotency_key, authored_at=authored_at or utcnow(), client=client)
    return SignedStatement(raw, signer.sign(raw))


def _load_operator(keys_dir: Path) -> Signer | None:
    files = find_signers(Path(keys_dir), OPERATOR)
    return load_signer(files[0], OPERATOR) if files else None


def open_ledger(database_url: str, keys_dir: Path | None = None, *, schema: str | None = None,
                operator: Signer | None = None, **store_options: Any) -> Store:
    """A Store; with the operator key `operator` (e.g. ledger.signers.CommandSigner: an HSM), else the one in
    `keys_dir` when there is one (needed for checkpoints)."""
    if operator is None and keys_dir is not None:
        operator = _load_operator(keys_dir)
    return Store(database_url, schema=schema, operator=operator, **store_options)


def init_ledger(database_url: str, keys_dir: Path, *, schema: str | None = None,
                operator: Signer | None = None, **store_options: Any) -> Store:
    """Create the schema (Alembic) and, on an empty ledger, the operator key and its genesis entry.

    The operator's private key is written under `keys_dir` with mode 0600; an existing one is reused.
    """
    keys_dir = Path(keys_dir)
    store = Store(database_url, schema=schema, **store_options)
    store.migrate()
    operator = operator or _load_operator(keys_dir)
    if operator is None:
        operator = new_signer(OPERATOR)
        save_signer(keys_dir, operator)
    store.operator = operator
    if store.size() == 0:  # the genesis entry: the first operator key registers itself
        from .keystatements import registration

        now = store.clock()
        store.append(*registration(operator, OPERATOR, operator.public_key, valid_from=now - timedelta(seconds=1),
                                   authored_at=now).as_item())
    elif store.registry().public_key(operator.key_id) is None:
        raise LedgerError(KEY_NOT_VALID, "the operator key in the keys directory is not registered in this ledger")
    elif store.latest_checkpoint_note() is None:
        # from note_from on (ledger/data/checkpoints.toml) a ledger whose newest checkpoint is RFC 8785 JSON gets
        # a note of its tree now, so a witness has one to read before the next entry (Store.checkpoint)
        store.checkpoint()
    return store


@dataclass(frozen=True)
class SchemaUpgrade:
    """What `upgrade_schema` did: the revision before (None: an empty database) and after, and the
    migrations it ran, oldest first (none when the database was already at the newest)."""
    before: str | None
    after: str | None
    applied: list[str]


def upgrade_schema(database_url: str, *, schema: str | None = None) -> SchemaUpgrade:
    """Migrate the database's ledger tables to the newest revision (Alembic, ledger/migrations); nothing else:
    no operator key, no genesis entry (init_ledger does those)."""
    from .store import schema_revisions

    store = Store(database_url, schema=schema)
    try:
        before = store.schema_revision()
        store.migrate()
        after = store.schema_revision()
    finally:
        store.dispose()
    order = schema_revisions()
    start = order.index(before) + 1 if before in order else 0
    return SchemaUpgrade(before, after, order[start:order.index(after) + 1] if after in order else [])


def register_key(store: Store, signer: Signer, *, valid_from: datetime | None = None,
                 valid_until: datetime | None = None, by: Signer | None = None) -> AppendResult:
    """Register `signer`'s public key for its party; signed by the operator (or `by`: refused unless
    it is the operator, from the admission rules of 2026-12 on). The statements are those of
    ledger/keystatements.py, which a party's client signs the same way."""
    from .keystatements import registration

    by = by or store.operator
    if by is None:
        raise LedgerError(NOT_INITIALISED, "no operator key to register party keys")
    now = store.clock()
    st = registration(by, signer.party, signer.public_key, valid_from=valid_from or now, valid_until=valid_until,
                      authored_at=now)
    return store.append(*st.as_item())


def rotate_key(store: Store, old: Signer, new: Signer, *, by: Signer | None = None) -> AppendResult:
    """Replace `old` by `new` from now on; signed by the old key itself (or `by`, the operator)."""
    from .keystatements import rotation

    st = rotation(old, new.public_key, authored_at=store.clock(), signer=by)
    return store.append(*st.as_item())


def revoke_key(store: Store, party: str, key_id: str, reason: str, *, by: Signer) -> AppendResult:
    """Revoke a key from now on; signed by the party or the operator."""
    from .keystatements import revocation

    return store.append(*revocation(by, party, key_id, reason, authored_at=store.clock()).as_item())


def submit_key_action(store: Store, kind: str, key_id: str | None, signed: SignedStatement) -> AppendResult:
    """A key registration, rotation or revocation submitted as its own action (the key endpoints):
    refused with KEY_ACTION_MISMATCH unless it is that kind of statement about `key_id`, then appended
    like every other entry (admission is the check)."""
    from .keystatements import key_action_problem

    err = key_action_problem(kind, key_id, signed.statement)
    if err:
        raise err
    return store.append(*signed.as_item())


def party_signer(store: Store, keys_dir: Path, party: str) -> Signer:
    """The DEMO keystore (BWLEDGER_HOME/keys): the key of `party`, loaded, or created (mode 0600) and
    registered by the operator. Only `bwledger demo` and the tests use it: in a real deployment every
    party holds its own key (`bwledger keys new`) and the server holds no party's private key."""
    if not PARTY_RE.match(party):
        raise ValueError(f"not a party: {party!r}")
    found = stored_party_signer(store, keys_dir, party)
    if found is not None:
        return found
    signer = new_signer(party)
    save_signer(Path(keys_dir), signer)
    register_key(store, signer)
    return signer


def stored_party_signer(store: Store, keys_dir: Path, party: str) -> Signer | None:
    """A registered key of `party` already in `keys_dir` (the demo keystore), or None; never makes one."""
    registry = store.registry()
    for path in find_signers(Path(keys_dir), party):
        signer = load_signer(path, party)
        if registry.public_key(signer.key_id) is not None:
            return signer
    return None


def determination_payload(det: Any, reference_date: date) -> dict[str, Any]:
    """The N3 payload of an engine determination (rules.engine.Determination): its digests, versions,
    outcome and flags, addressed to its cost bearer. The one mapping from the engine's result to the
    ledger's `determination` kind (ledger/entries.py); the demo and the tests record through it."""
    return {"determination_id": det.case_id, "determination_digest": det.digest, "input_digest": det.input_digest,
            "ruleset_version": det.ruleset_version, "context_version": det.context_digest,
            "reference_date": reference_date.isoformat(),
            "outcome": {"cost_bearer": det.cost_bearer, "budget": det.budget, "client_class": det.klass,
                        "new_client": det.new_client, "statutory_college": det.legal_college,
                        "entry_kind": det.entry},
            "flags": list(det.flag_names), "provisional": det.provisional, "addressee": det.cost_bearer}


def record(store: Store, signer: Signer, kind: str, payload: dict[str, Any] | Payload, *,
           idempotency_key: str, client: str | None = None) -> AppendResult:
    """Sign and append one entry (a determination, notice, cost line ...)."""
    st = sign_statement(signer, kind, payload, idempotency_key=idempotency_key, client=client)
    return store.append(*st.as_item())


def record_batch(store: Store, items: Sequence[SignedStatement]) -> list[AppendResult]:
    """Append signed statements in one transaction (all or nothing), one checkpoint at the end."""
    return store.append_batch([i.as_item() for i in items])


def record_groups(store: Store, groups: Sequence[Sequence[SignedStatement]],
                  also: Callable[[Any, dict[int, list[AppendResult]]], None] | None = None
                  ) -> list[list[AppendResult] | LedgerError]:
    """Append several submissions (each a batch of its own, all or nothing) in one transaction, in order;
    per submission its results, or the LedgerError that refuses it alone (its `index` within that
    submission). The outcome is that of appending them one after another: admission stops at the first
    refused statement, so a submission is refused only where the ones before it were admitted; the
    refused one is left out and the others are appended again, in one transaction, until none is refused.
    A refusal that names no statement (`index` None: e.g. the ledger is not initialised) is every one's.
    `also(conn, appended)`: the caller's writes in the transaction that appends them (Store.append_batch),
    given the results of each submission in it by its index in `groups`."""
    out: list[list[AppendResult] | LedgerError | None] = [None] * len(groups)
    pending = [g for g, items in enumerate(groups) if items]
    for g, items in enumerate(groups):
        if not items:
            out[g] = []
    while pending:
        flat: list[tuple[bytes, bytes]] = []
        starts: list[int] = []
        for g in pending:
            starts.append(len(flat))
            flat += [i.as_item() for i in groups[g]]
        def by_group(results: list[AppendResult], pending=tuple(pending), starts=tuple(starts)
                     ) -> dict[int, list[AppendResult]]:
            return {g: results[starts[k]:starts[k] + len(groups[g])] for k, g in enumerate(pending)}

        hook = None if also is None else (lambda conn, results, by_group=by_group: also(conn, by_group(results)))
        try:
            results = store.append_batch(flat, also=hook)
        except LedgerError as exc:
            if exc.index is None or not 0 <= exc.index < len(flat):
                for g in pending:
                    out[g] = exc
                break
            k = max(n for n, start in enumerate(starts) if start <= exc.index)
            out[pending[k]] = LedgerError(exc.code, exc.message, seq=exc.seq, index=exc.index - starts[k])
            del pending[k]
            continue
        for g, mine in by_group(results).items():
            out[g] = mine
        break
    return out  # type: ignore[return-value]


def checkpoint(store: Store) -> CheckpointRow | None:
    """Sign a checkpoint now if entries were added since the last one (for a timer or a command's end);
    None, and nothing written, when there is nothing new."""
    return store.checkpoint()


def log_vkey(store: Store) -> str:
    """The operator's note verifier key (C2SP signed-note "Verifier keys": `<origin>+<key ID>+<key>`), what a
    witness or an auditor pins to check the log's checkpoints: the origin stored in the ledger (or the one
    its first checkpoint note will name) and the operator's current key (its own signer, else the key of
    the newest checkpoint)."""
    from .checkpoints import log_verifier

    public_key = store.operator.public_key if store.operator is not None else None
    if public_key is None:
        cp = store.latest_checkpoint()
        public_key = None if cp is None else store.registry().public_key(cp.key_id)
    if public_key is None:
        raise LedgerError(NOT_INITIALISED, "no operator key and no checkpoint: the log has no verifier key yet")
    return log_verifier(store.log_origin(), public_key).vkey()


def checkpoint_note(store: Store) -> bytes:
    """The newest checkpoint note, exactly as signed (GET /v1/checkpoint). Reads only: a ledger whose newest
    checkpoint is an RFC 8785 JSON one gets its first note from `init_ledger` (`bwledger ledger init`, the
    server's start) or its next checkpoint."""
    note = store.latest_checkpoint_note()
    if note is None:
        raise LedgerError(NOT_INITIALISED, "the log has no checkpoint note yet (run `bwledger ledger init`)")
    return note


def checkpoint_due(store: Store, *, max_entries: int = 1000, max_seconds: float = 5.0,
                   now: datetime | None = None) -> bool:
    """True when entries wait for a checkpoint and either `max_entries` of them wait or the first of
    them was received `max_seconds` ago or more.  Reads only; for a timer (see checkpoint_if_due)."""
    pending, first = store.pending_checkpoint()
    if pending <= 0:
        return False
    if pending >= max_entries or first is None:
        return True
    return ((now or utcnow()) - first).total_seconds() >= max_seconds


def checkpoint_if_due(store: Store, *, max_entries: int = 1000, max_seconds: float = 5.0,
                      now: datetime | None = None) -> CheckpointRow | None:
    """What the server's timer calls every second or so: a checkpoint when checkpoint_due(), else None.
    Safe to call from several processes: the store serialises checkpoints and skips one when nothing
    is new."""
    if not checkpoint_due(store, max_entries=max_entries, max_seconds=max_seconds, now=now):
        return None
    return store.checkpoint()


def verify_ledger(store: Store, *, workers: int | None = None, deep: bool = False,
                  record_on: Store | None = None):
    """Verify the whole store; returns a VerifyReport listing every problem.

    Always: sequence, leaf hashes, chain, received_at order, columns against statements, every
    signature under the key valid at that time, client rule, entitlements, references, key entries,
    idempotency keys, every checkpoint and the tree state.  deep=True also runs every statement
    through the admission parser again (payload schema and canonical form; about 5-15% slower).

    `record_on`: the primary store, where the outcome is recorded for the monitoring
    (ledger/verification_runs.py); `store` may be a read replica of it (then the run says so)."""
    from .verify import verify_store

    report = verify_store(store, workers=workers, deep=deep)
    if record_on is not None:
        from .verification_runs import record

        same = (store.url, store.schema) == (record_on.url, record_on.schema)
        record(record_on.engine, report, "primary" if same else "replica", record_on.clock())
    return report


def export_bundle(store: Store, party: str, date_from: date, date_to: date, out: Path, viewer: str | None = None,
                  since=None):
    """Write the party's bundle for received dates date_from..date_to (inclusive) to `out`, as `viewer` may
    read it (None: the party itself; ledger/confidential_locations.py); with `since` (a
    ledger.checkpoints.SignedCheckpoint: the party's previous checkpoint, either format) the consistency
    proof from it (refused, CONSISTENCY_PROOF_INVALID, when it is not a checkpoint of this log)."""
    from .bundle import export_bundle as _export

    return _export(store, party, date_from, date_to, Path(out), viewer=viewer, since=since)


def party_entries(store: Store, party: str, date_from: date, date_to: date,
                  viewer: str | None = None) -> list[EntryRow]:
    """The entries that concern `party` (bundle.concerns: it authored them or is named in them, in the
    payload or as the author of an entry they refer to, or they reverse a cost line naming it),
    received on date_from..date_to (UTC, inclusive), in seq order: the "party" entries of that
    party's bundle."""
    from .bundle import select_party_entries

    return select_party_entries(store, party, date_from, date_to, viewer=viewer)[0]


def verify_bundle_file(path: Path, *, trusted_operator_keys: Sequence[str] = (), witness_vkeys: Sequence[str] = (),
                       quorum: int | None = None):
    """Verify a bundle file offline; returns a BundleReport. A PDF (a case file) is verified by the
    bundle it embeds (ledger.pdfbundle). With `witness_vkeys`, the checkpoint must be cosigned by `quorum`
    of those witnesses (default: all of them)."""
    from .bundle import verify_bundle_file as _verify
    from .pdfbundle import is_pdf, verify_pdf_bundle

    if is_pdf(Path(path)):
        return verify_pdf_bundle(Path(path), trusted_operator_keys=trusted_operator_keys,
                                 witness_vkeys=witness_vkeys, quorum=quorum)
    return _verify(Path(path), trusted_operator_keys=trusted_operator_keys, witness_vkeys=witness_vkeys,
                   quorum=quorum)
