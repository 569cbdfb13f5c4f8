"""Settings: where state lives and how the server behaves. The only place that reads the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    #: PostgreSQL schema to use (search_path); None for the default. BWLEDGER_DATABASE_SCHEMA.
    database_schema: str | None = None
    #: the operator key in an HSM or KMS (ledger/signers.py CommandSigner): the command that signs the bytes on its
    #: stdin with it (shell-style, not run by a shell), and the FILE.pub of its public key. Both or neither; with
    #: them the server and the CLI sign checkpoints, seals and the operator's entries through the command and no
    #: operator key file is read or made. BWLEDGER_OPERATOR_SIGN_COMMAND, BWLEDGER_OPERATOR_PUBLIC_KEY.
    operator_sign_command: str | None = None
    operator_public_key: Path | None = None
    #: a read replica of the database (PostgreSQL streaming replication, same schema), where the reports read:
    #: statements, quarter pages, the inbox, verification (api/bootstrap.py `read_store`); the append path and
    #: every other write stay on `database_url`. None: everything on the primary. BWLEDGER_READ_DATABASE_URL.
    read_database_url: str | None = None
    #: the server's checkpoint timer: the longest (about) a submitted entry waits for a checkpoint; 0 turns
    #: the timer off, and then every append batch is checkpointed at its end. BWLEDGER_CHECKPOINT_SECONDS.
    checkpoint_seconds: float = 5.0
    #: the log's origin: the first line of every checkpoint note and the key name of its signature (C2SP
    #: tlog-checkpoint), unique per deployment, e.g. `grootboek.example.nl/bw`. Unset: derived once from the
    #: genesis entry (`bwledger.local/<16 hex>`). Stored in the ledger at its first checkpoint note; a later
    #: other value is refused (LOG_ORIGIN_MISMATCH). BWLEDGER_LOG_ORIGIN.
    log_origin: str | None = None
    #: how often (at most) the checkpoint timer anchors the audit log's head in the ledger, in seconds
    #: (api/access/audit.py `anchor`); 0 turns anchoring off. BWLEDGER_AUDIT_ANCHOR_SECONDS, default 60.
    audit_anchor_seconds: float = 60.0
    #: the largest request body the HTTP server accepts (facts, submissions). BWLEDGER_MAX_REQUEST_BYTES.
    max_request_bytes: int = 2_000_000
    #: the largest case exhibit accepted (cases.documents). BWLEDGER_MAX_DOCUMENT_BYTES, default 25 MB.
    max_document_bytes: int = 26_214_400
    #: expensive work (api/http/pools.py): how many of each kind run at a time in the server (all its worker
    #: processes together: api/http/pool_leases.py).
    #: BWLEDGER_POOL_VERIFY, BWLEDGER_POOL_BUNDLE (ledger and case bundles), BWLEDGER_POOL_DOSSIER,
    #: BWLEDGER_POOL_DETERMINE (large determinations); each at least 1.
    pool_verify: int = 1
    pool_bundle: int = 1
    pool_dossier: int = 1
    pool_determine: int = 2
    #: a quarter's settlement and statement files (endpoints and the Verrekening page). BWLEDGER_POOL_SETTLEMENT.
    pool_settlement: int = 1
    #: how many more of one kind may wait for a turn; beyond it 503 SERVER_BUSY. BWLEDGER_POOL_QUEUE.
    pool_queue: int = 4
    #: the Retry-After (seconds) of a 503 SERVER_BUSY. BWLEDGER_BUSY_RETRY_SECONDS.
    busy_retry_seconds: int = 5
    #: a determination request body from this size on runs in the determine pool. BWLEDGER_LARGE_DETERMINATION_BYTES.
    large_determination_bytes: int = 65_536
    #: how long a worker's lease on a place in a pool (api/http/pool_leases.py) lasts without being renewed, in
    #: seconds: the places of a killed worker are free again after at most this long. BWLEDGER_POOL_LEASE_SECONDS.
    pool_lease_seconds: int = 30
    #: requests per minute of one caller (an account, a session's person, a token), every request but the
    #: static files (api/access/rate_limit.py); beyond it 429 RATE_LIMITED. BWLEDGER_RATE_PER_MINUTE_CALLER, 0: off.
    rate_per_minute_caller: int = 1200
    #: requests per minute from one client address, logged in or not. BWLEDGER_RATE_PER_MINUTE_ADDRESS, 0: off.
    rate_per_minute_address: int = 6000
    #: how long a server process keeps a bearer token's identity after looking it up (api/access/accounts.py),
    #: in seconds: a token revoked by another process (the CLI, another worker) is refused at most this long
    #: after its revocation; one revoked through the same process, and an expired one, at once.
    #: BWLEDGER_TOKEN_CACHE_SECONDS, 0: every request looks its token up.
    token_cache_seconds: float = 5.0
    #: worker processes of one verification run by the server (a caller's ?workers= is ignored).
    #: BWLEDGER_VERIFY_WORKERS, at least 1.
    verify_workers: int = 1
    #: the address of the API's beheer, in the OpenAPI document's info.contact (ADR /core/doc-openapi-contact).
    #: BWLEDGER_API_CONTACT_EMAIL; set it to the team that answers for this deployment's API.
    api_contact_email: str = "api-beheer@bwledger.invalid"
    #: the witnesses the operator asks to cosign each new checkpoint (C2SP tlog-witness, ledger/cosigned.py):
    #: (verifier key, submission URL) pairs. BWLEDGER_WITNESSES: entries separated by commas or newlines, each
    #: `VKEY URL`, e.g. `getuige.ijssel-vecht.nl/w1+1a2b3c4d+BK... https://getuige.ijssel-vecht.nl`.
    witnesses: tuple[tuple[str, str], ...] = ()
    #: how long the operator waits for one witness's answer, in seconds. BWLEDGER_WITNESS_TIMEOUT_SECONDS.
    witness_timeout_seconds: float = 5.0
    #: login through an OpenID provider (api/access/oidc.py); None when BWLEDGER_OIDC_ISSUER is unset.
    oidc: OidcSettings | None = None
    #: the key of the clients' pseudonyms (ledger/pseudonyms.py), at least 16 characters; None: the file
    #: `pseudonym_secret_file`, made on first use. BWLEDGER_PSEUDONYM_SECRET. Never in the database.
    pseudonym_secret: str | None = field(default=None, repr=False)
    #: the key-encryption key that wraps each client's data key (cases/client_keys.py): 32 bytes in base64;
    #: None: the file `data_kek_file`, made on first use. BWLEDGER_DATA_KEK. Never in the database.
    data_kek: str | None = field(default=None, repr=False)

    @property
    def pool_sizes(self) -> dict[str, int]:
        return {"verify": self.pool_verify, "bundle": self.pool_bundle, "dossier": self.pool_dossier,
                "determine": self.pool_determine, "settlement": self.pool_settlement}

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def outputs_dir(self) -> Path:
        return self.home / "outputs"

    @property
    def documents_dir(self) -> Path:
        """Case exhibits, content-addressed (cases.documents)."""
        return self.home / "documents"

    @property
    def pseudonym_secret_file(self) -> Path:
        """The pseudonym secret when BWLEDGER_PSEUDONYM_SECRET is unset (mode 0600, made on first use)."""
        return self.keys_dir / "pseudonym.secret"

    @property
    def witness_state_file(self) -> Path:
        """Where `bwledger witness` keeps the latest checkpoint it cosigned per log (mode 0600)."""
        return self.home / "witness" / "state.json"

    @property
    def data_kek_file(self) -> Path:
        """The clients' key-encryption key when BWLEDGER_DATA_KEK is unset (mode 0600, made on first use)."""
        return self.keys_dir / "client-data.kek"


