"""`bwledger witness ...`: a region's (or any party's) witness of the ledger, and the operator's collection of
cosignatures (mounted by api/cli.py; the logic is ledger/witness.py and ledger/cosignature.py).

On the witness's own machine:

    bwledger witness key new --party RG:ijssel-vecht --name getuige.ijssel-vecht.nl/w1 --out getuige.pem
    bwledger witness key show getuige.pem                       # the vkey to give the operator and auditors
    bwledger witness serve --key getuige.pem --log VKEY [--port 8100]       # tlog-witness add-checkpoint
    bwledger witness poll --server URL --key getuige.pem --log VKEY         # or fetch and cosign itself
    bwledger witness checkpoint [--origin O]                    # the latest checkpoint it cosigned
    bwledger witness compare A B --log VKEY [--witness VKEY...] [--server URL]   # split view?

On the operator's machine: `bwledger witness collect` sends the newest checkpoint to the witnesses of
BWLEDGER_WITNESSES and stores the cosignatures they give (the server's checkpoint timer does the same).
The witness keeps its state in `--state` (default BWLEDGER_HOME/witness/state.json, mode 0600). Exit status:
0 done, 1 refused (a proof that fails, a log gone backwards, a split view), 2 anything else.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from api import cli_keys
from api import settings as app_settings
from api.client import LedgerClient, Refused, Unreachable
from ledger.checkpoints import parse_checkpoint_text
from ledger.keyfile import KeyFileError
from ledger.note import NoteError, parse_note
from ledger.witness import (
    WitnessRefused,
    compare_cosigned,
    cosigned_checkpoints,
    new_witness_key,
    open_witness,
    origin_hash,
    witness_key_vkey,
)
from rules.glossary import error_text

witness_app = typer.Typer(help="Getuige van het grootboek: controlepunten controleren en medeondertekenen "
                               "(C2SP tlog-witness).", no_args_is_help=True)
key_app = typer.Typer(help="De sleutel van de getuige.", no_args_is_help=True)
witness_app.add_typer(key_app, name="key")

KeyOpt = Annotated[Path, typer.Option("--key", metavar="FILE", help="sleutelbestand van de getuige")]
PassOpt = Annotated[str | None, typer.Option("--passphrase-env", metavar="VAR",
                                             help="naam van de omgevingsvariabele met het wachtwoord van --key")]
LogOpt = Annotated[list[str], typer.Option("--log", metavar="VKEY",
                                           help="verifier key van het grootboek (herhaalbaar; naam = origin)")]
StateOpt = Annotated[Path | None, typer.Option("--state", metavar="FILE",
                                               help="toestand van de getuige (standaard "
                                                    "BWLEDGER_HOME/witness/state.json)")]


_fail, _passphrase = cli_keys.fail, cli_keys.passphrase_from_env  # the key commands' own (api/cli_keys.py)


def _state(path: Path | None) -> Path:
    return path if path is not None else app_settings.load_settings().witness_state_file


def _witness(key: Path, logs: list[str], state: Path | None, passphrase_env: str | None):
    if not logs:
        _fail("geef met --log de verifier key van het grootboek dat deze getuige volgt")
    try:
        return open_witness(key, logs, _state(state), _passphrase(passphrase_env))
    except KeyFileError as exc:
        _fail(str(exc))
    except NoteError as exc:
        _fail(error_text(exc.code, str(exc)))


@key_app.command("new")
def key_new(party: Annotated[str, typer.Option("--party", help="partij van de getuige, bv. RG:ijssel-vecht")],
            name: Annotated[str, typer.Option("--name", help="naam van de getuige: een URL zonder schema, "
                                                           "bv. getuige.ijssel-vecht.nl/w1")],
            out: Annotated[Path, typer.Option("--out", metavar="FILE", help="het nieuwe sleutelbestand")],
            passphrase_env: PassOpt = None) -> None:
    """Make the witness's key (0600, never overwritten; FILE.pub beside it) and print its verifier key."""
    try:
        verifier = new_witness_key(out, party, name, _passphrase(passphrase_env))
    except KeyFileError as exc:
        _fail(str(exc))
    typer.echo(f"sleutel van getuige {name} ({party}) in {out}")
    typer.echo(f"verifier key: {verifier.vkey()}")


