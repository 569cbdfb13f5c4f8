"""A dispute on the pages, signed in the browser for real (issue 14, "Disputes"): Playwright drives Debian
chromium against a real `bwledger serve`. Zwolle, the cost bearer Kampen's determination names, and the
committee's secretary each make their key on the page Sleutel; the operator registers both (`bwledger
accounts register-key`). Zwolle opens a dispute on the determination from the work list (keyboard only) and
objects with its position; the parties' consultation, attempts, filing and the committee's admissibility are
signed with their key files (the same service functions); Zwolle uploads an exhibit and filters the work list
(keyboard only); the committee records its binding decision with
the cost bearer per period in the table form. Every form gets one wrong input first: the Dutch error next to
its field, what was typed kept. Screenshots go to the test's tmp dir."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time

import pytest
from api_helpers import ROOT, Server, sqlite_settings
from browser_helpers import ARGS, launch_chromium
from litestar.testing import TestClient
from real_determinations import Recorder
from test_browser_signing import accessible, press_on

from api import bootstrap
from api.access import totp
from api.http import create_app
from cases import service as cases_service
from ledger import service
from ledger.store import entries

PASSWORD = "lang genoeg wachtwoord 3"
ZWOLLE_USER, COMMITTEE_USER = "geschillen@zwolle.nl", "secretaris@geschillencommissie.nl"
KAMPEN, ZWOLLE = "GM0166", "GM0193"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("cases-browser-home")
    with TestClient(create_app(sqlite_settings(home))) as c:
        access = c.app.state.access
        access.add_account(ZWOLLE_USER, ZWOLLE, ["regio"], display_name="Zwolle geschillen", password=PASSWORD)
        committee = access.add_account(COMMITTEE_USER, "COMMITTEE", ["secretaris"], password=PASSWORD)
        store, keys = c.app.state.store, c.app.state.settings.keys_dir
        signers = {p: service.party_signer(store, keys, p) for p in (KAMPEN, ZWOLLE, "COMMITTEE")}
        det = Recorder.of_app(c.app).record(signers[KAMPEN], ZWOLLE, "det-browser", variant="BOUNDARY_365",
                                            idempotency_key="det-browser", client="PSN-browser-geschil")
    s = Server(home, checkpoint_seconds=1)
    s.det, s.committee_totp = det, committee.totp_secret
    yield s
    s.close()


@pytest.fixture(scope="module")
def browser():
    yield from launch_chromium(ARGS)


def person(browser, server, username: str, totp_secret: str | None = None):
    """A person's own browser: logged in (with the authenticator's code where the role needs it), the key made
    on the page Sleutel and its registration asked for; returns (page, key id)."""
    page = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900}).new_page()
    page.goto(server.url + "/aanmelden?terug=/sleutel")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    if totp_secret:
        page.get_by_label("Code").wait_for()
        page.get_by_label("Code").fill(totp.code_at(totp_secret, time.time()))
        page.get_by_role("button", name="Bevestigen").click()
    page.wait_for_url(server.url + "/sleutel")
    page.wait_for_function("() => !document.getElementById('sleutel-maken').disabled")
    page.get_by_role("button", name="Sleutel maken in deze browser").click()
    page.wait_for_function("() => /^[0-9a-f]{64}$/.test(document.getElementById('sleutel-id').textContent)")
    key_id = page.locator("#sleutel-id").inner_text()
    page.get_by_role("button", name="Registratie aanvragen").click()
    page.wait_for_url(server.url + f"/sleutel?aangevraagd={key_id}")
    return page, key_id


def register(server, key_id: str) -> None:
    """The operator's step on the server's machine."""
    env = {**os.environ, "BWLEDGER_HOME": str(server.home)}
    done = subprocess.run([sys.executable, "-m", "api.cli", "accounts", "register-key", key_id], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr


def sign(page, server, case_id: str, shot) -> int:
    """Sign the prepared statements on the page (sign.js) and come back to the case page; the ledger's seq."""
    accessible(page)
    page.screenshot(path=shot, full_page=True)
    press_on(page, "Ondertekenen en indienen")
    page.wait_for_url(re.compile(re.escape(server.url + f"/geschillen/{case_id}?regel=") + r"\d+"), timeout=30000)
    assert "vastgelegd in het grootboek" in page.locator("#vastgelegd").inner_text()
    return int(page.url.rsplit("=", 1)[1])


