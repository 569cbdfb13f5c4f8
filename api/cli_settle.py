"""`bwledger settle|reconcile|seal|whatif|monitor|project`: quarterly settlement (mounted by api/cli.py)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from api import bootstrap
from api.settings import load_settings
from ledger.errors import LedgerError
from ledger.settlement import service as settlement

settle_app = typer.Typer(help="Verrekening per kwartaal: overzichten, aansluiting, verzegelen, wat-als.")


def _fail(exc: LedgerError) -> None:
    typer.echo(f"fout {exc.code}: {exc.message}", err=True)
    raise typer.Exit(2)


def _store():
    s = load_settings()
    return s, bootstrap.open_store(s)


def _eur(cents: int, width: int = 0) -> str:
    """Dutch notation: 1.234,56 (finance staff read these lines)."""
    text = f"{cents / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return text.rjust(width)


def _keys(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        pool, sep, key = v.partition("=")
        if not sep or not pool or not key:
            raise typer.BadParameter(f"expected POOL=KEY, e.g. ijv-historisch-2023-2025=fixed: {v!r}")
        out[pool] = key
    return out


@settle_app.command("settle")
def settle_cmd(quarter: str = typer.Option(..., "--quarter", help="kwartaal, bv. 2026K1"),
               out: Path | None = typer.Option(None, "--out", help="map (standaard BWLEDGER_HOME/outputs)"),
               party: list[str] = typer.Option([], "--party", help="alleen deze gemeente(n)"),
               charts: bool = typer.Option(True, "--charts/--no-charts", help="ook grafieken (PNG en SVG)")) -> None:
    """Write each municipality's statement (XLSX, CSV, JSON) for a quarter, and the charts."""
    s, store = _store()
    try:
        res = settlement.write_statements(store, quarter, out or s.outputs_dir, parties=party or None)
        figs = settlement.write_charts(store, quarter, res.directory) if charts else None
    except LedgerError as exc:
        _fail(exc)
    st = res.settlement
    typer.echo(f"Kwartaal {st.quarter} ({'verzegeld' if st.sealed else 'open'}): {len(res.files)} gemeenten, "
               f"{res.lines} regels, controlegetal {st.digest[:16]}")
    for p in st.positions:
        typer.echo(f"  {p.party}  saldo {_eur(p.net_payable_cents, 14)}  (betwist apart: "
                   f"{_eur(p.receivable['disputed'] - p.payable['disputed'])})")
    typer.echo(f"Uitvoer: {res.directory}" + (f" ({len(figs.all())} grafiekbestanden)" if figs else ""))


@settle_app.command("reconcile")
def reconcile_cmd(theirs: Path = typer.Argument(..., help="eigen administratie van de gemeente (.xlsx of .csv)"),
                  quarter: str = typer.Option(..., "--quarter"), party: str = typer.Option(..., "--party"),
                  out: Path | None = typer.Option(None, "--out")) -> None:
    """Match a municipality's own records against the ledger: per line matched / differs / only one side."""
    s, store = _store()
    if not theirs.is_file():
        typer.echo(f"fout: bestand niet gevonden: {theirs}", err=True)
        raise typer.Exit(2)
    try:
        rec, xl, js = settlement.reconcile_file(store, quarter, party, theirs, out or s.outputs_dir)
    except LedgerError as exc:
        _fail(exc)
    from ledger.reports.reconcile import OUTCOME_NL

    c, t = rec.counts(), rec.totals()
    typer.echo(", ".join(f"{OUTCOME_NL[k]}: {v}" for k, v in c.items() if v))
    typer.echo(f"totaal ledger {_eur(t['ledger_cents'])}, uw bestand {_eur(t['theirs_cents'])}, "
               f"verschil {_eur(t['difference_cents'])}")
    typer.echo(f"Uitvoer: {xl}\n        {js}")
    raise typer.Exit(0 if c["matched"] == len(rec.outcomes) else 1)


KEY_OPTION = typer.Option(..., "--key", help="de eigen sleutel van de partij (bwledger keys new)")
PASSPHRASE_OPTION = typer.Option(None, "--passphrase-env", help="omgevingsvariabele met de wachtwoordzin van de sleutel")


def _party_key(path: Path, passphrase_env: str | None, party: str):
    from api.settings import secret_from_env
    from ledger.keyfile import read_key_file

    return read_key_file(path, secret_from_env(passphrase_env) if passphrase_env else None, party=party)


