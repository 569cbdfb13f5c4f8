"""`bwledger ledger ...`: initialise, verify, export and verify bundles (mounted by api/cli.py)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from api import bootstrap
from api.settings import load_settings
from ledger import service
from ledger.errors import LedgerError
from ledger.parties import check_party_code
from rules.glossary import error_text

ledger_app = typer.Typer(help="The signed, hash-chained ledger: init, verify, export and verify-bundle.",
                         no_args_is_help=True)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"geen datum (JJJJ-MM-DD): {value}") from None


def _fail(exc: LedgerError) -> None:
    typer.echo(f"fout: {error_text(exc.code, exc.message)}", err=True)
    raise typer.Exit(2)


def _problem(p) -> str:
    """A verification problem as a person reads it: where, what (the glossary), the detail and the code."""
    where = f"regel {p.seq}" if p.seq is not None else "grootboek"
    if p.checkpoint_id is not None:
        where += f" (controlepunt {p.checkpoint_id})"
    return f"{where}: {error_text(p.code, p.message)}"


@ledger_app.command()
def init() -> None:
    """Create the ledger schema and, on first use, the operator key (mode 0600) and its genesis entry."""
    s = load_settings()
    try:
        store = bootstrap.init_store(s)
    except LedgerError as exc:
        _fail(exc)
    typer.echo(f"grootboek klaar op {s.database_url}: {store.size()} regels, sleutel van de beheerder "
               f"{store.operator.key_id}")


@ledger_app.command()
def checkpoint() -> None:
    """Sign a checkpoint of the current tree if entries were added since the last one; first the audit
    log's head is anchored in the ledger if the audit log grew since its last anchor."""
    from api.access import audit

    s = load_settings()
    store = bootstrap.open_store(s)
    try:
        audit.anchor(store, min_seconds=0)
        cp = service.checkpoint(store)
    except LedgerError as exc:
        _fail(exc)
    typer.echo(f"controlepunt bij boomgrootte {cp.tree_size}: {cp.root_hash.hex()}" if cp else "niets nieuws")


@ledger_app.command()
def vkey() -> None:
    """Print the operator's verifier key of checkpoint notes (C2SP signed-note: <origin>+<key ID>+<key>), the
    line a witness or an auditor pins; `GET /v1/checkpoint` serves the notes it verifies."""
    store = bootstrap.open_store(load_settings())
    try:
        typer.echo(service.log_vkey(store))
    except LedgerError as exc:
        _fail(exc)


def _tree_or_checkpoint(value: str):
    """A tree size (digits) or a checkpoint file (a note, a bundle, or its JSON checkpoint)."""
    from ledger.checkpoints import read_checkpoint
    from ledger.note import NoteError

    if value.isdigit():
        return int(value)
    try:
        return read_checkpoint(Path(value).read_bytes())
    except OSError as exc:
        raise typer.BadParameter(f"geen boomgrootte en geen leesbaar bestand: {value} ({exc.strerror})") from None
    except NoteError as exc:
        raise typer.BadParameter(f"{value}: {error_text(exc.code, str(exc))}") from None


def _side(value, label: str) -> str:
    if isinstance(value, int):
        return f"{label}: boomgrootte {value} van dit grootboek"
    kind = "controlepunt (C2SP-notitie)" if value.note is not None else "controlepunt (JSON, van voor de notities)"
    return f"{label}: {kind} bij boomgrootte {value.tree_size}, root {value.root_hash.hex()[:16]}..."


@ledger_app.command()
def consistency(old: str = typer.Argument(..., help="the older tree: a tree size or a checkpoint file"),
                new: str = typer.Argument(..., help="the newer tree: a tree size or a checkpoint file")) -> None:
    """Check that the log's tree NEW extends its tree OLD (RFC 9162 consistency proof); each a tree size or a
    checkpoint file someone kept (a checkpoint note of GET /v1/checkpoint, a bundle, or a bundle's JSON
    checkpoint, of before the notes). Exit 1 when it does not."""
    from ledger.proofs import check_consistency

    a, b = _tree_or_checkpoint(old), _tree_or_checkpoint(new)
    store = bootstrap.open_store(load_settings(), with_operator=False)
    try:
        result = check_consistency(store, a, b)
    except LedgerError as exc:
        _fail(exc)
    typer.echo(_side(a, "oud"))
    typer.echo(_side(b, "nieuw"))
    for code, detail in result.problems:
        typer.echo(f"fout: {error_text(code, detail)}")
    verdict = "in orde: de nieuwe boom bevat de oude ongewijzigd" if result.ok else "NIET in orde"
    typer.echo(f"consistentie van boomgrootte {result.old_size} naar {result.new_size}: {verdict} "
               f"(bewijs van {len(result.proof)} hashes)")
    raise typer.Exit(0 if result.ok else 1)


