"""Liveness and readiness (issue 15): what a load balancer, systemd or Kubernetes asks before it sends work.

- `liveness()`: the process answers (GET /v1/gezondheid/levend); it reads nothing, so a slow database never
  gets a worker restarted.
- `readiness(store, reader)`: this worker can do its work (GET /v1/gezondheid/gereed): the primary database
  answers and holds an initialised ledger; the operator key is here and valid for the next checkpoint (so the
  checkpoint timer can sign); and, with BWLEDGER_READ_DATABASE_URL, the read replica answers. Each check has a
  Dutch explanation; the endpoint answers 200 when all pass, else 503 NOT_READY with the checks.

Both are public (api/access/policy.toml): they show no ledger content. `GET /v1/gezondheid` stays the
operator's overview (size, checkpoint, timer, pools).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import sqlalchemy as sa

from ledger.entries import OPERATOR
from ledger.errors import LedgerError
from ledger.store import Store

NOT_READY = "NOT_READY"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict:
        return {"naam": self.name, "geslaagd": self.ok, "toelichting": self.detail}


@dataclass(frozen=True)
class Readiness:
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict:
        return {"status": "gereed" if self.ready else "niet gereed", "controles": [c.to_dict() for c in self.checks],
                "worker": os.getpid()}


def liveness() -> dict:
    return {"status": "levend", "worker": os.getpid()}


def _database(name: str, store: Store, what: str) -> tuple[Check, int | None]:
    try:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        return Check(name, False, f"{what} niet bereikbaar ({exc.__class__.__name__})"), None
    try:
        size = store.tree_state().tree_size
    except (LedgerError, sa.exc.SQLAlchemyError):  # reachable, but no ledger tables or no ledger in them yet
        return Check(name, False, f"{what} bereikbaar, maar zonder grootboek: voer `bwledger db upgrade` en "
                                  "`bwledger ledger init` uit"), None
    return Check(name, True, f"{what} bereikbaar, {size} {'regel' if size == 1 else 'regels'}"), size


def operator_key(store: Store) -> Check:
    """The operator key is on this machine and valid for the ledger's next entry (a checkpoint can be signed)."""
    if store.operator is None:
        return Check("sleutel", False, "geen sleutel van de beheerder op deze machine (BWLEDGER_HOME/keys)")
    try:
        problem = store.registry().key_problem(store.operator.key_id, OPERATOR, store.size(), store.clock())
    except (LedgerError, sa.exc.SQLAlchemyError) as exc:
        return Check("sleutel", False, f"sleutel van de beheerder niet te controleren ({exc.__class__.__name__})")
    if problem is not None:
        return Check("sleutel", False, f"sleutel van de beheerder {store.operator.key_id[:16]} niet geldig voor de "
                                       "volgende regel (niet geregistreerd, vervangen, ingetrokken of verlopen)")
    return Check("sleutel", True, f"sleutel van de beheerder {store.operator.key_id[:16]} geldig")


def readiness(store: Store, reader: Store | None = None) -> Readiness:
    """The checks of readiness for the server on `store` with read replica `reader` (None or `store`: none)."""
    db, size = _database("database", store, "primaire database")
    checks = [db, operator_key(store) if size is not None else Check("sleutel", False, "niet gecontroleerd: "
                                                                                       "geen grootboek")]
    if reader is not None and reader is not store:
        checks.append(_database("leesreplica", reader, "leesreplica")[0])
    return Readiness(tuple(checks))
