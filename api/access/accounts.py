"""Accounts, API tokens, sessions, case assignments and the login's rate-limit counters: the access service.

Everything is in the ledger's database (api/access/tables.py), so every worker process of
`bwledger serve --workers N` shares it. Secrets are never stored: a password as its argon2id hash
(api/access/passwords.py), a token and a session id as their SHA-256 digest (they are 256-bit random
values, so a plain digest is enough to make a stolen table useless), a TOTP secret as RFC 6238 needs it.

- An account belongs to one party and has one or more roles (api/access/identity.py ROLES); the
  roles that read case files or manage (`SECOND_FACTOR_ROLES`) need a TOTP second factor.
- A token is bound to one party and role set, shown once (`bwt_<id>_<secret>`), expires, can be
  revoked; it lets a machine in, it never signs for a party (the ledger checks every signature).
- A session is server-side: the browser holds only its random id (cookie); it expires after
  `SESSION_SECONDS` (idle and absolute both, kept simple: absolute), a login always makes a new one
  (rotation, against session fixation), and it carries its CSRF token.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from api import metrics
from api.access import passwords, rate_limit, totp
from api.access.identity import ROLES, Identity
from api.access.tables import accounts, case_assignments, sessions, tokens
from ledger.entries import PARTY_RE
from ledger.parties import party_code_problem
from ledger.store import utcnow

#: roles whose login needs a second factor (issue 12: they read case files or manage)
SECOND_FACTOR_ROLES = frozenset({"commissielid", "secretaris", "auditor", "beheer"})
SESSION_SECONDS = 8 * 3600
#: a session whose password was right but whose second factor is still due lives this long
PENDING_SECONDS = 300
TOKEN_DAYS_DEFAULT = 90
TOKEN_DAYS_MAX = 366
LOCAL_PROVIDER = "lokaal"
TOKEN_PROVIDER = "token"
TOKEN_PREFIX = "bwt_"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,119}$")

# the codes of refusals (problem+json `code`); the HTTP status is in api/http/guards.py
NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
LOGIN_FAILED = "LOGIN_FAILED"
SECOND_FACTOR_FAILED = "SECOND_FACTOR_FAILED"
ACCOUNT_INVALID = "ACCOUNT_INVALID"
ACCOUNT_EXISTS = "ACCOUNT_EXISTS"
ACCOUNT_UNKNOWN = "ACCOUNT_UNKNOWN"
TOKEN_INVALID = "TOKEN_INVALID"
TOKEN_UNKNOWN = "TOKEN_UNKNOWN"
RATE_LIMITED = rate_limit.RATE_LIMITED


class AccessError(Exception):
    """A refused access step; `message` is Dutch."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _roles_text(roles) -> str:
    return " ".join(sorted(roles))


def check_roles(party: str, roles) -> frozenset[str]:
    """The roles as a set; AccessError for an unknown role, none, or a role its party cannot hold."""
    out = frozenset(r.strip() for r in roles if r and r.strip())
    if not out:
        raise AccessError(ACCOUNT_INVALID, "geef ten minste één rol")
    unknown = sorted(out - ROLES)
    if unknown:
        raise AccessError(ACCOUNT_INVALID, f"onbekende rol: {', '.join(unknown)} (bekend: {', '.join(sorted(ROLES))})")
    if out & {"commissielid", "secretaris"} and party != "COMMITTEE":
        raise AccessError(ACCOUNT_INVALID, "de rollen commissielid en secretaris horen bij de geschillencommissie "
                                           "(partij COMMITTEE)")
    if party == "COMMITTEE" and out & {"finance", "regio"}:
        raise AccessError(ACCOUNT_INVALID, "de geschillencommissie heeft geen rol finance of regio")
    return out


def check_party(party: str) -> str:
    """The party of an account or token: the one party check (ledger.parties.party_code_problem)."""
    party = (party or "").strip()
    err = party_code_problem(party)
    if err:
        raise AccessError(ACCOUNT_INVALID if not PARTY_RE.match(party) else err.code, err.message)
    return party


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    party: str
    roles: frozenset[str]
    display_name: str
    has_password: bool
    has_second_factor: bool
    disabled_at: datetime | None
    created_at: datetime

    @property
    def needs_second_factor(self) -> bool:
        return bool(self.roles & SECOND_FACTOR_ROLES)

    def identity(self) -> Identity:
        return Identity(subject=f"account:{self.username}", party=self.party, roles=self.roles,
                        provider=LOCAL_PROVIDER)


