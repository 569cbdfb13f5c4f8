"""OpenID Connect relying party: login through the municipalities' identity provider.

The authorization-code flow with PKCE (S256), `state` and `nonce`:

1. `start_login(cfg, key)` makes a fresh state, nonce and PKCE verifier, seals them (AES-GCM with the
   deployment's transaction key, 10 minutes) into the value of the `bw_oidc` cookie and gives the
   provider's authorization URL to redirect to. Nothing is kept on the server, so every worker can
   finish any login.
2. `finish_login(cfg, key, cookie, params)` takes the callback's query: the state must be the sealed one
   (the cookie binds the login to this browser: login CSRF), an `iss` parameter (RFC 9207) must be the
   issuer, the code is exchanged at the token endpoint (client_secret_basic, with the verifier), and the
   ID token is validated: signature with a key of the provider's JWKS (refetched once for an unknown
   key id), `iss`, `aud` (and `azp`), `exp`/`iat` with 60 s leeway, the `nonce`, `at_hash`. Its claims
   are mapped to an `Identity` by `api.access.oidc_claims` (party and roles).
3. `identity_from_access_token(cfg, token)`: a machine client's client-credentials access token (a JWT
   for BWLEDGER_OIDC_API_AUDIENCE) to an identity, through the same mapping.

Every refusal is a `LoginRefused` with a stable code (api/access/errors.py) and a Dutch message.
TLS to the provider trusts BWLEDGER_OIDC_CA_BUNDLE when set (the system's CAs otherwise).
"""
from __future__ import annotations

import base64
import hmac
import json
import os
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from api.access import errors as E
from api.access.errors import LoginRefused
from api.access.identity import Identity
from api.access.oidc_claims import identity_from_claims
from api.settings import OidcSettings

#: the cookie that carries a login in progress (sealed state, nonce, PKCE verifier)
TRANSACTION_COOKIE = "bw_oidc"
TRANSACTION_SECONDS = 600
LEEWAY_SECONDS = 60
#: asymmetric signatures only: never `none`, never a MAC keyed with the client secret
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
DISCOVERY_SECONDS = 3600
_AAD = b"bwledger-oidc-transaction-1"


# --- the transaction: state, nonce, verifier, sealed into a cookie -------------------------------------

def transaction_key(keys_dir: Path) -> bytes:
    """The deployment's key for sealing login transactions: `keys_dir/oidc-transaction.key` (32 random
    bytes, mode 0600), made on first use; every worker process reads the same file."""
    path = keys_dir / "oidc-transaction.key"
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it first
        return _read_key(path)
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(32))
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    for _ in range(50):  # a worker that just made the file may not have written it yet
        raw = path.read_bytes()
        if len(raw) == 32:
            return raw
        time.sleep(0.01)
    raise ValueError(f"{path}: not a 32-byte key")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _seal(key: bytes, data: dict) -> str:
    iv = os.urandom(12)
    return _b64(iv + AESGCM(key).encrypt(iv, json.dumps(data, separators=(",", ":")).encode(), _AAD))


def _unseal(key: bytes, value: str | None, now: float) -> dict:
    if not value:
        raise LoginRefused(E.STATE_INVALID, "deze aanmelding is niet hier begonnen of het cookie ontbreekt; "
                                            "begin opnieuw bij /login/oidc")
    try:
        raw = _unb64(value)
        data = json.loads(AESGCM(key).decrypt(raw[:12], raw[12:], _AAD))
    except (ValueError, InvalidTag, UnicodeDecodeError):
        raise LoginRefused(E.STATE_INVALID, "het aanmeldcookie is ongeldig; begin opnieuw bij /login/oidc") from None
    if not isinstance(data, dict) or not isinstance(data.get("e"), (int, float)) or data["e"] < now:
        raise LoginRefused(E.STATE_INVALID, "deze aanmelding is verlopen; begin opnieuw bij /login/oidc")
    return data


# --- the provider: discovery and keys --------------------------------------------------------------------

@dataclass
class _Provider:
    metadata: dict
    keys: KeySet | None
    fetched: float


_providers: dict[tuple[str, str | None], _Provider] = {}
_lock = threading.Lock()


def _client(cfg: OidcSettings) -> httpx.Client:
    verify = ssl.create_default_context(cafile=str(cfg.ca_bundle)) if cfg.ca_bundle else True
    return httpx.Client(verify=verify, timeout=10.0, follow_redirects=False)


