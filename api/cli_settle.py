"""`bwledger settle|reconcile|seal|whatif|monitor|project|accept-tariff|book-accepted-tariff`: quarterly
settlement (mounted by api/cli.py).

The two writes of a party, `accept-tariff` (the cost bearer) and `book-accepted-tariff` (the fronting
party), sign with the party's own key (`--key FILE [--passphrase-env VAR]`, or `--sign-command CMD
--public-key FILE.pub`). With `--server URL [--token]` they work over HTTP only (api/cli_signing.py):
the server prepares the next statement (POST /v1/verrekeningen/concepten), this machine checks it is what
was asked (kind, author, key, the line or acceptance it is about) and signs it, and it is submitted;
booking loops over its two steps (the reversal, then the definitive line naming it) until the server
has nothing left to prepare. Exit 1 on a refusal (its code printed), 2 on anything else. Without
`--server` they write into the ledger of BWLEDGER_HOME; the other commands read it (`seal` signs as
the operator, with the operator key there).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from api import bootstrap, cli_keys, cli_signing
from api.cli_signing import Signing
from api.compose import municipality_name
from api.format_nl import quarter_nl
from api.settings import load_settings
from ledger.costline_basis import accepted_tariff_key
from ledger.errors import LedgerError
from ledger.settlement import service as settlement
from ledger.settlement.booking import reversal_key
from ledger.settlement.tariff_acceptance import BOOKING_STEPS, acceptance_key
from rules.glossary import error_text, label

settle_app = typer.Typer(help="Verrekening per kwartaal: overzichten, aansluiting, verzegelen, wat-als.")


def _fail(exc: LedgerError) -> None:
    typer.echo(f"fout: {error_text(exc.code, exc.message)}", err=True)
    raise typer.Exit(2)


def _store():
    s = load_settings()
    return s, bootstrap.open_store(s)


def _eur(cents: int, width: int = 0) -> str:
    """Dutch notation: 1.234,56 (finance staff read these lines)."""
    text = f"{cents / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return text.rjust(width)


def _keys(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        pool, sep, key = v.partition("=")
        if not sep or not pool or not key:
            raise typer.BadParameter(f"POOL=VERDEELSLEUTEL verwacht, bv. ijv-historisch-2023-2025=fixed: {v!r}")
        out[pool] = key
    return out


@settle_app.command("settle")
def settle_cmd(quarter: str = typer.Option(..., "--quarter", help="kwartaal, bv. 2026K1"),
               out: Path | None = typer.Option(None, "--out", help="map (standaard BWLEDGER_HOME/outputs)"),
               party: list[str] = typer.Option([], "--party", help="alleen deze gemeente(n)"),
               charts: bool = typer.Option(True, "--charts/--no-charts", help="ook grafieken (PNG en SVG)")) -> None:
    """Write each municipality's statement (XLSX, CSV, JSON) for a quarter, and the charts."""
    s, store = _store()
    try:
        res = settlement.write_statements(store, quarter, out or s.outputs_dir, parties=party or None)
        figs = settlement.write_charts(store, quarter, res.directory) if charts else None
    except LedgerError as exc:
        _fail(exc)
    st = res.settlement
    typer.echo(f"Kwartaal {quarter_nl(st.quarter)} ({'verzegeld' if st.sealed else 'open'}): {len(res.files)} "
               f"gemeenten, {res.lines} regels, controlegetal {st.digest[:16]}")
    for p in st.positions:
        typer.echo(f"  {p.party} {municipality_name(p.party):<24} saldo {_eur(p.net_payable_cents, 14)}  (betwist apart: "
                   f"{_eur(p.receivable['disputed'] - p.payable['disputed'])})")
    typer.echo(f"Uitvoer: {res.directory}" + (f" ({len(figs.all())} grafiekbestanden)" if figs else ""))