@key_app.command("show")
def key_show(key: Annotated[Path, typer.Argument(help="sleutelbestand van de getuige")]) -> None:
    """Print the witness's verifier key (from the file's header and FILE.pub; no passphrase needed)."""
    try:
        typer.echo(witness_key_vkey(key))
    except KeyFileError as exc:
        _fail(str(exc))


@witness_app.command("serve")
def serve(key: KeyOpt, log: LogOpt = [], state: StateOpt = None, passphrase_env: PassOpt = None,  # noqa: B006
          host: Annotated[str, typer.Option(help="adres om op te luisteren")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="TCP-poort")] = 8100) -> None:
    """Run the witness's HTTP service (tlog-witness: POST /add-checkpoint, GET /<origin hash>/checkpoint)."""
    import uvicorn

    from api.http.witness_app import create_witness_app

    witness = _witness(key, log, state, passphrase_env)
    typer.echo(f"getuige {witness.name} luistert op http://{host}:{port} ({', '.join(sorted(witness.logs))})")
    uvicorn.run(create_witness_app(witness), host=host, port=port, log_level="info")


def _refused(exc: WitnessRefused) -> NoReturn:
    typer.echo(f"geweigerd: {error_text(exc.code, exc.message)}")
    raise typer.Exit(1)


@witness_app.command("poll")
def poll(key: KeyOpt, server: Annotated[str, typer.Option("--server", metavar="URL", help="adres van de "
                                                          "bwledger-server")],
         log: LogOpt = [], state: StateOpt = None, passphrase_env: PassOpt = None) -> None:  # noqa: B006
    """Fetch the newest checkpoint and the consistency proof from the size this witness cosigned last, check
    both and cosign; refuse (exit 1) a proof that fails, a log gone backwards or another root at the same size."""
    witness = _witness(key, log, state, passphrase_env)
    try:
        with LedgerClient(server, token=app_settings.client_token()) as client:
            note = client.checkpoint_note()
            line = witness.observe(note, client.consistency_proof)
    except (Unreachable, Refused) as exc:
        _fail(str(exc))
    except WitnessRefused as exc:
        _refused(exc)
    cp = parse_checkpoint_text(parse_note(note).text)
    typer.echo(f"medeondertekend: {cp.origin} bij grootte {cp.tree_size}")
    typer.echo(line.decode().rstrip("\n"))


@witness_app.command("checkpoint")
def checkpoint(state: StateOpt = None,
               origin: Annotated[str | None, typer.Option(help="origin van het grootboek (standaard: het enige)")] = None,
               out: Annotated[Path | None, typer.Option("--out", metavar="FILE", help="schrijf het controlepunt "
                                                        "naar dit bestand")] = None) -> None:
    """Print (or write) the latest checkpoint this witness cosigned: the log's signature and its own."""
    path = _state(state)
    try:
        logs = cosigned_checkpoints(path)
    except WitnessRefused as exc:
        _fail(error_text(exc.code, exc.message))
    if origin is None and len(logs) == 1:
        origin = next(iter(logs))
    if origin not in logs:
        _fail(f"geen medeondertekend controlepunt voor {origin or '(geef --origin)'}; bekend: "
              f"{', '.join(sorted(logs)) or 'geen'}")
    note = logs[origin]
    if out is not None:
        out.write_bytes(note)
        typer.echo(f"{out}: controlepunt van {origin} ({origin_hash(origin)[:16]})")
    else:
        typer.echo(note.decode(), nl=False)


