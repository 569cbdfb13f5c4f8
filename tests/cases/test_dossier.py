"""The case file: render it, read it back, verify the bundle it embeds; the bundle and ZGW exports."""
import io
import json
import re
import shutil
import subprocess
from datetime import date

import pytest
from pypdf import PdfReader

from case_helpers import (CaseEnv, engine_determination, eml_bytes, ooxml_bytes, pdf_bytes, png_bytes,
                          record_engine_determination)
from cases import service
from cases.bundle import export_case_bundle
from cases.dossier import SECTIONS, render_dossier
from cases.zgw import export_zgw
from ledger.service import verify_bundle_file


def summary_bundle(env, case_id) -> str:
    from cases.bundle import build_case_bundle

    return build_case_bundle(env.store, case_id).to_bytes().decode()


def _elfproef(s: str) -> bool:
    return sum(int(c) * w for c, w in zip(s, (9, 8, 7, 6, 5, 4, 3, 2, -1))) % 11 == 0


@pytest.fixture(scope="module")
def dossier(tmp_path_factory):
    home = tmp_path_factory.mktemp("dossier")
    env = CaseEnv.create(f"sqlite:///{home / 'ledger.db'}", None, home)
    det, facts = engine_determination()
    r = record_engine_determination(env, det, facts)
    claiming, responding = det.legal_college, det.cost_bearer
    sign = env.signers
    v = service.open_case(env.store, sign[claiming], r.seq, question="Wie is de kostendrager vanaf de melding?",
                          position="R7: de keten van verblijven eindigt bij het woonadres.")
    service.attach_evidence(env.store, env.docs, v.case_id, determination=det.to_dict(),
                            facts=facts.model_dump(mode="json", by_alias=True, exclude={"person"}))
    docs = [
        service.add_document(env.store, env.docs, v.case_id, filename="bezwaar.pdf",
                             data=pdf_bytes("Bezwaar<br>" * 120), title="Bezwaarbrief", author_party=responding,
                             document_date=date(2026, 11, 1)),
        service.add_document(env.store, env.docs, v.case_id, filename="scan.png", data=png_bytes(), title="Scan",
                             author_party=claiming, document_date=date(2026, 11, 2)),
        service.add_document(env.store, env.docs, v.case_id, filename="overleg.eml", data=eml_bytes(),
                             title="Overleg", author_party=claiming, document_date=date(2026, 11, 3)),
        service.add_document(env.store, env.docs, v.case_id, filename="kosten.xlsx", data=ooxml_bytes("xlsx"),
                             title="Kosten", author_party=claiming, document_date=date(2026, 11, 4)),
    ]
    service.transition(env.store, sign[responding], v.case_id, "OBJECTED", documents=[docs[0].sha256],
                       position="R8: er was geen woonadres; de meldgemeente betaalt.")
    service.submit(env.store, sign[claiming], v.case_id, documents=[d.sha256 for d in docs[1:]])
    out = home / "dossier.pdf"
    summary = render_dossier(env.store, env.docs, v.case_id, out)
    yield env, v.case_id, out, summary, docs
    env.store.dispose()


def test_every_section_and_exhibit_hash(dossier):
    env, case_id, out, summary, docs = dossier
    reader = PdfReader(str(out))
    text = "\n".join(p.extract_text() for p in reader.pages)
    flat = re.sub(r"\s+", "", text)
    assert f"Dossiergeschil{case_id}" in flat
    for section in SECTIONS:
        assert section in text, section
    assert flat.count("handtekeninggeldig;inclusiebewijsgeldig") == len(
        [e for e in json.loads(summary_bundle(env, case_id))["entries"] if e["role"] != "key"])
    for d in docs:
        assert d.sha256 in flat, d.title
    for piece in ("Toegepaste regels en bronnen", "Signaleringen en alternatieve uitkomsten", "Adreshistorie",
                  "handtekening geldig; inclusiebewijs geldig", "R8: er was geen woonadres",
                  "aanwijzing van de voorziening aangenomen, niet nagegaan"):  # DESIGNATION_ASSUMED, in words
        assert re.sub(r"\s+", "", piece) in flat, piece
    assert "FOUTEN" not in text


