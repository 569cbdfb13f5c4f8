"""The quarter page of one municipality (finance staff): its position chart served as SVG, what is
definitive, provisional and disputed and why, lines that link to their entry and determination, the
reconciliation upload with the mismatch table in Dutch, and a what-if chosen from the flags'
alternative readings."""
from __future__ import annotations

import csv
import io
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from api_helpers import ROOT, seed_settlement_and_case
from real_determinations import Recorder

from api import compose_quarter
from ledger import service
from ledger.settlement import service as settlement_service
from ledger.settlement.costlines import Placement

sys.path.insert(0, str(Path(__file__).parents[1] / "cases"))
from case_helpers import engine_determination

KAMPEN = "GM0166"
PAGE = f"/verrekening/2026K1/{KAMPEN}"
CASEBOOK = ROOT / "rules" / "casebook"


def _text(r) -> str:
    return re.sub(r"\s+", " ", r.text)


@pytest.fixture
def seeded(client):
    """seed_settlement_and_case (lines Kampen -> Zwolle, objected to: disputed; Kampen -> Dalfsen: definitive),
    plus a real engine determination (P01 of p_chain.toml: DESIGNATION_ASSUMED, whose alternative makes
    Zwolle the cost bearer) with its placement booked: provisional lines Kampen -> its cost bearer."""
    from cases import service as cases_service

    seed = seed_settlement_and_case(client)
    store, keys = client.app.state.store, client.app.state.settings.keys_dir

    def signer_for(p):
        return service.party_signer(store, keys, p)

    cases_service.transition(store, signer_for("GM0193"), seed["case_id"], "OBJECTED", position="niet Zwolle")

    det, facts = engine_determination()
    r = Recorder.of_app(client.app).record_case(signer_for(det.legal_college), CASEBOOK / "p_chain.toml", "P01",
                                                client="PSN-seed-3", idempotency_key="quarter-page-det")
    settlement_service.book_placements(store, signer_for, [
        Placement("pl-3", "PSN-seed-3", KAMPEN, det.cost_bearer, "15B02", facts.melding.date, None, status="provisional",
                  determination={"seq": r.seq, "entry_hash": r.entry_hash.hex()})], until=date(2026, 3, 31))
    return {**seed, "engine": det, "engine_seq": r.seq}


def _finance(client, party=KAMPEN) -> dict:
    return {"Authorization": f"Bearer {client.auth.token(party, ('finance',))}"}


def test_the_page_says_what_is_definitive_provisional_and_disputed_and_why(client, seeded):
    r = client.get(PAGE, headers=_finance(client))
    assert r.status_code == 200, r.text
    text = _text(r)
    assert "Verrekening 2026-K1: Kampen" in text
    view = settlement_service.quarter_page(client.app.state.store, "2026K1", KAMPEN)
    pos = view.position
    for klass, label in (("definitive", "definitieve"), ("provisional", "voorlopige"), ("disputed", "betwiste")):
        c = view.klass(klass)
        assert c.count > 0, klass
        assert c.amount_cents == pos.receivable[klass] - pos.payable[klass]
        assert f'href="#regels-{klass}">{c.count} {label} regel' in text and f'id="regels-{klass}"' in text
        for reason in c.reasons:
            assert reason.text in text
    assert "betwist: geschil " + seeded["case_id"] + " loopt nog" in text
    assert "voorlopig: de beoordeling heeft een open signalering" in text
    assert "definitief: beoordeling zonder open signalering" in text
    # every line links to its ledger entry and to its determination
    det_seq = seeded["determination"].seq
    for ln in view.lines:
        if ln.kind != "pool":
            assert f'href="/grootboek/{ln.seq}"' in text
    assert f'href="/grootboek/{det_seq}" aria-label="beoordeling, regel {det_seq}' in text
    # the chart is served by the app, same origin, no inline script
    assert f'<img src="/verrekening/2026K1/{KAMPEN}/positie.svg"' in text and "<script" not in text
    assert "2026-01-" not in text  # dates in tables as 02-12-2026
    assert re.search(r"\d\d-0[1-3]-2026 t/m \d\d-0[1-3]-2026", text)


