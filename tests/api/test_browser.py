"""Browser tests: Playwright drives Debian chromium (never a downloaded browser) against a real
`bwledger serve`. Not skipped: without chromium they fail with a clear message (`make test`
installs it)."""

import pytest
from api_helpers import Server, seed_settlement_and_case, sqlite_settings
from browser_helpers import ARGS, launch_chromium
from litestar.testing import TestClient

from api.http import create_app


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser-home")
    with TestClient(create_app(sqlite_settings(home))) as c:  # cost lines for 2026K1 and one dispute
        seed = seed_settlement_and_case(c)
        access = c.app.state.access
        access.add_account(FINANCE, "GM0166", ["finance", "regio"], display_name="Kampen financiën", password=PASSWORD)
        auditor = access.add_account(AUDITOR, "OPERATOR", ["auditor"], password=PASSWORD)
    s = Server(home, checkpoint_seconds=1)
    s.case_id = seed["case_id"]
    s.auditor_totp = auditor.totp_secret
    yield s
    s.close()


@pytest.fixture(scope="module")
def browser():
    yield from launch_chromium(ARGS)


FINANCE, AUDITOR, PASSWORD = "financien@kampen.nl", "controle@beheer.nl", "lang genoeg wachtwoord 1"


def log_in(pg, server, username: str, totp_secret: str | None = None, back: str = "/") -> None:
    """As a person would: the login form, then (for the roles that need it) the code of the authenticator."""
    pg.goto(server.url + "/aanmelden?terug=" + back)
    pg.get_by_label("Gebruikersnaam").fill(username)
    pg.get_by_label("Wachtwoord").fill(PASSWORD)
    pg.get_by_role("button", name="Aanmelden").click()
    if totp_secret:
        import time

        from api.access import totp

        pg.get_by_label("Code").wait_for()
        pg.get_by_label("Code").fill(totp.code_at(totp_secret, time.time()))
        pg.get_by_role("button", name="Bevestigen").click()
    pg.wait_for_url(server.url + back)


@pytest.fixture
def anonymous(browser):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def page(anonymous, server):
    """A page of Kampen's finance officer, logged in."""
    log_in(anonymous, server, FINANCE)
    return anonymous


