"""The entitlement table (data/entitlements.toml): which party may author which kind."""
from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .entries import PAYLOADS, party_class

__all__ = ["KindRule", "load_entitlements", "RefInfo", "entitled"]


@dataclass(frozen=True)
class RefInfo:
    """What a rule needs to know about a referenced entry."""

    seq: int
    entry_hash: bytes
    kind: str
    author: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class KindRule:
    kind: str
    authors: tuple[str, ...]
    client: str
    refs: dict[str, tuple[str, ...]]

    @property
    def needs_refs(self) -> bool:
        return any(a.startswith("ref:") for a in self.authors) or bool(self.refs)


def _parse(table: dict[str, Any]) -> dict[str, KindRule]:
    rules = {}
    for kind, spec in table.items():
        if kind not in PAYLOADS:
            raise ValueError(f"entitlements: unknown kind {kind!r}")
        client = spec.get("client", "optional")
        if client not in ("required", "forbidden", "optional"):
            raise ValueError(f"entitlements: {kind}: bad client rule {client!r}")
        authors = tuple(spec["authors"])
        for rule in authors:
            if not (rule in ("OPERATOR", "COMMITTEE", "municipality", "region")
                    or rule.split(":", 1)[0] in ("payload", "payload-any", "ref")):
                raise ValueError(f"entitlements: {kind}: bad rule {rule!r}")
        rules[kind] = KindRule(kind, authors, client, {k: tuple(v) for k, v in spec.get("refs", {}).items()})
    missing = set(PAYLOADS) - set(rules)
    if missing:
        raise ValueError(f"entitlements: no rule for {sorted(missing)}")
    return rules


@lru_cache(maxsize=1)
def load_entitlements() -> dict[str, KindRule]:
    text = resources.files("ledger").joinpath("data/entitlements.toml").read_text("utf-8")
    return _parse(tomllib.loads(text))


def _rule_matches(rule: str, author: str, payload: Any, resolve: Callable[[str], RefInfo | None]) -> bool:
    if rule in ("OPERATOR", "COMMITTEE"):
        return author == rule
    if rule in ("municipality", "region"):
        return party_class(author) == rule
    head, _, rest = rule.partition(":")
    if head == "payload":
        return getattr(payload, rest, None) == author
    if head == "payload-any":
        return author in (getattr(payload, rest, None) or ())
    field, _, what = rest.partition(":")
    ref = resolve(field)
    if ref is None:
        return False
    if what == "author":
        return ref.author == author
    return ref.payload.get(what.removeprefix("payload.")) == author


def entitled(rule: KindRule, author: str, payload: Any, resolve: Callable[[str], RefInfo | None]) -> bool:
    """Is `author` entitled to author an entry of this kind with this payload?"""
    return any(_rule_matches(r, author, payload, resolve) for r in rule.authors)
