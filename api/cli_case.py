"""`bwledger case ...`: disputes, exhibits, decisions, work lists and case files (mounted by api/cli.py).

A thin shell over cases.service / cases.dossier / cases.bundle / cases.zgw. Every command that writes
signs as `--as PARTY` with the party's own key (`--key FILE [--passphrase-env VAR]`, or `--sign-command
CMD --public-key FILE.pub` for an HSM / KMS). With `--server URL` it works over HTTP only: the server
prepares the exact statements (POST /v1/geschillen/concepten), this machine checks that they are what was
asked and signs them, and they are submitted as one batch (POST /v1/grootboek/regels); nothing of the
server's files is needed (the plumbing is api/cli_signing.py, shared with the settlement writes).
`case add-document --server URL` uploads the exhibit (POST /v1/geschillen/{case_id}/stukken; it is no
ledger entry, so nothing is signed). `case book` and `case timed` are the operator's: with `--server`
signed with its own key file or HSM (`case book` in two stages: the corrections the decision orders,
then IMPLEMENTED). Without `--server` the commands write into the ledger of BWLEDGER_HOME (the
server's machine), with the operator key there for the operator's commands.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer

from api import cli_signing
from api.cli_signing import Signing
from api.compose import municipality_name as _name
from api.format_nl import date_nl, date_table_nl
from api.settings import load_settings
from cases import service
from cases.documents import DEFAULT_MAX_BYTES
from cases.errors import CaseError
from ledger import service as ledger_service
from ledger.errors import LedgerError
from rules.glossary import error_text, label

case_app = typer.Typer(help="Disputes for the geschillencommissie: workflow, exhibits, decisions, case files.",
                       no_args_is_help=True)


def _env():
    s = load_settings()
    from api import bootstrap

    store = bootstrap.open_store(s)
    return s, store


def client_documents(s, store):
    """The clients' encrypted documents of these settings (api.bootstrap.client_documents)."""
    from api import bootstrap

    return bootstrap.client_documents(s, store)


KEY_OPTION, PASSPHRASE_OPTION, SERVER_OPTION, TOKEN_OPTION = (cli_signing.KEY_OPTION, cli_signing.PASSPHRASE_OPTION,
                                                         cli_signing.SERVER_OPTION, cli_signing.TOKEN_OPTION)
COMMAND_OPTION, PUBLIC_OPTION = cli_signing.COMMAND_OPTION, cli_signing.PUBLIC_OPTION

def _kind(kind: str) -> str:
    """What a person reads about each kind the case commands sign (the glossary)."""
    return label("entry_kind", kind)


def _status(status: str | None) -> str:
    return label("dispute_status", status)


def _signer(s, store, party: str, key: Path | None = None, passphrase_env: str | None = None,
            sign_command: str | None = None, public_key: Path | None = None):
    """Who signs: the party's own key file (`--key`) or external signer (`--sign-command`), the
    operator's key of this server, or a key of the demo keystore that is already there (`bwledger
    demo`); never a key made here for a party."""
    if sign_command is not None:
        from api import cli_keys

        return cli_keys._signer(None, None, sign_command, public_key, party)
    if key is not None:
        from api.settings import secret_from_env
        from ledger.keyfile import read_key_file

        return read_key_file(key, secret_from_env(passphrase_env) if passphrase_env else None, party=party)
    if party == "OPERATOR":
        if store.operator is None:
            raise CaseError("NOT_INITIALISED", "no operator key (run `bwledger ledger init`)")
        return store.operator
    found = ledger_service.stored_party_signer(store, s.keys_dir, party)
    if found is None:
        raise CaseError("KEY_REQUIRED", f"geen sleutel van {party} op deze machine: onderteken met de eigen "
                                        "sleutel van de partij (--key BESTAND, gemaakt met `bwledger keys new`)")
    return found


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"geen datum (JJJJ-MM-DD): {value}") from None


def _run(fn):
    try:
        return fn()
    except (CaseError, LedgerError) as exc:
        typer.echo(f"fout: {error_text(exc.code, exc.message)}", err=True)
        raise typer.Exit(2)
    except ValueError as exc:
        typer.echo(f"fout: {error_text('INPUT_INVALID', str(exc))}", err=True)
        raise typer.Exit(2)


