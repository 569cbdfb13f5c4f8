"""The case file (dossier) for the geschillencommissie: a PDF/A-3b in Dutch, rendered by WeasyPrint.

Sections: voorblad; inventarislijst; chronologie; vraag en standpunten; beoordeling (spoor, bronnen,
signaleringen en alternatieven); BRP-gegevens (geminimaliseerd, gepseudonimiseerd); betwiste
grootboekregels met handtekening- en bewijsstatus; financieel overzicht per periode; bijlagen.

PDF and image exhibits are appended as pages (a PDF's pages are rendered as images by pdfium; the
original file is embedded as well), each page stamped "Bijlage n, p. x/y", each exhibit a PDF
bookmark. Other exhibits are listed and embedded as attachments. The case's verifiable bundle is
embedded as the associated file `bwledger-bundle.json`, so `bwledger ledger verify-bundle
DOSSIER.pdf` checks the evidence with nothing else.
"""
from __future__ import annotations

import base64
import html
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ledger.bundle import verify_bundle
from ledger.confidential_locations import is_confidential, mask_facts, mask_trail
from ledger.store import Store
from rules.dates import dutch_date, dutch_date_short
from rules.glossary import in_words, label

from .bundle import BUNDLE_NAME, build_case_bundle
from .documents import PAGED, ContentStore
from .service import case_view, data_owner, evidence, list_documents, local_date
from .workflow import STATUS_NL

# every code in words comes from the one glossary (rules/glossary.py: label(section, code))
SECTIONS = ("Inventarislijst", "Chronologie", "Vraag en standpunten", "Beoordeling", "BRP-gegevens",
            "Betwiste grootboekregels", "Financieel overzicht", "Bijlagen")

CSS = """
@page { size: A4; margin: 18mm 16mm 18mm 16mm;
        @bottom-right { content: "Dossier " string(caseid) " - p. " counter(page) "/" counter(pages);
                        font-size: 8pt; color: #555; } }
@page exhibit { margin: 10mm; @bottom-right { content: none; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; line-height: 1.35; }
.caseid { string-set: caseid content(); }
h1 { font-size: 15pt; page-break-before: always; border-bottom: 1px solid #333; }
h1.cover { page-break-before: avoid; font-size: 22pt; border: none; margin-top: 40mm; }
h2 { font-size: 11.5pt; margin-top: 10pt; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt 0; }
th, td { border: 0.5pt solid #999; padding: 2pt 3pt; text-align: left; vertical-align: top; font-size: 8.5pt; }
th { background: #eee; }
.hash { font-family: "DejaVu Sans Mono", monospace; font-size: 7pt; }
.small { font-size: 8pt; color: #444; }
.ok { color: #060; } .bad { color: #a00; font-weight: bold; }
a.pageref::after { content: target-counter(attr(href), page); }
section.exhibit { page: exhibit; page-break-before: always; position: relative; height: 270mm; }
section.exhibit h2 { font-size: 1pt; color: white; margin: 0; height: 0; overflow: hidden; }
section.exhibit .stamp { position: absolute; top: 0; right: 0; background: #fff; border: 1pt solid #a00;
                         color: #a00; padding: 2pt 5pt; font-size: 9pt; font-weight: bold; }
section.exhibit img { display: block; margin: 10mm auto 0 auto; max-width: 100%; max-height: 255mm; }
"""


@dataclass(frozen=True)
class DossierSummary:
    path: Path
    pages: int
    body_pages: int
    exhibit_pages: int
    exhibits: int
    attachments: tuple[str, ...]
    bundle_entries: int


def _e(x) -> str:
    return html.escape("" if x is None else str(x))


def spaced_hash(h: str) -> str:
    """A SHA-256 in groups of eight, as printed in the dossier."""
    return " ".join(h[i:i + 8] for i in range(0, len(h), 8))


def _long(x) -> str:
    """A date in running text: `2 december 2026` (`_d` is the table form, `02-12-2026`)."""
    if x is None or x == "":
        return "-"
    return dutch_date(x if isinstance(x, date) else date.fromisoformat(str(x)[:10]))