@settle_app.command("position")
def position_cmd(quarter: str = typer.Option(..., "--quarter", help="kwartaal, bv. 2026K1"),
                 party: str = typer.Option(..., "--party", help="de gemeente, bv. GM0166")) -> None:
    """One municipality's quarter as its page shows it: definitive, provisional and disputed, and why."""
    from api import compose_quarter
    from api.compose import RequestInvalid

    try:
        q, who = compose_quarter.check_quarter(quarter), compose_quarter.check_municipality(party)
    except RequestInvalid as exc:
        typer.echo(f"geweigerd: {exc.field}: {exc.message}", err=True)
        raise typer.Exit(2) from None
    _s, store = _store()
    try:
        view = settlement.quarter_page(store, q, who, trail_of=lambda seq, p: compose_quarter.determination_trail(
            store, seq, p))
    except LedgerError as exc:
        _fail(exc)
    from ledger.settlement.quarters import Quarter

    typer.echo(f"Verrekening {Quarter.parse(q).label}: {municipality_name(who)} ({who}), "
               f"{'verzegeld' if view.settlement.sealed else 'open'}")
    typer.echo(f"  saldo (zonder betwist) {_eur(view.position.net_payable_cents, 14)}")
    for c in view.classes:
        typer.echo(f"  {c.label:<11} {c.count:>5} regels {_eur(c.amount_cents, 14)}")
        for r in c.reasons:
            typer.echo(f"      {r.count:>5} {_eur(r.amount_cents, 14)}  {r.text}")
    for r in view.readings:
        typer.echo(f"  wat-als: --reading {r.value}  (signalering {r.flag} op beoordeling {r.determination}: "
                   f"{party_name(r.alternative)} in plaats van {party_name(r.current)})")


@settle_app.command("reconcile")
def reconcile_cmd(theirs: Path = typer.Argument(..., help="eigen administratie van de gemeente (.xlsx of .csv)"),
                  quarter: str = typer.Option(..., "--quarter"), party: str = typer.Option(..., "--party"),
                  out: Path | None = typer.Option(None, "--out")) -> None:
    """Match a municipality's own records against the ledger: per line matched / differs / only one side."""
    s, store = _store()
    if not theirs.is_file():
        typer.echo(f"fout: bestand niet gevonden: {theirs}", err=True)
        raise typer.Exit(2)
    try:
        rec, xl, js = settlement.reconcile_file(store, quarter, party, theirs, out or s.outputs_dir)
    except LedgerError as exc:
        _fail(exc)
    from ledger.reports.reconcile import OUTCOME_NL

    c, t = rec.counts(), rec.totals()
    typer.echo(", ".join(f"{OUTCOME_NL[k]}: {v}" for k, v in c.items() if v))
    typer.echo(f"totaal grootboek {_eur(t['ledger_cents'])}, uw bestand {_eur(t['theirs_cents'])}, "
               f"verschil {_eur(t['difference_cents'])}")
    typer.echo(f"Uitvoer: {xl}\n        {js}")
    raise typer.Exit(0 if c["matched"] == len(rec.outcomes) else 1)


def _local_write(how: Signing, write):
    """A settlement write on the ledger of BWLEDGER_HOME, signed with the party's own key or signer."""
    signer = cli_signing.party_signer(how)
    _s, store = _store()
    try:
        return write(store, signer)
    except (LedgerError, ValueError) as exc:
        _fail(exc if isinstance(exc, LedgerError) else LedgerError("INPUT_INVALID", str(exc)))


#: what a person reads about each kind these commands sign


def _statement(draft, signer, kind: str) -> dict:
    """The one statement of a step the server prepared, of `kind`, by this signer (else exit 2)."""
    if len(draft.statements) != 1 or draft.statements[0].kind != kind:
        cli_signing.wrong(f"{len(draft.statements)} verklaringen, gevraagd: één {label('entry_kind', kind)}")
    return cli_signing.prepared(draft.statements[0].statement, signer, (kind,))


