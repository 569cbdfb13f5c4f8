"""Settings: where state lives. The only place that reads the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def outputs_dir(self) -> Path:
        return self.home / "outputs"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    home = Path(env.get("BWLEDGER_HOME", "./var")).resolve()
    url = env.get("BWLEDGER_DATABASE_URL") or f"sqlite:///{home / 'bwledger.db'}"
    return Settings(home=home, database_url=url)
