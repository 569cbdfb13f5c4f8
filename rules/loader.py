"""The one module in rules/ that reads files: the package's own data, through importlib.resources.

It never reads the clock, the environment, the network or a database.
"""
from __future__ import annotations

import csv
import io
import tomllib
from datetime import date
from functools import lru_cache
from importlib import resources

from .citations import Citation, CitationRegister
from .context import Context, ParameterTable, ParameterVersion, RegionVersion
from .municipalities import Municipality, MunicipalityRegister

_DATA = resources.files("rules") / "data"


def _text(name: str) -> str:
    return (_DATA / name).read_text(encoding="utf-8")


def _d(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


@lru_cache(maxsize=1)
def municipality_register() -> MunicipalityRegister:
    rows = list(csv.DictReader(io.StringIO(_text("municipality_codes.csv"))))
    return MunicipalityRegister(
        [
            Municipality(
                statcode=r["statcode"],
                name=r["name"],
                valid_from=_d(r["valid_from"]),
                valid_to=_d(r["valid_to"]),
                successors=tuple(r["successors"].split()),
            )
            for r in rows
        ]
    )


@lru_cache(maxsize=1)
def parameter_table() -> ParameterTable:
    raw = tomllib.loads(_text("parameters.toml"))
    versions = []
    for name, items in raw.items():
        for item in items:
            versions.append(ParameterVersion(name, item["valid_from"], item["value"], item["source"]))
    return ParameterTable(tuple(versions))


@lru_cache(maxsize=1)
def citation_register() -> CitationRegister:
    raw = tomllib.loads(_text("citations.toml"))
    return CitationRegister(
        {
            cid: Citation(
                id=cid,
                kind=c["kind"],
                reference=c["reference"],
                url=c.get("url"),
                valid_from=c.get("valid_from"),
                valid_to=c.get("valid_to"),
            )
            for cid, c in raw.items()
        }
    )


@lru_cache(maxsize=1)
def verified_regions() -> tuple[RegionVersion, ...]:
    meta = tomllib.loads(_text("regions.toml"))
    groups: dict[str, dict] = {}
    for r in csv.DictReader(io.StringIO(_text("regions_verified.csv"))):
        g = groups.setdefault(r["region_id"], {"name": r["region_name"], "centrum": r["centrumgemeente"], "members": set()})
        g["members"].add(r["statcode"])
    out = []
    for rid, g in sorted(groups.items()):
        m = meta.get(rid, {})
        out.append(
            RegionVersion(
                id=rid, name=g["name"], centrumgemeente=g["centrum"], members=frozenset(g["members"]),
                t0=m.get("t0"), valid_from=m.get("valid_from"), valid_to=m.get("valid_to"),
                settled_flags=frozenset(m.get("settled_flags", ())),
            )
        )
    return tuple(out)


def default_context(extra_regions: tuple[RegionVersion, ...] = (), overrides: dict | None = None,
                    label: str = "verified regions") -> Context:
    """The production context: dated parameters plus the verified region table (plus any extra)."""
    return Context.build(parameter_table(), verified_regions() + extra_regions, municipality_register(),
                         overrides=overrides, label=label)


@lru_cache(maxsize=1)
def glossary_table() -> dict[str, dict[str, str]]:
    """rules/data/glossary.toml: per section (flag, class, dispute_status, ...) code -> Dutch label."""
    return tomllib.loads(_text("glossary.toml"))
