"""`bwledger case ...`: disputes, exhibits, decisions, work lists and case files (mounted by api/cli.py).

A thin shell over cases.service / cases.dossier / cases.bundle / cases.zgw. `--as PARTY` signs with
that party's key from the keys directory (created and registered on first use, as in the demo).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer

from api.settings import load_settings
from cases import service
from cases.documents import DEFAULT_MAX_BYTES
from cases.errors import CaseError
from ledger import service as ledger_service
from ledger.errors import LedgerError

case_app = typer.Typer(help="Disputes for the geschillencommissie: workflow, exhibits, decisions, case files.",
                       no_args_is_help=True)


def _env():
    s = load_settings()
    from api import bootstrap

    store = bootstrap.open_store(s)
    return s, store


def documents_dir(s) -> Path:
    return getattr(s, "documents_dir", None) or s.home / "documents"


KEY_OPTION = typer.Option(None, "--key", help="the party's own private key file (bwledger keys new)")
PASSPHRASE_OPTION = typer.Option(None, "--passphrase-env", help="environment variable holding the key's passphrase")


def _signer(s, store, party: str, key: Path | None = None, passphrase_env: str | None = None):
    """Who signs: the party's own key file (`--key`), the operator's key of this server, or a key of
    the demo keystore that is already there (`bwledger demo`); never a key made here for a party."""
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
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {value}") from None


def _run(fn):
    try:
        return fn()
    except (CaseError, LedgerError) as exc:
        typer.echo(f"error {exc.code}: {exc.message}", err=True)
        raise typer.Exit(2)
    except ValueError as exc:
        typer.echo(f"error INPUT_INVALID: {exc}", err=True)
        raise typer.Exit(2)


def _show(v: service.CaseView) -> None:
    nd = v.next_deadline
    typer.echo(f"{v.case_id}: {v.status} ({v.status_nl}) since {v.since}; {v.parties.claiming} vs "
               f"{v.parties.responding}; next deadline: " + (f"{nd.name} {nd.due}" if nd else "-"))


@case_app.command("open")
def open_(determination_seq: int, as_party: str = typer.Option(..., "--as", help="claiming party or OPERATOR"),
          question: str = typer.Option(..., help="the question, in one sentence"),
          position: str = typer.Option("", help="the claiming party's position and the rule it relies on"),
          key: Path | None = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION) -> None:
    """Open the dispute on a determination entry (status DETERMINED from the N3 date)."""
    s, store = _env()
    _show(_run(lambda: service.open_case(store, _signer(s, store, as_party, key, passphrase_env), determination_seq, question=question,
                                         position=position)))


@case_app.command("transition")
def transition(case_id: str, status: str, as_party: str = typer.Option(..., "--as"),
               note: str = typer.Option(""), position: str = typer.Option(""),
               document: list[str] = typer.Option([], help="SHA-256 of an exhibit of the case (repeatable)"),
               on: Optional[str] = typer.Option(None, help="event date YYYY-MM-DD (default today)"),
          key: Path | None = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION) -> None:
    """Move a case to STATUS, signed by --as (refused with a stable code when not allowed)."""
    s, store = _env()
    _show(_run(lambda: service.transition(store, _signer(s, store, as_party, key, passphrase_env), case_id, status.upper(), on=_day(on),
                                          note=note, position=position, documents=document)))


@case_app.command("attempt")
def attempt(case_id: str, as_party: str = typer.Option(..., "--as"),
            kind: str = typer.Option(..., help="contactpersonen | regioadviseur"),
            held_on: str = typer.Option(..., help="YYYY-MM-DD"), summary: str = typer.Option(...),
            evidence: list[str] = typer.Option(..., help="SHA-256 of an exhibit (repeatable)"),
          key: Path | None = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION) -> None:
    """Record a prior attempt to settle (Reglement art. 3.1) with its evidence."""
    s, store = _env()
    _show(_run(lambda: service.record_attempt(store, _signer(s, store, as_party, key, passphrase_env), case_id, kind=kind,
                                              held_on=_day(held_on), summary=summary, evidence=evidence)))


@case_app.command("add-document")
def add_document(case_id: str, file: Path, as_party: str = typer.Option(..., "--as", help="author party"),
                 title: str = typer.Option(...), on: Optional[str] = typer.Option(None, "--date"),
                 supersedes: Optional[int] = typer.Option(None, help="id of the earlier version")) -> None:
    """Store an exhibit (PDF, PNG, JPEG, .docx, .xlsx, .eml); prints its id and SHA-256."""
    s, store = _env()
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"error DOCUMENT_NOT_FOUND: cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(2)
    limit = getattr(s, "max_document_bytes", DEFAULT_MAX_BYTES)
    d = _run(lambda: service.add_document(store, documents_dir(s), case_id, filename=file.name, data=data, title=title,
                                          author_party=as_party, document_date=_day(on) or service.today(store),
                                          supersedes=supersedes, max_bytes=limit))
    typer.echo(f"document {d.id}: bijlage {d.number}, {d.media_type}, {d.size} bytes, sha256 {d.sha256}")


@case_app.command("submit")
def submit(case_id: str, as_party: str = typer.Option(..., "--as"), position: str = typer.Option(""),
           document: list[str] = typer.Option([]),
          key: Path | None = KEY_OPTION, passphrase_env: str | None = PASSPHRASE_OPTION) -> None:
    """A signed submission (documents and/or a position) without a status change."""
    s, store = _env()
    _show(_run(lambda: service.submit(store, _signer(s, store, as_party, key, passphrase_env), case_id, documents=document,
                                      position=position)))


@case_app.command("decide")
def decide(case_id: str, nature: str = typer.Option("binding_advice", help="advice | binding_advice"),
           period: list[str] = typer.Option(..., help="FROM:TO:BEARER, e.g. 2026-01-01:2026-06-30:GM0166"),
           summary: str = typer.Option(""), key: Path | None = KEY_OPTION,
           passphrase_env: str | None = PASSPHRASE_OPTION) -> None:
    """The committee's decision with the cost bearer per period (signed by COMMITTEE)."""
    s, store = _env()

    def parse(p: str) -> dict:
        try:
            a, b, bearer = p.split(":", 2)
        except ValueError:
            raise typer.BadParameter(f"period is FROM:TO:BEARER, not {p}") from None
        return {"period_from": a, "period_to": b, "cost_bearer": bearer}

    periods = [parse(p) for p in period]
    _show(_run(lambda: service.decide(store, _signer(s, store, "COMMITTEE", key, passphrase_env), case_id, nature=nature,
                                      cost_bearers=periods, summary=summary)))


