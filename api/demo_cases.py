"""The demo's disputes step (called from api/demo.py run_demo, after the settlement step).

Opens three disputes on the demo's determinations: one runs the whole workflow to a binding advice
whose corrections are booked through the settlement corrections (then IMPLEMENTED); one stays in
consultation; one is accepted and closed. Writes the first one's dossier PDF, bundle and ZGW export
to the demo outputs, verifies the bundle embedded in the PDF and prints the committee's work list.
"""
from __future__ import annotations

import io
import tomllib
from datetime import date, timedelta
from pathlib import Path

from cases import service as cases
from cases.bundle import export_case_bundle
from cases.dossier import dossier_filename, render_dossier
from cases.errors import CaseError
from cases.zgw import export_zgw
from ledger import service as ledger_service
from ledger.store import entries as entries_table
from rules.dates import dutch_date
from rules.glossary import label, party_name

ROOT = Path(__file__).resolve().parents[1]


def _engine_results() -> dict[str, tuple]:
    """determination digest -> (determination, facts), recomputed from the demo's casebooks."""
    from api.demo import _casebooks
    from rules import loader
    from rules.casebook import case_facts, load_context
    from rules.engine import determine

    reg, table = loader.municipality_register(), loader.parameter_table()
    out = {}
    for f in _casebooks():
        raw = tomllib.loads(f.read_text(encoding="utf-8"))
        ctx = load_context(raw, table, reg, f.name)
        for case in raw["case"]:
            facts = case_facts(case, reg)
            det = determine(facts, ctx)
            out[det.digest] = (det, facts)
    return out


def _pdf(title: str, lines: list[str]) -> bytes:
    from weasyprint import HTML

    body = "".join(f"<p>{x}</p>" for x in lines)
    return HTML(string=f"<html lang='nl'><body style='font-family: DejaVu Sans; font-size: 11pt'><h2>{title}</h2>"
                       f"{body}</body></html>").write_pdf()


def _png(text: str) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (900, 600), (250, 250, 245))
    d = ImageDraw.Draw(img)
    d.rectangle((20, 20, 880, 580), outline=(60, 60, 60), width=3)
    d.text((60, 60), text, fill=(20, 20, 20))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _eml(frm: str, to: str, subject: str, text: str) -> bytes:
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = frm, to, subject
    m["Date"] = "Mon, 02 Nov 2026 10:00:00 +0100"
    m.set_content(text)
    return bytes(m)


def _ensure_cost_lines(store, signer_for, det_row, payload, until: date) -> int:
    """Cost lines for the disputed client (the settlement step books them for placements; the demo's
    casebook determinations have none, so book a placement from the melding on)."""
    from ledger.settlement.catalogue import load_catalogue
    from ledger.settlement.costlines import Placement
    from ledger.settlement.service import book_placements

    cat = load_catalogue()
    start = date.fromisoformat(payload["reference_date"])
    product = sorted(cat.products)[0]
    p = Placement(placement_id=f"demo-{det_row.seq}", client=det_row.client, fronting_party=det_row.author,
                  cost_bearer=payload["addressee"], product=product, start=start, stop=None,
                  status="provisional" if payload.get("provisional") else "definitive",
                  determination={"seq": det_row.seq, "entry_hash": det_row.leaf_hash.hex()})
    return len(book_placements(store, signer_for, [p], until=until, today=until))


def _has_contract(party: str) -> bool:
    from ledger.settlement.catalogue import load_catalogue

    return load_catalogue().contract_for(party) is not None