def test_the_dossier_reads_dutch(dossier):
    """Its own pages (not the exhibits) hold no raw code, English word, ISO date or URL-form quarter (issue 14)."""
    from dutch_text import problems

    _env, _case_id, out, summary, _docs = dossier
    reader = PdfReader(str(out))
    body = " ".join(reader.pages[i].extract_text() for i in range(summary.body_pages))
    # what is meant to be a code: the command line, the embedded bundle's name and the rule set's version
    body = body.replace("bwledger ledger verify-bundle", "").replace("bwledger-bundle", "")
    body = re.sub(r"bwledger-rules/\S+ \(woonplaatsbeginsel\.md \S+", "", body)
    found = problems(re.sub(r"\s+", " ", body))
    assert not found, found
    flat = re.sub(r"\s+", " ", body)
    assert "status: bezwaar gemaakt" in flat and "verzoeker" in flat and "verweerder" in flat


def test_no_bsn_anywhere(dossier):
    env, case_id, out, summary, docs = dossier
    reader = PdfReader(str(out))
    text = "\n".join(p.extract_text() for p in reader.pages)
    nine = re.findall(r"(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])", text)
    assert [n for n in nine if _elfproef(n)] == []
    for name, content in reader.attachments.items():
        if name.endswith(".json"):
            blob = content[0].decode()
            assert not [n for n in re.findall(r"(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])", blob) if _elfproef(n)]


def test_page_count_stamps_and_bookmarks(dossier):
    env, case_id, out, summary, docs = dossier
    reader = PdfReader(str(out))
    pdf_pages = len(PdfReader(io.BytesIO(env.docs.get(service.case_view(env.store, case_id).client, docs[0].sha256))).pages)
    assert pdf_pages >= 2
    assert summary.exhibit_pages == pdf_pages + 1 and summary.exhibits == 2
    assert len(reader.pages) == summary.pages == summary.body_pages + summary.exhibit_pages
    tail = [p.extract_text() for p in reader.pages[summary.body_pages:]]
    assert [re.search(r"Bijlage \d+, p\. \d+/\d+", t).group(0) for t in tail] \
        == [f"Bijlage 1, p. {i}/{pdf_pages}" for i in range(1, pdf_pages + 1)] + ["Bijlage 2, p. 1/1"]

    def titles(outline):
        for o in outline:
            if isinstance(o, list):
                yield from titles(o)
            else:
                yield o.title
    marks = list(titles(reader.outline))
    assert "Bijlage 1: Bezwaarbrief" in marks and "Bijlage 2: Scan" in marks and "Inventarislijst" in marks
    # the first exhibit bookmark points at the first exhibit page
    assert reader.get_destination_page_number(next(o for o in reader.outline if not isinstance(o, list)
                                                   and o.title == "Bijlagen")) < summary.body_pages


def test_attachments_and_pdfa(dossier):
    env, case_id, out, summary, docs = dossier
    reader = PdfReader(str(out))
    names = set(reader.attachments)
    assert "bwledger-bundle.json" in names
    assert {f"bijlage-{d.number:02d}-{d.filename}" for d in docs} <= names
    eml = reader.attachments["bijlage-03-overleg.eml"][0]
    assert eml == eml_bytes()
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp  # PDF/A-3b
    assert "/OutputIntents" in root
    af = [o.get_object() for o in root["/AF"]]  # associated files (PDF/A-3), each once
    assert sorted(o["/F"] for o in af) == sorted(names)
    rel = {o["/F"]: o["/AFRelationship"] for o in af}
    assert rel["bwledger-bundle.json"] == "/Data" and rel["bijlage-01-bezwaar.pdf"] == "/Source"