def _d(x) -> str:
    if x is None or x == "":
        return "-"
    return dutch_date_short(x if isinstance(x, date) else date.fromisoformat(str(x)[:10]))


def _eur(cents: int) -> str:
    s = f"{abs(cents) / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return ("-" if cents < 0 else "") + "EUR " + s


def _subject_row(view) -> list[str]:
    """The cover's line about what the case is about: its determination, or its cost line."""
    if view.subject_kind == "cost_line":
        p = view.determination
        return ["kostenregel", (f"regel {view.determination_seq}, {_eur(p['amount_cents'])}, "
                                f"{_d(p['period_from'])} t/m {_d(p['period_to'])}")]
    return ["beoordeling", f"regel {view.determination_seq}, {view.determination['determination_id']}"]


class _Names:
    def __init__(self) -> None:
        try:
            from rules import loader

            self.reg = loader.municipality_register()
        except Exception:  # noqa: BLE001 - names are a courtesy; codes stay
            self.reg = None

    def __call__(self, code: str | None) -> str:
        if not code:
            return "-"
        if code == "COMMITTEE":
            return "Geschillencommissie"
        if code == "OPERATOR":
            return "Beheerder grootboek"
        try:
            name = self.reg.name(code) if self.reg and code.startswith("GM") else None
        except Exception:  # noqa: BLE001
            name = None
        return f"{name} ({code})" if name and name != code else code


def _pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def _pdf_images(data: bytes, dpi: int = 110) -> list[bytes]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    out = []
    try:
        for i in range(len(doc)):
            img = doc[i].render(scale=dpi / 72).to_pil().convert("RGB")
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=85)
            out.append(buf.getvalue())
    finally:
        doc.close()
    return out


def _uri(data: bytes, media: str) -> str:
    return f"data:{media};base64,{base64.b64encode(data).decode()}"


def _table(head: list[str], rows: list[list[str]], raw: bool = False, caption: str = "") -> str:
    h = "".join(f"<th>{_e(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{c if raw else _e(c)}</td>" for c in r) + "</tr>" for r in rows)
    thead = f"<thead><tr>{h}</tr></thead>" if any(head) else ""
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f"<table>{cap}{thead}<tbody>{body}</tbody></table>"


def _payload(raw_b64: str) -> dict:
    return json.loads(base64.b64decode(raw_b64))


def _dedupe_associated_files(_document, pdf) -> None:
    """WeasyPrint lists each PDF/A-3 associated file twice in the catalog's /AF: keep one of each."""
    import pydyf

    af = pdf.catalog.get("AF")
    if af:
        seen: list = []
        for ref in af:
            if ref not in seen:
                seen.append(ref)
        pdf.catalog["AF"] = pydyf.Array(seen)


def dossier_filename(case_id: str) -> str:
    """The name a dossier is written under in outputs/ (the demo, the server's downloads); an erasure of
    the case's client removes it there (cases/erasure.py)."""
    return f"dossier-{case_id}.pdf"