def _get_json(cfg: OidcSettings, url: str) -> dict:
    try:
        with _client(cfg) as http:
            r = http.get(url, headers={"accept": "application/json"})
    except httpx.HTTPError as exc:
        raise LoginRefused(E.PROVIDER_UNAVAILABLE, f"de identity provider is niet bereikbaar ({type(exc).__name__})") \
            from None
    if r.status_code != 200:
        raise LoginRefused(E.PROVIDER_UNAVAILABLE, f"de identity provider antwoordde {r.status_code} op {url}")
    try:
        body = r.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise LoginRefused(E.PROVIDER_UNAVAILABLE, f"de identity provider gaf geen JSON-object op {url}")
    return body


def _provider(cfg: OidcSettings, refresh_keys: bool = False) -> _Provider:
    cache_key = (cfg.issuer, str(cfg.ca_bundle) if cfg.ca_bundle else None)
    with _lock:
        entry = _providers.get(cache_key)
    now = time.monotonic()
    if entry is None or now - entry.fetched > DISCOVERY_SECONDS:
        meta = _get_json(cfg, cfg.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if meta.get("issuer") != cfg.issuer:  # OIDC Discovery 4.3: the document is the issuer's own
            raise LoginRefused(E.PROVIDER_UNAVAILABLE, f"de identity provider noemt zich {meta.get('issuer')!r}, "
                                                       f"niet {cfg.issuer!r}")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(meta.get(name), str) or not meta[name].startswith("https://"):
                raise LoginRefused(E.PROVIDER_UNAVAILABLE, f"de identity provider geeft geen https-adres voor {name}")
        entry = _Provider(meta, None, now)
    if entry.keys is None or refresh_keys:
        try:
            entry.keys = KeySet.import_key_set(_get_json(cfg, entry.metadata["jwks_uri"]))
        except (JoseError, ValueError, TypeError, KeyError):
            raise LoginRefused(E.PROVIDER_UNAVAILABLE, "de sleutels (JWKS) van de identity provider zijn onleesbaar") \
                from None
    with _lock:
        _providers[cache_key] = entry
    return entry


def _decode(cfg: OidcSettings, token: str) -> jwt.Token:
    """Signature checked with the provider's keys (refetched once when the key id is unknown: rotation)."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise LoginRefused(E.TOKEN_INVALID, "de identity provider gaf geen geldig token")
    reason = "onleesbaar"
    for refresh in (False, True):
        keys = _provider(cfg, refresh_keys=refresh).keys
        try:
            return jwt.decode(token, keys, algorithms=list(ALGORITHMS))
        except JoseError as exc:
            reason = type(exc).__name__
        except (ValueError, TypeError):
            break
    raise LoginRefused(E.TOKEN_INVALID, f"de handtekening van het token van de identity provider klopt niet ({reason})")


# --- the flow ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginStart:
    """Where to send the browser, and the value of the `bw_oidc` cookie to set with it."""
    url: str
    cookie: str


def start_login(cfg: OidcSettings, key: bytes, now: float | None = None) -> LoginStart:
    now = time.time() if now is None else now
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    scopes = cfg.scopes if "openid" in cfg.scopes else ("openid", *cfg.scopes)
    url = prepare_grant_uri(_provider(cfg).metadata["authorization_endpoint"], cfg.client_id, "code",
                            redirect_uri=cfg.redirect_url, scope=" ".join(scopes), state=state, nonce=nonce,
                            code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256")
    return LoginStart(url=url, cookie=_seal(key, {"s": state, "n": nonce, "v": verifier,
                                                   "e": int(now) + TRANSACTION_SECONDS}))


def finish_login(cfg: OidcSettings, key: bytes, cookie: str | None, params: Mapping[str, str],
                 now: float | None = None) -> Identity:
    """The identity of a callback (its query `params`), or LoginRefused."""
    now = time.time() if now is None else now
    sealed = _unseal(key, cookie, now)
    state = params.get("state") or ""
    if not hmac.compare_digest(state.encode(), str(sealed.get("s", "")).encode()):
        raise LoginRefused(E.STATE_INVALID, "de state van het antwoord van de identity provider hoort niet bij "
                                            "deze aanmelding; begin opnieuw bij /login/oidc")
    if "iss" in params and params["iss"] != cfg.issuer:  # RFC 9207: an answer from another provider (mix-up)
        raise LoginRefused(E.STATE_INVALID, "het antwoord komt van een andere identity provider")
    if params.get("error"):
        raise LoginRefused(E.LOGIN_REFUSED, f"de identity provider weigerde de aanmelding ({params['error']})")
    code = params.get("code")
    if not code:
        raise LoginRefused(E.STATE_INVALID, "het antwoord van de identity provider bevat geen code")
    tokens = _exchange(cfg, code, sealed["v"])
    claims = verify_id_token(cfg, tokens.get("id_token"), nonce=sealed["n"],
                             access_token=tokens.get("access_token"), now=now)
    return identity_from_claims(claims, cfg)


def _exchange(cfg: OidcSettings, code: str, verifier: str) -> dict:
    endpoint = _provider(cfg).metadata["token_endpoint"]
    try:
        with _client(cfg) as http:
            r = http.post(endpoint, data={"grant_type": "authorization_code", "code": code,
                                          "redirect_uri": cfg.redirect_url, "code_verifier": verifier},
                          auth=(cfg.client_id, cfg.client_secret), headers={"accept": "application/json"})
    except httpx.HTTPError as exc:
        raise LoginRefused(E.PROVIDER_UNAVAILABLE, f"de identity provider is niet bereikbaar ({type(exc).__name__})") \
            from None
    try:
        body = r.json()
    except ValueError:
        body = {}
    if r.status_code == 400 and isinstance(body, dict) and body.get("error") == "invalid_grant":
        raise LoginRefused(E.LOGIN_REFUSED, "de identity provider nam de code niet aan (verlopen, al gebruikt of "
                                            "niet voor deze aanmelding); begin opnieuw bij /login/oidc")
    if r.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
        raise LoginRefused(E.PROVIDER_UNAVAILABLE, f"de identity provider gaf geen ID-token ({r.status_code})")
    return body


def verify_id_token(cfg: OidcSettings, id_token: Any, nonce: str, access_token: str | None = None,
                    now: float | None = None) -> dict:
    """The claims of a valid ID token for this login (OIDC Core 3.1.3.7), or LoginRefused."""
    now = time.time() if now is None else now
    token = _decode(cfg, id_token)
    claims = CodeIDToken(token.claims, token.header,
                         options={"iss": {"essential": True, "value": cfg.issuer},
                                  "aud": {"essential": True, "value": cfg.client_id}},
                         params={"client_id": cfg.client_id, "access_token": access_token})
    try:
        claims.validate(now=int(now), leeway=LEEWAY_SECONDS)
    except JoseError as exc:
        raise LoginRefused(E.TOKEN_INVALID, f"het ID-token van de identity provider is niet geldig "
                                            f"({type(exc).__name__}: {getattr(exc, 'description', '') or exc})") from None
    got = token.claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise LoginRefused(E.NONCE_INVALID, "het ID-token hoort niet bij deze aanmelding (nonce)")
    return dict(token.claims)


def identity_from_access_token(cfg: OidcSettings, token: str, now: float | None = None) -> Identity:
    """A machine client's identity from its client-credentials access token (a JWT whose audience is
    BWLEDGER_OIDC_API_AUDIENCE), party and roles mapped as for a person; LoginRefused otherwise."""
    if not cfg.api_audience:
        raise LoginRefused(E.TOKEN_INVALID, "tokens van deze identity provider worden voor de API niet aanvaard")
    now = time.time() if now is None else now
    decoded = _decode(cfg, token)
    if decoded.header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):  # RFC 9068: not an ID token
        raise LoginRefused(E.TOKEN_INVALID, "dit is geen toegangstoken (typ at+jwt)")
    try:
        jwt.JWTClaimsRegistry(now=int(now), leeway=LEEWAY_SECONDS, iss={"essential": True, "value": cfg.issuer},
                              aud={"essential": True, "value": cfg.api_audience}, exp={"essential": True},
                              sub={"essential": True}).validate(decoded.claims)
    except JoseError as exc:
        raise LoginRefused(E.TOKEN_INVALID, f"het toegangstoken is niet geldig ({type(exc).__name__})") from None
    return identity_from_claims(decoded.claims, cfg)


def forget_providers() -> None:
    """Drop the cached discovery documents and keys (tests that start a new provider on a reused issuer)."""
    with _lock:
        _providers.clear()
