"""`bwledger clients pseudonym|erase|seal-place|place` (mounted by api/cli.py): the client's pseudonym for
its BSN, the erasure of a client's personal data, and the sealed place of a client in a vrouwenopvang
(spec 8.7: cases/confidential_places.py, the functions POST /v1/clienten/plaatsen and
GET /v1/grootboek/regels/{seq}/plaats call; the place is read from standard input, never an argument).

`clients pseudonym` is the one place a BSN is accepted: it is read from standard input (one line) or,
at a terminal, asked for without echo, never taken from the command line (where it would stay in the
shell's history and in the process list); only the pseudonym is printed. Exit status: 0 done, 1 refused
(`geweigerd: CODE: ...` in Dutch), 2 anything else (`fout: ...`).
"""
from __future__ import annotations

import getpass
import sys
from datetime import datetime
from pathlib import Path

import typer

from api import compose
from api.settings import load_settings
from cases.errors import CaseError
from ledger.errors import LedgerError
from rules.dates import dutch_date

clients_app = typer.Typer(help="Cliënten: pseudoniem bij een BSN, het wissen van persoonsgegevens, en de "
                               "vertrouwelijke plaats van een cliënt in een vrouwenopvang.",
                          no_args_is_help=True)


def _refused(exc: CaseError | LedgerError) -> typer.Exit:
    typer.echo(f"geweigerd: {exc.code}: {exc.message}", err=True)
    return typer.Exit(1)


def _settings():
    try:
        return load_settings()
    except ValueError as exc:
        typer.echo(f"fout: {exc}", err=True)
        raise typer.Exit(2) from None


def _read_bsn() -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass("BSN (wordt niet getoond): ")
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.strip()


@clients_app.command("pseudonym")
def pseudonym() -> None:
    """Print the client's pseudonym for the BSN read from standard input or asked for (never an argument)."""
    from api import bootstrap

    s = _settings()
    try:
        secret = bootstrap.pseudonym_secret(s)
    except ValueError as exc:
        typer.echo(f"fout: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        bsn = _read_bsn()
    except (EOFError, KeyboardInterrupt):
        typer.echo("fout: geen BSN gegeven", err=True)
        raise typer.Exit(2) from None
    try:
        result = compose.client_pseudonym(secret, bsn)
    except LedgerError as exc:
        raise _refused(exc) from None
    typer.echo(result["pseudonym"])


@clients_app.command("erase")
def erase(client: str = typer.Argument(..., metavar="PSEUDONYM", help="the client's pseudonym"),
          reason: str = typer.Option(..., "--reason", help="why (retention, an AVG request), without personal data"),
          by: str = typer.Option(None, "--by", help="who erases (default: beheer and the login name)")) -> None:
    """Erase a client's personal data: its data key destroyed, its documents and dossiers removed; the
    ledger and every statement total stay as they are."""
    from api import bootstrap

    s = _settings()
    store = bootstrap.open_store(s)
    try:
        documents = bootstrap.client_documents(s, store)
        r = compose.erase_client(store, documents, client, by=by or f"beheer:{getpass.getuser()}", reason=reason,
                                 outputs_dir=s.outputs_dir)
    except (CaseError, LedgerError) as exc:
        raise _refused(exc) from None
    except ValueError as exc:
        typer.echo(f"fout: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.dispose()
    on = datetime.fromisoformat(r["erased_at"].replace("Z", "+00:00"))
    typer.echo(f"gegevens van cliënt {r['client']} gewist op {dutch_date(on.date())} door {r['erased_by']} "
               f"(reden: {r['reason']})")
    typer.echo(f"  {r['documents_removed']} versleutelde documenten verwijderd, sleutel vernietigd; "
               f"geschillen: {', '.join(r['cases']) or 'geen'}")
    for name in r["outputs_removed"]:
        typer.echo(f"  uitvoer verwijderd: {Path(s.outputs_dir) / name}")
    typer.echo("het grootboek is ongewijzigd: het noemt de cliënt alleen bij pseudoniem")


def _with_documents(act):
    """`act(store, documents)` on this machine's ledger and the clients' encrypted store; a refusal exits 1
    with its code, bad input exits 2."""
    from api import bootstrap

    s = _settings()
    store = bootstrap.open_store(s)
    try:
        return act(store, bootstrap.client_documents(s, store))
    except (CaseError, LedgerError) as exc:
        raise _refused(exc) from None
    except (ValueError, compose.RequestInvalid) as exc:
        typer.echo(f"fout: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.dispose()


@clients_app.command("seal-place")
def seal_place(client: str = typer.Argument(..., metavar="PSEUDONYM", help="the client's pseudonym"),
               party: str = typer.Option(..., "--as", help="the placing party (GMxxxx or RG:...)")) -> None:
    """Keep the place of a client in a vrouwenopvang (read from standard input) encrypted with the client's
    key; print the reference (location_ref) to sign into the N1 next to location "vertrouwelijk"."""
    place = sys.stdin.readline().strip() if sys.stdin is not None else ""
    r = _with_documents(lambda _store, docs: compose.seal_place(docs, {"client": client, "place": place},
                                                                by=compose.check_party(party)))
    typer.echo(r["location_ref"])


@clients_app.command("place")
def place(seq: str = typer.Argument(..., metavar="SEQ", help="the sequence number of the N1"),
          party: str = typer.Option(..., "--as", help="the party asking (the placing party, host municipality "
                                                      "or host region)")) -> None:
    """Print the sealed place an N1 refers to, for a party that needs it (PLACE_NOT_FOUND otherwise)."""
    r = _with_documents(lambda store, docs: compose.read_place(store, docs, seq, viewer=compose.check_party(party)))
    typer.echo(f"plaats bij N1 seq {r['seq']} (cliënt {r['client']}, ontvangende gemeente {r['host_municipality']}, "
               f"vanaf {dutch_date(datetime.fromisoformat(str(r['start_date'])).date())}): {r['place']}")
