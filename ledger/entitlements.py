"""The entitlement table (data/entitlements.toml): which party may author which kind."""
from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
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
    client: str | None = None
    received_at: Any = None  # datetime (aware UTC), where the caller knows it


@dataclass(frozen=True)
class KindRule:
    kind: str
    authors: tuple[str, ...]
    client: str
    refs: dict[str, tuple[str, ...]]

    @cached_property
    def compiled(self) -> tuple[tuple[str, str, str], ...]:
        """The rules as (form, field, attribute) triples, parsed once per rule."""
        out = []
        for rule in self.authors:
            if rule in ("OPERATOR", "COMMITTEE"):
                out.append(("party", rule, ""))
            elif rule in ("municipality", "region"):
                out.append(("class", rule, ""))
            else:
                head, _, rest = rule.partition(":")
                field, _, what = rest.partition(":")
                out.append((head, field, what.removeprefix("payload.")))
        return tuple(out)

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


def attribute_of(payload: Any, name: str) -> Any:
    return getattr(payload, name, None)


def entitled(rule: KindRule, author: str, payload: Any, resolve: Callable[[str], RefInfo | None],
             field_of: Callable[[Any, str], Any] = attribute_of) -> bool:
    """Is `author` entitled to author an entry of this kind with this payload? (any rule matches)

    ``field_of(payload, name)`` reads a payload field: an attribute of a payload model by default;
    ``dict.get`` for a payload as parsed JSON (the verifier's fast path)."""
    for form, field, attr in rule.compiled:
        if form == "party":
            ok = author == field
        elif form == "class":
            ok = party_class(author) == field
        elif form == "payload":
            ok = field_of(payload, field) == author
        elif form == "payload-any":
            ok = author in (field_of(payload, field) or ())
        else:
            ref = resolve(field)
            ok = ref is not None and (ref.author == author if attr == "author" else ref.payload.get(attr) == author)
        if ok:
            return True
    return False
