"""The synthetic national data set of `bwledger demo --scale national|medium|small` (issue 15): demo data,
not rules. Pure: a function of the scale and the seed (no clock, no I/O but the package's own CSV), so the
same seed gives the same data set, and `digest` says so.

What it holds:

* all 342 municipalities of rules/data/gemeenten_2025_2026.csv, each with an **illustrative** number of
  inhabitants (drawn from the seed; the region Drechtsteden en Alblasserwaard is scaled to its ~375,000);
* the verified BW regions (rules/data/regions_verified.csv) and, for the municipalities no verified region
  covers, **illustrative regions** per province (`illustrative = true`, the id starts with `illustratief-`
  and the name ends with "(illustratief)", so every page and output that names the region says so);
* clients whose flows follow the regional figures of Drechtsteden 2022 (64 in and 64 out intramural, 70 in
  and 77 out extramural on ~375,000 inhabitants), scaled by inhabitants: two years (2025 and 2026) of
  inflow, and the clients already in BW when 2025 began (their BW episode on the centrumgemeente's
  historical budget); per client a Haal Centraal BRP `verblijfplaatshistorie` response (mapped to the
  address facts by rules/brp_historie.py), stays in institutions, earlier aanvragen, the melding and the
  placement that follows it.

Placements are booked (cost lines) only where a contract is loaded: the catalogue (ledger/data/tariffs.toml)
has the contracts of the four verified regions, and the ledger refuses a placement without one
(TARIFF_INVALID). So a client of an illustrative region who stays in that region is determined (N3) but
has no placement record; a share of them is placed in a verified region (landelijke toegankelijkheid, with
an N1 to the host region).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from importlib import resources
from typing import Any

from rules import loader

#: clients per scale: the flows below give about 25,000 for the whole country
SCALES = {"national": 1.0, "medium": 0.1, "small": 0.005}
DEFAULT_SEED = 20261204
#: the inhabitants of the Netherlands (CBS, 1 January 2024: about 17.9 million) the illustrative numbers add to
INHABITANTS = 17_940_000
#: Drechtsteden en Alblasserwaard 2022 (the regional figures the flows follow), per year
DRECHTSTEDEN = {"region": "zuid-holland-zuid", "inhabitants": 375_000, "intramural_in": 64, "intramural_out": 64,
                "extramural_in": 70, "extramural_out": 77}
#: the clients already in BW on 1 January 2025, as a share of two years' inflow
STOCK_SHARE = 0.95
#: the share of an illustrative region's clients placed in a verified region (with a contract loaded)
PLACED_ELSEWHERE = 0.05
#: the share of a verified region's clients placed in another verified region
PLACED_OTHER_REGION = 0.12
#: the number of BW regions in the Netherlands (43 centrumgemeenten): the verified ones plus illustrative ones
REGIONS = 43
FIRST = date(2025, 1, 1)
LAST = date(2026, 11, 30)  # the last day of the story (the ledger's clock stays before the real today)
BOOKED_UNTIL = date(2026, 10, 31)  # the last month booked (on 3 November: before the disputes of 20 November)
INTRAMURAL = ("15A01", "15A02", "15A03", "15B01", "15B02", "15B03")
EXTRAMURAL = ("15C01", "15C02", "15C03", "15D01", "15D02", "15D03")
PROVIDERS = ("Zorgaanbieder De Brug", "Stichting Beschermd Thuis", "RIBW Regio", "Woonzorg Het Anker",
             "Stichting De Overstap", "Kwartiermakers Wonen")
INSTITUTIONS = ("ggz_clinical", "mo", "detention", "wlz")
#: the clients a dispute is opened on (about two per status of the workflow), recorded in this window; and
#: the one whose N3 gets no answer (NO_RESPONSE after six weeks)
DISPUTED = 40
DISPUTES_ON = date(2026, 11, 20)
ROLE_WINDOWS = {"dispute": (date(2026, 10, 12), 28), "no_response": (date(2026, 5, 4), 20)}


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    province: str
    inhabitants: int  # illustrative
    region: str


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    centrumgemeente: str
    members: tuple[str, ...]
    illustrative: bool
    t0: date | None = None
    valid_from: date | None = None
    settled_flags: tuple[str, ...] = ()
    contract: bool = False  # the catalogue has its contract (cost lines can be booked)

    @property
    def label(self) -> str:
        """How a person reads it: the name, "(illustratief)" included for an illustrative region."""
        return self.name


@dataclass(frozen=True)
class Client:
    """One synthetic client: the casebook facts (without addresses), the BRP response its addresses come from,
    and what follows the determination (placement, end, notices)."""

    pseudonym: str
    woonplaats: str
    region: str  # the woonplaats' region
    case: dict[str, Any]  # melding, stays, bw_episodes, applications, placement (casebook form, ISO dates)
    brp: dict[str, Any]  # the Haal Centraal verblijfplaatshistorie response
    institutions: dict[str, str]  # BRP period start -> institution type (the BRP does not know it)
    existing: bool  # in BW before 2025 (its episode on the historical budget)
    intramural: bool
    product: str
    fronting: str | None  # the party whose contract pays (a verified region's centrumgemeente); None: not booked
    host: str  # the municipality of the placement's location
    host_region: str
    start: date
    end: date | None
    inter_regional: bool
    recorded_on: date  # when the determination is recorded (the melding, or 2025-01-02 for the stock)
    correction: tuple[str, date] | None = None  # a BRP correction: woonadres elsewhere, recorded on that day
    history: str = "plain"  # plain | chain | moved | rni: the kind of BRP history
    role: str = ""  # "dispute": a case is opened on its N3; "no_response": its N3 gets no answer in time


@dataclass(frozen=True)
class DataSet:
    scale: str
    seed: int
    municipalities: dict[str, Municipality]
    regions: dict[str, Region]
    clients: tuple[Client, ...]
    context_source: dict[str, Any] = field(repr=False)

    @property
    def illustrative_regions(self) -> list[Region]:
        return [r for r in self.regions.values() if r.illustrative]

    def digest(self) -> str:
        """SHA-256 of the whole data set as JSON: the same seed and scale give the same digest."""
        doc = {"scale": self.scale, "seed": self.seed,
               "municipalities": [m.__dict__ for m in self.municipalities.values()],
               "regions": [{**r.__dict__, "members": list(r.members)} for r in self.regions.values()],
               "clients": [c.__dict__ for c in self.clients]}
        return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """The regions and municipalities as an output file (illustrative ones marked), without clients."""
        return {"schaal": self.scale, "seed": self.seed, "gegevensdigest": self.digest(),
                "toelichting": "synthetische demonstratiegegevens; inwonertallen en regio's met illustratief = "
                               "true zijn illustratief, niet de werkelijke indeling",
                "regios": [{"id": r.id, "naam": r.label, "centrumgemeente": r.centrumgemeente,
                            "gemeenten": list(r.members), "illustratief": r.illustrative,
                            "contractGeladen": r.contract} for r in self.regions.values()],
                "gemeenten": [{"code": m.code, "naam": m.name, "provincie": m.province, "regio": m.region,
                               "inwonersIllustratief": m.inhabitants} for m in self.municipalities.values()]}


def _gemeenten() -> list[dict[str, str]]:
    text = (resources.files("rules") / "data" / "gemeenten_2025_2026.csv").read_text(encoding="utf-8")
    return [r for r in csv.DictReader(io.StringIO(text)) if r["in_2025"] == "1" and r["in_2026"] == "1"]


def _slug(text: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in text.replace("'", ""))
    return "-".join(p for p in out.split("-") if p)


def _regions(rnd: random.Random, rows: list[dict[str, str]], sizes: dict[str, int]) -> dict[str, Region]:
    from ledger.settlement.catalogue import load_catalogue

    contracted = {c.get("region") for c in load_catalogue().contracts.values()}
    out: dict[str, Region] = {}
    covered: set[str] = set()
    for r in loader.verified_regions():
        out[r.id] = Region(r.id, r.name, r.centrumgemeente, tuple(sorted(r.members)), False, r.t0, r.valid_from,
                           tuple(sorted(r.settled_flags)), r.id in contracted)
        covered |= r.members
    rest: dict[str, list[str]] = {}
    for row in rows:
        if row["statcode"] not in covered:
            rest.setdefault(row["provincie"], []).append(row["statcode"])
    total = sum(len(v) for v in rest.values())
    wanted = REGIONS - len(out)
    names = {row["statcode"]: row["statnaam"] for row in rows}
    for province in sorted(rest):
        codes = sorted(rest[province])
        k = max(1, round(wanted * len(codes) / total))
        # contiguous runs of codes, illustrative only: the real membership is not public (../shared/data/README.md)
        for i in range(k):
            members = tuple(codes[i * len(codes) // k:(i + 1) * len(codes) // k])
            centrum = max(members, key=lambda c: (sizes[c], c))
            rid = f"illustratief-{_slug(names[centrum])}"
            out[rid] = Region(rid, f"{names[centrum]} e.o. (illustratief)", centrum, members, True,
                              valid_from=date(2015, 1, 1))
    return out


def _sizes(rnd: random.Random, rows: list[dict[str, str]]) -> dict[str, int]:
    """Illustrative inhabitants: log-normal weights adding up to the country, Drechtsteden to its ~375,000."""
    weights = {r["statcode"]: math.exp(rnd.gauss(10.4, 0.75)) for r in rows}
    dza = next(r for r in loader.verified_regions() if r.id == DRECHTSTEDEN["region"]).members
    dza_w = sum(weights[c] for c in dza)
    rest_w = sum(w for c, w in weights.items() if c not in dza)
    out = {}
    for c, w in weights.items():
        share = DRECHTSTEDEN["inhabitants"] * w / dza_w if c in dza else \
            (INHABITANTS - DRECHTSTEDEN["inhabitants"]) * w / rest_w
        out[c] = max(1_000, int(round(share, -1)))
    return out


def _d(day: date) -> dict[str, str]:
    return {"type": "Datum", "datum": day.isoformat()}


def _adres(code: str, start: date, end: date | None, function: str = "W") -> dict[str, Any]:
    item: dict[str, Any] = {"type": "Adres", "datumVan": _d(start), "gemeenteVanInschrijving": {"code": code[2:]},
                            "functieAdres": {"code": function}}
    if end is not None:
        item["datumTot"] = _d(end)
    return item


def _since(code: str) -> date:
    """The first day a municipality code exists (date.min: before the register's history)."""
    m = loader.municipality_register().get(code)
    return m.valid_from if m is not None and m.valid_from is not None else date.min


def _predecessors() -> dict[str, list[str]]:
    reg = loader.municipality_register()
    out: dict[str, list[str]] = {}
    for code in sorted(reg.codes()):
        for successor in reg.get(code).successors:
            out.setdefault(successor, []).append(code)
    return out


_PREDECESSORS: dict[str, list[str]] = {}


def _as_registered(code: str, start: date, end: date | None) -> list[tuple[str, date, date | None]]:
    """The address period as the BRP has it: before the code existed, in its (first) predecessor's code
    (merged municipalities), recursively; a code without a predecessor starts when it begins."""
    since = _since(code) if code != "GM1999" else date.min
    if since <= start:
        return [(code, start, end)]
    if not _PREDECESSORS:
        _PREDECESSORS.update(_predecessors())
    before = _PREDECESSORS.get(code)
    if not before:
        return [(code, since, end)] if end is None or since < end else []
    if end is not None and end <= since:
        return _as_registered(before[0], start, end)
    return _as_registered(before[0], start, since) + [(code, since, end)]


def _pick(rnd: random.Random, codes: list[str], weights: list[int]) -> str:
    return rnd.choices(codes, weights=weights, k=1)[0]


def _client(i: int, rnd: random.Random, ms: dict[str, Municipality], regions: dict[str, Region],
            codes: list[str], weights: list[int], hosts: list[str], host_weights: list[int],
            role: str = "") -> Client:
    home = _pick(rnd, codes, weights)
    if role == "dispute" and i % 3 == 0:  # a third of the disputed clients is placed (their lines are rebooked)
        home = _pick(rnd, hosts, host_weights)
    region = regions[ms[home].region]
    flows = DRECHTSTEDEN
    intramural = rnd.random() < flows["intramural_in"] / (flows["intramural_in"] + flows["extramural_in"])
    existing = not role and rnd.random() < STOCK_SHARE / (1 + STOCK_SHARE)
    # where the client is placed: its own region, or (a share) a verified region with a contract
    if region.contract:
        host_region = region if rnd.random() >= PLACED_OTHER_REGION else \
            regions[ms[_pick(rnd, hosts, host_weights)].region]
    else:
        host_region = regions[ms[_pick(rnd, hosts, host_weights)].region] if rnd.random() < PLACED_ELSEWHERE \
            else region
    host = home if host_region is region and rnd.random() < 0.5 else rnd.choice(host_region.members)
    if role:  # recorded late enough to be answered (or not) within six weeks of the disputes' day
        first, days = ROLE_WINDOWS[role]
        melding = first + timedelta(days=rnd.randrange(0, days))
        recorded_on = melding + timedelta(days=rnd.randrange(1, 4))
    elif existing:
        melding = FIRST + timedelta(days=rnd.randrange(0, 60))
        recorded_on = melding + timedelta(days=rnd.randrange(1, 10))
    else:
        melding = FIRST + timedelta(days=rnd.randrange(0, (LAST - FIRST).days - 60))
        recorded_on = melding + timedelta(days=rnd.randrange(3, 21))
    start = recorded_on + timedelta(days=rnd.randrange(1, 10 if role else 30))
    # the end: out-flows as the regional figures (per year, on the stock and the inflow)
    out_rate = (flows["intramural_out"] / flows["intramural_in"]) if intramural else \
        (flows["extramural_out"] / flows["extramural_in"])
    end = None
    if not role and rnd.random() < 0.5 * out_rate:
        end = start + timedelta(days=rnd.randrange(60, 700))
        if end > LAST:
            end = None
    since = melding - timedelta(days=rnd.randrange(500, 9000))
    periods: list[tuple[str, date, date | None]] = []  # (code, first day, datumTot) of each address
    stays: list[dict[str, Any]] = []
    institutions: dict[str, str] = {}
    kind = rnd.random()
    meld = home
    history = "plain" if kind < 0.55 else "chain" if kind < 0.75 else "moved" if kind < 0.9 else "rni"
    if kind < 0.55:  # a plain resident (perhaps an earlier address elsewhere)
        if rnd.random() < 0.4:
            moved = since + timedelta(days=rnd.randrange(30, max(31, (melding - since).days - 30)))
            periods.append((rnd.choice(codes), since - timedelta(days=rnd.randrange(400, 4000)), moved))
            periods.append((home, moved, None))
        else:
            periods.append((home, since, None))
    elif kind < 0.75:  # a chain: from home into an institution elsewhere, melding there
        cut = melding - timedelta(days=rnd.randrange(20, 400))
        where = rnd.choice(codes)
        institution = rnd.choice(INSTITUTIONS)
        periods.append((home, since - timedelta(days=400), cut))
        periods.append((where, cut, None))
        institutions[cut.isoformat()] = institution
        stays.append({"type": institution, "gemeente": where, "from": cut.isoformat()})
        meld = where if rnd.random() < 0.6 else home
    elif kind < 0.9:  # a recent move into home
        moved = melding - timedelta(days=rnd.randrange(30, 700))
        periods.append((rnd.choice(codes), since - timedelta(days=2000), moved))
        periods.append((home, moved, None))
    else:  # back from abroad (RNI, gemeentecode 1999) to a woonadres
        back = melding - timedelta(days=rnd.randrange(30, 800))
        periods.append(("GM1999", since - timedelta(days=500), back))
        periods.append((home, back, None))
    if role == "dispute" and meld == home:  # a case needs two parties: the meldgemeente is not the woonplaats
        meld = host if host != home else next(c for c in host_region.members + region.members if c != home) \
            if len(set(host_region.members + region.members)) > 1 else rnd.choice([c for c in codes if c != home])
    # an address before its municipality's merger lies in the code it had then (rules/data/municipality_codes.csv)
    registered = [p for code, a, b in sorted(periods, key=lambda p: p[1]) for p in _as_registered(code, a, b)]
    brp = [_adres(code, a, b) for code, a, b in reversed(registered)]  # the BRP's order: newest first
    case: dict[str, Any] = {"melding": {"date": melding.isoformat(), "gemeente": meld}, "stays": stays,
                            "applications": [], "bw_episodes": []}
    if existing:  # in BW since before 2025, on the centrumgemeente's historical budget
        began = max(melding - timedelta(days=rnd.randrange(400, 2500)),
                    *(_since(c) + timedelta(days=1) for c in (region.centrumgemeente, host)))
        case["bw_episodes"].append({"legal_college": region.centrumgemeente, "cost_bearer": region.centrumgemeente,
                                    "location": host, "from": began.isoformat(), "budget": "historical",
                                    "product": "intramural" if intramural else "ambulant"})
    elif rnd.random() < 0.15:  # an earlier aanvraag
        case["applications"].append({"kind": "aanvraag", "gemeente": rnd.choice(codes),
                                     "date": (melding - timedelta(days=rnd.choice((100, 364, 365, 366, 500)))
                                              ).isoformat(), "outcome": rnd.choice(("granted", "rejected"))})
    fronting = host_region.centrumgemeente if host_region.contract else None
    case["placement"] = {"location": host, "fronting": fronting or host_region.centrumgemeente,
                         "from": start.isoformat()}
    product = rnd.choice(INTRAMURAL if intramural else EXTRAMURAL)
    return Client(f"PSN-nl-{i:06d}", home, region.id, case, {"verblijfplaatsen": brp}, institutions, existing,
                  intramural, product, fronting, host, host_region.id, start, end,
                  host_region.id != region.id, recorded_on, None, history, role)


def _with_corrections(rnd: random.Random, clients: list[Client], regions: dict[str, Region]) -> list[Client]:
    """A retroactive BRP correction for 1% of the placed clients (at least two), among those with a plain history:
    the woonadres was in another municipality of the region all along, recorded on the first of a month
    (the re-determination follows 45 days later, when that month's lines are booked)."""
    eligible = [i for i, c in enumerate(clients) if c.fronting and not c.existing and not c.role
                and c.history == "plain" and c.end is None and len(c.brp["verblijfplaatsen"]) == 1
                and c.start < date(2026, 3, 1) and len(regions[c.region].members) > 1]
    wanted = max(2, sum(1 for c in clients if c.fronting) // 100)
    for i in eligible[::max(1, len(eligible) // wanted)][:wanted]:
        c = clients[i]
        other = rnd.choice([m for m in regions[c.region].members if m != c.woonplaats])
        month = c.start + timedelta(days=rnd.randrange(45, 240))
        recorded = min(date(month.year, month.month, 1), date(2026, 9, 1))
        if recorded <= c.start:
            continue
        clients[i] = replace(c, correction=(other, recorded))
    return clients


def clients_for(scale: str) -> int:
    """The number of clients of a scale: two years' inflow at the regional rates plus the stock."""
    per_year = sum(DRECHTSTEDEN[k] for k in ("intramural_in", "extramural_in")) / DRECHTSTEDEN["inhabitants"]
    return max(40, round(SCALES[scale] * INHABITANTS * per_year * 2 * (1 + STOCK_SHARE)))


def context_source(regions: dict[str, Region]) -> dict[str, Any]:
    """The data set's rules context as a casebook `[context]` table (deposited with every N3, so the ledger
    replays the engine on it): the default parameters, the verified regions and the illustrative ones."""
    table = loader.parameter_table()
    t0 = table.at(date(2025, 1, 1)).t0
    out: dict[str, Any] = {"t0": t0, "law_in_force_from": "unset", "regions": {}}
    for r in regions.values():
        doc: dict[str, Any] = {"name": r.name, "centrumgemeente": r.centrumgemeente, "members": list(r.members)}
        if r.t0:
            doc["t0"] = r.t0
        if r.valid_from:
            doc["valid_from"] = r.valid_from
        if r.settled_flags:
            doc["settled_flags"] = list(r.settled_flags)
        if r.illustrative:
            doc["illustrative"] = True
        out["regions"][r.id] = doc
    return out


def build(scale: str = "small", seed: int = DEFAULT_SEED) -> DataSet:
    """The data set of `scale` from `seed` (deterministic)."""
    if scale not in SCALES:
        raise ValueError(f"onbekende schaal {scale!r}; een van: {', '.join(SCALES)}")
    rnd = random.Random(seed)
    rows = _gemeenten()
    sizes = _sizes(rnd, rows)
    regions = _regions(rnd, rows, sizes)
    region_of = {m: r.id for r in regions.values() for m in r.members}
    ms = {row["statcode"]: Municipality(row["statcode"], row["statnaam"], row["provincie"], sizes[row["statcode"]],
                                        region_of[row["statcode"]]) for row in rows}
    codes = sorted(ms)
    weights = [ms[c].inhabitants for c in codes]
    hosts = [c for c in codes if regions[ms[c].region].contract]
    host_weights = [ms[c].inhabitants for c in hosts]
    n = clients_for(scale)
    roles = {n - 1 - k: "dispute" for k in range(DISPUTED)} | {n - 1 - DISPUTED: "no_response"}
    clients = [_client(i, rnd, ms, regions, codes, weights, hosts, host_weights, roles.get(i, ""))
               for i in range(n)]
    clients = _with_corrections(rnd, clients, regions)
    return DataSet(scale, seed, ms, regions, tuple(clients), context_source(regions))
