"""Demo step for settlement (issue 4): record placements and book them month by month (ledger/settlement/booking.py
book_month, as `bwledger book --month` does), settle and seal two quarters, write statements,
charts, a what-if, the monitoring report and budget projections, and reconcile one deliberately
different file. Called from api/demo.py run_demo(); outputs under BWLEDGER_HOME/outputs/verrekening.
"""
from __future__ import annotations

import json
import random
from datetime import date, timedelta

from rich.console import Console

from api.settings import Settings
from cases import determinations
from cases import service as cases
from cases.determinations import Intake
from ledger import service
from ledger.private_files import private_dir
from ledger.settlement import service as settlement
from ledger.settlement.costlines import Placement
from ledger.settlement.quarters import Quarter
from ledger.store import Store
from rules import loader
from rules.casebook import case_facts

QUARTERS = ("2025K4", "2026K1")
UNTIL = date(2026, 3, 31)
FRONTING = ["GM0193", "GM0193", "GM0193", "GM0505", "GM0228", "GM0718"]
BEARERS = ["GM0166", "GM0148", "GM0160", "GM1708", "GM0193", "GM0505", "GM0228", "GM0718", "GM0345", "GM0642"]
PRODUCTS = ["15A01", "15A02", "15B01", "15B02", "15B03", "15C01", "15C02", "15D01", "15D02"]
CORRECTED_CLIENT = "PSN-demo-0003"
PROVIDERS = ["Zorgaanbieder De Brug", "Stichting Beschermd Thuis", "RIBW Regio", "Woonzorg Het Anker"]


def _placements() -> list[tuple[Placement, str]]:
    """Deterministic demo placements (fixed seed), with the class the demo had in mind (the determination
    recorded for each is the engine's on its facts: `_intake`)."""
    rnd = random.Random(2026)
    out: list[tuple[Placement, str]] = []
    for i in range(30):
        fronting = rnd.choice(FRONTING)
        bearer = rnd.choice(BEARERS)
        historical = i % 7 == 0
        if historical:
            fronting, bearer = ("GM0193", "GM0193") if i % 2 else ("GM0166", "GM0193")
        start = date(2025, 6, 1) + timedelta(days=rnd.randrange(0, 260))
        stop = start + timedelta(days=rnd.randrange(40, 400)) if rnd.random() < 0.4 else None
        klass = "EXISTING_HISTORICAL" if historical else rnd.choice(["NEW", "NEW", "NEW", "NOT_NEW", "RE_ENTRY"])
        out.append((Placement(f"demo-pl-{i:03d}", f"PSN-demo-{i:04d}", fronting, bearer, rnd.choice(PRODUCTS), start,
                              stop, location=f"locatie {i % 9 + 1}", historical_budget=historical,
                              status="provisional" if i % 5 == 4 else "definitive"), klass))
    # the corrected client: Zwolle fronts for Kampen; a retroactive BRP correction later makes Dalfsen pay from November
    out[3] = (Placement("demo-pl-003", CORRECTED_CLIENT, "GM0193", "GM0166", "15B02", date(2025, 9, 15), None,
                        location="locatie 4"), "NEW")
    return out


#: the facts of every demo placement: a woonadres in its cost bearer since 2019, a melding there two weeks
#: before the placement starts in the fronting party's location (the default context: the verified regions)
SINCE = date(2019, 5, 1)
MELDING_BEFORE = timedelta(days=14)
#: the BW episode of the demo's existing clients began before T0 (IJssel-Vecht's: 1 January 2023)
EXISTING_SINCE = date(2022, 6, 1)
#: the corrected client's BRP correction: a woonadres in Dalfsen all along, recorded on 1 November 2025
CORRECTION = ("GM0148", date(2025, 11, 1))


def _intake(p: Placement, woonadres: str | None = None, recorded: date | None = None) -> Intake:
    """Real facts for the determination of placement `p` (rules/casebook.py case_facts), in the default
    context; `woonadres`/`recorded`: a BRP correction (another woonadres, recorded on that day)."""
    address = {"gemeente": woonadres or p.cost_bearer, "function": "W", "from": SINCE}
    if recorded is not None:
        address["recorded"] = recorded
    case = {"id": f"det-{p.placement_id}", "melding": {"date": p.start - MELDING_BEFORE, "gemeente": p.cost_bearer},
            "addresses": [address], "placement": {"location": p.fronting_party, "fronting": p.fronting_party,
                                                   "from": p.start}}
    if p.historical_budget:  # an existing client: in BW on its cost bearer's historical budget since before T0
        case["bw_episodes"] = [{"legal_college": p.cost_bearer, "cost_bearer": p.cost_bearer,
                                "location": p.cost_bearer, "from": EXISTING_SINCE, "budget": "historical"}]
    return Intake(case_facts(case, loader.municipality_register()), loader.default_context(), None, None)


