"""The button "Maand boeken" on the Verrekening page in Debian chromium (issue 14): Kampen's finance officer
prepares the booking of a month from Kampen's recorded placements, by keyboard only; a wrong month is
explained in Dutch next to the field with what was typed kept. (The fixtures of test_browser.py.)"""
from __future__ import annotations

from datetime import date

import pytest
from api_helpers import Server, determination_payload, sqlite_settings
from litestar.testing import TestClient
from test_browser import PASSWORD, browser, log_in  # noqa: F401 - the module's browser fixture

from api.http import create_app
from ledger import service
from ledger.settlement import service as settlement

FINANCE = "financien@kampen.nl"


@pytest.fixture(scope="module")
def booking_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser-booking")
    with TestClient(create_app(sqlite_settings(home))) as c:
        store = c.app.state.store
        kampen = service.party_signer(store, c.app.state.settings.keys_dir, "GM0166")
        det = service.record(store, kampen, "determination",
                             determination_payload(c, "GM0193", melding=date(2026, 1, 1), client="PSN-browser-1"),
                             idempotency_key="browser-det", client="PSN-browser-1")
        ref = {"seq": det.seq, "entry_hash": det.entry_hash.hex()}
        for pid, start in (("pl-1", date(2026, 3, 10)), ("pl-2", date(2026, 2, 1))):
            settlement.record_placement(store, kampen, "PSN-browser-1", placement_id=pid, cost_bearer="GM0193",
                                        provider="Zorgaanbieder De Brug", product="15B02", start=start,
                                        determination=ref)
        c.app.state.access.add_account(FINANCE, "GM0166", ["finance"], password=PASSWORD)
    s = Server(home, checkpoint_seconds=1)
    yield s
    s.close()


def test_the_month_booking_button_by_keyboard(browser, booking_server, tmp_path):  # noqa: F811
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, booking_server, FINANCE, back="/verrekening")
        field = page.get_by_label("Maand", exact=True)
        field.focus()
        page.keyboard.type("maart")
        page.keyboard.press("Enter")  # submits the form, as a keyboard user does
        page.wait_for_load_state()
        error = page.locator("#maand-fout")
        assert "geen maand" in error.inner_text()
        assert page.get_by_label("Maand", exact=True).input_value() == "maart"  # what was typed is kept
        assert page.get_by_label("Maand", exact=True).get_attribute("aria-invalid") == "true"
        field = page.get_by_label("Maand", exact=True)
        field.fill("")
        field.focus()
        page.keyboard.type("2026-03")
        page.keyboard.press("Tab")  # to the button
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        status = page.get_by_role("status")
        text = status.inner_text()
        assert "Maart 2026" in text and "2 kostenregels" in text and "0 al geboekt" in text, text
        assert "bwledger book --month 2026-03 --party GM0166" in text
        page.screenshot(path=str(tmp_path / "verrekening-maand-boeken.png"), full_page=True)
    finally:
        context.close()