def test_the_position_chart_is_an_svg_of_the_app(client, seeded):
    r = client.get(f"{PAGE}/positie.svg", headers=_finance(client))
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in r.content[:500] and b"<script" not in r.content
    assert "default-src 'none'" in r.headers["content-security-policy"]
    again = client.get(f"{PAGE}/positie.svg", headers=_finance(client))
    assert again.content == r.content  # the same settlement draws the same bytes


def test_another_municipality_and_unknown_codes_are_refused(client, seeded):
    assert client.get(PAGE, headers=_finance(client, "GM0200")).status_code == 404
    assert client.get(f"{PAGE}/positie.svg", headers=_finance(client, "GM0200")).status_code == 404
    bad = client.get("/verrekening/2026K1/GM9999")
    assert bad.status_code == 400 and "onbekende gemeentecode" in bad.text
    bad = client.get(f"/verrekening/2026Q9/{KAMPEN}")
    assert bad.status_code == 400 and "geen kwartaal" in bad.text


def _own_csv(client, tmp: Path) -> tuple[bytes, list[list[str]]]:
    """Kampen's own CSV statement, the file `bwledger settle` writes (and the statement endpoint serves)."""
    res = settlement_service.write_statements(client.app.state.store, "2026K1", tmp, parties=[KAMPEN])
    raw = res.files[0].csv.read_bytes()
    return raw, list(csv.reader(io.StringIO(raw[3:].decode("utf-8")), delimiter=";"))


def test_reconciliation_upload_shows_the_mismatch_table(client, seeded, tmp_path):
    _raw, rows = _own_csv(client, tmp_path / "own")
    header, body = rows[0], rows[1:]
    amount = header.index("Bedrag (€)")
    body[0][amount] = "1,00"  # one amount differs
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows([header, *body])
    r = client.post(f"{PAGE}/aansluiting", headers=_finance(client),
                    files={"bestand": ("kampen-k1.csv", buf.getvalue().encode("utf-8"), "text/csv")})
    assert r.status_code == 200, r.text
    text = _text(r)
    assert "Uitkomst voor kampen-k1.csv" in text and 'id="verschillen"' in text
    assert "bedrag wijkt af" in text and f"{len(body) - 1} regel(s) akkoord; 1 regel(s) wijken af" in text
    assert f'href="/grootboek/{body[0][header.index("Regel-id")]}"' in text


@pytest.mark.parametrize("name,data,fout", [
    ("overzicht.pdf", b"%PDF-1.4", "Dit bestandstype wordt niet aanvaard"),
    ("overzicht.xlsx", b"geen spreadsheet", "Het bestand is niet te lezen"),
    ("groot.csv", b"x" * (compose_quarter.RECONCILE_MAX_BYTES + 1), "Het bestand is groter dan 5 MB"),
])
def test_a_wrong_reconciliation_file_is_explained_next_to_the_field(client, seeded, name, data, fout):
    r = client.post(f"{PAGE}/aansluiting", headers=_finance(client), files={"bestand": (name, data, "text/plain")})
    assert r.status_code == 422
    text = _text(r)
    assert f'<p class="veldfout" id="bestand-fout">{fout}' in text and f"(gekozen: {name})" in text
    assert 'aria-invalid="true"' in text and "Gekozen: <strong>" + name in text
    assert "Positie per tegenpartij" in text  # the rest of the page is still there


