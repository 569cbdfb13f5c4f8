"""`bwledger accounts ...`: the operator's commands for people's accounts and machines' API tokens.

Run on the server's machine (BWLEDGER_HOME and the database of `bwledger serve`). A password is read at a
prompt (or from the environment variable named by `--password-env`), never from the command line, so it
stays out of shell history and process lists. A token is printed once; only its digest is kept.
"""
from __future__ import annotations

import os

import typer

from api import bootstrap
from api.access.accounts import AccessError, AccessService
from api.settings import load_settings

accounts_app = typer.Typer(help="Accounts (mensen) en API-tokens (machines) van de partijen.", no_args_is_help=True)
token_app = typer.Typer(help="API-tokens: aanmaken, tonen, intrekken.", no_args_is_help=True)
accounts_app.add_typer(token_app, name="token")


def _access() -> AccessService:
    store = bootstrap.init_store(load_settings())
    return bootstrap.access_service(store)


def _fail(exc: AccessError) -> None:
    typer.echo(f"fout {exc.code}: {exc.message}", err=True)
    raise typer.Exit(2)


def _roles(value: str) -> list[str]:
    return [r for r in value.replace(",", " ").split() if r]


def _when(value) -> str:
    from api.format_nl import datetime_nl

    return datetime_nl(value) if value else "-"


@accounts_app.command("add")
def add(username: str = typer.Argument(..., help="gebruikersnaam, bv. j.jansen@kampen.nl"),
        party: str = typer.Option(..., "--party", help="GMxxxx, RG:<regio>, COMMITTEE of OPERATOR"),
        roles: str = typer.Option(..., "--roles", help="finance, regio, commissielid, secretaris, auditor, beheer"),
        name: str = typer.Option("", "--name", help="naam zoals de pagina's die tonen"),
        password_env: str | None = typer.Option(None, "--password-env",
                                                   help="omgevingsvariabele met het wachtwoord (anders gevraagd)"),
        oidc_only: bool = typer.Option(False, "--oidc-only", help="geen wachtwoord: alleen via de identity provider")
        ) -> None:
    """Maak een account aan voor één partij met een of meer rollen; toont de TOTP-sleutel eenmalig."""
    password = None
    if not oidc_only:
        password = os.environ.get(password_env, "") if password_env else typer.prompt(
            "Wachtwoord", hide_input=True, confirmation_prompt=True)
    try:
        made = _access().add_account(username, party, _roles(roles), display_name=name, password=password)
    except AccessError as exc:
        _fail(exc)
    a = made.account
    typer.echo(f"account {a.username}: {a.party}, rollen {', '.join(sorted(a.roles))}")
    if made.totp_secret:
        typer.echo("tweede factor (TOTP) verplicht voor deze rollen; zet deze sleutel in de authenticator-app:")
        typer.echo(f"  sleutel: {made.totp_secret}")
        typer.echo(f"  of: {made.totp_uri}")
        typer.echo("deze sleutel wordt niet opnieuw getoond")


@accounts_app.command("list")
def list_(party: str | None = typer.Option(None, "--party")) -> None:
    """Alle accounts (van één partij)."""
    rows = _access().accounts(party)
    for a in rows:
        state = f"uitgeschakeld sinds {_when(a.disabled_at)}" if a.disabled_at else "actief"
        factor = "met tweede factor" if a.has_second_factor else "zonder tweede factor"
        typer.echo(f"{a.username}\t{a.party}\t{','.join(sorted(a.roles))}\t{state}, {factor}")
    typer.echo(f"{len(rows)} account(s)")