def _show(v: service.CaseView) -> None:
    nd = v.next_deadline
    typer.echo(f"{v.case_id}: {v.status_nl} sinds {date_nl(v.since)}; {_name(v.parties.claiming)} tegen "
               f"{_name(v.parties.responding)}; volgende termijn: " + (f"{nd.text}, uiterlijk {date_nl(nd.due)}" if nd else "-"))


def _act(how: Signing, local, action: str, arguments: dict, *, case_id: str | None = None,
         determination_seq: int | None = None, cost_line_seq: int | None = None) -> None:
    """A case write. Without --server: `local(store, signer)` on the ledger of BWLEDGER_HOME. With it:
    the server drafts the statements (POST /v1/geschillen/concepten), they are checked and signed here and
    submitted as one batch; each is printed with its seq. A refusal prints `geweigerd: CODE: detail`
    and exits 1 (as `bwledger submit`); a local problem or a server out of reach exits 2."""
    if how.server is None:
        s, store = _env()
        _show(_run(lambda: local(store, _signer(s, store, how.party, how.key, how.passphrase_env,
                                                how.sign_command, how.public_key))))
        return
    signer = cli_signing.party_signer(how)
    with cli_signing.server_session(how) as client:
        draft = client.draft(action, party=how.party, key_id=signer.key_id, arguments=arguments,
                             case_id=case_id, determination_seq=determination_seq, cost_line_seq=cost_line_seq)
        _check_prepared(draft, signer, action, arguments, case_id or draft.case_id,
                        determination_seq if cost_line_seq is None else cost_line_seq)
        results = cli_signing.sign_and_submit(client, signer, [d.statement for d in draft.statements])
    for d, result in zip(draft.statements, results):
        typer.echo(f"{cli_signing.recorded(result)} ({_kind(d.kind)}, zaak {d.case_id})")
    if not results:
        typer.echo("niets te doen: geen termijn verstreken")


def _check_prepared(draft, signer, action: str, arguments: dict, case_id: str, subject_seq: int | None) -> None:
    """Sign only what was asked for: every statement the server prepared is by this party and key, of a
    kind the action consists of, about this case (and, for an opening, its subject), ending in the
    dispute_event with the status asked for and the texts given. Exit 2 (nothing is signed) otherwise."""
    kinds = {"transition": ("objection", "acceptance", "dispute_event")}.get(action, ("dispute_event",))
    wrong = cli_signing.wrong
    if action == "timed":
        if draft.case_id is not None:
            wrong(f"zaak {draft.case_id}")
    elif not draft.statements or draft.case_id != case_id:
        wrong(f"zaak {draft.case_id}, gevraagd {case_id}")
    for i, d in enumerate(draft.statements):
        st = cli_signing.prepared(d.statement, signer, kinds)
        payload = st["payload"]
        last = action == "timed" or i == len(draft.statements) - 1
        if st["kind"] != d.kind or (d.kind == "dispute_event") != last:
            wrong(f"soort {st['kind']}")
        if action == "timed" and ((payload.get("dispute_id"), payload.get("previous_status"), payload.get("status"))
                                  != (d.case_id, "DETERMINED", "NO_RESPONSE")):
            wrong(f"geen termijnovergang van zaak {d.case_id}")
    if action == "timed":
        return
    event = payload
    if event.get("dispute_id") != case_id:
        wrong(f"zaak {event.get('dispute_id')}")
    if action == "open":
        subject = event.get("determination") or event.get("cost_line") or {}
        if (event.get("status"), event.get("previous_status"), subject.get("seq")) != ("DETERMINED", None, subject_seq):
            wrong(f"geen opening van de zaak over volgnummer {subject_seq}")
    elif action == "transition" and event.get("status") != arguments["target"].upper():
        wrong(f"status {event.get('status')}")
    elif action in ("submit", "attempt") and event.get("action") != "submission":
        wrong("geen indiening")
    for name in ("question", "position", "note", "documents"):
        if name in arguments and event.get(name) != arguments[name]:
            wrong(f"{name} is niet wat gegeven is")


def _signing(party: str, key, passphrase_env, sign_command, public_key, server, token) -> Signing:
    return Signing(party, key, passphrase_env, sign_command, public_key, server, token)