def to_exchange(server, case_id: str) -> None:
    """Consultation, both attempts with evidence, escalation, filing, admissibility and exchange, signed with
    the parties' and the committee's key files through the same service functions."""
    settings = sqlite_settings(server.home)
    store = bootstrap.open_store(settings)
    try:
        docs = bootstrap.client_documents(settings, store)
        s = {p: service.party_signer(store, settings.keys_dir, p) for p in (KAMPEN, "COMMITTEE")}
        today = cases_service.today(store)
        doc = cases_service.add_document(store, docs, case_id, filename="overleg.pdf", data=PDF, title="Verslag overleg",
                                         author_party=KAMPEN, document_date=today)
        cases_service.transition(store, s[KAMPEN], case_id, "CONSULTATION")
        for kind in ("contactpersonen", "regioadviseur"):
            cases_service.record_attempt(store, s[KAMPEN], case_id, kind=kind, held_on=today, summary="geen akkoord",
                                         evidence=[doc.sha256])
        for target, who in (("ESCALATED", KAMPEN), ("FILED", KAMPEN), ("ADMISSIBILITY", "COMMITTEE"),
                            ("EXCHANGE", "COMMITTEE")):
            cases_service.transition(store, s[who], case_id, target)
    finally:
        store.dispose()


def test_the_cost_bearer_opens_and_objects_and_the_committee_decides_in_chromium(server, browser, tmp_path):
    zwolle, zwolle_key = person(browser, server, ZWOLLE_USER)
    committee, committee_key = person(browser, server, COMMITTEE_USER, server.committee_totp)
    register(server, zwolle_key)
    register(server, committee_key)
    errors: list[str] = []
    for pg in (zwolle, committee):
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # the work list: the determination nobody disputed yet, with the link to open a dispute
    zwolle.goto(server.url + "/geschillen")
    accessible(zwolle)
    zwolle.screenshot(path=str(tmp_path / "werklijst.png"), full_page=True)
    zwolle.get_by_role("link", name="Geschil openen").click()
    zwolle.wait_for_url(server.url + f"/geschillen/openen?regel={server.det.seq}")
    accessible(zwolle)

    # the opening, keyboard only; first without its question: the Dutch error next to it, the position kept
    zwolle.get_by_label("Uw standpunt").focus()
    zwolle.keyboard.type("De cliënt woonde voor de opname in Kampen.")
    press_on(zwolle, "Voorbereiden om te ondertekenen")
    zwolle.wait_for_load_state()
    question = zwolle.get_by_label("Vraag aan de commissie (één zin)")
    assert "Geef de vraag aan de commissie" in zwolle.locator("#fout-vraag").inner_text()
    assert question.get_attribute("aria-invalid") == "true"
    assert zwolle.get_by_label("Uw standpunt").input_value() == "De cliënt woonde voor de opname in Kampen."
    zwolle.screenshot(path=str(tmp_path / "openen-fout.png"), full_page=True)
    question.focus()
    zwolle.keyboard.type("Is Zwolle de kostendrager?")
    zwolle.keyboard.press("Enter")
    zwolle.wait_for_selector("#ondertekenen")
    assert "Zwolle opent geschil GS-" in zwolle.locator("p.verklaring").inner_text()
    case_id = re.search(r"GS-\d+", zwolle.locator("h1").inner_text()).group(0)
    sign(zwolle, server, case_id, str(tmp_path / "openen-ondertekenen.png"))
    accessible(zwolle)
    zwolle.screenshot(path=str(tmp_path / "geschil-geopend.png"), full_page=True)

    # the respondent's position: the objection, first without its reasons
    zwolle.locator("#stap-OBJECTED summary").click()
    form = zwolle.locator("#formulier-OBJECTED")
    form.get_by_label("Toelichting").fill("zie onze brief")
    form.get_by_role("button", name="Voorbereiden om te ondertekenen").click()
    zwolle.wait_for_selector("#fout-OBJECTED-standpunt")
    assert "Geef de redenen van het bezwaar" in zwolle.locator("#fout-OBJECTED-standpunt").inner_text()
    form = zwolle.locator("#formulier-OBJECTED")
    assert form.get_by_label("Toelichting").input_value() == "zie onze brief"
    zwolle.screenshot(path=str(tmp_path / "bezwaar-fout.png"), full_page=True)
    form.get_by_label("Standpunt (redenen van het bezwaar)").fill("Kampen was de woonplaats voor de opname.")
    form.get_by_role("button", name="Voorbereiden om te ondertekenen").click()
    zwolle.wait_for_selector("#ondertekenen")
    assert "maakt bezwaar (N4)" in zwolle.locator("body").inner_text()
    sign(zwolle, server, case_id, str(tmp_path / "bezwaar-ondertekenen.png"))
    assert "bezwaar gemaakt" in zwolle.locator("h1").inner_text().lower()

    # an exhibit: a refused type first (the Dutch error next to the file field, the title kept), then a PDF
    zwolle.get_by_label("Titel").fill("Brief aan Kampen")
    zwolle.locator("#stuk-bestand").set_input_files({"name": "brief.exe", "mimeType": "application/octet-stream",
                                                      "buffer": b"MZ\x90\x00"})
    zwolle.get_by_role("button", name="Stuk opslaan").click()
    zwolle.wait_for_selector("#fout-stuk-bestand")
    assert "Dit soort bestand wordt niet aangenomen" in zwolle.locator("#fout-stuk-bestand").inner_text()
    assert zwolle.get_by_label("Titel").input_value() == "Brief aan Kampen"
    zwolle.screenshot(path=str(tmp_path / "stuk-fout.png"), full_page=True)
    zwolle.locator("#stuk-bestand").set_input_files({"name": "brief.pdf", "mimeType": "application/pdf", "buffer": PDF})
    zwolle.get_by_role("button", name="Stuk opslaan").click()
    zwolle.wait_for_selector("#stuk-opgeslagen")
    assert hashlib.sha256(PDF).hexdigest() in zwolle.locator("#stuk-opgeslagen").inner_text()
    accessible(zwolle)
    zwolle.screenshot(path=str(tmp_path / "stuk-opgeslagen.png"), full_page=True)

    # the work list's filter, keyboard only: a wrong party code first, then the decided cases
    zwolle.goto(server.url + "/geschillen")
    zwolle.get_by_label("Partij").focus()
    zwolle.keyboard.type("Zwolle")
    zwolle.keyboard.press("Enter")
    zwolle.wait_for_selector("#fout-partij")
    assert "Geen partijcode" in zwolle.locator("#fout-partij").inner_text()
    assert zwolle.get_by_label("Partij").input_value() == "Zwolle"
    zwolle.screenshot(path=str(tmp_path / "werklijst-fout.png"), full_page=True)
    zwolle.get_by_label("Partij").fill("")
    zwolle.keyboard.press("Enter")
    zwolle.wait_for_selector("#zaken")
    assert case_id in zwolle.locator("#zaken").inner_text()

    to_exchange(server, case_id)

    # the committee's decision, the cost bearer per period in the table form; first a wrong cost bearer
    committee.goto(server.url + f"/geschillen/{case_id}")
    accessible(committee)
    committee.locator("#stap-DECIDED summary").click()
    form = committee.locator("#formulier-DECIDED")
    form.get_by_label("Van (periode 1)").fill("2026-01-15")
    form.get_by_label("Tot en met (periode 1)").fill("2026-03-31")
    form.get_by_label("Kostendrager (periode 1)").fill("Kampen")
    form.get_by_label("Samenvatting").fill("Kampen draagt de kosten.")
    form.get_by_role("button", name="Voorbereiden om te ondertekenen").click()
    committee.wait_for_selector("#fout-DECIDED-kostendrager_1")
    assert "Geen gemeentecode" in committee.locator("#fout-DECIDED-kostendrager_1").inner_text()
    form = committee.locator("#formulier-DECIDED")
    assert form.get_by_label("Tot en met (periode 1)").input_value() == "2026-03-31"
    assert form.get_by_label("Samenvatting").input_value() == "Kampen draagt de kosten."
    committee.screenshot(path=str(tmp_path / "uitspraak-fout.png"), full_page=True)
    form.get_by_label("Kostendrager (periode 1)").fill(KAMPEN)
    form.get_by_role("button", name="Voorbereiden om te ondertekenen").click()
    committee.wait_for_selector("#ondertekenen")
    assert "bindend advies" in committee.locator("body").inner_text()
    seq = sign(committee, server, case_id, str(tmp_path / "uitspraak-ondertekenen.png"))
    assert "uitspraak gedaan" in committee.locator("h1").inner_text().lower()
    table = committee.locator("#uitspraak-perioden").inner_text()
    assert "15-01-2026" in table and "31-03-2026" in table and "Kampen" in table
    accessible(committee)
    committee.screenshot(path=str(tmp_path / "uitspraak.png"), full_page=True)

    # the ledger holds each step signed by the person's own browser key
    settings = sqlite_settings(server.home)
    store = bootstrap.open_store(settings)
    try:
        row = store.rows_where(entries.c.seq == seq)[0]
        assert (row.kind, row.author, row.key_id) == ("dispute_event", "COMMITTEE", committee_key)
        mine = [r for r in store.rows_where(entries.c.author == ZWOLLE)]
        assert {r.kind for r in mine} >= {"dispute_event", "objection"} and {r.key_id for r in mine} == {zwolle_key}
        assert cases_service.case_view(store, case_id).decision["cost_bearers"][0]["cost_bearer"] == KAMPEN
    finally:
        store.dispose()
    # only the answers the test asked for (the refused forms' 400s)
    assert all("400" in e for e in errors), errors
