"""The `bwledger` command: a thin shell over the service functions."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from api import logmask
from api.cli_ledger import ledger_app
from ledger.private_files import restrict_process
from rules import loader
from rules.brp_historie import BrpError
from rules.casebook import Malformed, run_text
from rules.engine import FactsError

app = typer.Typer(help="Verrekening en geschillen beschermd wonen (bwledger).", no_args_is_help=True)
rules_app = typer.Typer(help="The rules engine: who pays for a beschermd wonen client.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
from api.cli_determinations import handover_app  # noqa: E402
from api.cli_determinations import mount as _mount_determinations  # noqa: E402  (rules record|answer|redetermine)

_mount_determinations(rules_app)
app.add_typer(handover_app, name="handover")
app.add_typer(ledger_app, name="ledger")
from api.cli_case import case_app  # noqa: E402
app.add_typer(case_app, name="case")
from api.cli_settle import settle_app  # noqa: E402
app.add_typer(settle_app)  # settle, reconcile, seal, whatif, monitor, project
from api.cli_keys import keys_app, submit_app  # noqa: E402
app.add_typer(keys_app, name="keys")
app.add_typer(submit_app)  # submit
from api.cli_accounts import accounts_app  # noqa: E402
app.add_typer(accounts_app, name="accounts")
from api.cli_audit import audit_app  # noqa: E402
app.add_typer(audit_app, name="audit")
from api.cli_clients import clients_app  # noqa: E402
app.add_typer(clients_app, name="clients")
from api.cli_notices import notices_app  # noqa: E402
app.add_typer(notices_app)  # berichten
from api.cli_db import db_app  # noqa: E402
app.add_typer(db_app, name="db")
from api.cli_witness import witness_app  # noqa: E402
app.add_typer(witness_app, name="witness")


def _casebook_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(p.glob("*.toml")) if p.is_dir() else [p])
    return files


@rules_app.command("check")
def rules_check(paths: list[Path] = typer.Argument(..., help="casebook files or directories")) -> None:
    """Run casebooks: a PASS/FAIL line per case and `N passed, M failed`."""
    table, register = loader.parameter_table(), loader.municipality_register()
    passed = failed = 0
    for f in _casebook_files(paths):
        try:
            text = f.read_text(encoding="utf-8")
        except OSError as exc:
            print(f"FAIL {f}: cannot read: {exc.strerror}")
            failed += 1
            continue
        res = run_text(str(f), text, table, register)
        for line in res.lines:
            print(line)
        passed += res.passed
        failed += res.failed
    print(f"{passed} passed, {failed} failed")
    raise typer.Exit(0 if failed == 0 and passed > 0 else 1)


@rules_app.command("decide")
def rules_decide(file: Path, case: str = typer.Option(..., "--case", help="case id"),
                 as_json: bool = typer.Option(False, "--json", help="machine form"),
                 brp: Path | None = typer.Option(None, "--brp", help="a Haal Centraal BRP verblijfplaatshistorie "
                                                                     "response (JSON): the case's address history"),
                 instelling: list[str] = typer.Option([], "--instelling", help="with --brp: BEGINDATUM=SOORT marks "
                                                                              "the BRP period starting that day as "
                                                                              "an institution's address "
                                                                              "(repeatable)")) -> None:
    """Print one case's determination and its trail (Dutch), or its JSON form (FILE: .toml or .json).
    With --brp, the address history comes from the BRP response: first what was read from it."""
    from api.compose import RequestInvalid, assess, institution_marks  # the function POST /v1/beoordelingen and the page call

    try:
        marks = institution_marks(instelling)
    except RequestInvalid as exc:
        raise typer.BadParameter(exc.message, param_hint="--instelling") from None
    if marks and brp is None:
        raise typer.BadParameter("alleen samen met --brp", param_hint="--instelling")
    try:
        brp_text = brp.read_text(encoding="utf-8-sig") if brp is not None else None
    except (OSError, UnicodeDecodeError) as exc:
        print(f"fout: BRP-bestand {brp}: {getattr(exc, 'strerror', None) or 'geen UTF-8-tekst'}", file=sys.stderr)
        raise typer.Exit(2)
    try:
        result = assess(file.read_text(encoding="utf-8"), "json" if file.suffix == ".json" else "toml", case,
                        brp=brp_text, institutions=marks or None)
    except BrpError as exc:
        print(f"fout: BRP-antwoord {brp}: {exc} ({exc.code})", file=sys.stderr)
        raise typer.Exit(2)
    except (Malformed, FactsError, OSError, UnicodeDecodeError) as exc:
        print(f"fout: {exc}", file=sys.stderr)
        raise typer.Exit(2)
    if as_json:
        print(json.dumps(result.determination.to_dict(), indent=2, ensure_ascii=False))
        return
    if result.brp_report is not None:
        print("Uit het BRP-antwoord (verblijfplaatshistorie):")
        for line in result.brp_report:
            print(f"  {line}")
        print()
    print(result.explanation_nl)


@app.command("serve")
def serve(host: str = typer.Option("127.0.0.1", help="address to listen on"),
          port: int = typer.Option(8000, help="TCP port"),
          workers: int = typer.Option(1, "--workers", min=1, help="worker processes (they share sessions, rate "
                                                                  "limits and pool limits in the database)"),
          tls_cert: Path | None = typer.Option(None, "--tls-cert", help="serve HTTPS: the certificate chain (PEM)"),
          tls_key: Path | None = typer.Option(None, "--tls-key", help="the certificate's private key (PEM)")) -> None:
    """Run the HTTP API and the Dutch web pages (uvicorn), with the checkpoint timer; over TLS with
    --tls-cert and --tls-key (then every answer carries HSTS and the login cookies are Secure). With
    --workers N, N processes answer on the same port; everything they share is in the database."""
    import uvicorn

    from api import bootstrap
    from api.http import create_app
    from api.settings import load_settings

    try:
        settings = load_settings()
    except ValueError as exc:
        print(f"fout: {exc}", file=sys.stderr)
        raise typer.Exit(2)
    if (tls_cert is None) != (tls_key is None):
        print("fout: --tls-cert en --tls-key horen bij elkaar", file=sys.stderr)
        raise typer.Exit(2)
    tls = {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)} if tls_cert else {}
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", **tls)
        return
    # the migration, the genesis entry and the secrets once, before the workers start (each worker's app reads
    # the same environment: api.http.app.app_from_env)
    bootstrap.prepare_server(settings)
    uvicorn.run("api.http.app:app_from_env", factory=True, workers=workers, host=host, port=port,
                log_level="info", **tls)


@app.command("demo")
def demo(scale: str | None = typer.Option(None, "--scale", help="national | medium | small: the synthetic national "
                                                                "data set (api/demo_national.py) instead of the "
                                                                "quick demo, in BWLEDGER_HOME/landelijk-SCALE"),
         seed: int | None = typer.Option(None, "--seed", help="with --scale: the data set's seed (default fixed)")
         ) -> None:
    """The main job on the embedded SQLite default: determinations over the casebooks. With --scale: two
    years of synthetic national data (all 342 municipalities, illustrative regions marked as such)."""
    if scale is None:
        if seed is not None:
            raise typer.BadParameter("alleen samen met --scale", param_hint="--seed")
        from api.demo import run_demo

        raise typer.Exit(run_demo())
    import sys as _sys

    from rich.console import Console

    from api.demo_national import run_national
    from api.demo_national_data import DEFAULT_SEED, SCALES
    from api.settings import load_settings

    if scale not in SCALES:
        raise typer.BadParameter(f"een van: {', '.join(SCALES)}", param_hint="--scale")
    console = Console(width=None if _sys.stdout.isatty() else 150)
    raise typer.Exit(run_national(console, load_settings(), scale, DEFAULT_SEED if seed is None else seed))


def main() -> None:
    # every file a command writes (database, keys, exhibits, statements, dossiers) is 0600 in 0700 folders
    restrict_process()
    logmask.install()  # BSN-like numbers never reach a log
    app()


if __name__ == "__main__":
    main()