@dataclass(frozen=True)
class NewAccount:
    account: Account
    #: the TOTP secret, shown once to the person (None when the roles need no second factor)
    totp_secret: str | None

    @property
    def totp_uri(self) -> str | None:
        return totp.provisioning_uri(self.totp_secret, self.account.username) if self.totp_secret else None


@dataclass(frozen=True)
class TokenRecord:
    id: str
    party: str
    roles: frozenset[str]
    label: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Session:
    """A server-side session. `stage` is "totp" while the second factor is due, then "active"."""
    digest: str
    account_id: int | None
    identity: Identity
    csrf: str
    stage: str
    expires_at: datetime

    @property
    def active(self) -> bool:
        return self.stage == "active"


def _account(r) -> Account:
    return Account(id=r.id, username=r.username, party=r.party, roles=frozenset(r.roles.split()),
                   display_name=r.display_name, has_password=r.password_hash is not None,
                   has_second_factor=r.totp_secret is not None, disabled_at=r.disabled_at, created_at=r.created_at)


def _token(r) -> TokenRecord:
    return TokenRecord(id=r.id, party=r.party, roles=frozenset(r.roles.split()), label=r.label,
                       created_by=r.created_by, created_at=r.created_at, expires_at=r.expires_at,
                       revoked_at=r.revoked_at)


