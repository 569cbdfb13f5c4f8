"""`bwledger keys new|register|rotate|revoke` and `bwledger submit` (mounted by api/cli.py).

Everything here runs on the signer's own machine: a party makes its key pair (`keys new`), the
operator registers the public key (`keys register`), the party signs statements with its key file
or its own HSM / KMS (`--sign-command`) and submits them (`submit`), rotates its key (`keys rotate`,
signed with the old key), and the party or the operator revokes one (`keys revoke`). With `--server`
every command talks to the server only through api/client.py, and needs none of the server's files
(a key action goes to its own endpoint: POST /v1/sleutels, /v1/sleutels/{key_id}/vervanging, .../revocation);
only `keys register` without `--server` works on the local ledger of BWLEDGER_HOME (the operator's
own machine). Passphrases are read from the environment variable named by `--passphrase-env`, never
from the command line. Exit status: 0 done, 1 the ledger refused (its code and detail are printed),
2 anything else (input, key file, signer, a server that cannot be reached).
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from api import settings as app_settings
from api.format_nl import datetime_nl
from ledger.crypto import key_id_of
from ledger.entries import OPERATOR
from ledger.parties import party_code_problem

keys_app = typer.Typer(help="Sleutels van een partij: maken, laten registreren, roteren en intrekken.",
                       no_args_is_help=True)
submit_app = typer.Typer()  # `bwledger submit`, mounted at the top level

# ---------------------------------------------------------------------------------------- options
def _opt(name: str, metavar: str | None, text: str):
    return typer.Option(name, metavar=metavar, help=text)


ServerOpt = Annotated[str, _opt("--server", "URL", "adres van de bwledger-server, bv. https://grootboek.example.nl")]
KeyOpt = Annotated[Path | None, _opt("--key", "FILE", "privésleutelbestand om mee te ondertekenen")]
PassOpt = Annotated[str | None, _opt("--passphrase-env", "VAR",
                                     "naam van de omgevingsvariabele met het wachtwoord van --key")]
CommandOpt = Annotated[str | None, _opt(
    "--sign-command", "CMD", "extern ondertekenprogramma (HSM/KMS): krijgt de bytes op stdin, geeft de "
    "handtekening op stdout (64 bytes, hex of base64)")]
PartyOpt = Annotated[str | None, _opt("--party", "PARTIJ",
                                      "partij van de ondertekenende sleutel (nodig bij --sign-command)")]
TokenOpt = Annotated[str | None, _opt("--token", "TOKEN",
                                      "toegangstoken, als Authorization: Bearer (standaard BWLEDGER_TOKEN)")]
ValidUntilOpt = Annotated[str | None, _opt("--valid-until", "MOMENT",
                                           "einde van de geldigheid, ISO 8601 (zonder zone: UTC)")]
SignerPubOpt = Annotated[Path | None, _opt("--public-key", "FILE.pub", "publieke sleutel van --sign-command")]


# ---------------------------------------------------------------------------------------- helpers
def fail(message: str, code: int = 2) -> NoReturn:
    """Say `message` as an error (fout: ...) and exit with `code`."""
    typer.echo(f"fout: {message}", err=True)
    raise typer.Exit(code)


def _refused(code: str, detail: str) -> NoReturn:
    typer.echo(f"geweigerd: {code}: {detail}", err=True)
    raise typer.Exit(1)


def passphrase_from_env(var: str | None) -> str | None:
    """The passphrase in environment variable `var` (None: no passphrase); a missing one is an error."""
    if var is None:
        return None
    try:
        return app_settings.secret_from_env(var)
    except ValueError as exc:
        fail(str(exc))


def _party(value: str | None, option: str = "--party") -> str | None:
    """A party option through the one party check (ledger.parties.party_code_problem)."""
    err = party_code_problem(value) if value is not None else None
    if err:
        fail(f"{option}: {err.message} ({err.code})")
    return value


def _moment(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option}: geen moment (ISO 8601, bv. 2027-01-01T00:00:00Z): {value!r}")
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts


def _signer(key: Path | None, passphrase_env: str | None, sign_command: str | None, public_key: Path | None,
            party: str | None, *, public_option: str = "--public-key"):
    """The signer of a command: a key file (--key) or an external command (--sign-command + public key)."""
    from ledger.keyfile import KeyFileError, read_key_file
    from ledger.signers import CommandSigner, SignerError

    _party(party)
    if (key is None) == (sign_command is None):
        fail("geef een sleutelbestand (--key) of een ondertekenprogramma (--sign-command), "
              "precies één van beide")
    try:
        if key is not None:
            if public_key is not None:
                fail(f"{public_option} hoort bij --sign-command; bij --key staat de sleutel in het bestand")
            return read_key_file(key, passphrase_from_env(passphrase_env), party=party)
        if public_key is None:
            fail(f"bij --sign-command hoort {public_option} FILE.pub (de publieke sleutel van het "
                  "programma)")
        if party is None:
            fail("bij --sign-command hoort --party (de partij van de sleutel)")
        return CommandSigner.from_files(party, sign_command, public_key)
    except (KeyFileError, SignerError) as exc:
        fail(str(exc))
    except ValueError:  # shlex: an unclosed quote in --sign-command
        fail(f"--sign-command: de aanhalingstekens zijn niet gesloten: {sign_command}")


def _sign(make):
    """Run a signing step, reporting a failing signer (key file, external program) in Dutch."""
    from ledger.signers import SignerError

    try:
        return make()
    except SignerError as exc:
        fail(str(exc))


def _send(server: str, token: str | None, signed, path: str | None = None) -> Any:
    """Submit one signed statement through api/client.py (to the entries endpoint, or a key action's
    own `path`); exit 1 on a refusal, 2 when unreachable."""
    from api.client import SUBMIT_PATH, LedgerClient, Refused, Unreachable

    try:
        with LedgerClient(server, token=token or app_settings.client_token()) as client:
            return client.submit(signed.statement, signed.signature, path=path or SUBMIT_PATH)
    except Refused as exc:
        _refused(exc.code, exc.detail)
    except Unreachable as exc:
        fail(str(exc))


def _key_path(kind: str, key_id: str | None = None) -> str:
    from api.client import key_path  # httpx is imported only by the commands that talk to a server

    return key_path(kind, key_id)


def _recorded(result: Any) -> str:
    if getattr(result, "duplicate", False):
        return f"al opgenomen als volgnummer {result.seq} (dezelfde inhoud was eerder ingediend)"
    return f"opgenomen als volgnummer {result.seq}"


def _check_key_id(value: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        fail(f"--key-id: een sleutel-id is 64 hexadecimale tekens (kleine letters): {value!r}")
    return value


# ------------------------------------------------------------------------------------- keys new
@keys_app.command("new")
def new(party: Annotated[str, _opt("--party", "PARTIJ", "de partij, bv. GM0166")],
        out: Annotated[Path, _opt("--out", "FILE", "privésleutelbestand (modus 0600); de publieke sleutel "
                                                   "komt in FILE.pub")],
        passphrase_env: PassOpt = None) -> None:
    """Maak een sleutelpaar op deze machine: de privésleutel (0600, eventueel met wachtwoord) en FILE.pub."""
    from ledger.keyfile import KeyFileError, new_key_file, public_key_path

    _party(party)
    try:
        signer = new_key_file(out, party, passphrase_from_env(passphrase_env))
    except KeyFileError as exc:
        fail(str(exc))
    typer.echo(f"Partij: {signer.party}")
    typer.echo(f"Sleutel-id: {signer.key_id}")
    typer.echo(f"Publieke sleutel: {signer.public_key.hex()}")
    protection = "met wachtwoord versleuteld" if passphrase_env else "niet versleuteld"
    typer.echo(f"Privésleutel: {out} (modus 0600, {protection}; blijft op deze machine)")
    typer.echo(f"Publieke sleutel in: {public_key_path(out)}")
    typer.echo(f"Laat de operator hem registreren: bwledger keys register --party {signer.party} "
               f"--public-key {public_key_path(out)}")


# -------------------------------------------------------------------------------- keys register
@keys_app.command("register")
def register(party: Annotated[str, _opt("--party", "PARTIJ", "de partij van de sleutel")],
             public_key: Annotated[Path, _opt("--public-key", "FILE.pub",
                                              "de publieke sleutel die geregistreerd wordt")],
             valid_from: Annotated[str | None, _opt(
                 "--valid-from", "MOMENT", "begin van de geldigheid, ISO 8601; standaard het moment van "
                 "ondertekenen (een sleutel geldt nooit van vóór de ontvangst van zijn registratie)")] = None,
             valid_until: ValidUntilOpt = None,
             server: Annotated[str | None, _opt(
                 "--server", "URL", "indienen bij deze server (met --key van de operator); zonder: het "
                 "lokale grootboek van BWLEDGER_HOME met de operatorsleutel uit BWLEDGER_HOME/keys")] = None,
             key: KeyOpt = None, passphrase_env: PassOpt = None, sign_command: CommandOpt = None,
             operator_public_key: Annotated[Path | None, _opt(
                 "--operator-public-key", "FILE.pub",
                 "publieke sleutel van de operator bij --sign-command")] = None,
             token: TokenOpt = None) -> None:
    """Registreer de publieke sleutel van een partij (alleen de operator ondertekent dit)."""
    from ledger import keystatements
    from ledger.keyfile import KeyFileError, read_public_key_file

    _party(party)
    try:
        raw_key = read_public_key_file(public_key)
    except KeyFileError as exc:
        fail(str(exc))
    authored_at = datetime.now(timezone.utc)
    start = _moment(valid_from, "--valid-from") or authored_at
    end = _moment(valid_until, "--valid-until")
    if end is not None and end <= start:
        fail(f"--valid-until ligt niet na het begin van de geldigheid ({start.isoformat()})")

    store = None
    signer = None
    if server is not None or key is not None or sign_command is not None:
        signer = _signer(key, passphrase_env, sign_command, operator_public_key,
                         OPERATOR if sign_command else None, public_option="--operator-public-key")
    if server is None:
        store = _local_store()
        signer = signer or store.operator
        if signer is None:
            store.dispose()
            fail("geen operatorsleutel in BWLEDGER_HOME/keys: draai eerst `bwledger ledger init`, of geef "
                  "--server URL --key OPERATORSLEUTEL")
    if signer.party != OPERATOR:
        fail(f"alleen de operator registreert sleutels; deze sleutel is van {signer.party}")
    signed = _sign(lambda: keystatements.registration(signer, party, raw_key, valid_from=start,
                                                      valid_until=end, authored_at=authored_at))
    if store is None:
        result = _send(server, token, signed, _key_path("key_registration"))
    else:
        result = _append_locally(store, signed)
    typer.echo(f"Sleutel van {party} geregistreerd: {_recorded(result)}")
    typer.echo(f"Sleutel-id: {key_id_of(raw_key)}")
    typer.echo(f"Geldig vanaf: {datetime_nl(start, seconds=True)}"
               + (f" tot {datetime_nl(end, seconds=True)}" if end else "") + " (Nederlandse tijd)")


def _local_store():
    from api import bootstrap

    s = app_settings.load_settings()
    try:
        return bootstrap.open_store(s)
    except Exception as exc:  # noqa: BLE001 - a database that cannot be opened, in one Dutch line
        fail(f"kan het grootboek van {s.home} niet openen: {exc}")


def _append_locally(store, signed):
    from ledger.errors import LedgerError

    try:
        return store.append(*signed.as_item())
    except LedgerError as exc:
        _refused(exc.code, exc.message)
    finally:
        store.dispose()


# ---------------------------------------------------------------------------------- keys rotate
def _new_public_key(path: Path, passphrase_env: str | None, party: str) -> bytes:
    """The new key's public key: from FILE.pub, or from the private key file (its party must be `party`;
    an encrypted one is read through its FILE.pub when no passphrase is given)."""
    from ledger.keyfile import (
        KeyFileError,
        public_key_path,
        read_key_file,
        read_key_header,
        read_public_key_file,
    )

    try:
        if path.suffix == ".pub":
            return read_public_key_file(path)
        header = read_key_header(path)
        if header.get("party", party) != party:
            fail(f"--new-key {path} is een sleutel van {header['party']}, niet van {party}")
        pub_file = public_key_path(path)
        if passphrase_env is None and pub_file.exists():
            raw = read_public_key_file(pub_file)
            if "key-id" in header and header["key-id"] != key_id_of(raw):
                fail(f"{pub_file} hoort niet bij {path}")
            return raw
        return read_key_file(path, passphrase_from_env(passphrase_env), party=party).public_key
    except KeyFileError as exc:
        fail(str(exc))


@keys_app.command("rotate")
def rotate(server: ServerOpt,
           new_key: Annotated[Path, _opt("--new-key", "NEW_FILE",
                                         "de nieuwe sleutel: het privésleutelbestand of zijn FILE.pub")],
           key: KeyOpt = None, passphrase_env: PassOpt = None, sign_command: CommandOpt = None,
           public_key: SignerPubOpt = None, party: PartyOpt = None,
           new_passphrase_env: Annotated[str | None, _opt(
               "--new-passphrase-env", "VAR", "omgevingsvariabele met het wachtwoord van --new-key (niet "
               "nodig als NEW_FILE.pub ernaast staat)")] = None,
           valid_until: ValidUntilOpt = None, token: TokenOpt = None) -> None:
    """Vervang de eigen sleutel (--key, de oude) door een nieuwe; ondertekend met de oude sleutel."""
    from ledger import keystatements

    old = _signer(key, passphrase_env, sign_command, public_key, party)
    new_raw = _new_public_key(new_key, new_passphrase_env, old.party)
    if key_id_of(new_raw) == old.key_id:
        fail("de nieuwe sleutel is dezelfde als de oude")
    until = _moment(valid_until, "--valid-until")
    signed = _sign(lambda: keystatements.rotation(old, new_raw, valid_until=until))
    result = _send(server, token, signed, _key_path("key_rotation", old.key_id))
    typer.echo(f"Sleutel {old.key_id[:16]} van {old.party} vervangen: {_recorded(result)}")
    typer.echo(f"Nieuwe sleutel-id: {key_id_of(new_raw)} (geldig vanaf de ontvangst van deze rotatie)")


# ---------------------------------------------------------------------------------- keys revoke
@keys_app.command("revoke")
def revoke(server: ServerOpt,
           key_id: Annotated[str, _opt("--key-id", "ID", "de sleutel die ingetrokken wordt")],
           reason: Annotated[str, _opt("--reason", "TEKST", "de reden (komt in het grootboek)")],
           key: KeyOpt = None, passphrase_env: PassOpt = None, sign_command: CommandOpt = None,
           public_key: SignerPubOpt = None, party: PartyOpt = None,
           key_party: Annotated[str | None, _opt(
               "--key-party", "PARTIJ", "partij van de in te trekken sleutel (standaard: die van de "
               "ondertekenaar; de operator die een partijsleutel intrekt, geeft die partij)")] = None,
           token: TokenOpt = None) -> None:
    """Trek een sleutel in, vanaf de ontvangst hiervan; ondertekend door de partij zelf of de operator."""
    from ledger import keystatements

    _check_key_id(key_id)
    _party(key_party, "--key-party")
    if not reason.strip():
        fail("--reason mag niet leeg zijn")
    signer = _signer(key, passphrase_env, sign_command, public_key, party)
    owner = key_party or signer.party
    signed = _sign(lambda: keystatements.revocation(signer, owner, key_id, reason))
    result = _send(server, token, signed, _key_path("key_revocation", key_id))
    typer.echo(f"Sleutel {key_id[:16]} van {owner} ingetrokken: {_recorded(result)}")


# ---------------------------------------------------------------------------------------- submit
STATEMENT_FIELDS = ("kind", "author", "payload", "client", "idempotency_key")


def _statement_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"kan {path} niet lezen: {exc.strerror}")
    except (UnicodeDecodeError, ValueError) as exc:
        fail(f"{path} is geen JSON: {exc}")
    except RecursionError:
        fail(f"{path}: de JSON is te diep genest")
    if not isinstance(data, dict):
        fail(f"{path}: verwacht een object met {', '.join(STATEMENT_FIELDS)}")
    unknown = sorted(set(data) - set(STATEMENT_FIELDS))
    if unknown:
        filled = [f for f in unknown if f in ("key_id", "authored_at", "v")]
        fail(f"{path}: onbekende velden {', '.join(unknown)}"
              + (" (key_id, authored_at en v vult de CLI zelf in)" if filled else ""))
    for name, kind in (("kind", str), ("payload", dict), ("idempotency_key", str)):
        if not isinstance(data.get(name), kind):
            fail(f"{path}: het veld {name} ontbreekt of is geen {'tekst' if kind is str else 'object'}")
    for name in ("author", "client"):
        if data.get(name) is not None and not isinstance(data[name], str):
            fail(f"{path}: het veld {name} is geen tekst")
    return data


@submit_app.command("submit")
def submit(statement: Annotated[Path, typer.Argument(
               metavar="STATEMENT.json", help="{kind, author?, payload, client?, idempotency_key}")],
           server: ServerOpt,
           key: KeyOpt = None, passphrase_env: PassOpt = None, sign_command: CommandOpt = None,
           public_key: SignerPubOpt = None, party: PartyOpt = None, token: TokenOpt = None) -> None:
    """Onderteken een verklaring op deze machine en dien hem in bij de server."""
    from ledger.canonical import CanonicalError
    from ledger.entries import make_statement
    from ledger.service import SignedStatement

    data = _statement_file(statement)
    author = data.get("author")
    _party(author, "author")
    # a key file names its party; a command's party is --party or the file's author
    signer = _signer(key, passphrase_env, sign_command, public_key,
                     party or (author if sign_command else None))
    if author is not None and author != signer.party:
        fail(f"{statement}: de auteur {author} is niet de partij van de sleutel ({signer.party})")
    try:
        raw = make_statement(kind=data["kind"], author=signer.party, key_id=signer.key_id,
                             payload=data["payload"], idempotency_key=data["idempotency_key"],
                             authored_at=datetime.now(timezone.utc), client=data.get("client"))
    except (CanonicalError, TypeError, ValueError) as exc:
        fail(f"{statement}: kan er geen verklaring van maken: {exc}")
    signed = SignedStatement(raw, _sign(lambda: signer.sign(raw)))
    typer.echo(_recorded(_send(server, token, signed)))
