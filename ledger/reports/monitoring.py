"""Monitoring report per region per year: the indicators the regions asked for.

From the ledger alone: placements are the live cost lines grouped by placement id (start = first day
booked, end = last day booked; a placement counts as ended in the year when an outflow notice (N2)
says so, or when its last booked day lies before the last day booked for any placement, the data
horizon). Region = the region of the cost bearer (the woonplaats van herkomst).
- instroom / uitstroom per product group: placements starting / ending in the year;
- doorstroom: a client's next placement in another product group starting within 31 days of the end
  of the previous one, in the year (counted under the group moved from);
- duration of support: days booked of the placements ended in the year (mean and median);
- returning clients: the client class of the latest determination (NOT_NEW, RE_ENTRY) of clients
  starting in the year;
- municipality of origin (cost bearer) against the municipality of outflow (N2 new_municipality,
  else the host municipality);
- financial effects: amounts of the cost lines (reversals netted) with days in the year, between
  parties and own costs, per cost bearer.
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rules import glossary
from rules.glossary import party_name

from ..settlement import store as sstore
from ..settlement.catalogue import load_catalogue
from ..store import Store
from . import write_json
from .xlsx import Bold, Money, Workbook


@dataclass
class RegionYear:
    region: str
    year: int
    instroom: Counter = field(default_factory=Counter)
    uitstroom: Counter = field(default_factory=Counter)
    doorstroom: Counter = field(default_factory=Counter)
    durations: list[int] = field(default_factory=list)
    returning: Counter = field(default_factory=Counter)
    origin_outflow: Counter = field(default_factory=Counter)
    cost_between_cents: int = 0
    cost_own_cents: int = 0
    cost_by_bearer: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "year": self.year, "instroom": dict(sorted(self.instroom.items())),
                "uitstroom": dict(sorted(self.uitstroom.items())), "doorstroom": dict(sorted(self.doorstroom.items())),
                "duration_days": {"n": len(self.durations),
                                  "mean": round(statistics.fmean(self.durations), 1) if self.durations else None,
                                  "median": statistics.median(self.durations) if self.durations else None},
                "returning_clients": dict(sorted(self.returning.items())),
                "origin_outflow": [{"origin": a, "outflow": b, "n": n} for (a, b), n in sorted(self.origin_outflow.items())],
                "financial": {"between_parties_cents": self.cost_between_cents, "own_cents": self.cost_own_cents,
                              "by_cost_bearer_cents": dict(sorted(self.cost_by_bearer.items()))}}


@dataclass(frozen=True)
class MonitoringResult:
    year: int
    regions: tuple[RegionYear, ...]
    xlsx: Path | None
    json: Path | None


def _overlap_days(a: date, b: date, year: int) -> int:
    lo, hi = max(a, date(year, 1, 1)), min(b, date(year, 12, 31))
    return (hi - lo).days + 1 if hi >= lo else 0


def compute(store: Store, year: int) -> tuple[RegionYear, ...]:
    cat = load_catalogue()
    sstore.sync_index(store)
    rows = sstore.lines_where(store, sstore.lines.c.seq >= 0)
    reversed_ = {r.reverses_seq for r in rows if r.kind == "reversal"}
    live = [r for r in rows if r.kind == "cost_line" and r.seq not in reversed_]
    horizon = max((r.period_to for r in live), default=date(year, 12, 31))
    outflows: dict[str, dict] = {}
    for _seq, _a, client, p, _at in sstore.entries_of_kind(store, ["outflow_notice"]):
        if client:
            outflows[client] = p
    classes: dict[str, str] = {}
    for _seq, _a, client, p, _at in sstore.entries_of_kind(store, ["determination", "redetermination"]):
        if client and (p.get("outcome") or {}).get("client_class"):
            classes[client] = p["outcome"]["client_class"]
    placements: dict[tuple[str, str], list[sstore.Line]] = defaultdict(list)
    for r in live:
        placements[(r.client, r.placement_id or f"{r.fronting}:{r.product}")].append(r)
    out: dict[str, RegionYear] = {}

    def ry(bearer: str) -> RegionYear:
        reg = cat.region_of.get(bearer, "overig")
        if reg not in out:
            out[reg] = RegionYear(reg, year)
        return out[reg]

    by_client: dict[str, list[tuple[date, date, str, str]]] = defaultdict(list)
    for (client, _pid), ls in placements.items():
        start = min(r.period_from for r in ls)
        end = max(r.period_to for r in ls)
        last = max(ls, key=lambda r: r.period_to)
        group = cat.group_of(last.product)
        bearer = last.bearer
        n = outflows.get(client)
        ended = (n is not None and date.fromisoformat(n["end_date"]) <= end + timedelta(days=1)) or end < horizon
        by_client[client].append((start, end, group, bearer))
        reg = ry(bearer)
        if start.year == year:
            reg.instroom[cat.group_of(min(ls, key=lambda r: r.period_from).product)] += 1
            if client in classes:
                reg.returning[classes[client]] += 1
        if ended and end.year == year:
            reg.uitstroom[group] += 1
            reg.durations.append(sum(r.units for r in ls))
            dest = (n or {}).get("new_municipality") or (n or {}).get("host_municipality") or last.fronting
            reg.origin_outflow[(bearer, dest)] += 1
    for client, ps in by_client.items():
        ps.sort()
        for (a0, e0, g0, b0), (a1, _e1, g1, _b1) in zip(ps, ps[1:]):
            if g1 != g0 and timedelta(0) < a1 - e0 <= timedelta(days=31) and a1.year == year:
                ry(b0).doorstroom[f"{g0} -> {g1}"] += 1
    for r in rows:
        d = _overlap_days(r.period_from, r.period_to, year)
        if not d:
            continue
        total_days = (r.period_to - r.period_from).days + 1
        cents = r.amount_cents * d // total_days if d != total_days else r.amount_cents
        reg = ry(r.bearer)
        if r.fronting == r.bearer:
            reg.cost_own_cents += cents
        else:
            reg.cost_between_cents += cents
        reg.cost_by_bearer[r.bearer] += cents
    return tuple(out[k] for k in sorted(out))


def write_monitoring(store: Store, year: int, out_dir: Path) -> MonitoringResult:
    regs = compute(store, year)
    cat = load_catalogue()
    out_dir.mkdir(parents=True, exist_ok=True)
    js = out_dir / f"monitoring-{year}.json"
    write_json(js, {"format": "bwledger-monitoring/1", "year": year, "regions": [r.to_dict() for r in regs]})
    xl = out_dir / f"monitoring-{year}.xlsx"
    groups = list(cat.groups)
    with Workbook(xl) as wb:
        ws = wb.sheet("In- uit- en doorstroom", [26, 44, 12, 12])
        ws.row([Bold(f"Monitoring beschermd wonen {year}: in-, uit- en doorstroom per productgroep")])
        ws.row([Bold(h) for h in ("Regio", "Productgroep", "Instroom", "Uitstroom")])
        for r in regs:
            for g in groups:
                ws.row([cat.region_names.get(r.region, r.region), cat.groups[g], r.instroom.get(g, 0),
                        r.uitstroom.get(g, 0)])
        ws.row([])
        ws.row([Bold(h) for h in ("Regio", "Doorstroom (van -> naar)", "Aantal")])
        for r in regs:
            for k, n in sorted(r.doorstroom.items()):
                a, b = k.split(" -> ")
                ws.row([cat.region_names.get(r.region, r.region), f"{cat.groups.get(a, a)} -> {cat.groups.get(b, b)}", n])
        ws = wb.sheet("Duur en terugkeer", [26, 22, 12, 12, 12])
        ws.row([Bold(h) for h in ("Regio", "Beëindigde plaatsingen", "Gem. duur (dagen)", "Mediaan (dagen)")])
        for r in regs:
            d = r.to_dict()["duration_days"]
            ws.row([cat.region_names.get(r.region, r.region), d["n"], d["mean"], d["median"]])
        ws.row([])
        ws.row([Bold(h) for h in ("Regio", "Cliëntklasse bij instroom", "Aantal")])
        for r in regs:
            for k, n in sorted(r.returning.items()):
                ws.row([cat.region_names.get(r.region, r.region), glossary.label("class", k), n])
        ws = wb.sheet("Herkomst en uitstroom", [26, 24, 24, 10])
        ws.row([Bold(h) for h in ("Regio", "Gemeente van herkomst", "Gemeente van uitstroom", "Aantal")])
        for r in regs:
            for (a, b), n in sorted(r.origin_outflow.items()):
                ws.row([cat.region_names.get(r.region, r.region), party_name(a), party_name(b), n])
        ws = wb.sheet("Financieel", [26, 24, 18])
        ws.row([Bold(h) for h in ("Regio", "Kostendrager", "Kosten (€)")])
        for r in regs:
            ws.row([cat.region_names.get(r.region, r.region), "tussen gemeenten", Money(r.cost_between_cents)])
            ws.row([cat.region_names.get(r.region, r.region), "eigen kosten", Money(r.cost_own_cents)])
            for b, c in sorted(r.cost_by_bearer.items()):
                ws.row([cat.region_names.get(r.region, r.region), party_name(b), Money(c)])
    return MonitoringResult(year, regs, xl, js)