def test_verify_bundle_straight_from_the_pdf(dossier, tmp_path):
    env, case_id, out, summary, docs = dossier
    report = verify_bundle_file(out, trusted_operator_keys=[env.store.operator.key_id])
    assert report.ok and report.trusted_operator, report.problems
    assert report.entries == len(service.case_view(env.store, case_id).events)
    # the CLI says the same, with nothing but the file
    from typer.testing import CliRunner

    from api.cli import app
    res = CliRunner().invoke(app, ["ledger", "verify-bundle", str(out)], env={"BWLEDGER_HOME": str(tmp_path)})
    assert res.exit_code == 0 and "0 problemen" in res.output
    # a PDF without a bundle is refused with a stable code
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(pdf_bytes())
    bad = verify_bundle_file(plain)
    assert not bad.ok and bad.problems[0].code == "BUNDLE_MALFORMED"


def test_page_one_as_png(dossier, tmp_path):
    env, case_id, out, summary, docs = dossier
    exe = shutil.which("pdftoppm")
    assert exe, "pdftoppm (Debian poppler-utils) is installed by the Makefile"
    subprocess.run([exe, "-r", "40", "-f", "1", "-l", "1", "-png", str(out), str(tmp_path / "p")], check=True)
    (png,) = list(tmp_path.glob("p*.png"))
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 2000
    from PIL import Image

    with Image.open(png) as im:
        assert im.width < im.height  # A4 portrait
        lo, hi = im.convert("L").getextrema()
        assert hi - lo > 100  # not a blank page


def test_case_bundle_and_zgw(dossier, tmp_path):
    env, case_id, out, summary, docs = dossier
    b = export_case_bundle(env.store, case_id, tmp_path / "bundle.json")
    doc = json.loads((tmp_path / "bundle.json").read_text())
    assert {d["sha256"] for d in doc["documents"]} == {d.sha256 for d in docs}
    assert all(d["signed_in_seq"] is not None for d in doc["documents"])
    assert doc["case"]["case_id"] == case_id and b.entries >= len(service.case_view(env.store, case_id).events)
    rep = verify_bundle_file(tmp_path / "bundle.json")
    assert rep.ok, rep.problems
    # tampering with an entry is found
    doc["entries"][-1]["statement"] = doc["entries"][-1]["statement"][:-4] + "AAAA"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    assert not verify_bundle_file(tmp_path / "bad.json").ok
    z = export_zgw(env.store, case_id, tmp_path / "zgw.json")
    assert z["zaak"]["identificatie"] == case_id and z["zaak"]["url"].startswith("urn:uuid:")
    assert [s["_bwledger"]["status"] for s in z["statussen"]] == ["DETERMINED", "OBJECTED"]
    assert {i["_expand"]["informatieobject"]["integriteit"]["waarde"] for i in z["zaakinformatieobjecten"]} == \
        {d.sha256 for d in docs}
    assert all(i["_expand"]["informatieobject"]["integriteit"]["algoritme"] == "sha_256"
               for i in z["zaakinformatieobjecten"])
    assert {r["omschrijvingGeneriek"] for r in z["rollen"]} == {"initiator", "belanghebbende", "beslisser"}
    assert z["besluit"] is None
    assert export_zgw(env.store, case_id, tmp_path / "zgw2.json") == z  # deterministic identifiers


def test_trail_must_match_the_signed_digest(dossier):
    env, case_id, out, summary, docs = dossier
    det, facts = engine_determination()
    d = det.to_dict()
    d["cost_bearer"] = "GM0200"
    from cases.errors import CaseError

    with pytest.raises(CaseError) as exc:
        service.attach_evidence(env.store, env.docs, case_id, determination=d)
    assert exc.value.code == "EVIDENCE_MISMATCH"


def test_embedded_exhibit_must_match_its_listed_hash(dossier, tmp_path):
    from pypdf import PdfWriter

    from ledger.pdfbundle import verify_pdf_bundle

    env, case_id, out, summary, docs = dossier
    reader = PdfReader(str(out))
    w = PdfWriter()
    for page in reader.pages:
        w.add_page(page)
    for name, content in reader.attachments.items():
        w.add_attachment(name, content[0] if name != "bijlage-03-overleg.eml" else content[0] + b"\r\nextra")
    forged = tmp_path / "forged.pdf"
    with open(forged, "wb") as f:
        w.write(f)
    report = verify_pdf_bundle(forged)
    assert [p.code for p in report.problems] == ["EMBEDDED_FILE_UNLISTED"]
