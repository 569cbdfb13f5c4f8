"""Builders shared by the ledger tests: an initialised ledger with party keys, and payloads."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from ledger.crypto import Signer, new_signer
from ledger.entries import OPERATOR
from ledger.service import SignedStatement, init_ledger, register_key, sign_statement
from ledger.store import Store

PARTIES = ["GM0166", "GM0193", "GM0200", "RG:ijssel-vecht", "COMMITTEE"]
_counter = itertools.count()


@dataclass
class LedgerEnv:
    store: Store
    keys_dir: Path
    signers: dict[str, Signer] = field(default_factory=dict)

    @classmethod
    def create(cls, url: str, schema: str | None, keys_dir: Path, parties=PARTIES, **opts) -> LedgerEnv:
        store = init_ledger(url, keys_dir, schema=schema, **opts)
        env = cls(store, keys_dir, {OPERATOR: store.operator})
        for p in parties:
            s = new_signer(p)
            register_key(store, s)
            env.signers[p] = s
        municipalities = [p for p in parties if p.startswith("GM")]
        for fronting in municipalities:  # what the cost lines of the tests rest on, made before they count
            for bearer in municipalities:
                env.basis(fronting, bearer, "PSN-client-1")
        return env

    bases: dict = field(default_factory=dict)

    def sign(self, party: str, kind: str, payload: dict, key: str | None = None, client: str | None = "PSN-client-1",
             **kw) -> SignedStatement:
        if kind == "cost_line" and payload.get("determination") is None and payload.get("decision") is None \
                and party == payload.get("fronting_party") and client is not None:
            payload = dict(payload, determination=self.basis(payload["fronting_party"], payload["cost_bearer"], client))
        return sign_statement(self.signers[party], kind, payload,
                              idempotency_key=key or f"k-{next(_counter)}", client=client, **kw)

    def basis(self, fronting: str, bearer: str, client: str | None) -> dict:
        """A determination by `fronting` naming `bearer` for `client` (recorded once): what a cost line
        rests on (ledger/costline_basis.py), for tests about something else."""
        wanted = (fronting, bearer, client)
        if wanted not in self.bases:
            det = self.store.append(*sign_statement(
                self.signers[fronting], "determination", determination(addressee=bearer, determination_id=f"basis-{fronting}-{bearer}"),
                idempotency_key=f"basis-{fronting}-{bearer}-{client}-{next(_counter)}", client=client,
                authored_at=self.store.clock()).as_item())
            self.bases[wanted] = ref(det)
        return self.bases[wanted]

    def append(self, party: str, kind: str, payload: dict, **kw):
        return self.store.append(*self.sign(party, kind, payload, **kw).as_item())


def find_basis(store: Store, fronting: str, bearer: str, client: str = "PSN-client-1") -> dict:
    """The reference of the setup's determination by `fronting` naming `bearer` for `client` (for a
    worker process that has only the store)."""
    import json

    from ledger.store import entries

    for row in store.rows_where(entries.c.kind == "determination", entries.c.author == fronting,
                                entries.c.client == client):
        if json.loads(row.statement)["payload"]["outcome"]["cost_bearer"] == bearer:
            return {"seq": row.seq, "entry_hash": row.leaf_hash.hex()}
    raise LookupError(f"no determination by {fronting} naming {bearer} for {client}")


def ref(result) -> dict:
    return {"seq": result.seq, "entry_hash": result.entry_hash.hex()}


def cost_line(fronting="GM0166", bearer="GM0193", units=31, tariff=19_500, **kw) -> dict:
    """A January 2026 cost line for product 15A01 at the IJssel-Vecht contract tariff; a fronting party
    without that contract marks the tariff as deviating (as its booking would have to)."""
    from datetime import date

    from ledger.costline_basis import contract_tariff_holds

    d = {"fronting_party": fronting, "cost_bearer": bearer, "period_from": "2026-01-01",
         "period_to": "2026-01-31", "product": "15A01", "units": units, "tariff_cents": tariff,
         "amount_cents": units * tariff, "status": "provisional", "historical_budget": False}
    d.update(kw)
    if not contract_tariff_holds(d["fronting_party"], d["product"], date.fromisoformat(d["period_from"]),
                                 date.fromisoformat(d["period_to"]), d["tariff_cents"]):
        d.setdefault("tariff_deviation", True)
    return d


def determination(addressee="GM0193", **kw) -> dict:
    d = {"determination_id": "det-1", "determination_digest": "a" * 64, "input_digest": "b" * 64,
         "ruleset_version": "rules-1", "context_version": "ctx-1", "reference_date": "2026-01-01",
         "outcome": {"cost_bearer": addressee, "budget": "woonplaats", "client_class": "NEW",
                     "new_client": True, "statutory_college": addressee, "entry_kind": "inter_regional"},
         "flags": ["SAME_DAY_EVENTS"], "provisional": False, "addressee": addressee, "copy_to": [],
         "objection_deadline": "2026-02-26"}
    d.update(kw)
    return d


import pytest  # noqa: E402

PG_PARAM = pytest.param("postgres", marks=pytest.mark.postgres)

# the PostgreSQL URL of tests/ledger/conftest.py (a `from conftest import` may pick another folder's conftest)
PG_URL = __import__("os").environ.get("BWLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
