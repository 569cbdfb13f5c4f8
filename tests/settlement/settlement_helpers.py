"""Helpers for the settlement tests: a ledger with the demo parties' keys registered."""
from __future__ import annotations

import os

from ledger.crypto import new_signer
from ledger.entries import OPERATOR
from ledger.service import init_ledger, register_key

PG_URL = os.environ.get("BWLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PARTIES = ["GM0166", "GM0193", "GM0148", "GM0160", "GM0505", "GM0228", "GM0718", "COMMITTEE"]


class Env:
    def __init__(self, url, schema, keys_dir):
        self.store = init_ledger(url, keys_dir, schema=schema)
        self.signers = {OPERATOR: self.store.operator}
        self.bases = {}
        for p in PARTIES:
            s = new_signer(p)
            register_key(self.store, s)
            self.signers[p] = s

    def signer_for(self, party):
        return self.signers[party]

    def based(self, placement):
        """The placement with a recorded determination behind it (what its cost lines must rest on,
        ledger/costline_basis.py): by the fronting party, naming the cost bearer, from the start."""
        if placement.determination is not None:
            return placement
        from dataclasses import replace

        from ledger.service import sign_statement

        key = (placement.client, placement.fronting_party, placement.cost_bearer)
        if key not in self.bases:
            flags = ["T0_STRADDLE"] if placement.status == "provisional" else []
            r = self.store.append(*sign_statement(
                self.signers[placement.fronting_party], "determination",
                {"determination_id": f"det-{placement.client}", "determination_digest": "a" * 64,
                 "input_digest": "b" * 64, "ruleset_version": "r", "context_version": "c",
                 "reference_date": placement.start.isoformat(),
                 "outcome": {"cost_bearer": placement.cost_bearer, "budget": "historical" if placement.historical_budget
                             else "woonplaats", "client_class": "NEW", "new_client": True,
                             "statutory_college": placement.cost_bearer, "entry_kind": "inter_regional"},
                 "flags": flags, "provisional": bool(flags), "addressee": placement.cost_bearer},
                idempotency_key=f"basis-{'-'.join(key)}", client=placement.client).as_item())
            self.bases[key] = {"seq": r.seq, "entry_hash": r.entry_hash.hex()}
        return replace(placement, determination=self.bases[key])

    def redetermine(self, previous: dict, author: str, client: str, bearer: str, reference_date) -> dict:
        """A re-determination (N8) by `author` naming `bearer` from `reference_date`, replacing
        `previous`: what a correction of the cost bearer rests on (ledger/costline_basis.py)."""
        from ledger.service import sign_statement

        r = self.store.append(*sign_statement(
            self.signers[author], "redetermination",
            {"determination_id": f"redet-{client}-{reference_date}", "determination_digest": "c" * 64,
             "input_digest": "d" * 64, "ruleset_version": "r", "context_version": "c",
             "reference_date": reference_date.isoformat(),
             "outcome": {"cost_bearer": bearer, "budget": "woonplaats", "client_class": "NEW", "new_client": True,
                         "statutory_college": bearer, "entry_kind": "inter_regional"},
             "flags": [], "provisional": False, "addressee": bearer, "previous": previous,
             "trigger": "RETRO_BRP"},
            idempotency_key=f"redet-{client}-{reference_date}-{bearer}", client=client).as_item())
        return {"seq": r.seq, "entry_hash": r.entry_hash.hex()}
