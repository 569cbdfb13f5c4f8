"""`bwledger rules record | answer | redetermine` (issue 14): record a determination as N3, answer it (N4),
re-determine it after new facts (N8), mounted on the `rules` group by api/cli.py; and `bwledger handover
send | answer`: the N5 and its answer.

Each signs with the party's own key (`--key FILE [--passphrase-env VAR]`, or `--sign-command CMD --public-key
FILE.pub`; api/cli_signing.py). With `--server URL [--token]` the server prepares the statement (POST
/v1/vastgelegde-beoordelingen, .../antwoorden, .../herbeoordelingen), this machine checks it is what was asked (kind,
author, key, the determination it is about, the outcome the local engine gives for the same facts) and signs
it, and it is submitted there; without `--server` it is written into the ledger of BWLEDGER_HOME, with the
facts deposited in its encrypted store (the server's admission replays it either way). A refusal prints
`geweigerd: CODE: detail` and exits 1; bad input or a local problem exits 2.
"""
from __future__ import annotations

import base64
import sys
from pathlib import Path

import typer

from api import bootstrap, cli_keys, cli_signing
from api.cli_signing import Signing
from api.settings import load_settings
from cases.errors import CaseError
from ledger.errors import LedgerError
from rules.brp_historie import BrpError
from rules.casebook import Malformed
from rules.engine import FactsError

_SIGNING = {"key": cli_signing.KEY_OPTION, "passphrase_env": cli_signing.PASSPHRASE_OPTION,
            "sign_command": cli_signing.COMMAND_OPTION, "public_key": cli_signing.PUBLIC_OPTION,
            "server": cli_signing.SERVER_OPTION, "token": cli_signing.TOKEN_OPTION}


def _fail(message: str) -> None:
    print(f"fout: {message}", file=sys.stderr)
    raise typer.Exit(2)


def _refused(exc: LedgerError | CaseError) -> None:
    cli_keys._refused(exc.code, exc.message)