@settle_app.command("accept-tariff")
def accept_tariff_cmd(line: int = typer.Argument(..., help="regelnummer van de kostenregel met afwijkend tarief"),
                      as_party: str = typer.Option(..., "--as", help="de kostendrager"),
                      note: str = typer.Option("", "--note"), key: Path = KEY_OPTION,
                      passphrase_env: str | None = PASSPHRASE_OPTION) -> None:
    """The cost bearer accepts the deviating tariff of a provisional cost line."""
    _s, store = _store()
    try:
        r = settlement.accept_tariff(store, _party_key(key, passphrase_env, as_party), line, note=note)
    except (LedgerError, ValueError) as exc:
        _fail(exc if isinstance(exc, LedgerError) else LedgerError("INPUT_INVALID", str(exc)))
    typer.echo(f"tarief aanvaard: regel {r.seq}" + (" (al vastgelegd)" if r.duplicate else ""))


@settle_app.command("book-accepted-tariff")
def book_accepted_tariff_cmd(acceptance: int = typer.Argument(..., help="regelnummer van de aanvaarding"),
                             as_party: str = typer.Option(..., "--as", help="de voorliggende gemeente"),
                             key: Path = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION) -> None:
    """The fronting party replaces the accepted provisional line by a definitive one."""
    _s, store = _store()
    try:
        rev, line = settlement.book_accepted_tariff(store, _party_key(key, passphrase_env, as_party), acceptance,
                                                    today=date.today())
    except (LedgerError, ValueError) as exc:
        _fail(exc if isinstance(exc, LedgerError) else LedgerError("INPUT_INVALID", str(exc)))
    typer.echo(f"tegenboeking regel {rev.seq}, definitieve kostenregel regel {line.seq}")


@settle_app.command("seal")
def seal_cmd(quarter: str = typer.Option(..., "--quarter")) -> None:
    """Close a quarter: the operator signs its totals and the checkpoint (a sealed quarter never changes)."""
    _s, store = _store()
    try:
        r = settlement.seal_quarter(store, quarter, today=date.today())
    except LedgerError as exc:
        _fail(exc)
    typer.echo(f"{'al verzegeld' if r.duplicate else 'verzegeld'}: {r.quarter}, zegel regel {r.seal_seq}, "
               f"t/m regel {r.through_seq}, controlegetal {r.digest[:16]}")


@settle_app.command("whatif")
def whatif_cmd(quarter: str = typer.Option(..., "--quarter"),
               key: list[str] = typer.Option([], "--key", help="POOL=verdeelsleutel (fixed, population, "
                                                               "objective_budget)"),
               reading: list[str] = typer.Option([], "--reading", help="BESCHIKKING-ID=GMxxxx (andere lezing)"),
               out: Path | None = typer.Option(None, "--out")) -> None:
    """Recompute a quarter under another verdeelsleutel or reading, without booking; differences per municipality."""
    s, store = _store()
    alt: dict[int, str] = {}
    for r in reading:
        a, sep, b = r.partition("=")
        if not sep or not a.isdigit():
            raise typer.BadParameter(f"expected SEQ=GMxxxx: {r!r}")
        alt[int(a)] = b
    try:
        w = settlement.whatif_quarter(store, quarter, keys=_keys(key), reading=alt)
        xl, js = settlement.write_whatif(w, out or s.outputs_dir)
    except LedgerError as exc:
        _fail(exc)
    for d in w.differences:
        if d.difference_cents:
            typer.echo(f"  {d.party}  {_eur(d.base_net_cents, 14)} -> {_eur(d.alt_net_cents, 14)}")
    typer.echo(f"Uitvoer: {xl}")


@settle_app.command("monitor")
def monitor_cmd(year: int = typer.Option(..., "--year"), out: Path | None = typer.Option(None, "--out")) -> None:
    """The monitoring report per region for a year (XLSX and JSON)."""
    s, store = _store()
    try:
        res = settlement.monitoring(store, year, out or s.outputs_dir)
    except LedgerError as exc:
        _fail(exc)
    typer.echo(f"Monitoring {year}: {len(res.regions)} regio's\nUitvoer: {res.xlsx}\n        {res.json}")


@settle_app.command("project")
def project_cmd(region: str = typer.Option(..., "--region"),
                historical: float = typer.Option(..., "--historical", help="historisch budget per jaar (€)"),
                objective: float = typer.Option(..., "--objective", help="objectief budget per jaar (€)"),
                out: Path | None = typer.Option(None, "--out")) -> None:
    """Budget projection along the region's ingroeipad."""
    s, _store_ = _store()
    try:
        p = settlement.budget_projection(region, historical_budget_cents=round(historical * 100),
                                         objective_budget_cents=round(objective * 100), on=date.today(),
                                         out_dir=out or s.outputs_dir)
    except LedgerError as exc:
        _fail(exc)
    typer.echo(f"Ingroeipad {p.ingroeipad.years} jaar vanaf {p.ingroeipad.start_year} ({p.ingroeipad.status})")
    for y in p.years:
        typer.echo(f"  {y.year}  historisch {_eur(y.historical_cents, 16)}  objectief {_eur(y.objective_cents, 16)}")