def _check_acceptance(draft, signer, line: int, note: str) -> None:
    """The acceptance the server prepared is of line `line`, with the note given, under its key."""
    st = _statement(draft, signer, "tariff_acceptance")
    p = st["payload"]
    if (p.get("cost_line") or {}).get("seq") != line or draft.line_seq != line:
        cli_signing.wrong(f"aanvaarding van regel {(p.get('cost_line') or {}).get('seq')}, gevraagd regel {line}")
    if p.get("note") != note or st.get("idempotency_key") != acceptance_key(line):
        cli_signing.wrong("de toelichting of de sleutel van de aanvaarding is niet wat gevraagd is")


def _check_booking_step(draft, signer, acceptance: int, reversal: tuple[int, str] | None) -> str:
    """A step of booking acceptance `acceptance`: the reversal of the accepted line (`draft.line_seq`, as
    the server names it: that it is the accepted line is the ledger's check when the definitive line
    arrives), or, once `reversal` is admitted, the definitive line that uses this acceptance and
    replaces exactly that reversal. Its kind."""
    kind = "cost_line" if reversal is not None else "reversal"
    st = _statement(draft, signer, kind)
    p = st["payload"]
    if kind == "reversal":
        if (p.get("reverses") or {}).get("seq") != draft.line_seq or st.get("idempotency_key") != reversal_key(draft.line_seq):
            cli_signing.wrong(f"tegenboeking van regel {(p.get('reverses') or {}).get('seq')}, niet van de aanvaarde "
                              f"regel {draft.line_seq}")
        if p.get("decision") is not None:
            cli_signing.wrong("een tegenboeking op grond van een uitspraak")
        return kind
    if ((p.get("tariff_acceptance") or {}).get("seq"), p.get("status"), st.get("idempotency_key")) != (
            acceptance, "definitive", accepted_tariff_key(acceptance)):
        cli_signing.wrong(f"geen definitieve kostenregel op aanvaarding {acceptance}")
    if p.get("replaces") != {"seq": reversal[0], "entry_hash": reversal[1]}:
        cli_signing.wrong(f"de kostenregel vervangt niet tegenboeking regel {reversal[0]}")
    return kind


@settle_app.command("accept-tariff")
def accept_tariff_cmd(line: int = typer.Argument(..., help="regelnummer van de kostenregel met afwijkend tarief"),
                      as_party: str = typer.Option(..., "--as", help="de kostendrager"),
                      note: str = typer.Option("", "--note"), key: Path | None = cli_signing.KEY_OPTION,
                      passphrase_env: str | None = cli_signing.PASSPHRASE_OPTION,
                      sign_command: str | None = cli_signing.COMMAND_OPTION,
                      public_key: Path | None = cli_signing.PUBLIC_OPTION,
                      server: str | None = cli_signing.SERVER_OPTION,
                      token: str | None = cli_signing.TOKEN_OPTION) -> None:
    """The cost bearer accepts the deviating tariff of a provisional cost line."""
    how = Signing(as_party, key, passphrase_env, sign_command, public_key, server, token)
    if server is None:
        r = _local_write(how, lambda store, signer: settlement.accept_tariff(store, signer, line, note=note))
    else:
        signer = cli_signing.party_signer(how)
        with cli_signing.server_session(how) as client:
            draft = client.settlement_draft("accept_tariff", party=as_party, key_id=signer.key_id,
                                            subject="line_seq", seq=line, arguments={"note": note})
            _check_acceptance(draft, signer, line, note)
            [r] = cli_signing.sign_and_submit(client, signer, [draft.statements[0].statement])
    typer.echo(f"tarief aanvaard: regel {r.seq}" + (" (al vastgelegd)" if r.duplicate else ""))