def test_start_page(anonymous, server):
    page = anonymous
    log_in(page, server, AUDITOR, server.auditor_totp)  # verifying the whole ledger is the auditor's
    page.goto(server.url + "/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("h1").inner_text() == "Overzicht"
    assert page.get_by_text("regels in het grootboek").is_visible()
    page.get_by_role("button", name="Nu verifiëren").click()
    page.wait_for_url(server.url + "/")
    assert page.get_by_text("In orde").is_visible()


def test_determination_form_shows_the_dutch_result(page, server, tmp_path):
    page.goto(server.url + "/beoordeling")
    page.get_by_role("link", name="Voorbeeld invullen").click()
    assert "K01" in page.get_by_label("Feiten").input_value()
    page.get_by_role("button", name="Beoordelen").click()
    heading = page.get_by_role("heading", name="Uitkomst casus K01")
    heading.wait_for()
    assert "definitief" in heading.text_content()  # (shown in capitals by the CSS)
    row = page.locator("table.gegevens tr", has=page.locator("th", has_text="Kostendrager"))
    assert row.locator("td").inner_text() == "Kampen (GM0166)"
    assert page.get_by_role("cell", name="nieuwe cliënt", exact=True).is_visible()
    shot = tmp_path / "beoordeling.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_bad_facts_are_explained_in_the_form(page, server):
    page.goto(server.url + "/beoordeling")
    page.get_by_label("Feiten").fill("[[case")
    page.get_by_role("button", name="Beoordelen").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "De invoer klopt niet" in alert.inner_text()
    assert page.get_by_label("Feiten").input_value() == "[[case"


BRP_FACTS = """[[case]]
id = "A03"
melding = { date = 2026-02-15, gemeente = "GM0193" }
"""


def test_a_brp_response_supplies_the_addresses_and_a_wrong_one_is_named_at_its_field(page, server):
    from pathlib import Path

    page.goto(server.url + "/beoordeling")
    page.get_by_label("Feiten").fill(BRP_FACTS)
    page.get_by_label("BRP-antwoord verblijfplaatshistorie (.json, optioneel)").set_input_files(
        str(Path(__file__).resolve().parents[1] / "data" / "brp" / "A03.json"))
    page.get_by_role("button", name="Beoordelen").click()
    page.get_by_role("heading", name="Uit het BRP-antwoord").wait_for()
    assert page.get_by_role("listitem").filter(has_text="woonadres GM0166 van 1 januari 2010").is_visible()
    assert page.get_by_text("onvolledige datum in de BRP").first.is_visible()
    page.get_by_label("BRP-antwoord verblijfplaatshistorie (.json, optioneel)").set_input_files(
        {"name": "historie.json", "mimeType": "application/json", "buffer": b'{"personen": []}'})
    page.get_by_role("button", name="Beoordelen").click()
    error = page.locator("#brp-fout")
    error.wait_for()
    assert "verblijfplaatsen" in error.inner_text() and "BRP_MALFORMED" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Feiten").input_value().strip() == BRP_FACTS.strip()  # what was typed is kept
    field = page.get_by_label("BRP-antwoord verblijfplaatshistorie (.json, optioneel)")
    assert field.get_attribute("aria-invalid") == "true" and "brp-fout" in field.get_attribute("aria-describedby")


def test_settlement_statement_download_and_a_case(page, server):
    page.goto(server.url + "/")
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    menu.get_by_role("link", name="Verrekening").click()
    page.get_by_label("Kwartaal").fill("2026K1")
    page.get_by_role("button", name="Tonen").click()
    # Kampen's officer sees Kampen's saldo and Kampen's flows (Zwolle pays Kampen), not Zwolle's own saldo
    assert page.locator("tr", has=page.locator("th", has_text="Kampen")).count() == 1
    assert page.locator("tr", has=page.locator("th", has_text="Zwolle")).count() == 0
    flow = page.locator("tr", has=page.locator("td", has_text="Zwolle"))
    assert "€ 16.033,60" in flow.inner_text()
    with page.expect_download() as info:
        page.get_by_role("link", name="Overzicht Kampen als xlsx").click()
    path = info.value.path()
    with open(path, "rb") as f:
        assert f.read(2) == b"PK"
    menu.get_by_role("link", name="Geschillen").click()
    page.get_by_role("link", name=server.case_id).click()
    assert page.get_by_role("heading", level=1).text_content().startswith(f"Geschil {server.case_id}")
    assert page.get_by_text("Is Zwolle de kostendrager?").is_visible()


UNLABELLED = """() => [...document.querySelectorAll('input, textarea, select')]
  .filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.name)"""
TABLES_WITHOUT_TH = "() => [...document.querySelectorAll('table')].filter(t => !t.querySelector('th')).length"


def test_accessibility_basics_on_every_page(page, server):
    for path in ["/", "/beoordeling?voorbeeld=1", "/grootboek?partij=GM0166", "/verrekening?kwartaal=2026K1",
                 "/geschillen", f"/geschillen/{server.case_id}"]:
        page.goto(server.url + path)
        assert page.locator("html").get_attribute("lang") == "nl", path
        assert page.locator("h1").count() == 1, path
        assert page.evaluate(UNLABELLED) == [], path
        assert page.evaluate(TABLES_WITHOUT_TH) == 0, path
        assert page.locator("nav[aria-label='Hoofdmenu'] a[aria-current='page']").count() <= 1, path


def test_login_is_asked_and_another_partys_page_is_refused(anonymous, server, tmp_path):
    page = anonymous
    page.goto(server.url + "/grootboek?partij=GM0166")
    assert page.url.startswith(server.url + "/aanmelden")  # nothing without a login
    assert page.locator("h1").inner_text() == "Aanmelden"
    page.get_by_label("Gebruikersnaam").fill(FINANCE)
    page.get_by_label("Wachtwoord").fill("niet het wachtwoord")
    page.get_by_role("button", name="Aanmelden").click()
    assert "onbekende gebruiker of onjuist wachtwoord" in page.get_by_role("alert").inner_text()
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(server.url + "/grootboek?partij=GM0166")  # back where the person was going
    assert page.locator("h1").inner_text() == "Grootboek"
    cookie = next(c for c in page.context.cookies() if c["name"] == "bwsession")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
    page.goto(server.url + "/grootboek?partij=GM0193")  # Zwolle's entries are not Kampen's to read
    assert page.locator("h1").inner_text().startswith("404")
    page.screenshot(path=str(tmp_path / "geweigerd.png"), full_page=True)
    page.get_by_role("button", name="Afmelden").click()
    page.wait_for_url(server.url + "/aanmelden")
    page.goto(server.url + "/geschillen")
    assert page.url.startswith(server.url + "/aanmelden")
