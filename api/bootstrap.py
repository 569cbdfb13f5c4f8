"""The one composition root: everything a CLI command, the HTTP app and the demo need, built from
`api.settings.Settings` in one place. Nothing else opens the ledger store.

`open_store(settings)` opens an existing ledger (with the operator key of `settings.keys_dir` when
there is one); `init_store(settings)` migrates the schema and, on an empty ledger, creates the
operator key and its genesis entry. Both honour `settings.database_schema` (PostgreSQL search_path),
so every command reads and writes the same ledger. Tests call these with their own Settings.
"""
from __future__ import annotations

from typing import Any

from api.settings import Settings, load_settings
from ledger import service
from ledger.private_files import private_dir
from ledger.store import Store


def settings_or_env(settings: Settings | None = None) -> Settings:
    return settings if settings is not None else load_settings()


def private_home(settings: Settings) -> None:
    """BWLEDGER_HOME and its keys/, documents/ and outputs/ as folders of mode 0700 (ledger.private_files)."""
    for folder in (settings.home, settings.keys_dir, settings.documents_dir, settings.outputs_dir):
        private_dir(folder)


def operator_signer(settings: Settings):
    """The operator key in an HSM or KMS (BWLEDGER_OPERATOR_SIGN_COMMAND with BWLEDGER_OPERATOR_PUBLIC_KEY:
    ledger.signers.CommandSigner), or None: the key file of `settings.keys_dir`."""
    if not settings.operator_sign_command or settings.operator_public_key is None:
        return None
    from ledger.entries import OPERATOR
    from ledger.signers import CommandSigner

    return CommandSigner.from_files(OPERATOR, settings.operator_sign_command, settings.operator_public_key)


def open_store(settings: Settings | None = None, *, with_operator: bool = True, **store_options: Any) -> Store:
    """The ledger of `settings` (default: from the environment), not migrated."""
    s = settings_or_env(settings)
    private_home(s)
    return service.open_ledger(s.database_url, s.keys_dir if with_operator else None, schema=s.database_schema,
                               operator=operator_signer(s) if with_operator else None,
                               **{"origin": s.log_origin, **store_options})


def init_store(settings: Settings | None = None, **store_options: Any) -> Store:
    """The ledger of `settings`, migrated; on an empty ledger the operator key (unless it is in an HSM:
    `operator_signer`) and its genesis entry."""
    s = settings_or_env(settings)
    private_home(s)
    return service.init_ledger(s.database_url, s.keys_dir, schema=s.database_schema, operator=operator_signer(s),
                               **{"origin": s.log_origin, **store_options})


def server_store(settings: Settings) -> Store:
    """The store `bwledger serve` holds: initialised, and with the timer on a submission's checkpoint is left
    to the checkpoint timer (api/http/timer.py)."""
    return init_store(settings, checkpoint_on_append=settings.checkpoint_seconds == 0)


def read_store(settings: Settings, primary: Store | None = None) -> Store:
    """Where reports read (statements, quarter pages, the inbox, verification): the read replica of
    BWLEDGER_READ_DATABASE_URL (same schema; never migrated, never written: without the operator key), or,
    without one, `primary` itself (or the primary opened anew when none is given)."""
    if settings.read_database_url:
        private_home(settings)
        return service.open_ledger(settings.read_database_url, None, schema=settings.database_schema)
    return primary if primary is not None else open_store(settings, with_operator=False)


def upgrade_database(settings: Settings):
    """`bwledger db upgrade`: the schema migrated to the newest revision (ledger.service.upgrade_schema);
    nothing else (no key, no genesis entry: `bwledger ledger init` or the server's start does those)."""
    return service.upgrade_schema(settings.database_url, schema=settings.database_schema)


def schema_revision(settings: Settings) -> str | None:
    """The schema revision of the database of `settings` (`bwledger db status`)."""
    store = Store(settings.database_url, schema=settings.database_schema)
    try:
        return store.schema_revision()
    finally:
        store.dispose()


def access_service(store: Store, settings: Settings | None = None):
    """Accounts, tokens, sessions and rate-limit counters (api/access/accounts.py) in the ledger's database;
    with `settings` (the server's) the token identities kept for `settings.token_cache_seconds`."""
    from api.access.accounts import AccessService

    return AccessService(store.engine, store.clock,
                         token_cache_seconds=settings.token_cache_seconds if settings is not None else 0)