@witness_app.command("compare")
def compare(a: Annotated[Path, typer.Argument(help="medeondertekend controlepunt van de ene getuige")],
            b: Annotated[Path, typer.Argument(help="medeondertekend controlepunt van de andere getuige")],
            log: Annotated[str, typer.Option("--log", metavar="VKEY", help="verifier key van het grootboek")],
            witness: Annotated[list[str], typer.Option("--witness", metavar="VKEY",
                                                       help="verifier key van een getuige (herhaalbaar)")] = [],  # noqa: B006
            server: Annotated[str | None, typer.Option("--server", metavar="URL", help="haal bij verschillende "
                                                       "grootten het bewijs van consistentie hier")] = None) -> None:
    """Compare two witnesses' cosigned checkpoints of one log: exit 1 on a split view (two histories), printing
    both notes as evidence; 0 when they agree; 2 when it cannot be told (different sizes, no --server)."""
    try:
        na, nb = a.read_bytes(), b.read_bytes()
        proof = None
        if server is not None:
            sa, sb = (parse_checkpoint_text(parse_note(n).text).tree_size for n in (na, nb))
            lo, hi = min(sa, sb), max(sa, sb)
            if 0 < lo < hi:
                with LedgerClient(server, token=app_settings.client_token()) as client:
                    proof = client.consistency_proof(lo, hi)
        result = compare_cosigned(na, nb, log, witness, proof)
    except OSError as exc:
        _fail(f"kan het controlepunt niet lezen: {exc.strerror}")
    except NoteError as exc:
        _fail(error_text(exc.code, str(exc)))
    except (Unreachable, Refused) as exc:
        _fail(str(exc))
    who = [", ".join(names) or "geen vertrouwde getuige" for names in result.cosigners]
    typer.echo(f"A: grootte {result.a.tree_size}, medeondertekend door {who[0]}")
    typer.echo(f"B: grootte {result.b.tree_size}, medeondertekend door {who[1]}")
    if result.split_view:
        typer.echo(f"GESPLITST BEELD: {error_text('SPLIT_VIEW', result.message)}")
        typer.echo("bewijs (beide controlepunten, ondertekend door het grootboek):")
        for label, evidence in zip("AB", result.evidence):
            typer.echo(f"--- {label}")
            typer.echo(evidence.decode("utf-8", "replace"), nl=False)
        raise typer.Exit(1)
    typer.echo(("in orde: " if result.verdict == "CONSISTENT" else "onbeslist: ") + result.message)
    raise typer.Exit(0 if result.verdict == "CONSISTENT" else 2)


@witness_app.command("collect")
def collect() -> None:
    """(Operator) sign a checkpoint of new entries, send the newest checkpoint to the witnesses of BWLEDGER_WITNESSES (tlog-witness
    add-checkpoint) and store the cosignatures they give; exit 1 when a witness refused or was unreachable."""
    from api import bootstrap
    from ledger import service
    from ledger.errors import LedgerError

    try:
        s = app_settings.load_settings()
    except ValueError as exc:
        _fail(str(exc))
    store = bootstrap.open_store(s)
    try:
        collector = bootstrap.witness_collector(s, store)
        if collector is None:
            _fail("er zijn geen getuigen ingesteld (BWLEDGER_WITNESSES)")
        service.checkpoint(store)  # the entries not yet covered (a no-op when nothing is new) ...
        service.checkpoint_note(store)  # ... and a note to send (signed now if the newest is still JSON)
        result = collector()
    except LedgerError as exc:
        _fail(error_text(exc.code, exc.message))
    finally:
        store.dispose()
    for line in result.lines:
        typer.echo(f"medeondertekend door {line.name}")
    for name, why in sorted(result.problems.items()):
        typer.echo(f"getuige {name}: {why}")
    typer.echo(f"{len(result.lines)} van {len(s.witnesses)} getuigen medeondertekenden het controlepunt")
    raise typer.Exit(1 if result.problems else 0)