@dataclass(frozen=True)
class OidcSettings:
    """One OpenID provider whose users may log in (README, "Aanmelden via een identity provider")."""
    #: the provider's issuer URL, exactly as its discovery document and ID tokens name it. BWLEDGER_OIDC_ISSUER.
    issuer: str
    #: this app's client at the provider. BWLEDGER_OIDC_CLIENT_ID.
    client_id: str
    #: its secret (client_secret_basic at the token endpoint). BWLEDGER_OIDC_CLIENT_SECRET.
    client_secret: str
    #: where the provider sends the browser back: https://HOST/login/oidc/callback. BWLEDGER_OIDC_REDIRECT_URL.
    redirect_url: str
    #: the parties this provider may assert (a user's party claim must be one of them). BWLEDGER_OIDC_PARTIES,
    #: comma-separated codes, e.g. `GM0166,GM0193`.
    parties: frozenset[str]
    #: the name the identity carries as its provider (audit, sessions). BWLEDGER_OIDC_NAME, default the issuer.
    name: str = ""
    #: PEM file of the CA(s) to trust for the provider's TLS; None for the system's. BWLEDGER_OIDC_CA_BUNDLE.
    ca_bundle: Path | None = None
    #: the scopes asked for. BWLEDGER_OIDC_SCOPES, space-separated, default `openid`.
    scopes: tuple[str, ...] = ("openid",)
    #: the ID token claim naming the user's party. BWLEDGER_OIDC_PARTY_CLAIM, default `bw_party`.
    party_claim: str = "bw_party"
    #: the ID token claim listing the user's roles (a list, or a space-separated string). BWLEDGER_OIDC_ROLES_CLAIM,
    #: default `bw_roles`.
    roles_claim: str = "bw_roles"
    #: provider role or group names -> bwledger roles; empty: the claim holds bwledger role names.
    #: BWLEDGER_OIDC_ROLE_MAP, e.g. `bw-financien=finance,bw-regio=regio`.
    role_map: dict[str, str] = field(default_factory=dict)
    #: the audience of the provider's access tokens for this API (client credentials of machine clients);
    #: None: machine tokens from this provider are not accepted. BWLEDGER_OIDC_API_AUDIENCE.
    api_audience: str | None = None

    @property
    def provider(self) -> str:
        return self.name or self.issuer