def request_limit(settings: Settings, store: Store):
    """The rate limits of every request per caller and per address (api/access/rate_limit.py), counted in the
    ledger's database so that every worker process shares them."""
    from api.access.rate_limit import RequestLimit

    return RequestLimit(store.engine, store.clock, settings.rate_per_minute_caller, settings.rate_per_minute_address)


def pool_leases(settings: Settings, store: Store):
    """The places of the pools of expensive work in the ledger's database (api/http/pool_leases.py), so the
    pools' sizes and queues hold across the server's worker processes."""
    from api.http.pool_leases import PoolLeases

    return PoolLeases(store.engine, settings.pool_lease_seconds, store.clock)


def prepare_server(settings: Settings) -> None:
    """What the server's worker processes must not do at once, done once before they start
    (`bwledger serve --workers N`): the schema migrated, the operator key and genesis entry of an empty
    ledger, the pseudonym secret and the clients' key-encryption key made when missing."""
    from api.access.secrets import data_kek

    init_store(settings).dispose()
    pseudonym_secret(settings)
    data_kek(settings)


def demo_store(settings: Settings) -> Store:
    """The demo's store: opened when its keys exist, initialised otherwise."""
    return open_store(settings) if settings.keys_dir.exists() else init_store(settings)


def client_documents(settings: Settings, store: Store):
    """The clients' documents (cases.documents.ContentStore under `settings.documents_dir`), each encrypted
    with its client's data key; the keys are wrapped by the deployment's key-encryption key
    (api.access.secrets.data_kek: BWLEDGER_DATA_KEK or its 0600 file, made on first use)."""
    from api.access.secrets import data_kek
    from cases.client_keys import ClientKeys
    from cases.documents import ContentStore

    return ContentStore(settings.documents_dir, ClientKeys(store, data_kek(settings)))


def has_data_kek(settings: Settings) -> bool:
    """Whether this machine holds the clients' key-encryption key (the setting or its file), without making one."""
    return settings.data_kek is not None or settings.data_kek_file.exists()


def determination_deposits(settings: Settings, store: Store, documents=None):
    """The deposits of determinations (cases.determination_deposits: facts and trail in the clients'
    encrypted store), attached to `store` so that its admission replays every N3/N8 on them
    (ledger/determination_replay.py). Where the KEK is, this is called: the server, the CLI's local writes
    and `ledger verify` (which reports the replay as not run without it). There is no way to leave the
    replayer off: a store given deposits always replays."""
    from cases.determination_deposits import DeterminationDeposits
    from ledger.determination_replay import Replayer

    deposits = DeterminationDeposits(documents if documents is not None else client_documents(settings, store))
    store.replayer = Replayer(deposits)
    return deposits


def pseudonym_secret(settings: Settings) -> bytes:
    """The key of the clients' pseudonyms (BWLEDGER_PSEUDONYM_SECRET or its 0600 file, made on first use)."""
    from api.access.secrets import pseudonym_secret as secret

    return secret(settings)


def witness_collector(settings: Settings, store: Store):
    """The operator's collection of cosignatures (ledger/cosigned.py `collect_latest`) from the witnesses of
    `settings.witnesses`, over HTTP (httpx, `witness_timeout_seconds` per witness); None when none are set.
    Called after each new checkpoint by the server's timer and by `bwledger witness collect`."""
    if not settings.witnesses:
        return None
    import httpx

    from ledger.cosigned import collect_latest
    from ledger.witness import WitnessEndpoint

    endpoints = [WitnessEndpoint.parse(vkey, url) for vkey, url in settings.witnesses]

    def post(url: str, body: bytes) -> tuple[int, str, bytes]:
        try:
            r = httpx.post(url, content=body, timeout=settings.witness_timeout_seconds,
                           headers={"Content-Type": "text/plain; charset=utf-8", "User-Agent": "bwledger-operator"})
        except httpx.HTTPError as exc:
            raise OSError(str(exc) or type(exc).__name__) from None
        return r.status_code, r.headers.get("content-type", ""), r.content

    def run():
        return collect_latest(store, endpoints, post)

    return run
