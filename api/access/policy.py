"""The access policy: who may do what, per operation (api/access/policy.toml), and the one decision.

`decide(rule, identity, about)` is pure: the operation's rule, the caller's identity (None: not logged in)
and what the request is about (the parties it concerns, whether the case is assigned to the caller) give
a `Decision`: allowed with the grant that allowed it, or refused with the status and code to answer.
api/http/guards.py resolves `about` for a request and asks this for every endpoint and page.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from api.access.audit import PURPOSES
from api.access.identity import ROLES, Identity, roles_nl

POLICY_FILE = Path(__file__).with_name("policy.toml")
RESOURCES = frozenset({"party", "case", "self", "list", "none"})
GRANTS = ("own", "assigned", "any")  # from narrow to wide

# refusal codes (problem+json `code`)
NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
ROLE_NOT_ALLOWED = "ROLE_NOT_ALLOWED"
NOT_FOUND = "NOT_FOUND"
POLICY_MISSING = "POLICY_MISSING"


@dataclass(frozen=True)
class Rule:
    operation: str
    what: str
    public: bool = False
    login: bool = False
    resource: str = "none"
    #: (party or None, role) -> grant
    grants: dict[tuple[str | None, str], str] = field(default_factory=dict)
    #: the purpose every request of this operation is recorded under in the audit log (api/access/audit.py);
    #: None: not audited (reads of nothing personal)
    audit: str | None = None

    def grant_for(self, identity: Identity) -> str | None:
        """The widest grant any of the identity's roles has here (None: no role of it is allowed)."""
        found = [g for (party, role), g in self.grants.items()
                 if role in identity.roles and party in (None, identity.party)]
        return max(found, key=GRANTS.index) if found else None

    def roles(self) -> set[str]:
        return {role for _party, role in self.grants}


@dataclass(frozen=True)
class About:
    """What a request is about: the parties it concerns (None: nothing party-bound, or the handler
    filters), whether its case is assigned to the caller, and whether it exists at all."""
    parties: frozenset[str] | None = None
    assigned: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    grant: str | None = None  # "public", "login", "own", "assigned", "any"
    status: int = 200
    code: str | None = None
    message: str = ""


def _rule(operation: str, raw: dict) -> Rule:
    unknown = set(raw) - {"what", "public", "login", "resource", "grants", "audit"}
    if unknown:
        raise ValueError(f"policy {operation}: unknown fields {sorted(unknown)}")
    resource = raw.get("resource", "none")
    if resource not in RESOURCES:
        raise ValueError(f"policy {operation}: resource {resource!r} is not one of {sorted(RESOURCES)}")
    grants: dict[tuple[str | None, str], str] = {}
    for key, grant in raw.get("grants", {}).items():
        party, _, role = key.rpartition(":") if ":" in key and not key.startswith("RG:") else (None, "", key)
        if role not in ROLES:
            raise ValueError(f"policy {operation}: unknown role {role!r}")
        if grant not in GRANTS:
            raise ValueError(f"policy {operation}: grant {grant!r} is not one of {GRANTS}")
        if grant == "assigned" and resource not in ("case", "list"):
            raise ValueError(f"policy {operation}: 'assigned' needs resource case or list")
        grants[(party or None, role)] = grant
    public, login = bool(raw.get("public")), bool(raw.get("login"))
    if public + login + bool(grants) != 1:
        raise ValueError(f"policy {operation}: exactly one of public, login or grants")
    purpose = raw.get("audit")
    if purpose is not None and purpose not in PURPOSES:
        raise ValueError(f"policy {operation}: audit purpose {purpose!r} is not one of {PURPOSES}")
    return Rule(operation, raw.get("what", ""), public, login, resource, grants, purpose)


@cache
def rules(path: Path = POLICY_FILE) -> dict[str, Rule]:
    with open(path, "rb") as f:
        table = tomllib.load(f)
    return {op: _rule(op, raw) for op, raw in table.items()}


def rule(operation: str | None) -> Rule | None:
    return rules().get(operation or "")


def decide(rule: Rule | None, identity: Identity | None, about: About = About()) -> Decision:
    """May `identity` do `rule`'s operation on what `about` says? (rule None: no policy entry: refused.)"""
    if rule is None:
        return Decision(False, status=403, code=POLICY_MISSING,
                        message="voor deze handeling is niet vastgelegd wie haar mag uitvoeren")
    if rule.public:
        return Decision(True, "public")
    if identity is None:
        return Decision(False, status=401, code=NOT_AUTHENTICATED, message="meld u eerst aan")
    if rule.login:
        return Decision(True, "login")
    grant = rule.grant_for(identity)
    if grant is None:
        return Decision(False, status=403, code=ROLE_NOT_ALLOWED,
                        message=f"uw rol ({roles_nl(identity.roles)}) mag dit niet: {rule.what}")
    if grant == "any" or about.parties is None:
        return Decision(True, grant)
    if grant == "own" and identity.party in about.parties:
        return Decision(True, grant)
    if grant == "assigned" and about.assigned:
        return Decision(True, grant)
    return Decision(False, status=404, code=NOT_FOUND, message="niet gevonden")