def render_dossier(store: Store, documents: ContentStore, case_id: str, out: Path, *,
                   generated_on: date | None = None) -> DossierSummary:
    """Render the case file of `case_id` to `out` (PDF/A-3b)."""
    from weasyprint import HTML, Attachment

    view = case_view(store, case_id)
    names = _Names()
    owner = data_owner(view)
    bundle = build_case_bundle(store, case_id)
    report = verify_bundle(bundle.doc)
    problems_by_seq = defaultdict(list)
    for p in report.problems:
        problems_by_seq[p.seq].append(p)
    ev = evidence(store, documents, case_id)
    docs = list_documents(store, case_id)
    signed = view.signed_documents
    generated_on = generated_on or local_date(store.clock())

    # exhibits: pages and attachments
    exhibit_html, attachments, inventory = [], [], []
    exhibit_pages = 0
    for d in docs:
        data = documents.get(owner, d.sha256)
        if d.media_type in PAGED:
            imgs = _pdf_images(data) if d.media_type == "application/pdf" else [data]
            pages = len(imgs)
        else:
            imgs, pages = [], 0
        attachments.append(Attachment(file_obj=io.BytesIO(data), name=f"bijlage-{d.number:02d}-{d.filename}",
                                      description=f"Bijlage {d.number}: {d.title} (SHA-256 {d.sha256})",
                                      relationship="Source"))
        where = (f'<a class="pageref" href="#bijlage-{d.number}">p. </a>' if pages else "ingesloten bestand")
        inventory.append([str(d.number), _d(d.document_date), _e(d.title) + f'<br><span class="small">{_e(d.filename)}, '
                          f'{_e(d.media_type)}, {d.size} bytes</span>', _e(names(d.author_party)),
                          str(pages) if pages else "-", where,
                          f'<span class="hash">{spaced_hash(d.sha256)}</span><br><span class="small">'
                          + (f"ondertekend in gebeurtenis regel {signed[d.sha256]}" if d.sha256 in signed
                             else "niet in een ondertekende gebeurtenis genoemd") + "</span>"])
        for i, img in enumerate(imgs, 1):
            media = "image/jpeg" if d.media_type == "application/pdf" else d.media_type
            anchor = f' id="bijlage-{d.number}"' if i == 1 else ""
            title = f"<h2>Bijlage {d.number}: {_e(d.title)}</h2>" if i == 1 else ""
            exhibit_html.append(f'<section class="exhibit"{anchor}>{title}<div class="stamp">Bijlage {d.number}, '
                                f'p. {i}/{pages}</div><img src="{_uri(img, media)}"></section>')
        exhibit_pages += pages
    attachments.insert(0, Attachment(file_obj=io.BytesIO(bundle.to_bytes()), name=BUNDLE_NAME, relationship="Data",
                                     description=f"Verifieerbare bundel van geschil {case_id} (bwledger-bundle/1)"))

    p = view.parties
    parts: list[str] = []
    # -- cover
    dec = view.decision
    parts.append(f"""
<p class="small">Geschillencommissie Sociaal Domein - subcommissie Woonplaatsbeginsel en Toegang</p>
<h1 class="cover">Dossier geschil <span class="caseid">{_e(case_id)}</span></h1>
<p><b>Vraag:</b> {_e(view.question)}</p>
{_table(["rol", "partij"], [[label("case_role", "claiming"), names(p.claiming)],
        [label("case_role", "responding"), names(p.responding)], [label("case_role", "committee"), names(p.committee)]]
        + ([[label("case_role", "provider"), p.provider]] if p.provider else []))}
{_table(["", ""], [["status", f"{STATUS_NL[view.status]} (sinds {_long(view.since)})"],
        ["volgende termijn", f"{view.next_deadline.text}: {_d(view.next_deadline.due)}" if view.next_deadline else "-"],
        ["cliënt (pseudoniem)", view.client], _subject_row(view),
        ["uitspraak", f"{label('decision_nature', dec['nature'])} van {_long(dec['decided_on'])}" if dec else "nog geen"],
        ["bewijs", f"{bundle.entries} grootboekregels met inclusiebewijs tegen boomgrootte {bundle.tree_size}; "
         f"ingesloten als {BUNDLE_NAME}; verificatie: {'geldig' if report.ok else 'FOUTEN'}"],
        ["opgemaakt op", _long(generated_on)]])}
<p class="small">Dit dossier bevat geen BSN: de cliënt is alleen met een pseudoniem aangeduid. Controle van het
bewijs zonder andere middelen: <code>bwledger ledger verify-bundle dossier.pdf</code>.</p>""")
    # -- inventarislijst
    parts.append("<h1>Inventarislijst</h1>")
    parts.append(_table(["nr", "datum", "titel", "partij", "pagina's", "vindplaats", "SHA-256"], inventory, raw=True)
                 if inventory else "<p>Geen bijlagen.</p>")
    # -- chronologie
    chron: list[tuple[date, int, str, str]] = []
    det = view.determination
    if view.subject_kind == "cost_line":
        chron.append((local_date(view.determination_received), 1, "kostenregel ingediend",
                      f"door {names(det['fronting_party'])} ten laste van {names(det['cost_bearer'])}, "
                      f"{_d(det['period_from'])} tot en met {_d(det['period_to'])}"))
    else:
        chron.append((date.fromisoformat(det["reference_date"]), 0, "melding (peildatum M)",
                      f"beoordeling {det['determination_id']}"))
        chron.append((local_date(view.determination_received), 1, "beoordeling verzonden (N3)",
                      f"door {names(view.determination_author)} aan {names(det['addressee'])}"
                      + (", voorlopig" if det.get("provisional") else "")))
    facts = ev.get("facts") or {}
    if is_confidential(store, view.client):  # spec 8.7: the dossier goes to both parties, neither needs it
        ev = {**ev, "trail": mask_trail(ev["trail"], facts)} if ev.get("trail") else ev
        facts = mask_facts(facts)
    for a in facts.get("addresses", ()):
        kind = (label("address_function", a["function"]) if a.get("function")
                else label("address_status", a.get("status"), "adres"))
        what = f"BRP: {kind} {names(a.get('gemeente'))}" + (f" ({label('institution_type', a['institution'])})"
                                                           if a.get("institution") else "")
        chron.append((date.fromisoformat(a["from"]), 2, what + " begint",
                      (f"mutatie geregistreerd {_d(a['recorded'])}" if a.get("recorded") else "")
                      + (" - in onderzoek" if a.get("in_onderzoek") else "")))
        if a.get("to"):
            chron.append((date.fromisoformat(a["to"]), 2, what + " eindigt", ""))
    for s in facts.get("stays", ()):
        kind = label("institution_type", s["type"])
        chron.append((date.fromisoformat(s["from"]), 3, f"verblijf {kind} in {names(s['gemeente'])} begint", ""))
        if s.get("to"):
            chron.append((date.fromisoformat(s["to"]), 3, f"verblijf {kind} eindigt", ""))
    for e in facts.get("bw_episodes", ()):
        chron.append((date.fromisoformat(e["from"]), 4, f"BW-episode begint (college {names(e['legal_college'])}, "
                      f"kostendrager {names(e['cost_bearer'])})", label("budget", e.get("budget"), "")))
        if e.get("to"):
            chron.append((date.fromisoformat(e["to"]), 4, "BW-episode eindigt", ""))
    for a in facts.get("applications", ()):
        chron.append((date.fromisoformat(a["date"]), 5, f"{label('application_kind', a['kind'])} bij {names(a['gemeente'])}",
                      label("application_outcome", a.get("outcome"), "")))
    for e in view.events:
        if e.action == "submission":
            what = "indiening: " + ", ".join(filter(None, ["standpunt" if e.position else "",
                                                            f"{len(e.documents)} stuk(ken)" if e.documents else "",
                                                            "poging tot schikking" if e.attempts else ""]))
        else:
            what = f"status: {STATUS_NL[e.status]}"
        chron.append((e.effective_date, 6, what, f"door {names(e.author)} (regel {e.seq})" + (f"; {e.note}" if e.note else "")))
        for a in e.attempts:
            chron.append((date.fromisoformat(a["held_on"]), 6, label("attempt", a["kind"]), a["summary"]))
    for d in docs:
        chron.append((d.document_date, 7, f"stuk: {d.title}", f"bijlage {d.number}, {names(d.author_party)}"))
    # the other notices about the client in the ledger (N1, N2, N4, N5, N8) and the bookings per day
    booked_per_day: dict[date, list[int]] = defaultdict(list)
    for ent in bundle.doc["entries"]:
        if ent["role"] == "key":
            continue
        st = _payload(ent["statement"])
        kind, pl, day = st["kind"], st["payload"], local_date(datetime.fromisoformat(ent["received_at"]))
        who = f"door {names(st['author'])} (regel {ent['seq']})"
        if kind == "placement_notice":
            chron.append((date.fromisoformat(pl["start_date"]), 1, f"plaatsing in {names(pl['host_municipality'])} "
                          f"(N1, gemeld {_d(day)})", who))
        elif kind == "placement":  # the fronting party's record its cost lines are booked from
            chron.append((date.fromisoformat(pl["start_date"]), 1, f"plaatsing bij {pl['provider']} ({pl['product']}"
                          + (f", tot en met {_d(date.fromisoformat(pl['end_date']))}" if pl.get("end_date") else "")
                          + f"), vastgelegd {_d(day)}", who))
        elif kind == "outflow_notice":
            chron.append((date.fromisoformat(pl["end_date"]), 1, "einde BW, uitstroom (N2)", who))
        elif kind == "handover_request":
            chron.append((day, 1, f"verzoek tot overname aan {names(pl['to_party'])} (N5)", who))
        elif kind == "redetermination":
            chron.append((day, 1, f"herbeoordeling (N8): {pl.get('trigger', '')}", who))
        elif kind in ("acceptance", "objection"):
            chron.append((day, 6, label("entry_kind", kind), who))
        elif kind in ("cost_line", "reversal"):
            booked_per_day[day].append(ent["seq"])
    for day, seqs in booked_per_day.items():
        chron.append((day, 8, f"{len(seqs)} kostenregel(s) en tegenboeking(en) geboekt",
                      f"regel {min(seqs)} t/m {max(seqs)}"))
    def _seq(c) -> int:  # events of one day in ledger order
        m = re.search(r"\(regel (\d+)\)", c[3])
        return int(m.group(1)) if m else 10**12

    chron.sort(key=lambda c: (c[0], c[1] if c[1] < 6 else 6, _seq(c), c[1]))
    parts.append("<h1>Chronologie</h1>" + _table(["datum", "gebeurtenis", "toelichting"],
                                                 [[_d(c[0]), c[2], c[3]] for c in chron]))
    # -- vraag en standpunten
    parts.append(f"<h1>Vraag en standpunten</h1><p><b>Vraag aan de commissie:</b> {_e(view.question)}</p>")
    for role, party in (("claiming", p.claiming), ("responding", p.responding)):
        pos = view.positions.get(party, [])
        parts.append(f"<h2>{_e(label('case_role', role)).capitalize()}: {_e(names(party))}</h2>"
                     + ("".join(f"<p>{_e(x)}</p>" for x in pos) if pos else "<p>Geen standpunt ingediend.</p>"))
    if dec:
        rows = [[_d(c["period_from"]), _d(c["period_to"]), names(c["cost_bearer"]),
                 label("budget", "historical" if c.get("historical_budget") else "woonplaats")] for c in dec["cost_bearers"]]
        parts.append(f"<h2>Uitspraak: {_e(label('decision_nature', dec['nature']))} van {_long(dec['decided_on'])}</h2>"
                     f"<p>{_e(dec.get('summary', ''))}</p>"
                     + _table(["van", "tot en met", "kostendrager", "budget"], rows, caption="Kostendrager per periode"))
    # -- beoordeling (a cost line's case: the signed cost line instead)
    if view.subject_kind == "cost_line":
        parts.append("<h1>Kostenregel</h1>" + _table(["", ""], [
            ["voorfinancier", names(det.get("fronting_party"))], ["kostendrager", names(det.get("cost_bearer"))],
            ["periode", f"{_d(det.get('period_from'))} t/m {_d(det.get('period_to'))}"],
            ["product", det.get("product") or "-"], ["bedrag", _eur(det.get("amount_cents", 0))],
            ["status", label("line_status", det.get("status"))]]))
    else:
        outcome = det["outcome"]
        parts.append("<h1>Beoordeling</h1>" + _table(["", ""], [
            ["kostendrager", names(outcome.get("cost_bearer"))], ["budget", label("budget", outcome.get("budget"))],
            ["klasse", label("class", outcome.get("client_class"))],
            ["wettelijk college", names(outcome.get("statutory_college"))],
            ["voorlopig", "ja" if det.get("provisional") else "nee"],
            ["signaleringen", ", ".join(label("flag", f) for f in det.get("flags", ())) or "-"],
            ["regelset", det["ruleset_version"]], ["context", det["context_version"]],
            ["controlegetal beoordeling", spaced_hash(det["determination_digest"])],
            ["controlegetal invoer", spaced_hash(det["input_digest"])]]))
    trail = ev.get("trail")
    if trail:
        parts.append('<p class="ok">Het spoor hieronder heeft het controlegetal dat in de ondertekende beoordeling staat.</p>')
        try:
            from rules.loader import citation_register

            cites = citation_register()
        except Exception:  # noqa: BLE001
            cites = None
        rows = []
        for s in trail.get("trail", ()):
            refs = "; ".join((cites[c].reference if cites is not None and c in cites else c) for c in s.get("citations", ()))
            rows.append([s["rule"], s.get("title", ""), in_words(s["finding"]), refs])
        parts.append("<h2>Toegepaste regels en bronnen</h2>" + _table(["regel", "titel", "bevinding", "bron"], rows))
        if trail.get("flags"):
            rows = []
            for f in trail["flags"]:
                alts = "; ".join(f"kostendrager {names(a.get('cost_bearer'))}, {label('budget', a.get('budget'))}, klasse "
                                 f"{label('class', a.get('class'))}, college {names(a.get('legal_college'))}"
                                 for a in f.get("alternatives", ())) or "niet uit de feiten te berekenen"
                rows.append([label("flag", f["name"]), label("flag_kind", f["kind"]), in_words(f["note"]), alts])
            parts.append("<h2>Signaleringen en alternatieve uitkomsten</h2>"
                         + _table(["signalering", "soort", "toelichting", "alternatief"], rows))
    else:
        parts.append("<p>Het volledige spoor is niet bij het dossier gevoegd; alleen de ondertekende samenvatting.</p>")
    # -- BRP
    parts.append("<h1>BRP-gegevens</h1><p class='small'>Geminimaliseerd en gepseudonimiseerd: alleen "
                 "adresperioden, verblijven, episodes en meldingen/aanvragen die de beoordeling gebruikt; geen BSN, "
                 "geen namen, geen straatadressen, geen geboortedatum.</p>")
    if facts:
        rows = [[names(a.get("gemeente")), label("address_function", a.get("function")) if a.get("function")
                 else label("address_status", a.get("status")), label("institution_type", a.get("institution")),
                 _d(a.get("from")), _d(a.get("to")), _d(a.get("recorded")), "ja" if a.get("in_onderzoek") else "nee"]
                for a in facts.get("addresses", ())]
        parts.append("<h2>Adreshistorie</h2>" + _table(["gemeente", "functie", "instelling", "van", "tot en met",
                                                        "mutatiedatum", "in onderzoek"], rows))
        if facts.get("stays"):
            parts.append("<h2>Verblijven</h2>" + _table(["type", "gemeente", "van", "tot en met"], [
                [label("institution_type", s["type"]), names(s["gemeente"]), _d(s["from"]), _d(s.get("to"))]
                for s in facts["stays"]]))
        if facts.get("bw_episodes"):
            parts.append("<h2>BW-historie</h2>" + _table(["college", "kostendrager", "locatie", "budget", "van", "tot en met"], [
                [names(e["legal_college"]), names(e["cost_bearer"]), names(e["location"]), label("budget", e["budget"]), _d(e["from"]),
                 _d(e.get("to"))] for e in facts["bw_episodes"]]))
        if facts.get("applications"):
            parts.append("<h2>Meldingen en aanvragen</h2>" + _table(["soort", "gemeente", "datum", "uitkomst"], [
                [label("application_kind", a["kind"]), names(a["gemeente"]), _d(a["date"]),
                 label("application_outcome", a["outcome"])] for a in facts["applications"]]))
    else:
        parts.append("<p>Geen BRP-gegevens bij het dossier gevoegd.</p>")
    # -- ledger entries
    rows = []
    lines: dict[int, dict] = {}
    reversed_by: dict[int, int] = {}
    for ent in bundle.doc["entries"]:
        if ent["role"] == "key":
            continue
        st = _payload(ent["statement"])
        probs = problems_by_seq.get(ent["seq"], [])
        status = ('<span class="ok">handtekening geldig; inclusiebewijs geldig</span>' if not probs else
                  '<span class="bad">' + _e("; ".join(f"{label('error', x.code)} ({x.code}): {x.message}" for x in probs))
                  + "</span>")
        rows.append([str(ent["seq"]), _e(label("entry_kind", st["kind"])), _e(names(st["author"])),
                     _d(local_date(datetime.fromisoformat(ent["received_at"]))), f'<span class="hash">{spaced_hash(ent["entry_hash"])}</span>'
                     f'<br><span class="small">sleutel {_e(st["key_id"][:16])}</span>', status])
        if st["kind"] == "cost_line":
            lines[ent["seq"]] = st["payload"]
        elif st["kind"] == "reversal":
            reversed_by[st["payload"]["reverses"]["seq"]] = ent["seq"]
    parts.append("<h1>Betwiste grootboekregels</h1><p class='small'>Alle grootboekregels over deze cliënt; elke regel is "
                 f"ondertekend door de auteur en bewezen opgenomen in het grootboek (boomgrootte {bundle.tree_size}, "
                 f"wortel {spaced_hash(bundle.doc['checkpoint']['root_hash'])}).</p>"
                 + _table(["nr", "soort", "auteur", "ontvangen", "regelhash", "status"], rows, raw=True))
    # -- financial summary
    per: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    frows = []
    for seq, c in sorted(lines.items()):
        live = seq not in reversed_by
        frows.append([str(seq), f"{_d(c['period_from'])} - {_d(c['period_to'])}", names(c["fronting_party"]),
                      names(c["cost_bearer"]), c["product"], _eur(c["amount_cents"]), label("line_status", c["status"]),
                      "actief" if live else f"tegengeboekt (regel {reversed_by[seq]})", c.get("corrects_period") or ""])
        if live:
            q = f"{c['period_from'][:4]}-K{(int(c['period_from'][5:7]) - 1) // 3 + 1}"
            per[(q, c["cost_bearer"])][c["status"]] += c["amount_cents"]
    parts.append("<h1>Financieel overzicht</h1>")
    if frows:
        parts.append("<h2>Per periode en kostendrager (actieve regels)</h2>" + _table(
            ["periode", "kostendrager", "voorlopig", "definitief", "totaal"],
            [[q, names(b), _eur(v.get("provisional", 0)), _eur(v.get("definitive", 0)), _eur(sum(v.values()))]
             for (q, b), v in sorted(per.items())]))
        parts.append("<h2>Kostenregels</h2>" + _table(["nr", "periode", "voorfinancier", "kostendrager", "product",
                                                       "bedrag", "status", "stand", "correctie"], frows))
    else:
        parts.append("<p>Geen kostenregels voor deze cliënt in het grootboek.</p>")
    # -- exhibits
    parts.append("<h1>Bijlagen</h1><p>De bijlagen in PDF en als afbeelding volgen hierna als pagina's, elk met een "
                 "stempel 'Bijlage n, p. x/y' en een bladwijzer; het originele bestand van elke bijlage is in dit "
                 "PDF-bestand ingesloten. Ingesloten bestanden:</p>" + _table(
                     ["bestand", "SHA-256"], [[BUNDLE_NAME, "(bewijsbundel)"]] +
                     [[f"bijlage-{d.number:02d}-{d.filename}", spaced_hash(d.sha256)] for d in docs]))
    body = "\n".join(parts)
    doc_html = (f"<!DOCTYPE html><html lang='nl'><head><meta charset='utf-8'><title>Dossier {_e(case_id)}</title>"
                f"<meta name='author' content='bwledger'><meta name='description' content='Dossier geschil {_e(case_id)}'>"
                f"<style>{CSS}</style></head><body>{body}{''.join(exhibit_html)}</body></html>")
    document = HTML(string=doc_html).render()
    pages = len(document.pages)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    document.write_pdf(str(out), pdf_variant="pdf/a-3b", attachments=attachments, finisher=_dedupe_associated_files)
    return DossierSummary(out, pages, pages - exhibit_pages, exhibit_pages, sum(1 for d in docs if d.media_type in PAGED),
                          tuple(a.name if hasattr(a, "name") else "" for a in attachments), bundle.entries)


__all__ = ["render_dossier", "DossierSummary", "SECTIONS", "spaced_hash"]