def _list(raw: str | None, sep: str = ",") -> list[str]:
    return [part.strip() for part in (raw or "").split(sep) if part.strip()]


def load_oidc_settings(env) -> OidcSettings | None:
    """The BWLEDGER_OIDC_* settings; None when BWLEDGER_OIDC_ISSUER is unset. ValueError names what is missing."""
    issuer = (env.get("BWLEDGER_OIDC_ISSUER") or "").strip()
    if not issuer:
        return None
    required = {name: (env.get(name) or "").strip() for name in
                ("BWLEDGER_OIDC_CLIENT_ID", "BWLEDGER_OIDC_CLIENT_SECRET", "BWLEDGER_OIDC_REDIRECT_URL",
                 "BWLEDGER_OIDC_PARTIES")}
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise ValueError(f"BWLEDGER_OIDC_ISSUER is set, but not {', '.join(missing)}")
    for name, url in (("BWLEDGER_OIDC_ISSUER", issuer), ("BWLEDGER_OIDC_REDIRECT_URL",
                                                           required["BWLEDGER_OIDC_REDIRECT_URL"])):
        if not url.startswith("https://"):
            raise ValueError(f"{name}: must be an https:// URL: {url!r}")
    role_map = {}
    for pair in _list(env.get("BWLEDGER_OIDC_ROLE_MAP")):
        theirs, sep, ours = pair.partition("=")
        if not sep or not theirs.strip() or not ours.strip():
            raise ValueError(f"BWLEDGER_OIDC_ROLE_MAP: not NAME=ROLE: {pair!r}")
        role_map[theirs.strip()] = ours.strip()
    ca = (env.get("BWLEDGER_OIDC_CA_BUNDLE") or "").strip()
    return OidcSettings(issuer=issuer, client_id=required["BWLEDGER_OIDC_CLIENT_ID"],
                        client_secret=required["BWLEDGER_OIDC_CLIENT_SECRET"],
                        redirect_url=required["BWLEDGER_OIDC_REDIRECT_URL"],
                        parties=frozenset(p.upper() for p in _list(required["BWLEDGER_OIDC_PARTIES"])),
                        name=(env.get("BWLEDGER_OIDC_NAME") or "").strip(),
                        ca_bundle=Path(ca) if ca else None,
                        scopes=tuple(_list(env.get("BWLEDGER_OIDC_SCOPES"), " ")) or ("openid",),
                        party_claim=(env.get("BWLEDGER_OIDC_PARTY_CLAIM") or "").strip() or "bw_party",
                        roles_claim=(env.get("BWLEDGER_OIDC_ROLES_CLAIM") or "").strip() or "bw_roles",
                        role_map=role_map,
                        api_audience=(env.get("BWLEDGER_OIDC_API_AUDIENCE") or "").strip() or None)


def load_witnesses(raw: str | None) -> tuple[tuple[str, str], ...]:
    """BWLEDGER_WITNESSES: `VKEY URL` entries separated by commas or newlines (ValueError names a bad one)."""
    from ledger.note import NoteError
    from ledger.witness import WitnessEndpoint

    out = []
    for item in (raw or "").replace("\n", ",").split(","):
        if not item.strip():
            continue
        parts = item.split()
        if len(parts) != 2 or not parts[1].startswith(("http://", "https://")):
            raise ValueError(f"BWLEDGER_WITNESSES: not 'VKEY URL': {item.strip()!r}")
        try:
            WitnessEndpoint.parse(parts[0], parts[1])
        except NoteError as exc:
            raise ValueError(f"BWLEDGER_WITNESSES: {parts[0]!r} is not a witness verifier key ({exc.code})") from None
        out.append((parts[0], parts[1]))
    return tuple(out)


def _number(env, name: str, default: float, cast=float):
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = cast(raw)
    except ValueError:
        raise ValueError(f"{name}: not a number: {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name}: must not be negative: {raw!r}")
    return value


