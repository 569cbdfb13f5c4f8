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
        for p in PARTIES:
            s = new_signer(p)
            register_key(self.store, s)
            self.signers[p] = s

    def signer_for(self, party):
        return self.signers[party]
