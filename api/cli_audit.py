"""`bwledger audit verify|list|export` (mounted by api/cli.py): the audit log of every read and write
(api/access/audit.py) on the ledger of BWLEDGER_HOME / BWLEDGER_DATABASE_URL (opened by api/bootstrap.py).

Exit status: 0 done (verify: the log is intact), 1 verify found problems, 2 wrong input or no audit log."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from api import bootstrap, compose
from api.access import audit
from api.format_nl import datetime_nl
from api.settings import load_settings

audit_app = typer.Typer(help="Het auditlogboek: wie wat las of schreef, controleren, tonen en exporteren.",
                        no_args_is_help=True)

PartyOpt = Annotated[str | None, typer.Option("--party", metavar="PARTIJ",
                                              help="alleen de records van deze partij (GMxxxx, RG:<regio>, ...)")]
ClientOpt = Annotated[str | None, typer.Option("--client", metavar="PSEUDONIEM",
                                               help="alleen de verwerkingen van de gegevens van deze cliënt")]
SinceOpt = Annotated[str | None, typer.Option("--since", metavar="DATUM", help="vanaf deze dag (UTC), YYYY-MM-DD")]


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"fout: {message}", err=True)
    raise typer.Exit(code)


def _store():
    try:
        return bootstrap.open_store(load_settings(), with_operator=False)
    except ValueError as exc:
        _fail(str(exc))


def _query(party: str | None, client: str | None, since: str | None) -> dict:
    try:
        return {"party": compose.check_party(party) if party is not None else None,
                "client": audit.check_client(client) if client is not None else None,
                "since": compose.parse_day(since, "since") if since is not None else None}
    except compose.RequestInvalid as exc:
        _fail(f"--{exc.field}: {exc.message}")
    except audit.AuditError as exc:
        _fail(f"{exc.code}: {exc.message}")


def _records(q: dict) -> list[audit.AuditRecord]:
    store = _store()
    try:
        return audit.list_records(store, **q)
    except audit.AuditError as exc:
        _fail(f"{exc.code}: {exc.message}")
    finally:
        store.dispose()


@audit_app.command()
def verify() -> None:
    """Check both audit chains (access and processing) and their head; every problem with its number."""
    store = _store()
    try:
        problems = audit.verify(store)
        h = audit.head(store) if not problems or problems[0].code != audit.NOT_INITIALISED else None
    finally:
        store.dispose()
    if not problems and h is not None:
        typer.echo(f"auditlogboek in orde: {h.processing_size} verwerkingen, {h.access_size} toegangsrecords, "
                   f"kop {h.processing_hash.hex()[:16]}")
        raise typer.Exit(0)
    for p in problems:
        where = f"record {p.seq}" if p.seq is not None else "-"
        typer.echo(f"{p.code} {audit.LOG_NL[p.log]} {where}: {p.message}")
    typer.echo(f"auditlogboek NIET in orde: {len(problems)} problemen")
    raise typer.Exit(1)


@audit_app.command("list")
def list_(party: PartyOpt = None, client: ClientOpt = None, since: SinceOpt = None) -> None:
    """The processing records (oldest first) with who did them: for a party, a client pseudonym (an AVG
    inzageverzoek), from a day on."""
    records = _records(_query(party, client, since))
    for r in records:
        who = f"{r.subject} ({r.party}, {' '.join(r.roles) or '-'})" if r.subject else "anoniem"
        ids = ", ".join(f"{k}={v}" for k, v in sorted(r.ids.items()))
        typer.echo(f"{r.seq:>6} {datetime_nl(r.at, seconds=True)}  {r.operation} {r.resource} [{ids}]  doel: {r.purpose}  "
                   f"{audit.RESULT_NL.get(r.result, r.result)} ({r.status})  door {who}")
    typer.echo(f"{len(records)} records")


@audit_app.command()
def export(out: Annotated[Path, typer.Option("--out", metavar="BESTAND", help="FILE.csv of FILE.xlsx")],
           party: PartyOpt = None, client: ClientOpt = None, since: SinceOpt = None) -> None:
    """Write the records of a party (or a client pseudonym) as CSV or XLSX; the format follows the suffix."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        _fail(f"--out: het bestand eindigt op .csv of .xlsx, niet {out.name!r}")
    records = _records(_query(party, client, since))
    try:
        audit.export(records, fmt, out)
    except OSError as exc:
        _fail(f"{out}: {exc.strerror}")
    typer.echo(f"{out}: {len(records)} records")