class AccessService:
    """The access service over one database `engine` (the ledger store's)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    # ------------------------------------------------------------------ accounts
    def add_account(self, username: str, party: str, roles, *, display_name: str = "",
                    password: str | None = None) -> NewAccount:
        """A new account; with a TOTP secret when its roles need a second factor (shown once)."""
        username = (username or "").strip().lower()
        if not _USERNAME.match(username):
            raise AccessError(ACCOUNT_INVALID, "een gebruikersnaam is 2-120 tekens: kleine letters, cijfers, . _ @ -")
        party = check_party(party)
        roles = check_roles(party, roles)
        if "beheer" in roles and party != "OPERATOR" and not party.startswith(("GM", "RG:")):
            raise AccessError(ACCOUNT_INVALID, "beheer hoort bij de beheerder of bij een gemeente of regio")
        try:
            hashed = passwords.hash_password(password) if password is not None else None
        except ValueError as exc:
            raise AccessError(ACCOUNT_INVALID, str(exc)) from None
        secret = totp.new_secret() if roles & SECOND_FACTOR_ROLES else None
        try:
            with self.engine.begin() as conn:
                conn.execute(accounts.insert().values(
                    username=username, party=party, roles=_roles_text(roles), display_name=display_name or username,
                    password_hash=hashed, totp_secret=secret, created_at=self.clock()))
        except IntegrityError:
            raise AccessError(ACCOUNT_EXISTS, f"er is al een account {username}") from None
        return NewAccount(self.account(username), secret)

    def account(self, username: str) -> Account:
        with self.engine.connect() as conn:
            r = conn.execute(accounts.select().where(accounts.c.username == username.strip().lower())).first()
        if r is None:
            raise AccessError(ACCOUNT_UNKNOWN, f"geen account {username}")
        return _account(r)

    def accounts(self, party: str | None = None) -> list[Account]:
        q = accounts.select().order_by(accounts.c.party, accounts.c.username)
        if party:
            q = q.where(accounts.c.party == party)
        with self.engine.connect() as conn:
            return [_account(r) for r in conn.execute(q)]

    def disable_account(self, username: str) -> Account:
        acc = self.account(username)
        with self.engine.begin() as conn:
            conn.execute(accounts.update().where(accounts.c.id == acc.id, accounts.c.disabled_at.is_(None))
                         .values(disabled_at=self.clock()))
            conn.execute(sessions.delete().where(sessions.c.account_id == acc.id))
        return self.account(username)

    def set_password(self, username: str, password: str) -> None:
        acc = self.account(username)
        try:
            hashed = passwords.hash_password(password)
        except ValueError as exc:
            raise AccessError(ACCOUNT_INVALID, str(exc)) from None
        with self.engine.begin() as conn:
            conn.execute(accounts.update().where(accounts.c.id == acc.id).values(password_hash=hashed))
            conn.execute(sessions.delete().where(sessions.c.account_id == acc.id))

    # ------------------------------------------------------------------ login
    def login(self, username: str, password: str) -> tuple[Session, str]:
        """Step one: the password. A new session (rotation: a login never reuses one) at stage "totp"
        when the account needs a second factor, else "active"; returns (session, cookie value).
        One refusal for every reason (unknown, disabled, wrong), so it tells an attacker nothing."""
        name = (username or "").strip().lower()
        with self.engine.connect() as conn:
            r = conn.execute(accounts.select().where(accounts.c.username == name)).first()
        ok = passwords.check_password(r.password_hash if r is not None else None, password or "")
        if r is None or not ok or r.disabled_at is not None:
            metrics.failed_login(self.engine, "password")  # the monitoring's failed logins (api/metrics.py)
            raise AccessError(LOGIN_FAILED, "onbekende gebruiker of onjuist wachtwoord")
        acc = _account(r)
        if passwords.needs_rehash(r.password_hash):
            with self.engine.begin() as conn:
                conn.execute(accounts.update().where(accounts.c.id == acc.id)
                             .values(password_hash=passwords.hash_password(password)))
        stage = "totp" if acc.needs_second_factor else "active"
        return self._new_session(acc.identity(), acc.id, stage)

    def second_factor(self, cookie: str | None, code: str) -> tuple[Session, str]:
        """Step two: the TOTP code of the session's account; a fresh session id at stage "active"."""
        pending = self.session(cookie, stage="totp")
        if pending is None or pending.account_id is None:
            raise AccessError(NOT_AUTHENTICATED, "meld u opnieuw aan")
        with self.engine.begin() as conn:
            r = conn.execute(accounts.select().where(accounts.c.id == pending.account_id).with_for_update()).first()
            if r is None or r.disabled_at is not None or r.totp_secret is None:
                raise AccessError(LOGIN_FAILED, "dit account kan niet aanmelden")
            matched = totp.verify(r.totp_secret, code, self.clock().timestamp(), after_step=r.totp_last_step)
            if matched is None:
                metrics.failed_login(self.engine, "second_factor")
                raise AccessError(SECOND_FACTOR_FAILED, "de code klopt niet of is al gebruikt")
            conn.execute(accounts.update().where(accounts.c.id == r.id).values(totp_last_step=matched))
            conn.execute(sessions.delete().where(sessions.c.digest == pending.digest))
        return self._new_session(pending.identity, pending.account_id, "active")

    def login_identity(self, identity: Identity) -> tuple[Session, str]:
        """A session for an identity an OpenID provider vouched for (its own second factor)."""
        return self._new_session(identity, None, "active")

    def _new_session(self, identity: Identity, account_id: int | None, stage: str) -> tuple[Session, str]:
        now = self.clock()
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = now + timedelta(seconds=SESSION_SECONDS if stage == "active" else PENDING_SECONDS)
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.expires_at < now))
            conn.execute(sessions.insert().values(
                digest=_digest(cookie), account_id=account_id, subject=identity.subject, party=identity.party,
                roles=_roles_text(identity.roles), provider=identity.provider, csrf=csrf, stage=stage,
                created_at=now, expires_at=expires))
        return Session(_digest(cookie), account_id, identity, csrf, stage, expires), cookie

    def session(self, cookie: str | None, *, stage: str = "active") -> Session | None:
        """The live session of a cookie value at `stage`, or None (none, expired, disabled account)."""
        if not cookie or len(cookie) > 200:
            return None
        now = self.clock()
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(sessions, accounts.c.disabled_at)
                             .select_from(sessions.outerjoin(accounts, accounts.c.id == sessions.c.account_id))
                             .where(sessions.c.digest == _digest(cookie))).first()
        if r is None or r.expires_at <= now or r.stage != stage or r.disabled_at is not None:
            return None
        identity = Identity(subject=r.subject, party=r.party, roles=frozenset(r.roles.split()), provider=r.provider)
        return Session(r.digest, r.account_id, identity, r.csrf, r.stage, r.expires_at)

    def logout(self, cookie: str | None) -> None:
        if cookie:
            with self.engine.begin() as conn:
                conn.execute(sessions.delete().where(sessions.c.digest == _digest(cookie)))

    # ------------------------------------------------------------------ tokens
    def issue_token(self, party: str, roles, *, label: str, created_by: str,
                    days: int = TOKEN_DAYS_DEFAULT) -> tuple[TokenRecord, str]:
        """A new API token for a machine of `party` with `roles`; (record, the token shown once)."""
        party = check_party(party)
        roles = check_roles(party, roles)
        if not 1 <= days <= TOKEN_DAYS_MAX:
            raise AccessError(ACCOUNT_INVALID, f"een token geldt 1 tot {TOKEN_DAYS_MAX} dagen")
        token_id = secrets.token_hex(8)
        raw = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(tokens.insert().values(
                id=token_id, digest=_digest(raw), party=party, roles=_roles_text(roles), label=label or token_id,
                created_by=created_by, created_at=now, expires_at=now + timedelta(days=days)))
        return self.token(token_id), raw

    def token(self, token_id: str) -> TokenRecord:
        with self.engine.connect() as conn:
            r = conn.execute(tokens.select().where(tokens.c.id == token_id)).first()
        if r is None:
            raise AccessError(TOKEN_UNKNOWN, f"geen token {token_id}")
        return _token(r)

    def tokens(self, party: str | None = None) -> list[TokenRecord]:
        q = tokens.select().order_by(tokens.c.party, tokens.c.created_at)
        if party:
            q = q.where(tokens.c.party == party)
        with self.engine.connect() as conn:
            return [_token(r) for r in conn.execute(q)]

    def revoke_token(self, token_id: str) -> TokenRecord:
        self.token(token_id)
        with self.engine.begin() as conn:
            conn.execute(tokens.update().where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
                         .values(revoked_at=self.clock()))
        return self.token(token_id)

    def token_identity(self, raw: str) -> Identity:
        """The identity of a presented bearer token; AccessError TOKEN_INVALID when unknown, expired or revoked."""
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
            raise AccessError(TOKEN_INVALID, "geen geldig token")
        with self.engine.connect() as conn:
            r = conn.execute(tokens.select().where(tokens.c.digest == _digest(raw))).first()
        if r is None or not hmac.compare_digest(r.digest, _digest(raw)):
            raise AccessError(TOKEN_INVALID, "geen geldig token")
        if r.revoked_at is not None:
            raise AccessError(TOKEN_INVALID, "dit token is ingetrokken")
        if r.expires_at <= self.clock():
            raise AccessError(TOKEN_INVALID, "dit token is verlopen")
        return Identity(subject=f"token:{r.id}", party=r.party, roles=frozenset(r.roles.split()),
                        provider=TOKEN_PROVIDER)

    # ------------------------------------------------------------------ case assignments
    def assign_case(self, case_id: str, username: str, *, by: str) -> None:
        acc = self.account(username)
        if "commissielid" not in acc.roles:
            raise AccessError(ACCOUNT_INVALID, f"{username} is geen commissielid")
        try:
            with self.engine.begin() as conn:
                conn.execute(case_assignments.insert().values(case_id=case_id, username=acc.username,
                                                              assigned_by=by, assigned_at=self.clock()))
        except IntegrityError:
            pass  # already assigned: the same outcome

    def assigned_cases(self, username: str) -> set[str]:
        with self.engine.connect() as conn:
            return {r.case_id for r in conn.execute(sa.select(case_assignments.c.case_id)
                                                    .where(case_assignments.c.username == username))}

    def case_members(self, case_id: str) -> list[str]:
        with self.engine.connect() as conn:
            return [r.username for r in conn.execute(sa.select(case_assignments.c.username)
                                                     .where(case_assignments.c.case_id == case_id)
                                                     .order_by(case_assignments.c.username))]

    # ------------------------------------------------------------------ rate limits
    def hit(self, bucket: str, *, limit: int, window_seconds: int) -> int | None:
        """Count one request in `bucket` for the current window; None when within `limit`, else the
        seconds until the window ends (the Retry-After). Shared by every worker (api/access/rate_limit.py)."""
        return rate_limit.count(self.engine, self.clock, [(bucket, limit)], window_seconds)