@settle_app.command("book-accepted-tariff")
def book_accepted_tariff_cmd(acceptance: int = typer.Argument(..., help="regelnummer van de aanvaarding"),
                             as_party: str = typer.Option(..., "--as", help="de voorliggende gemeente"),
                             key: Path | None = cli_signing.KEY_OPTION,
                             passphrase_env: str | None = cli_signing.PASSPHRASE_OPTION,
                             sign_command: str | None = cli_signing.COMMAND_OPTION,
                             public_key: Path | None = cli_signing.PUBLIC_OPTION,
                             server: str | None = cli_signing.SERVER_OPTION,
                             token: str | None = cli_signing.TOKEN_OPTION) -> None:
    """The fronting party replaces the accepted provisional line by a definitive one (with --server: the
    reversal, then the definitive line, each prepared by the server, checked and signed here)."""
    how = Signing(as_party, key, passphrase_env, sign_command, public_key, server, token)
    if server is None:
        rev, line = _local_write(how, lambda store, signer: settlement.book_accepted_tariff(
            store, signer, acceptance, today=date.today()))
        typer.echo(f"tegenboeking regel {rev.seq}, definitieve kostenregel regel {line.seq}")
        return
    signer = cli_signing.party_signer(how)
    mine: tuple[int, str] | None = None  # the reversal this run submitted
    with cli_signing.server_session(how) as client:
        for _ in range(BOOKING_STEPS):
            draft = client.settlement_draft("book_accepted_tariff", party=as_party, key_id=signer.key_id,
                                            subject="acceptance_seq", seq=acceptance, arguments={})
            reversal = draft.admitted.get("reversal")
            if mine is not None and reversal != mine:
                cli_signing.wrong(f"de server noemt tegenboeking {reversal and reversal[0]}, ingediend is "
                                  f"regel {mine[0]}")
            if not draft.statements:
                break
            kind = _check_booking_step(draft, signer, acceptance, reversal)
            [r] = cli_signing.sign_and_submit(client, signer, [draft.statements[0].statement])
            if kind == "reversal":
                mine = (r.seq, r.entry_hash)
            typer.echo(f"{'tegenboeking' if kind == 'reversal' else 'definitieve kostenregel'}: "
                       f"{cli_signing.recorded(r)}")
        else:
            cli_signing.wrong(f"na {BOOKING_STEPS} stappen nog niet geboekt")
    booked = [draft.admitted.get(name) for name in ("reversal", "definitive")]
    if None in booked:
        cli_signing.wrong("de server meldt de boeking niet als klaar")
    typer.echo(f"tegenboeking regel {booked[0][0]}, definitieve kostenregel regel {booked[1][0]}")


class _Counter:
    """The progress of a long command on stderr: `\r<what> 3/12`, one line, ended by `done()`."""

    def __init__(self, what: str) -> None:
        self.what, self.shown = what, False

    def __call__(self, done: int, total: int) -> None:
        typer.echo(f"\r{self.what} {done}/{total}", err=True, nl=False)
        self.shown = True

    def done(self) -> None:
        if self.shown:
            typer.echo("", err=True)
            self.shown = False


def _booked_nl(booked: int, already: int, reversed_: int) -> str:
    """`12 kostenregels geboekt, 0 al geboekt` (and the reversals, when there are)."""
    text = f"{booked} {'kostenregel' if booked == 1 else 'kostenregels'} geboekt, {already} al geboekt"
    if reversed_:
        text += f", {reversed_} {'regel' if reversed_ == 1 else 'regels'} tegengeboekt (plaatsing gewijzigd)"
    return text


def _month_line(st: dict, party: str, month: str) -> bool:
    """Whether `st` (a statement, parsed) is a cost line of `party` as fronting party for days of `month`,
    under that month's key (ledger/settlement/booking.py), resting on no decision."""
    from ledger.settlement.booking import MONTH_KEY_PREFIX, parse_month

    p = st.get("payload") if isinstance(st.get("payload"), dict) else {}
    start, stop = parse_month(month)
    try:
        inside = start <= date.fromisoformat(p["period_from"]) <= date.fromisoformat(p["period_to"]) <= stop
    except (KeyError, TypeError, ValueError):
        return False
    return (inside and st.get("kind") == "cost_line" and p.get("fronting_party") == party and st.get("author") == party
            and p.get("decision") is None
            and str(st.get("idempotency_key")).startswith(f"{MONTH_KEY_PREFIX}{start:%Y-%m}-"))