@case_app.command("open")
def open_(determination_seq: int | None = typer.Argument(None, help="seq of the determination (N3/N8)"),
          cost_line: int | None = typer.Option(None, "--cost-line", metavar="SEQ",
                                                  help="open the case on this cost line instead"),
          as_party: str = typer.Option(..., "--as", help="either party of the subject, or OPERATOR"),
          question: str = typer.Option(..., help="the question, in one sentence"),
          position: str = typer.Option("", help="the opening party's position and the rule it relies on"),
          key: Path | None = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION,
          sign_command: str | None = COMMAND_OPTION, public_key: Path | None = PUBLIC_OPTION,
          server: str | None = SERVER_OPTION, token: str | None = TOKEN_OPTION) -> None:
    """Open the dispute on a determination entry, or on a cost line (--cost-line), status DETERMINED."""
    if (determination_seq is None) == (cost_line is None):
        raise typer.BadParameter("give DETERMINATION_SEQ or --cost-line SEQ (one of them)")
    how = _signing(as_party, key, passphrase_env, sign_command, public_key, server, token)

    def local(store, signer):
        if cost_line is not None:
            return service.open_case_on_cost_line(store, signer, cost_line, question=question, position=position)
        return service.open_case(store, signer, determination_seq, question=question, position=position)

    _act(how, local, "open", {"question": question, "position": position}, determination_seq=determination_seq,
         cost_line_seq=cost_line)


@case_app.command("transition")
def transition(case_id: str, status: str, as_party: str = typer.Option(..., "--as"),
               note: str = typer.Option(""), position: str = typer.Option(""),
               document: list[str] = typer.Option([], help="SHA-256 of an exhibit of the case (repeatable)"),
               on: Optional[str] = typer.Option(None, help="event date YYYY-MM-DD (default today)"),
               key: Path | None = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION,
               sign_command: str | None = COMMAND_OPTION, public_key: Path | None = PUBLIC_OPTION,
               server: str | None = SERVER_OPTION, token: str | None = TOKEN_OPTION) -> None:
    """Move a case to STATUS, signed by --as (refused with a stable code when not allowed)."""
    day = _day(on)
    _act(_signing(as_party, key, passphrase_env, sign_command, public_key, server, token),
         lambda store, signer: service.transition(store, signer, case_id, status.upper(), on=day, note=note,
                                                  position=position, documents=document),
         "transition", {"target": status.upper(), "note": note, "position": position, "documents": document,
                        **({"on": day.isoformat()} if day else {})}, case_id=case_id)


@case_app.command("attempt")
def attempt(case_id: str, as_party: str = typer.Option(..., "--as"),
            kind: str = typer.Option(..., help="contactpersonen | regioadviseur"),
            held_on: str = typer.Option(..., help="YYYY-MM-DD"), summary: str = typer.Option(...),
            evidence: list[str] = typer.Option(..., help="SHA-256 of an exhibit (repeatable)"),
            key: Path | None = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION,
            sign_command: str | None = COMMAND_OPTION, public_key: Path | None = PUBLIC_OPTION,
            server: str | None = SERVER_OPTION, token: str | None = TOKEN_OPTION) -> None:
    """Record a prior attempt to settle (Reglement art. 3.1) with its evidence."""
    day = _day(held_on)
    _act(_signing(as_party, key, passphrase_env, sign_command, public_key, server, token),
         lambda store, signer: service.record_attempt(store, signer, case_id, kind=kind, held_on=day,
                                                      summary=summary, evidence=evidence),
         "attempt", {"kind": kind, "held_on": day.isoformat(), "summary": summary, "evidence": evidence},
         case_id=case_id)


@case_app.command("add-document")
def add_document(case_id: str, file: Path, as_party: str = typer.Option(..., "--as", help="author party"),
                 title: str = typer.Option(...), on: Optional[str] = typer.Option(None, "--date"),
                 supersedes: Optional[int] = typer.Option(None, help="id of the earlier version"),
                 server: str | None = SERVER_OPTION, token: str | None = TOKEN_OPTION) -> None:
    """Store an exhibit (PDF, PNG, JPEG, .docx, .xlsx, .eml); prints its id and SHA-256. With --server
    it is uploaded (POST /v1/geschillen/{case_id}/stukken; a refusal exits 1 with its code)."""
    day = _day(on)
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"fout: {error_text('DOCUMENT_NOT_FOUND', f'{file} is niet te lezen: {exc.strerror}')}", err=True)
        raise typer.Exit(2)
    if server is not None:
        with cli_signing.server_session(Signing(as_party, server=server, token=token)) as client:
            d = client.upload_document(case_id, filename=file.name, data=data, title=title, author=as_party,
                                       document_date=day.isoformat() if day else None, supersedes=supersedes)
        typer.echo(f"stuk {d['id']}: bijlage {d['number']}, {d['mediaType']}, {d['size']} bytes, "
                   f"sha256 {d['sha256']}")
        return
    s, store = _env()
    limit = getattr(s, "max_document_bytes", DEFAULT_MAX_BYTES)
    d = _run(lambda: service.add_document(store, client_documents(s, store), case_id, filename=file.name, data=data,
                                          title=title, author_party=as_party, document_date=day or service.today(store),
                                          supersedes=supersedes, max_bytes=limit))
    typer.echo(f"stuk {d.id}: bijlage {d.number}, {d.media_type}, {d.size} bytes, sha256 {d.sha256}")


