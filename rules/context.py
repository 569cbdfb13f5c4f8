"""The context a determination runs in: parameters, the region table and the municipality register.

Everything here is versioned by date and built once; a determination only reads it. The context has
a digest (spec 8.9) that goes into every determination, so a decision names exactly the parameters
and region table it was made under.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta

from .canonical import sha256_canonical
from .municipalities import MunicipalityRegister

_DATED = object()  # region_of: the answer depends on the date


@dataclass(frozen=True)
class Parameters:
    """Resolved parameter values for one date, each with the citation id it rests on."""

    t0: date
    law_in_force_from: date | None
    window_days: int = 365
    gap_tolerance_days: int = 1
    short_interim_days: int = 90
    short_registration_days: int = 30
    short_episode_days: int = 30
    correction_horizon_months: int = 24
    #: institution type -> "verified" | "assumed"; a type absent here is not designated
    designated_types: tuple[tuple[str, str], ...] = ()
    sources: tuple[tuple[str, str], ...] = ()  # parameter name -> citation id

    def __post_init__(self):
        # look-up helpers (not fields: no part of equality, repr or the digest)
        object.__setattr__(self, "designations", dict(self.designated_types))
        object.__setattr__(self, "window_delta", timedelta(days=self.window_days))
        object.__setattr__(self, "gap_delta", timedelta(days=self.gap_tolerance_days))

    def designation(self, type_: str) -> str | None:
        return self.designations.get(type_)


@dataclass(frozen=True)
class ParameterVersion:
    name: str
    valid_from: date
    value: object
    source: str


@dataclass(frozen=True)
class ParameterTable:
    """All dated versions of all parameters; ``at(d)`` resolves the values in force on ``d``."""

    versions: tuple[ParameterVersion, ...]

    def at(self, d: date, overrides: dict | None = None) -> Parameters:
        values: dict[str, object] = {}
        sources: dict[str, str] = {}
        for v in sorted(self.versions, key=lambda v: v.valid_from):
            if v.valid_from <= d:
                values[v.name] = v.value
                sources[v.name] = v.source
        for k, val in (overrides or {}).items():
            values[k] = val
            sources[k] = "CASEBOOK-CONTEXT"
        law = values.get("law_in_force_from")
        dt = values.get("designated_types") or {}
        return Parameters(
            t0=values["t0"],  # type: ignore[arg-type]
            law_in_force_from=None if law in (None, "unset") else law,  # type: ignore[arg-type]
            window_days=int(values.get("window_days", 365)),  # type: ignore[arg-type]
            gap_tolerance_days=int(values.get("gap_tolerance_days", 1)),  # type: ignore[arg-type]
            short_interim_days=int(values.get("short_interim_days", 90)),  # type: ignore[arg-type]
            short_registration_days=int(values.get("short_registration_days", 30)),  # type: ignore[arg-type]
            short_episode_days=int(values.get("short_episode_days", 30)),  # type: ignore[arg-type]
            correction_horizon_months=int(values.get("correction_horizon_months", 24)),  # type: ignore[arg-type]
            designated_types=tuple(sorted(dict(dt).items())),  # type: ignore[arg-type]
            sources=tuple(sorted(sources.items())),
        )


@dataclass(frozen=True)
class RegionVersion:
    id: str
    name: str
    centrumgemeente: str
    members: frozenset[str]
    t0: date | None = None  # the region's own t0 (overrides the default)
    valid_from: date | None = None
    valid_to: date | None = None
    settled_flags: frozenset[str] = frozenset()  # flag types this region's configuration settles
    illustrative: bool = False

    def valid_on(self, d: date) -> bool:
        return (self.valid_from is None or self.valid_from <= d) and (self.valid_to is None or d <= self.valid_to)


@dataclass(frozen=True)
class Context:
    """Parameters (dated), regions (dated) and the municipality register, with a digest."""

    points: tuple[tuple[date, Parameters], ...]  # parameter sets by the date they start to hold
    regions: tuple[RegionVersion, ...]
    municipalities: MunicipalityRegister = field(compare=False, repr=False)
    label: str = "default"
    _index: dict = field(default_factory=dict, compare=False, repr=False)
    _centrum: frozenset = field(default=frozenset(), compare=False, repr=False)
    #: code -> its one region version (valid on some dates), or None for a code in no region that
    #: was never merged away; the other codes (several versions, merged codes) take the long way
    _single: dict = field(default_factory=dict, compare=False, repr=False)
    #: values derived from this context alone that the engine makes once (e.g. readings per region)
    memo: dict = field(default_factory=dict, compare=False, repr=False)
    digest: str = ""

    @classmethod
    def build(cls, table: ParameterTable, regions: tuple[RegionVersion, ...], municipalities: MunicipalityRegister,
              overrides: dict | None = None, label: str = "default") -> "Context":
        index: dict[str, list[RegionVersion]] = {}
        for r in regions:
            for m in r.members:
                index.setdefault(m, []).append(r)
        for code, rs in index.items():
            rs.sort(key=lambda r: (r.valid_from or date.min))
            # casebook format: a municipality may be in one region at a time
            for a, b in zip(rs, rs[1:]):
                if a.valid_to is None or (b.valid_from or date.min) <= a.valid_to:
                    raise ValueError(f"{code} is a member of regions {a.id} and {b.id} at the same time")
        single: dict[str | None, RegionVersion | None] = {None: None}
        for code, rs in index.items():
            if len(rs) == 1:
                single[code] = rs[0]
        for code in municipalities.codes():
            m = municipalities.get(code)
            if code not in index and m is not None and m.valid_to is None:
                single[code] = None
        starts = sorted({v.valid_from for v in table.versions})
        points = tuple((d, table.at(d, overrides)) for d in starts)
        ctx = cls(points=points, regions=regions, municipalities=municipalities, label=label,
                  _index=index, _centrum=frozenset(r.centrumgemeente for r in regions), _single=single)
        return replace(ctx, digest=ctx._compute_digest())

    def params_at(self, d: date) -> Parameters:
        """The parameters in force on ``d`` (the earliest set for dates before every version)."""
        chosen = self.points[0][1]
        for start, p in self.points:
            if start <= d:
                chosen = p
            else:
                break
        return chosen

    @property
    def params(self) -> Parameters:
        return self.points[-1][1]

    def _compute_digest(self) -> str:
        def pdoc(p: Parameters) -> dict:
            d = {f.name: (v.isoformat() if isinstance(v, date) else v)
                 for f in fields(p) if f.name != "sources" for v in (getattr(p, f.name),)}
            d["designated_types"] = dict(p.designated_types)
            return d

        doc = {
            "params": [[start.isoformat(), pdoc(p)] for start, p in self.points],
            "regions": sorted(
                [
                    {
                        "id": r.id, "centrumgemeente": r.centrumgemeente, "members": sorted(r.members),
                        "t0": r.t0.isoformat() if r.t0 else None,
                        "valid_from": r.valid_from.isoformat() if r.valid_from else None,
                        "valid_to": r.valid_to.isoformat() if r.valid_to else None,
                        "settled_flags": sorted(r.settled_flags),
                    }
                    for r in self.regions
                ],
                key=lambda r: (r["id"], r["valid_from"] or ""),
            ),
        }
        return sha256_canonical(doc)

    # -- look-ups used by the rules -------------------------------------------------------------
    def region_of(self, code: str | None, d: date) -> RegionVersion | None:
        r = self._single.get(code, _DATED)
        if r is not _DATED:
            if r is None:
                return None
            vf, vt = r.valid_from, r.valid_to
            return r if (vf is None or vf <= d) and (vt is None or d <= vt) else None
        rs = self._index.get(code)
        if rs is None:
            cur = self.municipalities.current(code, d)
            rs = self._index.get(cur) if cur != code else None
            if rs is None:
                return None
        for r in rs:
            if r.valid_on(d):
                return r
        return None

    def t0_of(self, region: RegionVersion | None, params: Parameters) -> date:
        if region is not None and region.t0 is not None:
            return region.t0
        return params.t0

    def is_centrumgemeente(self, code: str) -> bool:
        return code in self._centrum


    def region_by_id(self, region_id: str, d: date) -> RegionVersion | None:
        for r in self.regions:
            if r.id == region_id and r.valid_on(d):
                return r
        return None