@ledger_app.command()
def verify(workers: Optional[int] = typer.Option(None, help="processes for signatures (default: every core)"),
           as_json: bool = typer.Option(False, "--json", help="machine-readable report"),
           deep: bool = typer.Option(False, "--deep", help="also re-validate every payload against its kind's schema "
                                     "and re-check the canonical form (both were enforced on admission and are "
                                     "covered by the signatures, which are always checked)")
           ) -> None:
    """Verify the whole ledger and report every problem with its sequence number; exit 1 if any.

    Checks the sequence, every leaf hash, the chain, received_at order, the columns against the signed
    statements, every signature under the key valid at that time, client rules, entitlements and
    references, the key entries, idempotency keys, every checkpoint and the stored tree state."""
    s = load_settings()
    primary = bootstrap.open_store(s, with_operator=False)
    # with BWLEDGER_READ_DATABASE_URL the verification reads the replica; its outcome is recorded on the
    # primary either way (ledger/verification_runs.py: the monitoring's verification status)
    store = bootstrap.read_store(s, primary)
    # the deposits of determinations can be read here (ledger/determination_replay.py): replay them
    kek = bootstrap.has_data_kek(s)
    if kek:
        bootstrap.determination_deposits(s, store)
    try:
        report = service.verify_ledger(store, workers=workers, deep=deep, record_on=primary)
    except LedgerError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, "entries": report.entries, "checkpoints": report.checkpoints,
                               "seconds": round(report.seconds, 3),
                               "problems": [p.to_dict() for p in report.problems],
                               "replay_not_run": report.replay_not_run}, indent=1))
    else:
        for p in report.problems:
            typer.echo(_problem(p))
        typer.echo(f"{report.entries} regels, {report.checkpoints} controlepunten, {len(report.problems)} problemen "
                   f"({report.seconds:.2f} s, {report.workers} proces(sen))")
        if report.replay_not_run:
            why = "de feiten van gewiste cliënten zijn vernietigd" if kek else \
                "geen sleutel om de gedeponeerde feiten te lezen"
            typer.echo(f"controle niet uitgevoerd ({why}): de herberekening "
                       f"van {len(report.replay_not_run)} beoordeling(en) (volgnummers "
                       f"{', '.join(map(str, report.replay_not_run[:20]))}{' ...' if len(report.replay_not_run) > 20 else ''}"
                       f"); niet uitgevoerd is niet goedgekeurd")
    raise typer.Exit(0 if report.ok else 1)


@ledger_app.command()
def export(out: Path = typer.Argument(..., help="bundle file to write (JSON)"),
           party: str = typer.Option(..., help="GMxxxx, RG:<region>, OPERATOR or COMMITTEE"),
           date_from: str = typer.Option(..., "--from", help="first received date, YYYY-MM-DD"),
           date_to: str = typer.Option(..., "--to", help="last received date, YYYY-MM-DD"),
           since_checkpoint: Optional[str] = typer.Option(
               None, "--since-checkpoint", help="the party's previous checkpoint (a note, a bundle or its JSON "
               "checkpoint): the bundle carries the consistency proof from it")) -> None:
    """Write a self-contained bundle of every entry PARTY authored or is named in."""
    s = load_settings()
    since = None
    if since_checkpoint is not None:
        since = _tree_or_checkpoint(since_checkpoint)
        if isinstance(since, int):
            raise typer.BadParameter("--since-checkpoint is een bestand met een controlepunt, geen boomgrootte")
    try:
        party = check_party_code(party)  # the one party check: GM9999 gets no (empty) bundle
        store = bootstrap.open_store(s)
        summary = service.export_bundle(store, party, _day(date_from), _day(date_to), out, since=since)
    except LedgerError as exc:
        _fail(exc)
    typer.echo(f"{summary.path}: {summary.entries} regels van {party}, {summary.references} waarnaar verwezen, "
               f"{summary.key_entries} sleutelregels, bewezen tegen boomgrootte {summary.tree_size}"
               + ("" if since is None else f", consistent met het vorige controlepunt (boomgrootte {since.tree_size})"))


@ledger_app.command("verify-bundle")
def verify_bundle(path: Path,
                  operator_key: list[str] = typer.Option([], help="trusted operator key id (repeatable)"),
                  witness: list[str] = typer.Option([], "--witness", metavar="VKEY",
                                                    help="verifier key of a trusted witness (repeatable): the "
                                                         "checkpoint must be cosigned by --quorum of them"),
                  quorum: Optional[int] = typer.Option(None, "--quorum", metavar="K",
                                                       help="how many of the --witness keys must have cosigned "
                                                            "(default: all)")) -> None:
    """Verify a bundle offline (no database, no network); exit 1 on any problem. With --witness, a checkpoint
    without --quorum valid cosignatures of those witnesses is refused (QUORUM_NOT_MET)."""
    if quorum is not None and not witness:
        typer.echo("fout: --quorum hoort bij --witness", err=True)
        raise typer.Exit(2)
    report = service.verify_bundle_file(path, trusted_operator_keys=operator_key, witness_vkeys=witness,
                                        quorum=quorum)
    for p in report.problems:
        typer.echo(_problem(p))
    trust = ("vertrouwd" if report.trusted_operator else
             "NIET gecontroleerd tegen een vertrouwde sleutel (gebruik --operator-key)")
    if report.since_size is not None:
        typer.echo(f"vorig controlepunt bij boomgrootte {report.since_size}: consistentie met boomgrootte "
                   f"{report.tree_size} gecontroleerd")
    typer.echo(f"{report.entries} regels van {report.party} tegen boomgrootte {report.tree_size}; sleutel van de "
               f"beheerder {report.operator_key_id[:16]} {trust}; {len(report.problems)} problemen")
    if witness:
        names = ", ".join(report.cosigners) or "geen"
        typer.echo(f"getuigen: {len(set(report.cosigners))} van de vereiste {report.quorum} medeondertekenden het "
                   f"controlepunt ({names})")
    raise typer.Exit(0 if report.ok else 1)