@case_app.command("submit")
def submit(case_id: str, as_party: str = typer.Option(..., "--as"), position: str = typer.Option(""),
           document: list[str] = typer.Option([]),
           key: Path | None = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION,
           sign_command: str | None = COMMAND_OPTION, public_key: Path | None = PUBLIC_OPTION,
           server: str | None = SERVER_OPTION, token: str | None = TOKEN_OPTION) -> None:
    """A signed submission (documents and/or a position) without a status change."""
    _act(_signing(as_party, key, passphrase_env, sign_command, public_key, server, token),
         lambda store, signer: service.submit(store, signer, case_id, documents=document, position=position),
         "submit", {"documents": document, "position": position}, case_id=case_id)


def _periods(period: list[str]) -> list[dict]:
    def parse(p: str) -> dict:
        try:
            a, b, bearer = p.split(":", 2)
        except ValueError:
            raise typer.BadParameter(f"period is FROM:TO:BEARER, not {p}") from None
        return {"period_from": a, "period_to": b, "cost_bearer": bearer}

    return [parse(p) for p in period]


PERIOD_HELP = "FROM:TO:BEARER, e.g. 2026-01-01:2026-06-30:GM0166 (repeatable)"


@case_app.command("decide")
def decide(case_id: str, nature: str = typer.Option("binding_advice", help="advice | binding_advice"),
           period: list[str] = typer.Option(..., help=PERIOD_HELP),
           summary: str = typer.Option(""),
           as_party: str = typer.Option("COMMITTEE", "--as", help="the deciding party (the committee)"),
           key: Path | None = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION,
           sign_command: str | None = COMMAND_OPTION, public_key: Path | None = PUBLIC_OPTION,
           server: str | None = SERVER_OPTION, token: str | None = TOKEN_OPTION) -> None:
    """The committee's decision with the cost bearer per period (signed by COMMITTEE)."""
    periods = _periods(period)
    _act(_signing(as_party, key, passphrase_env, sign_command, public_key, server, token),
         lambda store, signer: service.decide(store, signer, case_id, nature=nature, cost_bearers=periods,
                                              summary=summary),
         "decide", {"nature": nature, "cost_bearers": periods, "summary": summary}, case_id=case_id)


@case_app.command("court-ruling")
def court_ruling(case_id: str, as_party: str = typer.Option(..., "--as", help="a party of the case or OPERATOR"),
                 annulled: bool = typer.Option(..., "--annulled/--upheld",
                                               help="the court annulled the decision, or upheld it"),
                 period: list[str] = typer.Option([], help="with --annulled: " + PERIOD_HELP),
                 summary: str = typer.Option(""),
                 key: Path | None = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION,
                 sign_command: str | None = COMMAND_OPTION, public_key: Path | None = PUBLIC_OPTION,
                 server: str | None = SERVER_OPTION, token: str | None = TOKEN_OPTION) -> None:
    """Record the civil court's ruling: UPHELD, or ANNULLED with the cost bearer per period it fixes."""
    periods = _periods(period)
    _act(_signing(as_party, key, passphrase_env, sign_command, public_key, server, token),
         lambda store, signer: service.court_ruling(store, signer, case_id, annulled=annulled,
                                                    cost_bearers=periods, summary=summary),
         "court_ruling", {"annulled": annulled, "cost_bearers": periods, "summary": summary}, case_id=case_id)