def _check_month_statement(raw: bytes, reverses, signer, party: str, month: str) -> str:
    """A statement the server prepared to book `month`: a cost line of `party`'s in that month under the
    month's key, or the reversal of such a line that book_month booked, which the server sends as stored
    (`reverses`: its entry hash is recomputed here and must be the one the reversal names); else exit 2,
    nothing signed. Its kind."""
    import json

    from ledger.entries import entry_hash

    st = cli_signing.prepared(raw, signer, ("cost_line", "reversal"))
    p = st["payload"]
    if st["kind"] == "cost_line":
        if not _month_line(st, party, month):
            cli_signing.wrong(f"een kostenregel buiten {month} of niet van {party} als voorliggende gemeente")
        return "cost_line"
    ref = p.get("reverses") or {}
    if st.get("idempotency_key") != reversal_key(ref.get("seq")) or p.get("decision") is not None or reverses is None:
        cli_signing.wrong(f"tegenboeking van regel {ref.get('seq')} met een andere sleutel, op grond van een "
                          "uitspraak of zonder de regel die zij tegenboekt")
    stored = entry_hash(reverses.seq, reverses.received_at, reverses.prev_hash, reverses.signature, reverses.statement)
    try:
        line = json.loads(reverses.statement)
    except ValueError:
        line = {}
    if (reverses.seq, stored.hex()) != (ref.get("seq"), ref.get("entry_hash")) or not _month_line(line, party, month):
        cli_signing.wrong(f"tegenboeking van regel {ref.get('seq')}: niet een kostenregel van {party} in {month}")
    return "reversal"


@settle_app.command("book")
def book_cmd(month: str = typer.Option(..., "--month", help="maand, bv. 2026-03"),
             party: str = typer.Option(..., "--party", help="de voorliggende gemeente, bv. GM0166"),
             key: Path | None = cli_signing.KEY_OPTION, passphrase_env: str | None = cli_signing.PASSPHRASE_OPTION,
             sign_command: str | None = cli_signing.COMMAND_OPTION,
             public_key: Path | None = cli_signing.PUBLIC_OPTION, server: str | None = cli_signing.SERVER_OPTION,
             token: str | None = cli_signing.TOKEN_OPTION) -> None:
    """Book a month's cost lines from the placements the fronting party recorded x the contract tariffs
    (a partial month pro rata); idempotent: a second run books nothing twice. Signed with the party's own
    key; with --server the server prepares the statements (POST /v1/boekingen) and they are checked and
    signed here."""
    from ledger.settlement.booking import parse_month

    party = party.strip().upper()
    try:
        parse_month(month)
    except LedgerError as exc:
        _fail(exc)
    how = Signing(party, key, passphrase_env, sign_command, public_key, server, token)
    counter = _Counter("plaatsingen")
    if server is None:
        try:
            r = _local_write(how, lambda store, signer: settlement.book_month(store, month, signer, today=date.today(),
                                                                             progress=counter))
        finally:
            counter.done()
        typer.echo(_booked_nl(r.booked, r.already, r.reversed))
        return
    signer = cli_signing.party_signer(how)
    with cli_signing.server_session(how) as client:
        draft = client.month_booking(month=month, party=party, key_id=signer.key_id)
        reverses = draft.reverses or (None,) * len(draft.statements)
        kinds = [_check_month_statement(st.statement, rev, signer, party, month)
                 for st, rev in zip(draft.statements, reverses, strict=True)]
        counter.what = "ondertekend"
        signed = []
        for i, st in enumerate(draft.statements, 1):
            signed.append((st.statement, cli_keys._sign(lambda raw=st.statement: signer.sign(raw))))
            counter(i, len(draft.statements))
        counter.done()
        results = client.submit_batch(signed) if signed else []
    fresh = [k for k, r in zip(kinds, results) if not r.duplicate]
    again = sum(1 for k, r in zip(kinds, results) if r.duplicate and k == "cost_line")
    typer.echo(_booked_nl(fresh.count("cost_line"), draft.already + again, fresh.count("reversal")))