def _at_least_one(env, name: str, default: int) -> int:
    value = _number(env, name, default, int)
    if value < 1:
        raise ValueError(f"{name}: must be at least 1: {env.get(name)!r}")
    return value


def _operator_command(env) -> dict:
    command = (env.get("BWLEDGER_OPERATOR_SIGN_COMMAND") or "").strip()
    public = (env.get("BWLEDGER_OPERATOR_PUBLIC_KEY") or "").strip()
    if bool(command) != bool(public):
        raise ValueError("BWLEDGER_OPERATOR_SIGN_COMMAND and BWLEDGER_OPERATOR_PUBLIC_KEY go together")
    return {"operator_sign_command": command, "operator_public_key": Path(public)} if command else {}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    home = Path(env.get("BWLEDGER_HOME", "./var")).resolve()
    url = env.get("BWLEDGER_DATABASE_URL") or f"sqlite:///{home / 'bwledger.db'}"
    return Settings(home=home, database_url=url,
                    database_schema=env.get("BWLEDGER_DATABASE_SCHEMA") or None,
                    read_database_url=env.get("BWLEDGER_READ_DATABASE_URL") or None,
                    **_operator_command(env),
                    checkpoint_seconds=_number(env, "BWLEDGER_CHECKPOINT_SECONDS", 5.0),
                    log_origin=env.get("BWLEDGER_LOG_ORIGIN", "").strip() or None,
                    audit_anchor_seconds=_number(env, "BWLEDGER_AUDIT_ANCHOR_SECONDS", 60.0),
                    max_request_bytes=_number(env, "BWLEDGER_MAX_REQUEST_BYTES", 2_000_000, int),
                    max_document_bytes=_number(env, "BWLEDGER_MAX_DOCUMENT_BYTES", 26_214_400, int),
                    pool_verify=_at_least_one(env, "BWLEDGER_POOL_VERIFY", 1),
                    pool_bundle=_at_least_one(env, "BWLEDGER_POOL_BUNDLE", 1),
                    pool_dossier=_at_least_one(env, "BWLEDGER_POOL_DOSSIER", 1),
                    pool_determine=_at_least_one(env, "BWLEDGER_POOL_DETERMINE", 2),
                    pool_settlement=_at_least_one(env, "BWLEDGER_POOL_SETTLEMENT", 1),
                    pool_queue=_number(env, "BWLEDGER_POOL_QUEUE", 4, int),
                    busy_retry_seconds=_at_least_one(env, "BWLEDGER_BUSY_RETRY_SECONDS", 5),
                    large_determination_bytes=_number(env, "BWLEDGER_LARGE_DETERMINATION_BYTES", 65_536, int),
                    verify_workers=_at_least_one(env, "BWLEDGER_VERIFY_WORKERS", 1),
                    pool_lease_seconds=_at_least_one(env, "BWLEDGER_POOL_LEASE_SECONDS", 30),
                    rate_per_minute_caller=_number(env, "BWLEDGER_RATE_PER_MINUTE_CALLER", 1200, int),
                    rate_per_minute_address=_number(env, "BWLEDGER_RATE_PER_MINUTE_ADDRESS", 6000, int),
                    token_cache_seconds=_number(env, "BWLEDGER_TOKEN_CACHE_SECONDS", 5.0),
                    api_contact_email=env.get("BWLEDGER_API_CONTACT_EMAIL") or "api-beheer@bwledger.invalid",
                    oidc=load_oidc_settings(env),
                    witnesses=load_witnesses(env.get("BWLEDGER_WITNESSES")),
                    witness_timeout_seconds=_number(env, "BWLEDGER_WITNESS_TIMEOUT_SECONDS", 5.0),
                    pseudonym_secret=env.get("BWLEDGER_PSEUDONYM_SECRET") or None,
                    data_kek=env.get("BWLEDGER_DATA_KEK") or None)


def client_token(environ: dict[str, str] | None = None) -> str | None:
    """The bearer token the CLI sends to a server (`--server`), BWLEDGER_TOKEN; None when unset."""
    env = os.environ if environ is None else environ
    return env.get("BWLEDGER_TOKEN") or None


def secret_from_env(name: str, environ: dict[str, str] | None = None) -> str:
    """A secret the user named by its environment variable (e.g. `--passphrase-env VAR`), so it is never
    on the command line. Raises ValueError (Dutch) when the variable is unset or empty."""
    env = os.environ if environ is None else environ
    value = env.get(name)
    if not value:
        raise ValueError(f"de omgevingsvariabele {name} is niet gezet of leeg")
    return value