@case_app.command("book")
def book(case_id: str, key: Path | None = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION,
         sign_command: str | None = COMMAND_OPTION, public_key: Path | None = PUBLIC_OPTION,
         server: str | None = SERVER_OPTION, token: str | None = TOKEN_OPTION) -> None:
    """Book the decision in force (reversals and new cost lines), then IMPLEMENTED, signed by the operator
    (its key here, or with --server its own key file or HSM: the corrections, then the transition)."""
    if server is None:
        s, store = _env()
        r = _run(lambda: service.book_decision(store, _signer(s, store, "OPERATOR", key, passphrase_env, sign_command,
                                                              public_key), None, case_id))
        typer.echo(f"{len(r.booked)} regels geboekt")
        _show(r.case)
        return
    how = _signing("OPERATOR", key, passphrase_env, sign_command, public_key, server, token)
    signer = cli_signing.party_signer(how)
    submitted: list[dict] | None = None  # the corrections this run submitted
    with cli_signing.server_session(how) as client:
        decision = None
        for _stage in range(service.BOOKING_STAGES):
            draft = client.draft("book", party=how.party, key_id=signer.key_id, arguments={}, case_id=case_id)
            decision = decision or _decision_in_force(client.case(case_id))
            final = _check_booking(draft, signer, case_id, decision, submitted)
            results = cli_signing.sign_and_submit(client, signer, [d.statement for d in draft.statements])
            for d, result in zip(draft.statements, results):
                typer.echo(f"{cli_signing.recorded(result)} ({_kind(d.kind)}, zaak {case_id})")
            if final:
                break
            submitted = [{"seq": r.seq, "entry_hash": r.entry_hash} for r in results]
        else:
            cli_signing.wrong(f"na {service.BOOKING_STAGES} stappen geen overgang naar IMPLEMENTED")


def _decision_in_force(case: dict) -> dict:
    """The reference of the event whose decision is booked: the last DECIDED or ANNULLED event with one."""
    for e in reversed(case["events"]):
        if isinstance(e, dict) and e.get("status") in ("DECIDED", "ANNULLED") and e.get("decision"):
            return {"seq": e.get("seq"), "entry_hash": e.get("entryHash")}
    cli_signing.wrong("de zaak heeft geen uitspraak om te boeken")


def _check_booking(draft, signer, case_id: str, decision: dict, submitted: list[dict] | None) -> bool:
    """A stage of booking: the reversals and cost lines that name the decision in force as their basis,
    or (True: the last stage) the one transition of this case to IMPLEMENTED, listing exactly the
    corrections submitted in the stage before when this run submitted them. Exit 2 otherwise."""
    wrong = cli_signing.wrong
    if not draft.statements or draft.case_id != case_id:
        wrong(f"zaak {draft.case_id}, gevraagd {case_id}")
    if draft.statements[-1].kind == "dispute_event":
        if len(draft.statements) != 1:
            wrong("een overgang met andere verklaringen ervoor")
        st = cli_signing.prepared(draft.statements[0].statement, signer, ("dispute_event",))
        p = st["payload"]
        if (p.get("dispute_id"), p.get("status")) != (case_id, "IMPLEMENTED"):
            wrong(f"status {p.get('status')} van zaak {p.get('dispute_id')}")
        if submitted is not None and p.get("bookings") != submitted:
            wrong("de overgang noemt andere boekingen dan zojuist ingediend")
        return True
    for d in draft.statements:
        st = cli_signing.prepared(d.statement, signer, ("reversal", "cost_line"))
        if st["kind"] != d.kind or st["payload"].get("decision") != decision:
            wrong(f"een {_kind(st['kind'])} die niet op de uitspraak van zaak {case_id} berust")
    return False


@case_app.command("timed")
def timed(key: Path | None = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION,
          sign_command: str | None = COMMAND_OPTION, public_key: Path | None = PUBLIC_OPTION,
          server: str | None = SERVER_OPTION, token: str | None = TOKEN_OPTION) -> None:
    """Transitions by time (NO_RESPONSE six weeks after N3), signed by the operator (its key here, or with
    --server its own key file or HSM)."""
    how = _signing("OPERATOR", key, passphrase_env, sign_command, public_key, server, token)
    if server is not None:
        _act(how, None, "timed", {})
        return
    s, store = _env()
    for v in _run(lambda: service.run_timed_transitions(store, _signer(s, store, "OPERATOR", key, passphrase_env,
                                                                       sign_command, public_key))):
        _show(v)