def _check_placement(raw: bytes, signer, client: str, asked: dict) -> None:
    """The placement record the server prepared is the one asked for (its client, its fields, the
    determination and N1 named), by this signer; its `previous` is the ledger's to judge. Else exit 2."""
    st = cli_signing.prepared(raw, signer, ("placement",))
    p = st["payload"]
    if st.get("client") != client:
        cli_signing.wrong(f"een plaatsing van cliënt {st.get('client')}")
    for field, want in asked.items():
        got = p.get(field)
        if field in ("determination", "notice"):
            got = (got or {}).get("seq") if isinstance(got, dict) else got
        if field == "location" and want is not None and got == "vertrouwelijk":
            continue  # spec 8.7: a SAFETY_CONFIDENTIAL client's place is never signed
        if got != want:
            cli_signing.wrong(f"{field} {got!r}, gevraagd {want!r}")


@settle_app.command("placement")
def placement_cmd(party: str = typer.Option(..., "--party", help="de voorliggende gemeente, bv. GM0193"),
                  client: str = typer.Option(..., "--client", help="pseudoniem van de cliënt (PSN-...)"),
                  placement_id: str = typer.Option(..., "--id", help="eigen kenmerk van de plaatsing"),
                  cost_bearer: str = typer.Option(..., "--cost-bearer", help="de kostendrager van de beoordeling"),
                  provider: str = typer.Option(..., "--provider", help="de zorgaanbieder"),
                  product: str = typer.Option(..., "--product", help="productcode, bv. 15B02"),
                  start: str = typer.Option(..., "--start", help="eerste dag, JJJJ-MM-DD"),
                  end: str | None = typer.Option(None, "--end", help="laatste dag, JJJJ-MM-DD (leeg: lopend)"),
                  contract: str | None = typer.Option(None, "--contract", help="contract (standaard: dat van de "
                                                                              "gemeente of haar regio)"),
                  location: str | None = typer.Option(None, "--location", help="locatie"),
                  determination: int = typer.Option(..., "--determination", help="volgnummer van de beoordeling"),
                  notice: int | None = typer.Option(None, "--notice", help="volgnummer van de N1, als die er is"),
                  key: Path | None = cli_signing.KEY_OPTION, passphrase_env: str | None = cli_signing.PASSPHRASE_OPTION,
                  sign_command: str | None = cli_signing.COMMAND_OPTION,
                  public_key: Path | None = cli_signing.PUBLIC_OPTION, server: str | None = cli_signing.SERVER_OPTION,
                  token: str | None = cli_signing.TOKEN_OPTION) -> None:
    """Record a placement the party fronts (or a change of it: the newest record is replaced), the record
    `bwledger book` books the months from; signed with the party's own key (with --server prepared by the
    server, POST /v1/plaatsingen, and checked and signed here)."""
    from api.compose import RequestInvalid, placement_request

    party = party.strip().upper()
    body = {"party": party, "keyId": "0" * 64, "client": client, "placementId": placement_id,
            "costBearer": cost_bearer, "provider": provider, "product": product, "startDate": start,
            "endDate": end, "contract": contract, "location": location, "determinationSeq": determination,
            "noticeSeq": notice}
    try:  # the same checks as the endpoint's, before anything is signed or sent
        _party, _key, fields = placement_request({k: v for k, v in body.items() if v is not None})
    except RequestInvalid as exc:
        _fail(LedgerError("REQUEST_INVALID", f"{exc.field}: {exc.message}"))
    how = Signing(party, key, passphrase_env, sign_command, public_key, server, token)
    fields.pop("client")
    if server is None:
        def write(store, signer):
            d = settlement.draft_placement_by_seq(store, party, client, **fields)
            return store.append(*d.signed(signer, store.clock()).as_item())

        r = _local_write(how, write)
    else:
        asked = {"placement_id": placement_id, "fronting_party": party, "cost_bearer": fields["cost_bearer"],
                 "provider": provider, "product": product, "start_date": fields["start"].isoformat(),
                 "end_date": fields["end"].isoformat() if "end" in fields else None, "contract": contract,
                 "location": location, "determination": determination, "notice": notice}
        signer = cli_signing.party_signer(how)
        with cli_signing.server_session(how) as http:
            draft = http.placement_draft({**{k: v for k, v in body.items() if v is not None},
                                          "keyId": signer.key_id})
            _check_placement(draft.statement, signer, client, asked)
            [r] = cli_signing.sign_and_submit(http, signer, [draft.statement])
    typer.echo(f"plaatsing {placement_id}: {cli_signing.recorded(r)}")


