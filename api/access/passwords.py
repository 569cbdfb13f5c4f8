"""Passwords of local accounts: argon2id (RFC 9106) through `argon2-cffi`, its default parameters
(the RFC's second recommended option: 64 MiB, 3 passes, 4 lanes). The hash string carries its own
parameters and salt, so raising them later re-hashes an account at its next login (`needs_rehash`)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id
#: the shortest password an account may get (BIO 9.4.3: a password policy; length over composition)
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"een wachtwoord heeft ten minste {MIN_LENGTH} tekens")
    return _HASHER.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`; False for a mismatch, no hash (OIDC-only account) or a
    damaged hash. When there is no hash a dummy hash is still checked, so timing tells nothing."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


_DUMMY = _HASHER.hash("bwledger-no-password-here")
