"""The mapping from an OpenID provider's claims to (party, roles): the one place it is decided.

| claim (default name) | setting | becomes | refused when |
|---|---|---|---|
| `sub` | - | `Identity.subject` | (the ID token is refused without it) |
| `bw_party` | BWLEDGER_OIDC_PARTY_CLAIM | `Identity.party` (upper case) | missing or not a string: OIDC_PARTY_MISSING; not in BWLEDGER_OIDC_PARTIES: OIDC_PARTY_NOT_ALLOWED |
| `bw_roles` | BWLEDGER_OIDC_ROLES_CLAIM | `Identity.roles`, each value through BWLEDGER_OIDC_ROLE_MAP when set | missing, empty, not a list of strings (or a space-separated string): OIDC_ROLES_MISSING; a value that is no bwledger role: OIDC_ROLE_UNKNOWN |

A provider asserts only the parties configured for it, so one municipality's identity provider can never
log someone in for another. Unknown roles refuse the whole login (they are never silently dropped): a
typing error in the provider's group names shows at once instead of as missing access.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.access import errors as E
from api.access.errors import LoginRefused
from api.access.identity import ROLES, Identity
from api.settings import OidcSettings


def _party(claims: Mapping[str, Any], cfg: OidcSettings) -> str:
    raw = claims.get(cfg.party_claim)
    if not isinstance(raw, str) or not raw.strip():
        raise LoginRefused(E.PARTY_MISSING, f"de identity provider gaf geen partij mee (claim {cfg.party_claim})")
    party = raw.strip().upper()
    if party not in cfg.parties:
        raise LoginRefused(E.PARTY_NOT_ALLOWED, f"deze identity provider mag niet aanmelden voor partij {party}")
    return party


def _roles(claims: Mapping[str, Any], cfg: OidcSettings) -> frozenset[str]:
    raw = claims.get(cfg.roles_claim)
    values = raw.split() if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise LoginRefused(E.ROLES_MISSING, f"de identity provider gaf geen rollen mee (claim {cfg.roles_claim})")
    roles = set()
    for value in values:
        role = cfg.role_map.get(value.strip(), None if cfg.role_map else value.strip())
        if role not in ROLES:
            raise LoginRefused(E.ROLE_UNKNOWN, f"onbekende rol van de identity provider: {value.strip()}")
        roles.add(role)
    return frozenset(roles)


def identity_from_claims(claims: Mapping[str, Any], cfg: OidcSettings) -> Identity:
    """The identity of validated ID token (or machine access token) claims; LoginRefused otherwise."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise LoginRefused(E.TOKEN_INVALID, "het token van de identity provider noemt geen gebruiker (sub)")
    return Identity(subject=subject, party=_party(claims, cfg), roles=_roles(claims, cfg), provider=cfg.provider)
