"""`bwledger berichten`: a party's inbox or outbox of notices (N1-N8) with what is due, on the command line.

With `--server` (and a token: `--token` or BWLEDGER_TOKEN) it asks the server's `GET /v1/berichten` for the
token's party; without, it reads the local ledger of BWLEDGER_HOME for `--party` (the operator's machine).
Either way the same service function answers (api/compose_notices.py `mailbox`). Exit status 0, 1 refused,
2 bad input or no server.
"""
from __future__ import annotations

from typing import Annotated

import typer

notices_app = typer.Typer()


def _opt(name: str, metavar: str | None, text: str):
    return typer.Option(name, metavar=metavar, help=text)


def _print(doc: dict) -> None:
    from api.format_nl import date_table_nl
    from rules.glossary import label, party_name

    box = label("mailbox", doc["box"])
    typer.echo(f"{party_name(doc['party'])}: {doc['count']} {box} bericht(en)")
    for i in doc["items"]:
        other = party_name(i["sender"]) if doc["box"] == "inbox" else ", ".join(party_name(a) for a in i["addressees"])
        todo = i["actionNl"] or (f"wacht op {', '.join(party_name(a) for a in i['waitingFor'])}" if i["waitingFor"] else "-")
        due = date_table_nl(i["due"]) if i["due"] else "-"
        late = " TE LAAT" if i["overdue"] else ""
        new = " (nieuw)" if i["read"] is False else ""
        typer.echo(f"{i['seq']}\t{date_table_nl(i['receivedAt'])}\t{i['kindNl']}\t{other}\t"
                   f"{i['client'] or '-'}\t{todo}\t{due}{late}{new}\t{i['summary']}")


@notices_app.command("berichten")
def notices(party: Annotated[str | None, _opt("--party", "PARTIJ", "de partij (zonder --server: het lokale grootboek)")] = None,
            box: Annotated[str, _opt("--map", "MAP", "inbox (ontvangen) of outbox (verzonden)")] = "inbox",
            kinds: Annotated[str | None, _opt("--soort", "N1,N2,...", "alleen deze soorten (N1-N8)")] = None,
            date_from: Annotated[str | None, _opt("--van", "JJJJ-MM-DD", "ontvangen vanaf")] = None,
            date_to: Annotated[str | None, _opt("--tot", "JJJJ-MM-DD", "ontvangen tot en met")] = None,
            counterparty: Annotated[str | None, _opt("--tegenpartij", "PARTIJ", "van of aan deze partij")] = None,
            server: Annotated[str | None, _opt("--server", "URL", "adres van de bwledger-server")] = None,
            token: Annotated[str | None, _opt("--token", "TOKEN", "toegangstoken (standaard BWLEDGER_TOKEN)")] = None
            ) -> None:
    """De berichten van een partij: ontvangen of verzonden, met wat er nog moet gebeuren en wanneer."""
    from api import compose_notices as cn
    from api.compose import RequestInvalid

    try:
        q = cn.parse_query(box, kinds, date_from, date_to, counterparty)
    except RequestInvalid as exc:
        typer.echo(f"fout: --{exc.field}: {exc.message}", err=True)  # the fields are named as the options
        raise typer.Exit(2) from None
    if server is not None:
        from api import settings as app_settings
        from api.client import LedgerClient, Refused, Unreachable

        try:
            with LedgerClient(server, token=token or app_settings.client_token()) as client:
                doc = client.notices(map=q.box, soort=",".join(q.codes) or None, van=date_from, tot=date_to,
                                     tegenpartij=counterparty, partij=party)
        except Refused as exc:
            typer.echo(f"geweigerd: {exc.code}: {exc.detail}", err=True)
            raise typer.Exit(1) from None
        except Unreachable as exc:
            typer.echo(f"fout: {exc}", err=True)
            raise typer.Exit(2) from None
        _print(doc)
        return
    if party is None:
        typer.echo("fout: geef --party (het lokale grootboek) of --server", err=True)
        raise typer.Exit(2)
    from api import bootstrap
    from api.access.notice_reads import NoticeReads
    from api.compose import is_party
    from api.settings import load_settings

    if not is_party(party):
        typer.echo(f"fout: --party: geen partij (GMxxxx, RG:<regio>, OPERATOR of COMMITTEE): {party!r}", err=True)
        raise typer.Exit(2)
    store = bootstrap.init_store(load_settings())
    try:
        items = cn.mailbox(store, NoticeReads(store.engine, store.clock), party, q)
    finally:
        store.dispose()
    _print({"box": q.box, "party": party, "count": len(items), "items": items})
