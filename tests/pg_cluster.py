"""PostgreSQL 15 clusters of a test's own (issue 15: the read replica and the restore are tested for real):
`replicated_pair()` makes a primary (port 5433) and a streaming replica of it (port 5434) in a temporary
folder: `initdb` run as the postgres user (`runuser -u postgres`), a physical replication slot on the primary,
`pg_basebackup -R -S` for the replica, both started with `pg_ctl` on 127.0.0.1 with their sockets in that
folder; `single_cluster()` one cluster on port 5435 the same way. The shared cluster on 5432 is never touched. `wait_replayed` waits until the replica has replayed
everything the primary wrote so far (its replay LSN, not a sleep)."""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

BIN = Path("/usr/lib/postgresql/15/bin")
PRIMARY_PORT, REPLICA_PORT = 5433, 5434
SINGLE_PORT = 5435
SLOT = "bwledger_replica"
DATABASE = "bwledger"


def url(port: int, database: str = DATABASE) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"


def _as_postgres(*args: str) -> str:
    done = subprocess.run(["runuser", "-u", "postgres", "--", *args], check=False, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _start(data: Path, port: int, root: Path) -> None:
    opts = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off "
            "-c wal_level=replica -c max_wal_senders=4 -c max_replication_slots=4 -c hot_standby=on")
    _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / f"{data.name}.log"), "-w",
                 "-t", "120", "start")


def sql(port: int, statement: str, database: str = DATABASE, params: dict | None = None):
    engine = sa.create_engine(url(port, database), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(statement), params or {})
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Pair:
    root: Path
    primary_url: str
    replica_url: str

    def wait_replayed(self, timeout: float = 60.0) -> str:
        """Wait until the replica replayed the primary's WAL up to its current position; returns that LSN."""
        target = sql(PRIMARY_PORT, "SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while not sql(REPLICA_PORT, "SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)", params={"t": target}):
            if time.monotonic() > deadline:
                raise AssertionError(f"the replica did not replay up to {target} in {timeout} s")
            time.sleep(0.02)  # a poll of the condition, not a wait for a guessed time
        return target

    def pause_replay(self) -> None:
        sql(REPLICA_PORT, "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        sql(REPLICA_PORT, "SELECT pg_wal_replay_resume()")


@contextlib.contextmanager
def single_cluster(port: int = SINGLE_PORT) -> Iterator[str]:
    """One cluster of the test's own on `port` (roles are cluster-wide: a test that makes roles makes them
    here, not on the shared cluster); yields the URL of its database `bwledger`."""
    if not _port_free(port):
        raise RuntimeError(f"port {port} is in use")
    pg = pwd.getpwnam("postgres")
    root = Path(tempfile.mkdtemp(prefix="bwledger-pg-"))
    os.chown(root, pg.pw_uid, pg.pw_gid)
    data = root / "single"
    started = False
    try:
        _as_postgres(str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--no-instructions", "--no-sync")
        _start(data, port, root)
        started = True
        yield url(port, "postgres")
    finally:
        if started:
            with contextlib.suppress(RuntimeError):
                _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def replicated_pair() -> Iterator[Pair]:
    for port in (PRIMARY_PORT, REPLICA_PORT):
        if not _port_free(port):
            raise RuntimeError(f"port {port} is in use: another primary/replica test still running?")
    pg = pwd.getpwnam("postgres")
    root = Path(tempfile.mkdtemp(prefix="bwledger-pg-"))
    os.chown(root, pg.pw_uid, pg.pw_gid)
    primary, replica = root / "primary", root / "replica"
    started: list[Path] = []
    try:
        _as_postgres(str(BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--no-instructions", "--no-sync")
        _start(primary, PRIMARY_PORT, root)
        started.append(primary)
        sql(PRIMARY_PORT, f"CREATE DATABASE {DATABASE}", database="postgres")
        sql(PRIMARY_PORT, f"SELECT pg_create_physical_replication_slot('{SLOT}')", database="postgres")
        _as_postgres(str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(PRIMARY_PORT), "-U", "postgres",
                     "-D", str(replica), "-R", "-S", SLOT, "-X", "stream", "--no-sync", "-c", "fast")
        _start(replica, REPLICA_PORT, root)
        started.append(replica)
        assert sql(REPLICA_PORT, "SELECT pg_is_in_recovery()"), "the replica is not in recovery"
        yield Pair(root, url(PRIMARY_PORT), url(REPLICA_PORT))
    finally:
        for data in reversed(started):
            with contextlib.suppress(RuntimeError):
                _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