@case_app.command("book")
def book(case_id: str) -> None:
    """Book the decision in force (reversals and new cost lines), then IMPLEMENTED."""
    s, store = _env()
    r = _run(lambda: service.book_decision(store, _signer(s, store, "OPERATOR"), None, case_id))
    typer.echo(f"{len(r.booked)} entries booked")
    _show(r.case)


@case_app.command("timed")
def timed() -> None:
    """Transitions by time (NO_RESPONSE six weeks after N3), signed by the operator."""
    s, store = _env()
    for v in _run(lambda: service.run_timed_transitions(store, _signer(s, store, "OPERATOR"))):
        _show(v)


@case_app.command("show")
def show(case_id: str) -> None:
    """A case and its history (the signed events)."""
    _s, store = _env()
    v = _run(lambda: service.case_view(store, case_id))
    _show(v)
    for e in v.events:
        typer.echo(f"  seq {e.seq} {e.effective_date} {e.author:10} {e.previous_status or '-'} -> {e.status}"
                   f"{' (submission)' if e.action == 'submission' else ''} {e.note}")
    for d in v.deadlines:
        typer.echo(f"  deadline {d.name}: {d.due} ({d.text}){' [Atw ' + ', '.join(d.term.articles) + ']' if d.term.extended else ''}")


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
    typer.echo(f"Open disputes ({len(w.disputes)}):")
    for d in w.disputes:
        nd = d.next_deadline
        typer.echo(f"  {d.case_id} {d.status:13} next: {(nd.name + ' ' + str(nd.due)) if nd else '-'}"
                   f"{'  OVERDUE' if d.overdue else ''}")
    typer.echo(f"Provisional determinations nobody disputed yet ({len(w.provisional)}), oldest first:")
    for p in w.provisional:
        typer.echo(f"  seq {p.seq} {p.determination_id} {p.author} -> {p.addressee} flags {','.join(p.flags)} "
                   f"(objection term ends {p.objection_deadline})")


@case_app.command("overdue")
def overdue() -> None:
    """Every passed deadline of an open case."""
    _s, store = _env()
    items = _run(lambda: service.overdue(store))
    for i in items:
        typer.echo(f"  {i.case_id} {i.status} {i.deadline.name} due {i.deadline.due} ({i.days_overdue} days overdue)")
    typer.echo(f"{len(items)} overdue deadlines")


@case_app.command("dossier")
def dossier(case_id: str, out: Path) -> None:
    """Render the case file (PDF/A-3b, Dutch) with the verifiable bundle embedded."""
    from cases.dossier import render_dossier

    s, store = _env()
    r = _run(lambda: render_dossier(store, documents_dir(s), case_id, out))
    typer.echo(f"{r.path}: {r.pages} pages ({r.body_pages} dossier, {r.exhibit_pages} exhibit pages), "
               f"{len(r.attachments)} embedded files, bundle of {r.bundle_entries} entries")


@case_app.command("bundle")
def bundle(case_id: str, out: Path) -> None:
    """Write the case's machine-verifiable bundle (check it with `bwledger ledger verify-bundle`)."""
    from cases.bundle import export_case_bundle

    _s, store = _env()
    b = _run(lambda: export_case_bundle(store, case_id, out))
    typer.echo(f"{out}: {b.entries} entries of case {case_id}, {len(b.doc['documents'])} document hashes, "
               f"proved against tree size {b.tree_size}")


@case_app.command("export-zgw")
def export_zgw(case_id: str, out: Path) -> None:
    """Write the case in ZGW API shapes (zaak, statussen, rollen, zaakinformatieobjecten, besluit)."""
    from cases.zgw import export_zgw as _export

    _s, store = _env()
    doc = _run(lambda: _export(store, case_id, out))
    typer.echo(f"{out}: zaak {doc['zaak']['identificatie']}, {len(doc['statussen'])} statussen, "
               f"{len(doc['zaakinformatieobjecten'])} zaakinformatieobjecten")