def _read(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{what} {path}: {getattr(exc, 'strerror', None) or 'geen UTF-8-tekst'}")


def _intake(file: Path, case: str | None, brp: Path | None, instelling: list[str]):
    from api.compose import RequestInvalid, institution_marks
    from cases.determinations import read_intake

    try:
        marks = institution_marks(instelling)
    except RequestInvalid as exc:
        raise typer.BadParameter(exc.message, param_hint="--instelling") from None
    text, fmt = _read(file, "feitenbestand"), "json" if file.suffix == ".json" else "toml"
    brp_text = _read(brp, "BRP-bestand")
    try:
        return text, fmt, brp_text, marks, read_intake(text, fmt, case, brp_text, marks or None)
    except BrpError as exc:
        _fail(f"BRP-antwoord {brp}: {exc} ({exc.code})")
    except (Malformed, FactsError) as exc:
        _fail(str(exc))


def _local(how: Signing, write):
    """A write on the ledger of BWLEDGER_HOME, with its deposits (the store replays determinations)."""
    signer = cli_signing.party_signer(how)
    s = load_settings()
    store = bootstrap.open_store(s)
    try:
        deposits = bootstrap.determination_deposits(s, store)
        return write(store, deposits, signer)
    except (LedgerError, CaseError) as exc:
        _refused(exc)
    finally:
        store.dispose()


def _checked(doc: dict, signer, kinds: tuple[str, ...]) -> tuple[bytes, dict]:
    concept = doc.get("concept") if isinstance(doc.get("concept"), dict) else {}
    try:
        raw = base64.b64decode(concept.get("verklaring", ""), validate=True)
    except ValueError:
        cli_signing.wrong("geen leesbare verklaring")
    return raw, cli_signing.prepared(raw, signer, kinds)


def _remote(how: Signing, path: str, body: dict, kinds: tuple[str, ...], check=None) -> dict:
    signer = cli_signing.party_signer(how)
    with cli_signing.server_session(how) as client:
        doc = client.beoordelingen(path, {**body, "partij": how.party, "sleutelId": signer.key_id})
        raw, st = _checked(doc, signer, kinds)
        if check is not None:
            check(st)
        signature = cli_keys._sign(lambda: signer.sign(raw))
        done = client.beoordelingen(path, {"verklaring": base64.b64encode(raw).decode(),
                                           "handtekening": base64.b64encode(signature).decode()})
    return {**doc, "done": done, "statement": st}


def _same_outcome(det) -> callable:
    """The N3/N8 the server prepared gives the outcome this machine's engine gives for the same facts."""
    from ledger.determination_replay import expected_payload

    def check(st: dict) -> None:
        want = expected_payload(det, date_of(st))
        got = st["payload"]
        for name in ("input_digest", "determination_digest", "outcome", "flags", "provisional"):
            if got.get(name) != want[name]:
                cli_signing.wrong(f"{name} is niet wat de regels hier geven")
        if st.get("client") is None:
            cli_signing.wrong("geen cliënt")

    def date_of(st):
        from datetime import date
        return date.fromisoformat(st["payload"]["reference_date"])

    return check


def _print_recorded(det, seq: int, duplicate: bool, what: str) -> None:
    from rules.loader import municipality_register

    reg = municipality_register()
    bearer = reg.name(det.cost_bearer) if det.cost_bearer else "-"
    print(f"{what} vastgelegd als volgnummer {seq}{' (al vastgelegd)' if duplicate else ''}: kostendrager "
          f"{bearer} ({det.cost_bearer}), digest {det.digest[:16]}")


def record_cmd(file: Path = typer.Argument(..., help="de feiten: casebook-TOML of -JSON"),
               case: str | None = typer.Option(None, "--case", help="de casus (nodig bij meer dan één)"),
               client: str = typer.Option(..., "--client", help="het pseudoniem van de cliënt (PSN-...)"),
               as_party: str = typer.Option(..., "--as", help="de meldgemeente of regio die vastlegt"),
               brp: Path | None = typer.Option(None, "--brp", help="een Haal Centraal BRP-antwoord "
                                                                      "(verblijfplaatshistorie, JSON)"),
               instelling: list[str] = typer.Option([], "--instelling", help="met --brp: BEGINDATUM=SOORT"),
               legal_basis: str | None = typer.Option(None, "--rechtsgrondslag"),
               key: Path | None = _SIGNING["key"], passphrase_env: str | None = _SIGNING["passphrase_env"],
               sign_command: str | None = _SIGNING["sign_command"],
               public_key: Path | None = _SIGNING["public_key"], server: str | None = _SIGNING["server"],
               token: str | None = _SIGNING["token"]) -> None:
    """Record one case's determination as N3 (signed for the meldgemeente or region), its facts and rule
    trail deposited encrypted for the client."""
    from cases import determinations as svc

    how = Signing(as_party, key, passphrase_env, sign_command, public_key, server, token)
    text, fmt, brp_text, _marks, intake = _intake(file, case, brp, instelling)
    if server is None:
        rec, r = _local(how, lambda store, deposits, signer: svc.record(store, deposits, signer, intake,
                                                                         client=client, legal_basis=legal_basis))
        if rec.brp_report:
            print("Uit het BRP-antwoord (verblijfplaatshistorie):\n  " + "\n  ".join(rec.brp_report))
        _print_recorded(rec.determination, r.seq, r.duplicate, "beoordeling (N3)")
        return
    from rules.engine import determine

    det = determine(intake.facts, intake.context)
    body = {"client": client, "invoer": text, "formaat": fmt, **({"casus": case} if case else {}),
            **({"brp": brp_text} if brp_text else {}), **({"instellingen": instelling} if instelling else {}),
            **({"rechtsgrondslag": legal_basis} if legal_basis else {})}
    out = _remote(how, "/v1/vastgelegde-beoordelingen", body, ("determination",), _same_outcome(det))
    _print_recorded(det, out["done"]["volgnummer"], out["done"]["alOpgenomen"], "beoordeling (N3)")


def answer_cmd(seq: int = typer.Argument(..., help="het volgnummer van de beoordeling (N3 of N8)"),
               as_party: str = typer.Option(..., "--as", help="de geadresseerde (de voorgestelde kostendrager)"),
               accept: bool = typer.Option(False, "--aanvaarden", help="de beoordeling aanvaarden"),
               reasons: str | None = typer.Option(None, "--bezwaar", help="bezwaar maken, met deze redenen"),
               key: Path | None = _SIGNING["key"], passphrase_env: str | None = _SIGNING["passphrase_env"],
               sign_command: str | None = _SIGNING["sign_command"],
               public_key: Path | None = _SIGNING["public_key"], server: str | None = _SIGNING["server"],
               token: str | None = _SIGNING["token"]) -> None:
    """Accept a determination or object to it (N4), within its objection deadline."""
    from cases import determinations as svc

    if accept == (reasons is not None):
        raise typer.BadParameter("kies --aanvaarden of --bezwaar REDENEN", param_hint="--aanvaarden")
    how = Signing(as_party, key, passphrase_env, sign_command, public_key, server, token)
    what = "aanvaarding" if accept else "bezwaar"
    if server is None:
        r = _local(how, lambda store, _d, signer: svc.answer(store, signer, seq, accept=accept, reasons=reasons or ""))
        print(f"{what} (N4) vastgelegd als volgnummer {r.seq}{' (al vastgelegd)' if r.duplicate else ''}")
        return

    def check(st: dict) -> None:
        if (st["payload"].get("determination") or {}).get("seq") != seq:
            cli_signing.wrong("het antwoord gaat over een andere beoordeling")

    body = {"akkoord": accept, **({"redenen": reasons} if reasons else {})}
    out = _remote(how, f"/v1/vastgelegde-beoordelingen/{seq}/antwoorden", body, ("acceptance" if accept else "objection",), check)
    print(f"{what} (N4) vastgelegd als volgnummer {out['done']['volgnummer']}"
          f"{' (al vastgelegd)' if out['done']['alOpgenomen'] else ''}; termijn tot {out.get('termijn')}")


def redetermine_cmd(seq: int = typer.Argument(..., help="het volgnummer van de vorige beoordeling"),
                    file: Path = typer.Argument(..., help="de nieuwe feiten: casebook-TOML of -JSON"),
                    trigger: str = typer.Option(..., "--aanleiding", help="brp_correction, new_stay, new_episode, "
                                                                          "new_application, ..."),
                    case: str | None = typer.Option(None, "--case"),
                    as_party: str = typer.Option(..., "--as", help="de partij die de vorige vastlegde"),
                    brp: Path | None = typer.Option(None, "--brp"),
                    instelling: list[str] = typer.Option([], "--instelling"),
                    key: Path | None = _SIGNING["key"], passphrase_env: str | None = _SIGNING["passphrase_env"],
                    sign_command: str | None = _SIGNING["sign_command"],
                    public_key: Path | None = _SIGNING["public_key"], server: str | None = _SIGNING["server"],
                    token: str | None = _SIGNING["token"]) -> None:
    """New facts for a client: rerun (R15); when the outcome changes, record the re-determination (N8) and
    tell the parties of the previous one; otherwise say so and record nothing (exit 1)."""
    from cases import determinations as svc

    how = Signing(as_party, key, passphrase_env, sign_command, public_key, server, token)
    text, fmt, brp_text, _marks, intake = _intake(file, case, brp, instelling)
    if server is None:
        rec, r = _local(how, lambda store, deposits, signer: svc.redetermine_and_record(
            store, deposits, signer, seq, intake, trigger=trigger))
        _print_recorded(rec.determination, r.seq, r.duplicate, "herbeoordeling (N8)")
        return

    def check(st: dict) -> None:
        if (st["payload"].get("previous") or {}).get("seq") != seq:
            cli_signing.wrong("de herbeoordeling gaat over een andere beoordeling")

    body = {"invoer": text, "formaat": fmt, "aanleiding": trigger, **({"casus": case} if case else {}),
            **({"brp": brp_text} if brp_text else {}), **({"instellingen": instelling} if instelling else {})}
    out = _remote(how, f"/v1/vastgelegde-beoordelingen/{seq}/herbeoordelingen", body, ("redetermination",), check)
    print(f"herbeoordeling (N8) vastgelegd als volgnummer {out['done']['volgnummer']}: kostendrager "
          f"{out['beoordeling'].get('cost_bearer')}, digest {str(out.get('digest'))[:16]}")


def mount(rules_app: typer.Typer) -> None:
    rules_app.command("record")(record_cmd)
    rules_app.command("answer")(answer_cmd)
    rules_app.command("redetermine")(redetermine_cmd)


handover_app = typer.Typer(help="Overdrachtsverzoeken (N5) en hun antwoord.", no_args_is_help=True)


def _date(value: str | None, hint: str):
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"geen datum (JJJJ-MM-DD): {value!r}", param_hint=hint) from None


