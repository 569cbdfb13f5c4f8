"""The identity a login yields, whatever the way in (local account, OpenID provider, machine client)."""
from __future__ import annotations

from dataclasses import dataclass

from rules import glossary

#: the roles of issue 12; an identity never carries another.
ROLES = frozenset({"finance", "regio", "commissielid", "secretaris", "auditor", "beheer"})
#: each role as a person reads it (pages, refusals): the glossary's section account_role
ROLE_NL = glossary.section("account_role")


def roles_nl(roles) -> str:
    return ", ".join(ROLE_NL.get(r, r) for r in sorted(roles))


@dataclass(frozen=True)
class Identity:
    """Who logged in: `subject` (the provider's stable id of the person or machine client), the one `party`
    they act for, their `roles` (a subset of ROLES) and the `provider` that vouched for them."""
    subject: str
    party: str
    roles: frozenset[str]
    provider: str

    def to_dict(self) -> dict:
        return {"subject": self.subject, "party": self.party, "roles": sorted(self.roles),
                "provider": self.provider}
