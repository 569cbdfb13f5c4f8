"""Budget projection along the ingroeipad (a dated, per-region parameter in ledger/data/arrangements.toml).

Over `years` years from `start_year` the historical budget declines and the objective budget grows:
in year k (k = 0 .. years-1) the historical fraction is (years-1-k)/years, the objective fraction
(k+1)/years; before start_year everything is historical, after the path everything objective.
Amounts are whole cents, rounded half up.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from rules import glossary

from ..settlement.catalogue import Ingroeipad, load_catalogue
from . import write_json
from .xlsx import Bold, Money, Workbook


@dataclass(frozen=True)
class ProjectionYear:
    year: int
    historical_share: str  # "6/7"
    historical_cents: int
    objective_cents: int

    @property
    def total_cents(self) -> int:
        return self.historical_cents + self.objective_cents


@dataclass(frozen=True)
class Projection:
    region: str
    ingroeipad: Ingroeipad
    years: tuple[ProjectionYear, ...]
    alternatives: dict[int, tuple[ProjectionYear, ...]]  # other path lengths, for comparison

    def to_dict(self) -> dict:
        def rows(ys):
            return [dict(asdict(y), total_cents=y.total_cents) for y in ys]
        return {"region": self.region, "ingroeipad": {**asdict(self.ingroeipad),
                                                      "valid_from": self.ingroeipad.valid_from.isoformat()},
                "years": rows(self.years), "alternatives": {str(k): rows(v) for k, v in sorted(self.alternatives.items())}}


def _half_up(num: int, den: int) -> int:
    return (2 * num + den) // (2 * den)


def path(start_year: int, years: int, hist: int, obj: int, first: int, last: int) -> tuple[ProjectionYear, ...]:
    out = []
    for y in range(first, last + 1):
        k = y - start_year
        h_num = years if k < 0 else max(years - 1 - k, 0)
        out.append(ProjectionYear(y, f"{h_num}/{years}", _half_up(hist * h_num, years),
                                  _half_up(obj * (years - h_num), years)))
    return tuple(out)


def project(region: str, *, historical_budget_cents: int, objective_budget_cents: int, on: date) -> Projection:
    cat = load_catalogue()
    g = cat.ingroeipad(region, on)
    first, last = g.start_year - 1, g.start_year + max(g.years, 10)
    main = path(g.start_year, g.years, historical_budget_cents, objective_budget_cents, first, last)
    alts = {n: path(g.start_year, n, historical_budget_cents, objective_budget_cents, first, last)
            for n in sorted({x.years for x in cat.ingroeipaden} | {5, 7, 10}) if n != g.years}
    return Projection(region, g, main, alts)


def write_projection(p: Projection, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"budgetprojectie-{p.region}"
    js = stem.with_suffix(".json")
    write_json(js, p.to_dict())
    xl = stem.with_suffix(".xlsx")
    with Workbook(xl) as wb:
        ws = wb.sheet("Ingroeipad", [10, 14, 18, 18, 18])
        g = p.ingroeipad
        ws.row([Bold(f"Budgetprojectie {p.region}: ingroeipad {g.years} jaar vanaf {g.start_year} ({glossary.label('ingroeipad_status', g.status)})")])
        ws.row(["Bron", g.source])
        ws.row([])
        ws.row([Bold(h) for h in ("Jaar", "Aandeel historisch", "Historisch budget", "Objectief budget", "Totaal")])
        for y in p.years:
            ws.row([y.year, y.historical_share, Money(y.historical_cents), Money(y.objective_cents),
                    Money(y.total_cents)])
        for n, ys in sorted(p.alternatives.items()):
            ws = wb.sheet(f"Vergelijking {n} jaar", [10, 14, 18, 18, 18])
            ws.row([Bold(f"Ter vergelijking: ingroeipad van {n} jaar")])
            ws.row([Bold(h) for h in ("Jaar", "Aandeel historisch", "Historisch budget", "Objectief budget", "Totaal")])
            for y in ys:
                ws.row([y.year, y.historical_share, Money(y.historical_cents), Money(y.objective_cents),
                        Money(y.total_cents)])
    return xl, js