@settle_app.command("seal")
def seal_cmd(quarter: str = typer.Option(..., "--quarter")) -> None:
    """Close a quarter: the operator signs its totals and the checkpoint (a sealed quarter never changes)."""
    _s, store = _store()
    try:
        r = settlement.seal_quarter(store, quarter, today=date.today())
    except LedgerError as exc:
        _fail(exc)
    typer.echo(f"{'al verzegeld' if r.duplicate else 'verzegeld'}: {quarter_nl(r.quarter)}, zegel regel {r.seal_seq}, "
               f"t/m regel {r.through_seq}, controlegetal {r.digest[:16]}")


@settle_app.command("whatif")
def whatif_cmd(quarter: str = typer.Option(..., "--quarter"),
               key: list[str] = typer.Option([], "--key", help="POOL=verdeelsleutel (fixed, population, "
                                                               "objective_budget)"),
               reading: list[str] = typer.Option([], "--reading", help="BESCHIKKING-ID=GMxxxx (andere lezing)"),
               out: Path | None = typer.Option(None, "--out")) -> None:
    """Recompute a quarter under another verdeelsleutel or reading, without booking; differences per municipality."""
    s, store = _store()
    alt: dict[int, str] = {}
    for r in reading:
        a, sep, b = r.partition("=")
        if not sep or not a.isdigit():
            raise typer.BadParameter(f"REGEL=GMxxxx verwacht: {r!r}")
        alt[int(a)] = b
    try:
        w = settlement.whatif_quarter(store, quarter, keys=_keys(key), reading=alt)
        xl, js = settlement.write_whatif(w, out or s.outputs_dir)
    except LedgerError as exc:
        _fail(exc)
    for d in w.differences:
        if d.difference_cents:
            typer.echo(f"  {d.party} {municipality_name(d.party):<24} {_eur(d.base_net_cents, 14)} → "
                       f"{_eur(d.alt_net_cents, 14)}")
    typer.echo(f"Uitvoer: {xl}")


@settle_app.command("monitor")
def monitor_cmd(year: int = typer.Option(..., "--year"), out: Path | None = typer.Option(None, "--out")) -> None:
    """The monitoring report per region for a year (XLSX and JSON)."""
    s, store = _store()
    try:
        res = settlement.monitoring(store, year, out or s.outputs_dir)
    except LedgerError as exc:
        _fail(exc)
    typer.echo(f"Monitoring {year}: {len(res.regions)} regio's\nUitvoer: {res.xlsx}\n        {res.json}")


@settle_app.command("project")
def project_cmd(region: str = typer.Option(..., "--region"),
                historical: float = typer.Option(..., "--historical", help="historisch budget per jaar (€)"),
                objective: float = typer.Option(..., "--objective", help="objectief budget per jaar (€)"),
                out: Path | None = typer.Option(None, "--out")) -> None:
    """Budget projection along the region's ingroeipad."""
    s, _store_ = _store()
    try:
        p = settlement.budget_projection(region, historical_budget_cents=round(historical * 100),
                                         objective_budget_cents=round(objective * 100), on=date.today(),
                                         out_dir=out or s.outputs_dir)
    except LedgerError as exc:
        _fail(exc)
    typer.echo(f"Ingroeipad {p.ingroeipad.years} jaar vanaf {p.ingroeipad.start_year} ({label('ingroeipad_status', p.ingroeipad.status)})")
    for y in p.years:
        typer.echo(f"  {y.year}  historisch {_eur(y.historical_cents, 16)}  objectief {_eur(y.objective_cents, 16)}")
