"""The pseudonymisation of a client: the one place a BSN is accepted (the intake calls it, through
`bwledger clients pseudonym` or POST /v1/clienten/pseudoniemen) and turned into the pseudonym the ledger,
the cases and the statements know the client by.

`pseudonym(bsn, secret)`: the BSN checked with the 11-proef (ledger.privacy.elfproef, the one 11-proef),
then HMAC-SHA256 keyed with the deployment's secret (held outside the database, api/bootstrap.py), of
which the first 160 bits are written in base32 (RFC 4648: A-Z and 2-7) as `PSN-` and eight groups of four
characters separated by dashes, e.g. `PSN-K5QW-2ZBX-...`. Base32 has no 0, 1, 8 or 9 and a dash follows
every four characters, so a pseudonym never holds a run of nine (or even five) digits: the privacy checks
of ledger/privacy.py never mistake one for a BSN. The same BSN and secret give the same pseudonym; without
the secret nobody can go from a pseudonym back to a BSN, nor test a guessed BSN against it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from .errors import BSN_INVALID, LedgerError
from .privacy import elfproef

PREFIX = "PSN-"
#: bytes of the HMAC kept (160 bits: 32 base32 characters, no padding)
_KEPT = 20
_GROUP = 4
#: the domain of the HMAC, so the same secret used elsewhere never yields the same bytes
_DOMAIN = b"bwledger-pseudonym/1\x00"
MIN_SECRET_BYTES = 16


def normalise_bsn(bsn: str) -> str:
    """The nine digits of a BSN as written (`123456782`, `1234.56.782`, `1234 56 782`); BSN_INVALID
    (Dutch, without repeating the value) when it is not nine digits passing the 11-proef."""
    digits = bsn.strip().replace(" ", "").replace(".", "") if isinstance(bsn, str) else ""
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        raise LedgerError(BSN_INVALID, "dit is geen burgerservicenummer: een BSN bestaat uit negen cijfers")
    if not elfproef(digits):
        raise LedgerError(BSN_INVALID, "dit is geen geldig burgerservicenummer: het voldoet niet aan de elfproef "
                                       "(controleer of de cijfers goed zijn overgenomen)")
    return digits


def encode(digest: bytes) -> str:
    """`PSN-` and the first 160 bits of `digest` in base32, in dash-separated groups of four."""
    text = base64.b32encode(digest[:_KEPT]).decode("ascii")
    return PREFIX + "-".join(text[i:i + _GROUP] for i in range(0, len(text), _GROUP))


def pseudonym(bsn: str, secret: bytes) -> str:
    """The client's pseudonym for `bsn` under this deployment's `secret` (at least 16 bytes)."""
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the pseudonym secret must be at least {MIN_SECRET_BYTES} bytes")
    digits = normalise_bsn(bsn)
    return encode(hmac.new(secret, _DOMAIN + digits.encode("ascii"), hashlib.sha256).digest())
