"""The quarter page in Debian chromium (Playwright) against a real `bwledger serve`: the reconciliation
upload used with the keyboard only, one wrong file (its error in Dutch next to the field), then the
right one (the mismatch table); the chart is an image the app serves. Screenshots of each state, as
tests/api/test_browser.py saves them. Not skipped: without chromium the test fails with a clear message."""
from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from api_helpers import Server, seed_settlement_and_case, sqlite_settings
from browser_helpers import launch_chromium
from litestar.testing import TestClient

from api.http import create_app

ARGS = ["--headless", "--lang=nl", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FINANCE, PASSWORD = "financien@kampen.nl", "lang genoeg wachtwoord 1"
PAGE = "/verrekening/2026K1/GM0166"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from cases import service as cases_service
    from ledger import service

    home = tmp_path_factory.mktemp("browser-quarter")
    with TestClient(create_app(sqlite_settings(home))) as c:
        seed = seed_settlement_and_case(c)
        store, keys = c.app.state.store, c.app.state.settings.keys_dir
        cases_service.transition(store, service.party_signer(store, keys, "GM0193"), seed["case_id"], "OBJECTED",
                                 position="niet Zwolle")
        c.app.state.access.add_account(FINANCE, "GM0166", ["finance", "regio"], display_name="Kampen financiën",
                                       password=PASSWORD)
        from ledger.settlement import service as settlement_service

        res = settlement_service.write_statements(store, "2026K1", home / "own", parties=["GM0166"])
        own_csv = res.files[0].csv.read_bytes()
        # Zwolle's historical cohort in 2025-K4, shared in the IJssel-Vecht pool: a verdeelsleutel to choose
        from datetime import date

        from api_helpers import determination_payload

        from ledger.settlement.costlines import Placement

        payload = determination_payload(c, "GM0193", "det-hist", author="GM0193", melding=date(2025, 10, 1),
                                        variant="historical", client="PSN-hist-1")
        det = service.record(store, service.party_signer(store, keys, "GM0193"), "determination", payload,
                             idempotency_key="hist-det", client="PSN-hist-1")
        settlement_service.book_placements(store, lambda p: service.party_signer(store, keys, p), [
            Placement("pl-hist", "PSN-hist-1", "GM0193", "GM0193", "15B02", date(2025, 10, 1), date(2025, 12, 31),
                      historical_budget=True, determination={"seq": det.seq, "entry_hash": det.entry_hash.hex()})],
            until=date(2025, 12, 31))
    s = Server(home, checkpoint_seconds=1)
    s.own_csv = own_csv
    yield s
    s.close()


@pytest.fixture(scope="module")
def browser():
    yield from launch_chromium(ARGS)


@pytest.fixture
def page(browser, server):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.goto(server.url + "/aanmelden?terug=" + PAGE)
    pg.get_by_label("Gebruikersnaam").fill(FINANCE)
    pg.get_by_label("Wachtwoord").fill(PASSWORD)
    pg.get_by_role("button", name="Aanmelden").click()
    pg.wait_for_url(server.url + PAGE)
    yield pg
    context.close()


def _tab_to(pg, element_id: str, limit: int = 200) -> None:
    """Press Tab until the element has the focus (as a keyboard user reaches it)."""
    for _ in range(limit):
        if pg.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        pg.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def _choose_with_keyboard(pg, name: str, data: bytes, mime: str) -> None:
    _tab_to(pg, "bestand")
    # Space on the focused file field opens the chooser; under load Chromium has (twice in CI) let a key press
    # go by without opening it, so a keyboard user presses again: three tries, the field focused each time
    for attempt in range(3):
        try:
            with pg.expect_file_chooser(timeout=10_000) as chooser:
                pg.keyboard.press("Space")
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            _tab_to(pg, "bestand")
    chooser.value.set_files({"name": name, "mimeType": mime, "buffer": data})
    pg.keyboard.press("Tab")  # to the button
    assert pg.evaluate("document.activeElement.textContent.trim()") == "Aansluiten"
    with pg.expect_navigation():
        pg.keyboard.press("Enter")


def _shot(pg, path) -> None:
    pg.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_quarter_page_and_the_reconciliation_upload_by_keyboard(page, server, tmp_path):
    pg = page
    assert pg.locator("html").get_attribute("lang") == "nl"
    assert pg.locator("h1").inner_text() == "Verrekening 2026-K1: Kampen"
    chart = pg.locator("figure.grafiek img")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")  # the SVG loaded, same origin
    assert pg.locator("script").count() == 0
    assert pg.get_by_role("link", name="betwiste regel", exact=False).count() >= 1
    _shot(pg, tmp_path / "kwartaal.png")
    # the whole chart is shown, undistorted: the names under the x-axis inside the drawing (the SVG is cut to
    # its own bounds) and the image at the SVG's own aspect ratio
    natural, shown = chart.evaluate("img => [img.naturalWidth / img.naturalHeight, img.clientWidth / img.clientHeight]")
    assert abs(natural - shown) < 0.01, (natural, shown)
    chart.screenshot(path=str(tmp_path / "grafiek.png"))

    # one wrong file: refused in Dutch next to the field, the chosen name kept, the field marked invalid
    pg.locator("body").focus()
    _choose_with_keyboard(pg, "overzicht.pdf", b"%PDF-1.4 geen overzicht", "application/pdf")
    error = pg.locator("#bestand-fout")
    error.wait_for()
    assert error.inner_text().startswith("Dit bestandstype wordt niet aanvaard. Kies een .xlsx- of .csv-bestand")
    assert "(gekozen: overzicht.pdf)" in error.inner_text()
    field = pg.locator("#bestand")
    assert field.get_attribute("aria-invalid") == "true"
    assert "bestand-fout" in field.get_attribute("aria-describedby")
    # next to the field: the message is in the field's own block, right under it
    assert pg.locator(".veld", has=field).locator("#bestand-fout").count() == 1
    assert pg.get_by_role("alert").inner_text().startswith("Het bestand is niet verwerkt")
    _shot(pg, tmp_path / "aansluiting-fout.png")

    # the right file, with one amount changed: the mismatch table in Dutch
    rows = list(csv.reader(io.StringIO(server.own_csv[3:].decode("utf-8")), delimiter=";"))
    amount = rows[0].index("Bedrag (€)")
    rows[1][amount] = "1,00"
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows(rows)
    pg.locator("body").focus()
    _choose_with_keyboard(pg, "kampen-2026-k1.csv", buf.getvalue().encode("utf-8"), "text/csv")
    table = pg.locator("#verschillen")
    table.wait_for()
    assert pg.get_by_role("heading", name="Uitkomst voor kampen-2026-k1.csv").is_visible()
    assert table.locator("tbody tr").count() == 1
    assert table.locator("tbody tr td").first.inner_text() == "bedrag wijkt af"
    assert pg.locator("#bestand").get_attribute("aria-invalid") is None
    _shot(pg, tmp_path / "aansluiting-verschillen.png")


UNLABELLED = """() => [...document.querySelectorAll('input, textarea, select')]
  .filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.name)"""
TABLES_WITHOUT_TH = "() => [...document.querySelectorAll('table')].filter(t => !t.querySelector('th')).length"


def test_accessibility_basics_of_the_quarter_and_entry_pages(page, server):
    for path in [PAGE, "/verrekening/2025K4/GM0166", "/grootboek/2"]:
        page.goto(server.url + path)
        assert page.locator("html").get_attribute("lang") == "nl", path
        assert page.locator("h1").count() == 1, path
        assert page.evaluate(UNLABELLED) == [], path
        assert page.evaluate(TABLES_WITHOUT_TH) == 0, path
        assert page.locator("script").count() == 0, path


def test_whatif_with_another_verdeelsleutel_by_keyboard(page, server, tmp_path):
    pg = page
    pg.goto(server.url + "/verrekening/2025K4/GM0166")
    pg.locator("body").focus()
    _tab_to(pg, "sleutel-1")
    assert pg.locator("#sleutel-1").input_value() == "ijv-historisch-2023-2025=population"
    pg.keyboard.press("Home")  # the first key: fixed
    assert pg.locator("#sleutel-1").input_value() == "ijv-historisch-2023-2025=fixed"
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.textContent.trim()") == "Berekenen"
    with pg.expect_navigation():
        pg.keyboard.press("Enter")
    table = pg.locator("#watals")
    table.wait_for()
    assert pg.get_by_role("heading", name="Nu en wat als, naast elkaar").is_visible()
    row = table.locator("tbody tr.eigen")
    assert row.locator("th").inner_text() == "Kampen"
    cells = row.locator("td").all_inner_texts()
    assert cells[0] != cells[1] and cells[2].startswith(("€", "-€"))  # now, what-if, the difference
    assert pg.locator("#sleutel-1").input_value() == "ijv-historisch-2023-2025=fixed"  # the choice kept
    _shot(pg, tmp_path / "wat-als.png")
