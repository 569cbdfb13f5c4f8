"""Files are private (issue 12): the ledger's database, `keys/`, `documents/` and `outputs/` under
BWLEDGER_HOME are mode 0600 in folders of mode 0700, readable by the account that runs bwledger only.

The one place these modes are decided. `private_dir` and `private_file` are called where each of
them is created (ledger.store for the SQLite database, cases.documents for exhibits, api.bootstrap for
the home and its folders, the demo and the reports for outputs); `restrict_process` sets the umask of
a bwledger process (the CLI and the server call it first) to 0077, so every file a report writer
makes (XLSX, CSV, JSON, PDF, charts) is born 0600 and every folder 0700, whatever library writes it."""
from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
PROCESS_UMASK = 0o077


def restrict_process() -> None:
    """From now on this process creates files 0600 and folders 0700 (umask 0077)."""
    os.umask(PROCESS_UMASK)


def private_dir(path: Path) -> Path:
    """`path` as a folder of mode 0700: created (with its missing parents, each 0700) when missing,
    and set to 0700 when it exists. Folders above it that already exist are left alone."""
    path = Path(path)
    missing = []
    parent = path
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
    os.chmod(path, DIR_MODE)  # mkdir's mode is reduced by the umask; an existing folder gets it too
    return path


def private_file(path: Path) -> Path:
    """`path` set to mode 0600; created empty when missing (so that a file another library then opens,
    such as an SQLite database with its -wal and -shm files, starts private)."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    os.chmod(path, FILE_MODE)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write `data` to a new file `path` that is 0600 from its first byte (fsynced)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(path, FILE_MODE)
    return Path(path)
