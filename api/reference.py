"""The public reference data of the API (GET /v1/gemeenten, /v1/regios): the municipality register (CBS
statcodes with their validity and successors) and the verified BW regions, read from the rules' own data
(rules/loader.py). JSON members in camelCase, dates YYYY-MM-DD; nothing here is private."""
from __future__ import annotations

from datetime import date

from rules import loader
from rules.context import RegionVersion
from rules.municipalities import Municipality


def _day(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _municipality(m: Municipality) -> dict:
    return {"code": m.statcode, "naam": m.name, "geldigVanaf": _day(m.valid_from), "geldigTot": _day(m.valid_to),
            "opvolgers": list(m.successors)}


def municipalities(on: date | None = None) -> list[dict]:
    """Every municipality of the register by code (those valid on `on`, when given)."""
    register = loader.municipality_register()
    found = (register.get(code) for code in sorted(register.codes()))
    return [_municipality(m) for m in found if m is not None and (on is None or m.valid_on(on))]


def municipality(code: str) -> dict | None:
    m = loader.municipality_register().get(code.strip().upper())
    return _municipality(m) if m else None


def _region(r: RegionVersion) -> dict:
    names = loader.municipality_register()
    return {"id": r.id, "naam": r.name, "centrumgemeente": r.centrumgemeente,
            "gemeenten": [{"code": c, "naam": names.name(c)} for c in sorted(r.members)],
            "t0": _day(r.t0), "geldigVanaf": _day(r.valid_from), "geldigTot": _day(r.valid_to)}


def regions(on: date | None = None) -> list[dict]:
    """The verified regions (rules/data/regions_verified.csv with regions.toml), by id."""
    return [_region(r) for r in sorted(loader.verified_regions(), key=lambda r: r.id)
            if on is None or r.valid_on(on)]


def region(region_id: str) -> dict | None:
    return next((_region(r) for r in loader.verified_regions() if r.id == region_id.strip().lower()), None)
