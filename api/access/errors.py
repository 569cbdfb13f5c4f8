"""Login refusals: a stable code, the HTTP status and a Dutch message for the person logging in."""
from __future__ import annotations

#: the provider's answer or the login attempt is not one we started (state or its cookie missing, wrong, expired)
STATE_INVALID = "OIDC_STATE_INVALID"
#: the ID token's nonce is missing or not the one sent with this login
NONCE_INVALID = "OIDC_NONCE_INVALID"
#: the ID token is not valid: signature (provider's JWKS), issuer, audience, expiry, or malformed
TOKEN_INVALID = "OIDC_TOKEN_INVALID"
#: the provider refused or the user broke off (error=... on the callback)
LOGIN_REFUSED = "OIDC_LOGIN_REFUSED"
#: the provider could not be reached, or answered discovery or the token request with an error
PROVIDER_UNAVAILABLE = "OIDC_PROVIDER_UNAVAILABLE"
#: the party claim is missing or not a string
PARTY_MISSING = "OIDC_PARTY_MISSING"
#: the party claim names a party this provider may not assert
PARTY_NOT_ALLOWED = "OIDC_PARTY_NOT_ALLOWED"
#: the roles claim is missing, empty or not a list of strings
ROLES_MISSING = "OIDC_ROLES_MISSING"
#: the roles claim names a role bwledger does not know (after the role map)
ROLE_UNKNOWN = "OIDC_ROLE_UNKNOWN"

STATUS = {STATE_INVALID: 400, NONCE_INVALID: 401, TOKEN_INVALID: 401, LOGIN_REFUSED: 401,
          PROVIDER_UNAVAILABLE: 502, PARTY_MISSING: 403, PARTY_NOT_ALLOWED: 403, ROLES_MISSING: 403,
          ROLE_UNKNOWN: 403}


class LoginRefused(Exception):
    """A login that does not yield an identity. `message` is Dutch, for the person logging in."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 403)
