"""The deployment's secrets that are never in the database: the pseudonym secret (ledger/pseudonyms.py)
and the key-encryption key of the clients' data keys (cases/client_keys.py).

Each comes from its setting (api/settings.py: BWLEDGER_PSEUDONYM_SECRET, BWLEDGER_DATA_KEK) or, when
that is unset, from its file under BWLEDGER_HOME/keys: made on first use with 32 random bytes (base64),
mode 0600 in a 0700 folder, created exclusively so two processes starting at once end up with one
secret. A file that others may read is refused: whoever reads it could undo the pseudonyms or read
every client's documents.
"""
from __future__ import annotations

import base64
import binascii
import os
import secrets as _random
import stat
from pathlib import Path

from api.settings import Settings
from ledger.pseudonyms import MIN_SECRET_BYTES

KEK_BYTES = 32


class SecretUnavailable(ValueError):
    """A secret that cannot be read or made; the message is Dutch."""


def _file_secret(path: Path) -> bytes:
    """The 32 bytes in `path` (base64), made on first use."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(base64.b64encode(_random.token_bytes(KEK_BYTES)).decode("ascii") + "\n")
            f.flush()
            os.fsync(f.fileno())
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SecretUnavailable(f"{path} is leesbaar voor anderen (modus {mode:o}); maak het 0600 (chmod 600)")
    try:
        raw = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except (OSError, UnicodeDecodeError, binascii.Error):
        raise SecretUnavailable(f"{path} bevat geen sleutel (base64)") from None
    if len(raw) != KEK_BYTES:
        raise SecretUnavailable(f"{path} bevat geen sleutel van {KEK_BYTES} bytes")
    return raw


def pseudonym_secret(settings: Settings) -> bytes:
    """The key of the pseudonyms: BWLEDGER_PSEUDONYM_SECRET (its UTF-8 bytes), or its file."""
    if settings.pseudonym_secret is not None:
        raw = settings.pseudonym_secret.encode("utf-8")
        if len(raw) < MIN_SECRET_BYTES:
            raise SecretUnavailable(f"BWLEDGER_PSEUDONYM_SECRET is te kort: minstens {MIN_SECRET_BYTES} tekens")
        return raw
    return _file_secret(settings.pseudonym_secret_file)


def data_kek(settings: Settings) -> bytes:
    """The key-encryption key of the clients' data keys: BWLEDGER_DATA_KEK (32 bytes, base64), or its file."""
    if settings.data_kek is not None:
        try:
            raw = base64.b64decode(settings.data_kek.strip(), validate=True)
        except binascii.Error:
            raise SecretUnavailable("BWLEDGER_DATA_KEK is geen base64") from None
        if len(raw) != KEK_BYTES:
            raise SecretUnavailable(f"BWLEDGER_DATA_KEK moet {KEK_BYTES} bytes zijn (base64), niet {len(raw)}")
        return raw
    return _file_secret(settings.data_kek_file)