@handover_app.command("send")
def handover_send_cmd(as_party: str = typer.Option(..., "--as", help="de meldgemeente"),
                      to_party: str = typer.Option(..., "--to", help="de gemeente of regio met de meeste kans van slagen"),
                      client: str = typer.Option(..., "--client", help="het pseudoniem van de cliënt"),
                      reasons: str = typer.Option(..., "--redenen"),
                      proposed: str = typer.Option(..., "--datum", help="de voorgestelde overnamedatum (JJJJ-MM-DD)"),
                      preference: str = typer.Option("", "--voorkeur", help="de voorkeur van de cliënt"),
                      key: Path | None = _SIGNING["key"], passphrase_env: str | None = _SIGNING["passphrase_env"],
                      sign_command: str | None = _SIGNING["sign_command"],
                      public_key: Path | None = _SIGNING["public_key"], server: str | None = _SIGNING["server"],
                      token: str | None = _SIGNING["token"]) -> None:
    """Send an N5: ask another party to take the client over."""
    from cases import handovers

    how = Signing(as_party, key, passphrase_env, sign_command, public_key, server, token)
    day = _date(proposed, "--datum")
    if server is None:
        r = _local(how, lambda store, _d, signer: handovers.send(store, signer, to_party=to_party, client=client,
                                                                  reasons=reasons, proposed_date=day,
                                                                  client_preference=preference))
        print(f"overdrachtsverzoek (N5) vastgelegd als volgnummer {r.seq}{' (al vastgelegd)' if r.duplicate else ''}")
        return

    def check(st: dict) -> None:
        if (st["payload"].get("to_party"), st.get("client")) != (to_party, client):
            cli_signing.wrong("het verzoek is aan een ander of over een andere cliënt")

    body = {"client": client, "aan": to_party, "redenen": reasons, "voorgesteldeDatum": day.isoformat(),
            **({"voorkeurClient": preference} if preference else {})}
    out = _remote(how, "/v1/overdrachtsverzoeken", body, ("handover_request",), check)
    print(f"overdrachtsverzoek (N5) vastgelegd als volgnummer {out['done']['volgnummer']}")


