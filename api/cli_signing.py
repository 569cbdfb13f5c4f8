"""What every CLI write with `--server` shares (api/cli_case.py, api/cli_settle.py): the signing options,
the signer they name, and the round trip draft -> check -> sign -> submit.

The server prepares the exact statements (a draft endpoint); the command checks that they are what was
asked (`wrong` when not: exit 2, nothing signed), signs them on this machine with the party's key file
(`--key`, `--passphrase-env`) or its HSM / KMS (`--sign-command CMD --public-key FILE.pub`) and submits
them as one batch (POST /v1/grootboek/regels). A refusal by the server prints `geweigerd: CODE: detail`
and exits 1; a server out of reach, a key that cannot be read or a signer that fails exits 2 (as
`bwledger submit`, api/cli_keys.py). Nothing of the server's files is needed.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import typer

from api import cli_keys

KEY_OPTION = typer.Option(None, "--key", help="het eigen privésleutelbestand van de partij (bwledger keys new)")
PASSPHRASE_OPTION = typer.Option(None, "--passphrase-env",
                                 help="omgevingsvariabele met de wachtwoordzin van de sleutel")
SERVER_OPTION = typer.Option(None, "--server", metavar="URL",
                             help="via HTTP: de server bereidt de verklaringen voor, ze worden op deze machine "
                                  "ondertekend (--key of --sign-command) en ingediend; er worden geen lokale "
                                  "bestanden van de server gelezen")
TOKEN_OPTION = typer.Option(None, "--token", help="toegangstoken voor --server (standaard BWLEDGER_TOKEN)")
COMMAND_OPTION = typer.Option(None, "--sign-command", metavar="CMD",
                              help="extern ondertekenprogramma (HSM/KMS): bytes op stdin, de handtekening op stdout")
PUBLIC_OPTION = typer.Option(None, "--public-key", metavar="FILE.pub", help="de publieke sleutel van --sign-command")


@dataclass(frozen=True)
class Signing:
    """How a write command signs and where it goes: locally (no --server) or over HTTP."""

    party: str
    key: Path | None = None
    passphrase_env: str | None = None
    sign_command: str | None = None
    public_key: Path | None = None
    server: str | None = None
    token: str | None = None


def party_signer(how: Signing):
    """The signer the options name: the key file (--key) or the external signer (--sign-command), of
    `how.party` (a key of another party exits 2)."""
    return cli_keys._signer(how.key, how.passphrase_env, how.sign_command, how.public_key, how.party)


@contextmanager
def server_session(how: Signing) -> Iterator[Any]:
    """A LedgerClient on `how.server` (token: --token or BWLEDGER_TOKEN); a refusal inside exits 1 with
    its code, a server out of reach exits 2."""
    from api.client import LedgerClient, Refused, Unreachable
    from api.settings import client_token

    try:
        with LedgerClient(how.server, token=how.token or client_token()) as client:
            yield client
    except Refused as exc:
        cli_keys._refused(exc.code, exc.detail)
    except Unreachable as exc:
        cli_keys.fail(str(exc))


def wrong(why: str) -> NoReturn:
    """The server prepared something else than was asked: exit 2, nothing is signed."""
    cli_keys.fail(f"de server bereidde iets anders voor dan gevraagd ({why}); er is niets ondertekend")


def prepared(raw: bytes, signer, kinds: Sequence[str]) -> dict:
    """A statement the server prepared, read: a statement of one of `kinds`, by this signer's party and
    key (else `wrong`)."""
    try:
        st = json.loads(raw)
    except ValueError:
        st = None
    if not isinstance(st, dict) or not isinstance(st.get("payload"), dict):
        wrong("geen leesbare verklaring")
    if st.get("kind") not in kinds:
        wrong(f"soort {st.get('kind')}")
    if (st.get("author"), st.get("key_id")) != (signer.party, signer.key_id):
        wrong(f"ondertekenaar {st.get('author')} met sleutel {str(st.get('key_id'))[:16]}")
    return st


def sign_and_submit(client, signer, statements: Sequence[bytes]) -> list:
    """Sign the checked statements here and submit them as one batch; the ledger's answer per statement."""
    signed = [(raw, cli_keys._sign(lambda raw=raw: signer.sign(raw))) for raw in statements]
    return client.submit_batch(signed) if signed else []


def recorded(result) -> str:
    """`opgenomen als volgnummer N` (or that it was there already)."""
    return cli_keys._recorded(result)


__all__ = ["COMMAND_OPTION", "KEY_OPTION", "PASSPHRASE_OPTION", "PUBLIC_OPTION", "SERVER_OPTION", "TOKEN_OPTION",
           "Signing", "party_signer", "prepared", "recorded", "server_session", "sign_and_submit", "wrong"]