def test_whatif_is_chosen_from_the_flags_alternative_readings(client, seeded, monkeypatch):
    det, seq = seeded["engine"], seeded["engine_seq"]
    # the trail of the engine's own determination, as the trail store will keep it (compose_quarter's hook)
    monkeypatch.setattr(compose_quarter, "determination_trail",
                        lambda store, s, p: det.to_dict() if p.get("determination_digest") == det.digest else None)
    r = client.get(PAGE, headers=_finance(client))
    text = _text(r)
    value = f"{seq}=GM0193"
    assert f'<option value="{value}">beoordeling regel {seq}, signalering DESIGNATION_ASSUMED: Zwolle betaalt' in text
    note = next(f["note"] for f in det.to_dict()["flags"] if f["name"] == "DESIGNATION_ASSUMED")
    assert f"; {note}</option>" in text
    # the seeded determination is flagged too (BOUNDARY_365) but has no kept trail: said, not offered
    assert f"beoordeling regel {seeded['determination'].seq} (BOUNDARY_365)" in text
    r = client.get(PAGE, params={"lezing": value}, headers=_finance(client))
    assert r.status_code == 200
    text = _text(r)
    w = settlement_service.whatif_quarter(client.app.state.store, "2026K1", reading={seq: "GM0193"})
    mine = next(d for d in w.differences if d.party == KAMPEN)
    assert "Nu en wat als, naast elkaar" in text and f'<option value="{value}" selected>' in text
    zwolle = next(d for d in w.differences if d.party == "GM0193")
    assert zwolle.difference_cents != 0
    from api.format_nl import euro
    assert euro(mine.base_net_cents) in text and euro(mine.alt_net_cents) in text
    assert "Zwolle" not in text.split("Nu en wat als, naast elkaar")[1].split("</table>")[0]  # Kampen sees only its own
    # a reading typed in, not offered: refused in Dutch next to the select, nothing computed
    r = client.get(PAGE, params={"lezing": f"{seq}=GM0200"}, headers=_finance(client))
    text = _text(r)
    assert r.status_code == 200 and 'id="lezing-fout">geen lezing van dit kwartaal' in text
    assert "Nu en wat als, naast elkaar" not in text


def test_an_auditor_sees_every_municipality_in_the_whatif(client, seeded, monkeypatch):
    det, seq = seeded["engine"], seeded["engine_seq"]
    monkeypatch.setattr(compose_quarter, "determination_trail",
                        lambda store, s, p: det.to_dict() if p.get("determination_digest") == det.digest else None)
    r = client.get(PAGE, params={"lezing": f"{seq}=GM0193"})  # the default caller: an auditor
    table = _text(r).split("Nu en wat als, naast elkaar")[1].split("</table>")[0]
    assert "Kampen" in table and "Zwolle" in table


def test_the_entry_page(client, seeded):
    seq = seeded["determination"].seq
    r = client.get(f"/grootboek/{seq}", headers=_finance(client))
    assert r.status_code == 200
    text = _text(r)
    assert f"Grootboekregel {seq}: Beoordeling (N3)" in text and "Controlegetal van het spoor" in text
    assert "het spoor van de regels van deze beoordeling is hier niet bewaard" in text.lower()
    assert client.get(f"/grootboek/{seq}", headers=_finance(client, "GM0200")).status_code == 404
    assert client.get("/grootboek/999999", headers=_finance(client)).status_code == 404
    assert client.get("/grootboek/niets", headers=_finance(client)).status_code == 404


def test_the_cli_prints_the_same_classes_and_reasons(client, seeded, settings):
    from typer.testing import CliRunner

    from api.cli import app as cli_app

    env = {"BWLEDGER_HOME": str(settings.home), "BWLEDGER_DATABASE_URL": settings.database_url}
    r = CliRunner().invoke(cli_app, ["position", "--quarter", "2026K1", "--party", KAMPEN], env=env)
    assert r.exit_code == 0, r.output
    view = settlement_service.quarter_page(client.app.state.store, "2026K1", KAMPEN)
    assert r.output.startswith("Verrekening 2026-K1: Kampen (GM0166), open")
    for c in view.classes:
        assert f"{c.label:<11} {c.count:>5} regels" in r.output
        for reason in c.reasons:
            assert reason.text in r.output
    r = CliRunner().invoke(cli_app, ["position", "--quarter", "2026K1", "--party", "GM9999"], env=env)
    assert r.exit_code == 2 and "onbekende gemeentecode: 'GM9999'" in r.output