def run_cases_demo(console, settings, store) -> int:
    """The disputes part of `make demo`; returns 0 when the dossier's embedded bundle verifies."""
    store.migrate()  # an older demo database may predate the cases table
    from api.bootstrap import client_documents

    keys, docs_dir, out_dir = settings.keys_dir, client_documents(settings, store), settings.outputs_dir
    signer = lambda p: ledger_service.party_signer(store, keys, p)  # noqa: E731
    results = _engine_results()
    rows = store.rows_where(entries_table.c.kind == "determination")
    import json

    dets = [(r, json.loads(r.statement)["payload"]) for r in rows]
    dets = [(r, p) for r, p in dets if p["determination_digest"] in results]
    main = next(((r, p) for r, p in dets if p.get("provisional") and _has_contract(r.author)), None) or \
        next(((r, p) for r, p in dets if _has_contract(r.author)), None)
    if main is None or len(dets) < 3:
        console.print("[yellow]Geschillen: te weinig beoordelingen in het grootboek voor de demo")
        return 1
    others = [(r, p) for r, p in dets if r.seq != main[0].seq][:2]
    today = cases.today(store)
    existing = {v.determination_seq: v for v in cases.list_cases(store)}

    def open_with_evidence(r, p, question, position):
        v = existing.get(r.seq) or cases.open_case(store, signer(r.author), r.seq, question=question, position=position)
        det, facts = results[p["determination_digest"]]
        cases.attach_evidence(store, docs_dir, v.case_id, determination=det.to_dict(),
                              facts=facts.model_dump(mode="json", by_alias=True, exclude={"person"}))
        return v

    # -- case A: the whole way to a booked binding advice
    r, p = main
    claiming, responding = r.author, p["addressee"]
    booked_lines = 0 if r.seq in existing else _ensure_cost_lines(store, signer, r, p, today)
    a = open_with_evidence(r, p, f"Wie is de kostendrager van het beschermd wonen van cliënt {r.client} vanaf de "
                                 f"melding van {dutch_date(date.fromisoformat(p['reference_date']))}?",
                           f"{party_name(claiming)}: de beoordeling (R5/R7, R11) wijst {party_name(responding)} aan "
                           "als kostendrager.")
    if a.status == "DETERMINED":
        objection = cases.add_document(store, docs_dir, a.case_id, filename="bezwaarbrief.pdf",
                                       data=_pdf("Bezwaar tegen de beoordeling", [
                                           f"Gemeente {party_name(responding)} maakt bezwaar tegen de beoordeling van {party_name(claiming)}.",
                                           "De keten van verblijven loopt volgens ons door; de signalering in de "
                                           "beoordeling laat zien dat een andere lezing een andere kostendrager geeft."]),
                                       title="Bezwaarbrief", author_party=responding, document_date=today)
        a = cases.transition(store, signer(responding), a.case_id, "OBJECTED", documents=[objection.sha256],
                             position=f"{party_name(responding)}: de alternatieve lezing van de signalering "
                                      f"({', '.join(label('flag', f) for f in p.get('flags', ())) or 'geen'}) geldt; wij zijn geen kostendrager.")
        a = cases.transition(store, signer(claiming), a.case_id, "CONSULTATION", note="overleg gestart")
        mail = cases.add_document(store, docs_dir, a.case_id, filename="overleg-contactpersonen.eml",
                                  data=_eml(f"contactpersoon@{claiming.lower()}.example",
                                            f"contactpersoon@{responding.lower()}.example",
                                            "Overleg landelijke toegankelijkheid",
                                            "Wij hebben overlegd en geen overeenstemming bereikt."),
                                  title="E-mail overleg contactpersonen", author_party=claiming, document_date=today)
        a = cases.record_attempt(store, signer(claiming), a.case_id, kind="contactpersonen", held_on=today,
                                 summary="Overleg tussen de contactpersonen zonder minnelijke uitkomst",
                                 evidence=[mail.sha256])
        a = cases.transition(store, signer(claiming), a.case_id, "ESCALATED", note="regioadviseur gevraagd")
        advies = cases.add_document(store, docs_dir, a.case_id, filename="verslag-regioadviseur.pdf",
                                    data=_pdf("Verslag regioadviseur", ["De regioadviseur heeft met beide "
                                                                        "gemeenten gesproken.",
                                                                        "Partijen zijn het niet eens geworden."]),
                                    title="Verslag regioadviseur", author_party=responding, document_date=today)
        a = cases.record_attempt(store, signer(responding), a.case_id, kind="regioadviseur", held_on=today,
                                 summary="Bemiddeling door de regioadviseur zonder resultaat", evidence=[advies.sha256])
        a = cases.transition(store, signer(claiming), a.case_id, "FILED", note="verzoek per e-mail ingediend")
        a = cases.transition(store, signer("COMMITTEE"), a.case_id, "ADMISSIBILITY", note="ontvangst bevestigd")
        a = cases.transition(store, signer("COMMITTEE"), a.case_id, "EXCHANGE", note="commissie is bevoegd")
        scan = cases.add_document(store, docs_dir, a.case_id, filename="scan-inschrijving.png",
                                  data=_png(f"Scan: bewijs van verblijf, cliënt {r.client}"),
                                  title="Scan verblijfsverklaring aanbieder", author_party=claiming, document_date=today)
        sheet = cases.add_document(store, docs_dir, a.case_id, filename="kostenoverzicht.xlsx",
                                   data=_xlsx([["periode", "bedrag"], [p["reference_date"], 1234.56]]),
                                   title="Kostenoverzicht", author_party=claiming, document_date=today)
        a = cases.submit(store, signer(claiming), a.case_id, documents=[scan.sha256, sheet.sha256],
                         position=f"{party_name(claiming)}: zie de verblijfsverklaring; de kosten staan in het overzicht.")
        a = cases.submit(store, signer(responding), a.case_id,
                         position=f"{party_name(responding)}: wij handhaven ons bezwaar.")
        start = date.fromisoformat(p["reference_date"])
        split = start + timedelta(days=90)
        a = cases.decide(store, signer("COMMITTEE"), a.case_id, nature="binding_advice", cost_bearers=[
            {"period_from": start, "period_to": split - timedelta(days=1), "cost_bearer": responding},
            {"period_from": split, "period_to": today, "cost_bearer": claiming}],
            summary=f"De eerste negentig dagen draagt {party_name(responding)} de kosten; daarna {party_name(claiming)}.")
    if a.status == "DECIDED":
        res = cases.book_decision(store, store.operator, signer, a.case_id)
        a = res.case
        console.print(f"Geschil {a.case_id}: uitspraak geboekt met {len(res.booked)} regels "
                      f"(tegenboekingen en nieuwe kostenregels)")

    # -- case B: objected, in consultation; case C: accepted and closed
    if len(others) >= 1:
        r, p = others[0]
        b = open_with_evidence(r, p, f"Is {party_name(p['addressee'])} de kostendrager voor cliënt {r.client}?",
                               f"{party_name(r.author)}: volgens de beoordeling wel.")
        if b.status == "DETERMINED":
            b = cases.transition(store, signer(p["addressee"]), b.case_id, "OBJECTED",
                                 position=f"{party_name(p['addressee'])}: de woonplaats lag elders.")
            cases.transition(store, signer(r.author), b.case_id, "CONSULTATION")
    if len(others) >= 2:
        r, p = others[1]
        c = open_with_evidence(r, p, f"Is {party_name(p['addressee'])} de kostendrager voor cliënt {r.client}?",
                               f"{party_name(r.author)}: volgens de beoordeling wel.")
        if c.status == "DETERMINED":
            cases.transition(store, signer(p["addressee"]), c.case_id, "ACCEPTED", note="akkoord")
            cases.transition(store, store.operator, c.case_id, "CLOSED", note="verwerkt in het grootboek")

    ledger_service.checkpoint(store)
    pdf = out_dir / dossier_filename(a.case_id)
    try:
        summary = render_dossier(store, docs_dir, a.case_id, pdf)
    except CaseError as exc:
        if exc.code != "CLIENT_ERASED":
            raise
        summary = None  # the client was erased (`bwledger clients erase`): its dossier is not made again
        erased = exc.message
    bundle = export_case_bundle(store, a.case_id, out_dir / f"bundle-{a.case_id}.json")
    export_zgw(store, a.case_id, out_dir / f"zgw-{a.case_id}.json")
    report = ledger_service.verify_bundle_file(pdf if summary else out_dir / f"bundle-{a.case_id}.json")
    wl = cases.worklist(store)
    console.print(f"Geschillen: {len(cases.list_cases(store))} dossiers; {a.case_id} is {label('dispute_status', a.status)}; "
                  f"{booked_lines} kostenregels geboekt voor de cliënt van {a.case_id}")
    console.print(f"Werklijst commissie: {len(wl.disputes)} open geschillen, {len(wl.provisional)} voorlopige "
                  f"beoordelingen zonder geschil")
    if summary is None:
        console.print(f"Dossier {a.case_id}: niet gemaakt, {erased}; bundel: {'OK' if report.ok else 'FOUT'} "
                      f"({report.entries} regels)")
    else:
        console.print(f"Dossier {pdf} ({summary.pages} pagina's, {summary.exhibits} bijlagen als pagina's); "
                      f"ingesloten bundel: {'OK' if report.ok else 'FOUT'} ({report.entries} regels)")
    console.print(f"        {bundle.case_id}: {out_dir / f'bundle-{a.case_id}.json'}, {out_dir / f'zgw-{a.case_id}.json'}")
    return 0 if report.ok else 1


__all__ = ["run_cases_demo", "CaseError"]
