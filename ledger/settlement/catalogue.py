"""Product catalogue, tariffs per contract and regional arrangements, loaded from ledger/data/*.toml."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from rules import loader

from ..errors import LedgerError

PRODUCT_UNKNOWN = "PRODUCT_UNKNOWN"
TARIFF_MISSING = "TARIFF_MISSING"
KEY_UNKNOWN = "VERDEELSLEUTEL_UNKNOWN"
DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class Product:
    code: str
    group: str
    zorgzwaarte: str
    name: str
    unit: str


@dataclass(frozen=True)
class Tariff:
    contract: str
    product: str
    valid_from: date
    valid_to: date | None
    cents_per_day: int

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Pool:
    """A solidarity pool: the historical cohort's costs shared by a verdeelsleutel (weights)."""

    id: str
    region: str
    holder: str
    valid_from: date
    valid_to: date | None
    default_key: str
    keys: dict[str, dict[str, int]]
    source: str

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def weights(self, key: str | None = None) -> dict[str, int]:
        name = key or self.default_key
        if name not in self.keys:
            raise LedgerError(KEY_UNKNOWN, f"pool {self.id} has no verdeelsleutel {name!r} "
                              f"(known: {', '.join(sorted(self.keys))})")
        return self.keys[name]


@dataclass(frozen=True)
class Ingroeipad:
    region: str
    valid_from: date
    start_year: int
    years: int
    status: str
    source: str


@dataclass(frozen=True)
class Catalogue:
    products: dict[str, Product]
    groups: dict[str, str]
    contracts: dict[str, dict[str, Any]]
    tariffs: tuple[Tariff, ...]
    pools: tuple[Pool, ...]
    ingroeipaden: tuple[Ingroeipad, ...]
    region_of: dict[str, str] = field(default_factory=dict)  # municipality -> region id
    region_names: dict[str, str] = field(default_factory=dict)
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    centrum: dict[str, str] = field(default_factory=dict)

    def product(self, code: str) -> Product:
        p = self.products.get(code)
        if p is None:
            raise LedgerError(PRODUCT_UNKNOWN, f"unknown product code {code!r}")
        return p

    def group_of(self, code: str) -> str:
        p = self.products.get(code)
        return p.group if p else "onbekend"

    def contracts_for(self, party: str) -> list[str]:
        """The contracts a fronting party may use, its own first, then its region's."""
        region = self.region_of.get(party)
        own = [cid for cid, c in sorted(self.contracts.items()) if c["holder"] == party]
        regional = [cid for cid, c in sorted(self.contracts.items())
                    if region is not None and c.get("region") == region and cid not in own]
        return own + regional

    def contract_for(self, party: str) -> str | None:
        """The contract a fronting party uses: its own, else its region's."""
        found = self.contracts_for(party)
        return found[0] if found else None

    def tariff_segments(self, fronting: str, product: str, start: date, stop: date,
                        contract: str | None = None) -> list[tuple[date, date, Tariff]]:
        """start..stop (inclusive) cut where the tariff changes; LedgerError(TARIFF_MISSING) on a gap."""
        self.product(product)
        cid = contract or self.contract_for(fronting)
        if cid is None:
            raise LedgerError(TARIFF_MISSING, f"no contract for fronting party {fronting}")
        rows = sorted((t for t in self.tariffs if t.contract == cid and t.product == product),
                      key=lambda t: t.valid_from)
        out: list[tuple[date, date, Tariff]] = []
        day = start
        while day <= stop:
            t = next((t for t in rows if t.covers(day)), None)
            if t is None:
                raise LedgerError(TARIFF_MISSING, f"no tariff of contract {cid} for {product} on {day}")
            end = stop if t.valid_to is None else min(stop, t.valid_to)
            out.append((day, end, t))
            day = date.fromordinal(end.toordinal() + 1)
        return out

    def pool_for(self, region: str, day: date) -> Pool | None:
        return next((p for p in self.pools if p.region == region and p.covers(day)), None)

    def ingroeipad(self, region: str, on: date) -> Ingroeipad:
        """The latest version valid on `on` for the region, else the national default ('*')."""
        for reg in (region, "*"):
            cands = [g for g in self.ingroeipaden if g.region == reg and g.valid_from <= on]
            if cands:
                return max(cands, key=lambda g: g.valid_from)
        raise LedgerError(TARIFF_MISSING, f"no ingroeipad for {region} on {on}")


def _toml(name: str) -> dict[str, Any]:
    return tomllib.loads((DATA / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    prod = _toml("products.toml")
    tar = _toml("tariffs.toml")
    arr = _toml("arrangements.toml")
    products = {p["code"]: Product(p["code"], p["group"], p["zorgzwaarte"], p["name"], p["unit"])
                for p in prod["product"]}
    tariffs = tuple(Tariff(t["contract"], t["product"], t["valid_from"], t.get("valid_to"), int(t["cents_per_day"]))
                    for t in tar["tariff"])
    contracts = {c["id"]: c for c in tar["contract"]}
    pools = tuple(Pool(p["id"], p["region"], p["holder"], p["valid_from"], p.get("valid_to"), p["default_key"],
                       {k: {m: int(w) for m, w in v.items()} for k, v in p["keys"].items()}, p.get("source", ""))
                  for p in arr.get("solidarity_pool", []))
    paths = tuple(Ingroeipad(g["region"], g["valid_from"], int(g["start_year"]), int(g["years"]), g["status"],
                             g.get("source", "")) for g in arr.get("ingroeipad", []))
    region_of: dict[str, str] = {}
    names: dict[str, str] = {}
    members: dict[str, frozenset[str]] = {}
    centrum: dict[str, str] = {}
    for r in loader.verified_regions():
        names[r.id] = r.name
        members[r.id] = r.members
        centrum[r.id] = r.centrumgemeente
        for m in r.members:
            region_of[m] = r.id
    return Catalogue(products, dict(prod["groups"]), contracts, tariffs, pools, paths, region_of, names, members,
                     centrum)
