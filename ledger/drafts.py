"""An unsigned statement of a write (a *draft*): what the acting party signs, on this machine or its own.

A service's draft function reads the ledger, runs its checks and returns drafts; the local function
signs them here with the Signer it is given, and the HTTP draft endpoints hand their canonical bytes to
the party to sign on its own machine (cases.service, ledger.settlement.tariff_acceptance). Either way
the ledger's admission judges what arrives.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .crypto import Signer
from .entries import make_statement
from .service import SignedStatement


@dataclass(frozen=True)
class Draft:
    """One unsigned statement: its author and key id and the moment of signing are filled in by
    `statement`."""

    kind: str
    payload: dict
    idempotency_key: str
    client: str | None

    def statement(self, author: str, key_id: str, authored_at: datetime) -> bytes:
        """The canonical statement bytes (ledger.entries.make_statement): exactly what is signed."""
        return make_statement(kind=self.kind, author=author, key_id=key_id, payload=self.payload,
                              idempotency_key=self.idempotency_key, authored_at=authored_at, client=self.client)

    def signed(self, signer: Signer, authored_at: datetime) -> SignedStatement:
        """The statement of `signer`'s party and key, signed by it."""
        raw = self.statement(signer.party, signer.key_id, authored_at)
        return SignedStatement(raw, signer.sign(raw))


__all__ = ["Draft"]