def _as_determined(p: Placement, det) -> Placement:
    """The placement as its determination has it: the cost bearer, the budget and whether it is provisional
    are the engine's, never the demo's guess."""
    return Placement(**{**p.__dict__, "cost_bearer": det.cost_bearer, "historical_budget": det.budget == "historical",
                        "status": "provisional" if det.provisional else "definitive"})


def _messy_file(statement_json, path) -> None:
    """GM0166's 'own administration': columns in another order, euro signs and thousands separators, one
    row missing, one duplicated, one amount different, text in a number cell, one row the ledger lacks."""
    import openpyxl

    doc = json.loads(statement_json.read_text(encoding="utf-8"))
    lines = [ln for ln in doc["lines"] if ln["kind"] != "pool"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Administratie"
    ws.append(["Bedrag", "Cliënt", "Einddatum", "Begindatum", "Omschrijving"])

    def eur(c: int) -> str:
        return ("-" if c < 0 else "") + "€ " + f"{abs(c) / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")

    for i, ln in enumerate(lines):
        if i == 1:
            continue  # missing
        amount = eur(ln["amount_cents"] + (1250 if i == 2 else 0))  # differs by 12,50
        if i == 4:
            amount = "n.v.t."  # text in a number cell
        row = [amount, ln["client"], ln["period_to"], ln["period_from"], "beschermd wonen"]
        ws.append(row)
        if i == 0:
            ws.append(row)  # duplicated
    ws.append(["€ 999,99", "PSN-extra-0001", "2026-03-31", "2026-03-01", "niet in de ledger"])
    wb.save(path)


