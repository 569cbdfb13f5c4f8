"""Settings: where state lives and how the server behaves. The only place that reads the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    #: PostgreSQL schema to use (search_path); None for the default. BWLEDGER_DATABASE_SCHEMA.
    database_schema: str | None = None
    #: the server's checkpoint timer: the longest (about) a submitted entry waits for a checkpoint; 0 turns
    #: the timer off, and then every append batch is checkpointed at its end. BWLEDGER_CHECKPOINT_SECONDS.
    checkpoint_seconds: float = 5.0
    #: the largest request body the HTTP server accepts (facts, submissions). BWLEDGER_MAX_REQUEST_BYTES.
    max_request_bytes: int = 2_000_000
    #: the largest case exhibit accepted (cases.documents). BWLEDGER_MAX_DOCUMENT_BYTES, default 25 MB.
    max_document_bytes: int = 26_214_400

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


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    home = Path(env.get("BWLEDGER_HOME", "./var")).resolve()
    url = env.get("BWLEDGER_DATABASE_URL") or f"sqlite:///{home / 'bwledger.db'}"
    return Settings(home=home, database_url=url,
                    database_schema=env.get("BWLEDGER_DATABASE_SCHEMA") or None,
                    checkpoint_seconds=_number(env, "BWLEDGER_CHECKPOINT_SECONDS", 5.0),
                    max_request_bytes=_number(env, "BWLEDGER_MAX_REQUEST_BYTES", 2_000_000, int),
                    max_document_bytes=_number(env, "BWLEDGER_MAX_DOCUMENT_BYTES", 26_214_400, int))


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