@accounts_app.command("disable")
def disable(username: str) -> None:
    """Schakel een account uit; zijn sessies eindigen meteen en zijn in de browser gemaakte sleutels worden
    ingetrokken (wat hij eerder ondertekende blijft geldig)."""
    from api.compose_notices import revoke_account_keys
    from ledger.errors import LedgerError

    try:
        a = _access().disable_account(username)
    except AccessError as exc:
        _fail(exc)
    typer.echo(f"account {a.username} uitgeschakeld op {_when(a.disabled_at)}")
    store, keys = _store_and_keys()
    try:
        revoked = revoke_account_keys(store, keys, a.username)
    except LedgerError as exc:
        typer.echo(f"geweigerd: {exc.code}: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        store.dispose()
    if revoked:
        typer.echo(f"{len(revoked)} sleutel(s) ingetrokken: grootboekregel {', '.join(map(str, revoked))}")


@accounts_app.command("assign")
def assign(case_id: str, username: str, by: str = typer.Option("OPERATOR", "--by")) -> None:
    """Wijs een geschil toe aan een commissielid (die ziet dan het dossier)."""
    try:
        _access().assign_case(case_id, username, by=by)
    except AccessError as exc:
        _fail(exc)
    typer.echo(f"zaak {case_id} toegewezen aan {username}")


@token_app.command("add")
def token_add(party: str = typer.Option(..., "--party"), roles: str = typer.Option(..., "--roles"),
              label: str = typer.Option(..., "--label", help="waarvoor, bv. 'koppeling financieel systeem'"),
              days: int = typer.Option(90, "--days", help="geldigheid in dagen (ten hoogste 366)")) -> None:
    """Maak een API-token voor een machine van een partij; het token wordt één keer getoond."""
    try:
        rec, raw = _access().issue_token(party, _roles(roles), label=label, created_by="OPERATOR", days=days)
    except AccessError as exc:
        _fail(exc)
    typer.echo(f"token {rec.id} voor {rec.party} ({', '.join(sorted(rec.roles))}), geldig tot {_when(rec.expires_at)}")
    typer.echo(raw)
    typer.echo("bewaar het nu: het wordt niet opnieuw getoond (gebruik: --token of BWLEDGER_TOKEN)", err=True)


@token_app.command("list")
def token_list(party: str | None = typer.Option(None, "--party")) -> None:
    """Alle tokens (zonder hun geheim)."""
    rows = _access().tokens(party)
    for t in rows:
        state = f"ingetrokken {_when(t.revoked_at)}" if t.revoked_at else f"geldig tot {_when(t.expires_at)}"
        typer.echo(f"{t.id}\t{t.party}\t{','.join(sorted(t.roles))}\t{t.label}\t{state}")
    typer.echo(f"{len(rows)} token(s)")


@token_app.command("revoke")
def token_revoke(token_id: str) -> None:
    """Trek een token in; het werkt meteen niet meer."""
    try:
        t = _access().revoke_token(token_id)
    except AccessError as exc:
        _fail(exc)
    typer.echo(f"token {t.id} ingetrokken op {_when(t.revoked_at)}")


def _store_and_keys():
    from api.access.account_keys import AccountKeys

    store = bootstrap.init_store(load_settings())
    return store, AccountKeys(store.engine, store.clock)


@accounts_app.command("keys")
def keys_list(party: str | None = typer.Option(None, "--party"),
              waiting: bool = typer.Option(False, "--wachtend", help="alleen de aanvragen die nog niet geregistreerd zijn")
              ) -> None:
    """De sleutels die browsers van accounts maakten (sleutel-id, account, partij, geregistreerd of niet)."""
    store, keys = _store_and_keys()
    try:
        rows = keys.waiting(party) if waiting else keys.all(party)
    finally:
        store.dispose()
    for k in rows:
        state = f"geregistreerd {_when(k.registered_at)} (regel {k.registration_seq})" if k.registered else "wacht op registratie"
        typer.echo(f"{k.key_id}\t{k.username}\t{k.party}\taangevraagd {_when(k.requested_at)}\t{state}")
    typer.echo(f"{len(rows)} sleutel(s)")


@accounts_app.command("register-key")
def register_key(key_id: str = typer.Argument(..., help="het sleutel-id dat de pagina Sleutel van het account toont")
                 ) -> None:
    """Registreer de in de browser gemaakte sleutel van een account als sleutel van zijn partij (ondertekend met
    de operatorsleutel van deze machine); het account staat naast het sleutel-id, niet in het grootboek."""
    from api.compose_notices import register_account_key
    from ledger.errors import LedgerError

    store, keys = _store_and_keys()
    try:
        k = register_account_key(store, keys, key_id.strip().lower())
    except AccessError as exc:
        _fail(exc)
    except LedgerError as exc:
        typer.echo(f"geweigerd: {exc.code}: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        store.dispose()
    typer.echo(f"sleutel {k.key_id} van {k.username} ({k.party}) geregistreerd: grootboekregel {k.registration_seq}")