@case_app.command("show")
def show(case_id: str) -> None:
    """A case and its history (the signed events)."""
    _s, store = _env()
    v = _run(lambda: service.case_view(store, case_id))
    _show(v)
    for e in v.events:
        step = (f"{_status(e.previous_status)} → {_status(e.status)}" if e.previous_status else _status(e.status))
        typer.echo(f"  regel {e.seq}  {date_table_nl(e.effective_date)}  {_name(e.author):<24} {step}"
                   f"{' (indiening)' if e.action == 'submission' else ''}{'  ' + e.note if e.note else ''}")
    for d in v.deadlines:
        atw = f" (verlengd, Algemene termijnenwet {', '.join(d.term.articles)})" if d.term.extended else ""
        typer.echo(f"  termijn {d.text}: uiterlijk {date_nl(d.due)}{atw}")
    dec = v.decision
    if dec:
        typer.echo(f"  uitspraak: {label('decision_nature', dec['nature'])} van {date_nl(dec['decided_on'])}; "
                   "kostendrager per periode:")
        for p in dec["cost_bearers"]:
            budget = label("budget", "historical" if p.get("historical_budget") else "woonplaats")
            typer.echo(f"    {date_table_nl(p['period_from'])} t/m {date_table_nl(p['period_to'])}  "
                       f"{_name(p['cost_bearer'])} ({p['cost_bearer']}), {budget}")


@case_app.command("list")
def list_() -> None:
    """Every case with its status."""
    _s, store = _env()
    for v in _run(lambda: service.list_cases(store)):
        _show(v)


@case_app.command("worklist")
def worklist() -> None:
    """The committee's work list: open disputes by next deadline; undisputed provisional determinations."""
    _s, store = _env()
    w = _run(lambda: service.worklist(store))
    typer.echo(f"Open geschillen ({len(w.disputes)}):")
    for d in w.disputes:
        nd = d.next_deadline
        typer.echo(f"  {d.case_id}  {_status(d.status):<28} volgende termijn: "
                   f"{(date_table_nl(nd.due) + ' ' + nd.text) if nd else '-'}{'  OVER TIJD' if d.overdue else ''}")
    typer.echo(f"Voorlopige beoordelingen zonder geschil ({len(w.provisional)}), oudste eerst:")
    for p in w.provisional:
        flags = "; ".join(label("flag", f) for f in p.flags) or "-"
        typer.echo(f"  regel {p.seq}  {p.determination_id}  {_name(p.author)} → {_name(p.addressee)}  "
                   f"signaleringen: {flags} (bezwaar mogelijk tot {date_nl(p.objection_deadline)})")


@case_app.command("overdue")
def overdue() -> None:
    """Every passed deadline of an open case."""
    _s, store = _env()
    items = _run(lambda: service.overdue(store))
    for i in items:
        typer.echo(f"  {i.case_id}  {_status(i.status)}: {i.deadline.text}, uiterlijk {date_nl(i.deadline.due)} "
                   f"({i.days_overdue} dagen over tijd)")
    typer.echo(f"{len(items)} termijn(en) over tijd")


@case_app.command("dossier")
def dossier(case_id: str, out: Path) -> None:
    """Render the case file (PDF/A-3b, Dutch) with the verifiable bundle embedded."""
    from cases.dossier import render_dossier

    s, store = _env()
    r = _run(lambda: render_dossier(store, client_documents(s, store), case_id, out))
    typer.echo(f"{r.path}: {r.pages} pagina's ({r.body_pages} dossier, {r.exhibit_pages} bijlagen), "
               f"{len(r.attachments)} ingesloten bestanden, bundel van {r.bundle_entries} grootboekregels")


@case_app.command("bundle")
def bundle(case_id: str, out: Path) -> None:
    """Write the case's machine-verifiable bundle (check it with `bwledger ledger verify-bundle`)."""
    from cases.bundle import export_case_bundle

    _s, store = _env()
    b = _run(lambda: export_case_bundle(store, case_id, out))
    typer.echo(f"{out}: {b.entries} grootboekregels van geschil {case_id}, {len(b.doc['documents'])} hashes van "
               f"stukken, bewezen tegen boomgrootte {b.tree_size}")


@case_app.command("export-zgw")
def export_zgw(case_id: str, out: Path) -> None:
    """Write the case in ZGW API shapes (zaak, statussen, rollen, zaakinformatieobjecten, besluit)."""
    from cases.zgw import export_zgw as _export

    _s, store = _env()
    doc = _run(lambda: _export(store, case_id, out))
    typer.echo(f"{out}: zaak {doc['zaak']['identificatie']}, {len(doc['statussen'])} statussen, "
               f"{len(doc['zaakinformatieobjecten'])} zaakinformatieobjecten")
