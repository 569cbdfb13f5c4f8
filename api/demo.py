"""`bwledger demo`: the main job on the embedded SQLite default.

Runs determinations over the public and the project's casebooks, prints a readable summary,
records each determination as a signed ledger entry (its facts deposited encrypted for the client, so
the ledger replays the engine on them), verifies the ledger and exports one party's
bundle. Outputs go under BWLEDGER_HOME/outputs.
"""
from __future__ import annotations

import json
import sys
import tomllib
from collections import Counter
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from api import bootstrap
from api.settings import load_settings
from cases import determinations
from cases.determinations import Intake
from cases.errors import CaseError
from ledger import service
from ledger.errors import LedgerError
from ledger.private_files import private_dir
from rules import loader
from rules.casebook import case_facts, load_context
from rules.engine import determine

ROOT = Path(__file__).resolve().parents[1]


def _casebooks() -> list[Path]:
    files = sorted((ROOT / "rules" / "casebook").glob("*.toml"))
    public = ROOT.parent / "shared" / "casebook"
    if public.is_dir():
        files = sorted(public.glob("*.toml")) + files
    return files


def recorded_determinations(store) -> set[tuple[str, str]]:
    """(client, determination digest) of every N3/N8 in the ledger: what an earlier run recorded."""
    from ledger.store import entries as entries_table

    rows = store.rows_where(entries_table.c.kind.in_(("determination", "redetermination")))
    return {(r.client, json.loads(r.statement)["payload"]["determination_digest"]) for r in rows}


def run_demo() -> int:
    # a log or a pipe gets the full table width instead of rich's 80 columns
    console = Console(width=None if sys.stdout.isatty() else 150)
    s = load_settings()
    private_dir(s.outputs_dir)
    reg, table = loader.municipality_register(), loader.parameter_table()
    dets, intakes = [], {}
    for f in _casebooks():
        raw = tomllib.loads(f.read_text(encoding="utf-8"))
        ctx = load_context(raw, table, reg, f.name)
        source = raw.get("context") if isinstance(raw.get("context"), dict) else None
        for case in raw["case"]:
            facts = case_facts(case, reg)
            det = determine(facts, ctx)
            dets.append(det)
            # the facts and the casebook's own context, deposited with the N3 (cases/determinations.py)
            intakes[det.digest] = Intake(facts, ctx, source, None)
    t = Table(title=f"Beoordelingen ({len(dets)} casussen)")
    for col in ("casus", "kostendrager", "budget", "klasse", "college", "boeking", "signaleringen", "status"):
        t.add_column(col)
    for d in dets[:25]:
        t.add_row(d.case_id, reg.name(d.cost_bearer) if d.cost_bearer else "-", d.budget or "-", d.klass or "-",
                  reg.name(d.legal_college), d.entry or "-", ", ".join(d.flag_names) or "-",
                  "voorlopig" if d.provisional else "definitief")
    console.print(t)
    counts = Counter(d.klass for d in dets)
    console.print(f"Klassen: {dict(counts)}; voorlopig: {sum(d.provisional for d in dets)} van {len(dets)}")
    out = s.outputs_dir / "determinations.json"
    out.write_text(json.dumps([d.to_dict() for d in dets], indent=1, ensure_ascii=False), encoding="utf-8")

    # record the determinations as signed entries, verify, export one party's bundle
    store = bootstrap.demo_store(s)
    # the ledger replays every N3/N8 on the facts deposited with it (ledger/determination_replay.py), here as on a server
    deposits = bootstrap.determination_deposits(s, store)
    done = recorded_determinations(store)
    recorded = 0
    for d in dets:
        if d.cost_bearer is None or d.cost_bearer == d.legal_college:
            continue
        client = f"pseudo-{d.input_digest[:16]}"
        if (client, d.digest) in done:  # a second run records nothing twice
            continue
        signer = service.party_signer(store, s.keys_dir, d.legal_college)
        try:
            determinations.record(store, deposits, signer, intakes[d.digest], client=client)
            recorded += 1
        except (LedgerError, CaseError, ValueError) as exc:  # show, do not hide: a refusal has a stable code
            console.print(f"[yellow]niet vastgelegd {d.case_id}: {getattr(exc, 'code', type(exc).__name__)}: {exc}")
            break
    console.print(f"Ledger: {recorded} beoordelingen vastgelegd")
    from api.demo_cases import run_cases_demo  # disputes and case files (issue 5)
    if run_cases_demo(console, s, store) != 0:
        return 1
    from api.demo_settlement import run_settlement_demo  # quarterly settlement (issue 4)
    if run_settlement_demo(console, s, store, deposits) != 0:
        return 1
    # last: verify everything the demo wrote and export one party's bundle over all of it
    service.checkpoint(store)
    report = service.verify_ledger(store)
    bundle = s.outputs_dir / "bundle-GM0166.json"
    service.export_bundle(store, "GM0166", date(2000, 1, 1), date(2100, 1, 1), bundle)
    console.print(f"Ledger: {store.size()} regels; verificatie {'OK' if report.ok else 'FOUT'}"
                  + ("" if report.ok else f" ({len(report.problems)} problemen)"))
    console.print(f"Uitvoer: {s.outputs_dir}\n        {out}\n        {bundle}\n        database {s.database_url}")
    import time

    from api.demo_accounts import ensure_demo_accounts, print_demo_accounts
    from cases import service as cases_service

    cases = [v.case_id for v in cases_service.list_cases(store)]
    print_demo_accounts(console, ensure_demo_accounts(s, store, cases), time.time())
    return 0 if report.ok else 1