def _eur(cents: int) -> str:
    return ("-" if cents < 0 else "") + "€ " + f"{abs(cents) / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def run_settlement_demo(console: Console, s: Settings, store: Store, deposits) -> int:
    out = private_dir(s.outputs_dir / "verrekening")
    signers: dict = {}

    def signer_for(party: str):
        if party not in signers:
            signers[party] = service.party_signer(store, s.keys_dir, party)
        return signers[party]

    booked = 0
    if QUARTERS[0] not in settlement.sealed(store):  # first run: record placements, book, seal, correct
        placements = []
        for i, (p, _klass) in enumerate(_placements()):
            # the determination (N3) with its facts deposited for the client: the ledger replays the engine on them
            rec, det = determinations.record(store, deposits, signer_for(p.fronting_party), _intake(p), client=p.client)
            p = _as_determined(p, rec.determination)
            ref = {"seq": det.seq, "entry_hash": det.entry_hash.hex()}
            placements.append(Placement(**{**p.__dict__, "determination": ref}))
            # the fronting party records the placement (ledger/placements.py); the months are booked from it
            settlement.record_placement(store, signer_for(p.fronting_party), p.client, placement_id=p.placement_id,
                                        cost_bearer=p.cost_bearer, provider=PROVIDERS[i % len(PROVIDERS)],
                                        product=p.product, start=p.start, end=p.stop, location=p.location,
                                        determination=ref)
        # each fronting party books month by month, as `bwledger book --month` does
        month = date(min(p.start for p in placements).year, min(p.start for p in placements).month, 1)
        while month <= UNTIL:
            for party in sorted({p.fronting_party for p in placements}):
                booked += settlement.book_month(store, f"{month:%Y-%m}", signer_for(party), today=UNTIL).booked
            month = (month + timedelta(days=31)).replace(day=1)
        disputed = next(p for p in placements[5:] if p.fronting_party != p.cost_bearer and not p.historical_budget)
        # the cost bearer objects through the dispute workflow, so its lines count as disputed
        case = cases.open_case(store, signer_for(disputed.fronting_party), disputed.determination["seq"],
                               question=f"Is {disputed.cost_bearer} de kostendrager van deze plaatsing?")
        cases.transition(store, signer_for(disputed.cost_bearer), case.case_id, "OBJECTED",
                         position="bezwaar tegen de woonplaatsbepaling")
        from ledger.settlement.catalogue import load_catalogue

        region_of = load_catalogue().region_of
        for i, p in enumerate(placements):  # N2 outflow notices for the placements that ended
            if p.stop is not None and p.stop <= UNTIL:
                service.record(store, signer_for(p.fronting_party), "outflow_notice",
                               {"sender": p.fronting_party, "host_municipality": p.fronting_party,
                                "host_region": f"RG:{region_of.get(p.fronting_party, 'ijssel-vecht')}",
                                "end_date": p.stop.isoformat(),
                                "new_municipality": p.cost_bearer if i % 3 else p.fronting_party,
                                "legal_basis": "pseudoniem"},
                               idempotency_key=f"demo-n2-{p.placement_id}", client=p.client)
        # quarters are sealed in order (ledger/seals.py): the earlier ones with lines first
        q = Quarter.of(min(p.start for p in placements))
        while q.code != QUARTERS[0]:
            settlement.seal_quarter(store, q.code, today=q.end + timedelta(days=5))
            q = q.next()
        settlement.seal_quarter(store, QUARTERS[0], today=date(2026, 1, 5))  # the scenario's dates
        # a retroactive BRP correction: the re-determination (N8) names Dalfsen from November; the
        # lines follow it (reversals and new lines, "correctie op ...")
        corrected = next(p for p in placements if p.client == CORRECTED_CLIENT)
        # (the N8 through the same service: the corrected facts deposited, the engine rerun, RETRO_BRP raised)
        woonadres, recorded = CORRECTION
        _rec, redet = determinations.redetermine_and_record(
            store, deposits, signer_for(corrected.fronting_party), corrected.determination["seq"],
            _intake(corrected, woonadres, recorded), trigger="brp_correction")
        booked += len(settlement.rebook(store, signer_for, client=CORRECTED_CLIENT,
                                        periods=[(date(2025, 11, 1), date(2026, 1, 31), "GM0148", False)],
                                        reason="herbeoordeling na BRP-correctie: Dalfsen is kostendrager",
                                        today=date(2026, 3, 20),
                                        ref={"seq": redet.seq, "entry_hash": redet.entry_hash.hex()}))
        settlement.seal_quarter(store, QUARTERS[1], today=date(2026, 4, 2))
    results = {}
    for q in QUARTERS:
        res = settlement.write_statements(store, q, out)
        figs = settlement.write_charts(store, q, res.directory)
        results[q] = (res, figs)
        st = res.settlement
        total = sum(f.total_cents for f in st.flows if f.kind == "kosten")
        console.print(f"Verrekening {q}: {'verzegeld' if st.sealed else 'open'}, {len(res.files)} gemeenten, "
                      f"{res.lines} regels, tussen gemeenten {_eur(total)}, "
                      f"solidariteit {len(st.pool_shares)} aandelen, controlegetal {st.digest[:12]}")
        if sum(p.net_cents for p in st.positions) != 0:
            console.print("[red]nettoposities tellen niet op tot nul")
            return 1
    w = settlement.whatif_quarter(store, QUARTERS[0], keys={"ijv-historisch-2023-2025": "fixed"})
    wx, _ = settlement.write_whatif(w, out)
    changed = [d for d in w.differences if d.difference_cents]
    console.print(f"Wat-als {QUARTERS[0]} met vaste verdeelsleutel: {len(changed)} gemeenten anders ({wx.name})")
    mon = settlement.monitoring(store, 2025, out)
    proj = [settlement.budget_projection(r, historical_budget_cents=40_000_000_00, objective_budget_cents=36_000_000_00,
                                         on=date(2026, 1, 1), out_dir=out) for r in ("ijssel-vecht", "zuid-holland-zuid")]
    theirs = out / "eigen-administratie-GM0166-2026K1.xlsx"
    gm0166 = next(f for f in results[QUARTERS[1]][0].files if f.party == "GM0166")
    _messy_file(gm0166.json, theirs)
    rec, rx, _rj = settlement.reconcile_file(store, QUARTERS[1], "GM0166", theirs, out)
    from ledger.reports.reconcile import OUTCOME_NL

    counts = ", ".join(f"{OUTCOME_NL[k]}: {v}" for k, v in rec.counts().items() if v)
    console.print(f"Aansluiting GM0166 {QUARTERS[1]} met {theirs.name}: {counts}")
    console.print(f"Budgetprojectie: {', '.join(f'{p.region} {p.ingroeipad.years} jaar' for p in proj)}; "
                  f"monitoring 2025: {len(mon.regions)} regio's; {booked} regels geboekt in deze run")
    console.print(f"Verrekening uitvoer: {out}\n"
                  + "\n".join(f"        {results[q][0].directory} (xlsx, csv, json, png, svg)" for q in QUARTERS)
                  + f"\n        {rx}\n        {mon.xlsx}")
    return 0