@handover_app.command("answer")
def handover_answer_cmd(seq: int = typer.Argument(..., help="het volgnummer van het overdrachtsverzoek"),
                        as_party: str = typer.Option(..., "--as", help="de gevraagde partij"),
                        yes: bool = typer.Option(False, "--overnemen", help="de cliënt overnemen"),
                        no: str | None = typer.Option(None, "--afwijzen", help="afwijzen, met deze redenen"),
                        take_over: str | None = typer.Option(None, "--datum", help="met --overnemen: vanaf deze "
                                                                                     "datum (standaard de voorgestelde)"),
                        key: Path | None = _SIGNING["key"], passphrase_env: str | None = _SIGNING["passphrase_env"],
                        sign_command: str | None = _SIGNING["sign_command"],
                        public_key: Path | None = _SIGNING["public_key"], server: str | None = _SIGNING["server"],
                        token: str | None = _SIGNING["token"]) -> None:
    """Answer an N5: take the client over from a date, or decline with reasons."""
    from cases import handovers

    if yes == (no is not None):
        raise typer.BadParameter("kies --overnemen of --afwijzen REDENEN", param_hint="--overnemen")
    how = Signing(as_party, key, passphrase_env, sign_command, public_key, server, token)
    day = _date(take_over, "--datum")
    what = "overname" if yes else "afwijzing"
    if server is None:
        r = _local(how, lambda store, _d, signer: handovers.answer(store, signer, seq, accepted=yes, reasons=no or "",
                                                                    take_over_date=day))
        print(f"{what} (antwoord op N5) vastgelegd als volgnummer {r.seq}{' (al vastgelegd)' if r.duplicate else ''}")
        return

    def check(st: dict) -> None:
        if (st["payload"].get("request") or {}).get("seq") != seq or st["payload"].get("accepted") is not yes:
            cli_signing.wrong("het antwoord is niet wat gevraagd is")

    body = {"akkoord": yes, **({"redenen": no} if no else {}), **({"overnameDatum": day.isoformat()} if day else {})}
    out = _remote(how, f"/v1/overdrachtsverzoeken/{seq}/antwoorden", body, ("handover_answer",), check)
    print(f"{what} (antwoord op N5) vastgelegd als volgnummer {out['done']['volgnummer']}")