def test_whatif_with_another_verdeelsleutel_side_by_side(client, seeded):
    """Zwolle's historical cohort of 2025-K4 is shared in the IJssel-Vecht pool: Kampen's page offers the
    pool's verdeelsleutels (no typed override) and shows its position under the chosen one next to now."""
    from api_helpers import determination_payload

    store, keys = client.app.state.store, client.app.state.settings.keys_dir
    zwolle = service.party_signer(store, keys, "GM0193")
    payload = determination_payload(client, "GM0193", "det-hist", author="GM0193", melding=date(2025, 10, 1),
                                    variant="historical", client="PSN-hist-1")
    det = service.record(store, zwolle, "determination", payload, idempotency_key="hist-det", client="PSN-hist-1")
    settlement_service.book_placements(store, lambda p: service.party_signer(store, keys, p), [
        Placement("pl-hist", "PSN-hist-1", "GM0193", "GM0193", "15B02", date(2025, 10, 1), date(2025, 12, 31),
                  historical_budget=True, determination={"seq": det.seq, "entry_hash": det.entry_hash.hex()})],
        until=date(2025, 12, 31))
    page = f"/verrekening/2025K4/{KAMPEN}"
    text = _text(client.get(page, headers=_finance(client)))
    assert '<label for="sleutel-1">Verdeelsleutel van pool ijv-historisch-2023-2025</label>' in text
    assert '<option value="ijv-historisch-2023-2025=population" selected>population (nu)</option>' in text
    assert '<option value="ijv-historisch-2023-2025=fixed">fixed</option>' in text
    r = client.get(page, params={"sleutel": "ijv-historisch-2023-2025=fixed"}, headers=_finance(client))
    text = _text(r)
    w = settlement_service.whatif_quarter(store, "2025K4", keys={"ijv-historisch-2023-2025": "fixed"})
    mine = next(d for d in w.differences if d.party == KAMPEN)
    assert mine.difference_cents != 0
    from api.format_nl import euro
    table = text.split("Nu en wat als, naast elkaar")[1].split("</table>")[0]
    assert euro(mine.base_net_cents) in table and euro(mine.alt_net_cents) in table and euro(mine.difference_cents) in table
    assert '<option value="ijv-historisch-2023-2025=fixed" selected>' in text
    # a key the pool does not have is refused, not computed
    r = client.get(page, params={"sleutel": "ijv-historisch-2023-2025=gelijk"}, headers=_finance(client))
    text = _text(r)
    assert ('<p class="veldfout" id="sleutel-1-fout">geen verdeelsleutel &#39;gelijk&#39; van pool '
            '&#39;ijv-historisch-2023-2025&#39;</p>') in text
    assert 'name="sleutel" aria-invalid="true"' in text and "Nu en wat als, naast elkaar" not in text


def test_the_entry_page_of_a_determination_shows_its_kept_trail(client, seeded, monkeypatch):
    det, seq = seeded["engine"], seeded["engine_seq"]
    monkeypatch.setattr(compose_quarter, "determination_trail",
                        lambda store, s, p: det.to_dict() if p.get("determination_digest") == det.digest else None)
    r = client.get(f"/grootboek/{seq}", headers=_finance(client, det.legal_college))
    assert r.status_code == 200, r.text
    text = _text(r)
    trail = det.to_dict()
    assert "Spoor van de regels" in text and "Toegepaste regels" in text
    for step in trail["trail"]:
        assert f"<strong>{step['rule']}</strong>" in text
    assert "<code>DESIGNATION_ASSUMED</code>" in text and "Zwolle betaalt" in text
