"""Signing in the browser, for real (ledger/README.md "People sign in their browser", issue 14): Playwright
drives Debian chromium against a real `bwledger serve`. A person of Zwolle logs in, makes the key on the
page Sleutel (WebCrypto Ed25519, non-extractable, in IndexedDB) and asks for its registration; the operator
registers it (`bwledger accounts register-key`); the person opens the inbox and acknowledges Kampen's N1,
keyboard only. The ledger then holds an acknowledgement signed by that key; a statement changed on its way
to the server gets the signature refusal and nothing is stored. Screenshots go to the test's tmp dir."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys

import httpx
import pytest
from api_helpers import ROOT, Server, sqlite_settings
from browser_helpers import ARGS, launch_chromium
from litestar.testing import TestClient

from api.http import create_app
from ledger import service
from ledger.store import entries

USER, PASSWORD = "meldingen@zwolle.nl", "lang genoeg wachtwoord 2"
N1 = {"placing_party": "GM0166", "host_region": "RG:ijssel-vecht", "host_municipality": "GM0193",
      "cost_bearer": "GM0166", "location": "Zwolle-01", "start_date": "2026-03-01", "contract_used": "c-7",
      "legal_basis": "pseudoniem"}

#: the stored key as the page's own script could see it: is the private key extractable, can it be exported?
STORED_KEY = """async (account) => {
  const db = await new Promise((ok, fail) => { const r = indexedDB.open("bwledger-sleutels", 1);
    r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
  const rec = await new Promise((ok) => { const g = db.transaction("sleutels").objectStore("sleutels").get(account);
    g.onsuccess = () => ok(g.result); });
  let exported = "yes";
  try { await crypto.subtle.exportKey("pkcs8", rec.privateKey); } catch (e) { exported = e.name; }
  return {extractable: rec.privateKey.extractable, algorithm: rec.privateKey.algorithm.name, exported};
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("signing-home")
    with TestClient(create_app(sqlite_settings(home))) as c:
        c.app.state.access.add_account(USER, "GM0193", ["regio"], display_name="Zwolle meldingen", password=PASSWORD)
        store = c.app.state.store
        kampen = service.party_signer(store, c.app.state.settings.keys_dir, "GM0166")
        n1 = service.record(store, kampen, "placement_notice", N1, idempotency_key="n1-browser", client="PSN-browser-1")
    s = Server(home, checkpoint_seconds=1)
    s.n1 = n1
    yield s
    s.close()


@pytest.fixture(scope="module")
def browser():
    yield from launch_chromium(ARGS)


UNLABELLED = """() => [...document.querySelectorAll('input, textarea, select')]
  .filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.name)"""
TABLES_WITHOUT_TH = "() => [...document.querySelectorAll('table')].filter(t => !t.querySelector('th')).length"


def accessible(page) -> None:
    """The basics the other pages keep (tests/api/test_browser.py): Dutch, one h1, every field labelled,
    every table with headers, no inline script."""
    assert page.locator("html").get_attribute("lang") == "nl", page.url
    assert page.locator("h1").count() == 1, page.url
    assert page.evaluate(UNLABELLED) == [], page.url
    assert page.evaluate(TABLES_WITHOUT_TH) == 0, page.url
    assert page.evaluate("() => [...document.scripts].filter(s => !s.src).length") == 0, page.url


def entry_count(server) -> int:
    return httpx.get(server.url + "/v1/gezondheid").json()["ledger"]["entries"]


def press_on(page, name: str, limit: int = 60) -> None:
    """Keyboard only: Tab to the control named `name`, then Enter."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => (document.activeElement.innerText || document.activeElement.value || '').trim()")
        if focused == name:
            page.keyboard.press("Enter")
            return
    raise AssertionError(f"{name!r} cannot be reached with Tab")


def test_make_the_key_register_it_and_acknowledge_an_n1_in_chromium(server, browser, tmp_path):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # log in as a person does
    page.goto(server.url + "/aanmelden?terug=/sleutel")
    page.get_by_label("Gebruikersnaam").fill(USER)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(server.url + "/sleutel")

    # the key, made in this browser with the keyboard
    status = page.locator("#sleutel-status")
    page.wait_for_function("() => !document.getElementById('sleutel-maken').disabled")
    assert "nog geen sleutel" in status.inner_text()
    press_on(page, "Sleutel maken in deze browser")
    page.wait_for_function("() => /^[0-9a-f]{64}$/.test(document.getElementById('sleutel-id').textContent)")
    public_key, key_id = page.locator("#publieke-sleutel").inner_text(), page.locator("#sleutel-id").inner_text()
    assert hashlib.sha256(bytes.fromhex(public_key)).hexdigest() == key_id
    stored = page.evaluate(STORED_KEY, USER)
    assert stored == {"extractable": False, "algorithm": "Ed25519", "exported": "InvalidAccessError"}
    accessible(page)
    page.screenshot(path=str(tmp_path / "sleutel.png"), full_page=True)
    press_on(page, "Registratie aanvragen")
    page.wait_for_url(server.url + f"/sleutel?aangevraagd={key_id}")
    assert "De registratie is aangevraagd" in page.get_by_role("status").first.inner_text()

    # the operator registers it on the server's machine
    env = {**os.environ, "BWLEDGER_HOME": str(server.home)}
    done = subprocess.run([sys.executable, "-m", "api.cli", "accounts", "register-key", key_id], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"sleutel {key_id} van {USER} (GM0193) geregistreerd" in done.stdout
    page.reload()
    page.wait_for_function("() => /geregistreerde sleutel/.test(document.getElementById('sleutel-status').textContent)")

    # the inbox: Kampen's N1 waits for Zwolle's acknowledgement
    page.goto(server.url + "/berichten")
    row = page.locator("tr", has=page.locator(f"a[href='/berichten/{server.n1.seq}']"))
    assert "Plaatsingsmelding (N1)" in row.inner_text() and "nieuw" in row.inner_text().lower()
    accessible(page)
    page.screenshot(path=str(tmp_path / "berichten.png"), full_page=True)
    # a wrong counterparty: the Dutch error next to the field, what was typed kept, keyboard only
    page.get_by_label("Tegenpartij").fill("Kampen")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*tegenpartij=Kampen.*"))
    alert = page.get_by_role("alert")
    assert "Tegenpartij: geen partij" in alert.inner_text()
    assert page.get_by_label("Tegenpartij").input_value() == "Kampen"
    assert page.get_by_label("Tegenpartij").get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(tmp_path / "berichten-fout.png"), full_page=True)
    page.get_by_label("Tegenpartij").fill("GM0166")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*tegenpartij=GM0166.*"))
    row = page.locator("tr", has=page.locator(f"a[href='/berichten/{server.n1.seq}']"))
    row.get_by_role("link", name="Bevestigen").click()
    page.wait_for_url(server.url + f"/berichten/{server.n1.seq}/bevestigen")
    shown = json.loads(page.locator("#verklaring-json").inner_text())
    assert (shown["kind"], shown["author"], shown["key_id"]) == ("acknowledgement", "GM0193", key_id)
    assert "bevestigt de ontvangst van de plaatsingsmelding (N1)" in page.locator("p.verklaring").inner_text()
    accessible(page)
    page.screenshot(path=str(tmp_path / "ondertekenen.png"), full_page=True)

    # on its way to the server the statement is changed: the ledger refuses the signature, stores nothing
    before = entry_count(server)

    def tamper(route):
        body = json.loads(route.request.post_data)
        statement = base64.b64decode(body["statement"]).replace(b'"note":""', b'"note":"gewijzigd"')
        route.continue_(post_data=json.dumps({**body, "statement": base64.b64encode(statement).decode()}))

    page.route("**/v1/grootboek/regels", tamper)
    press_on(page, "Ondertekenen en indienen")
    outcome = page.locator("#onderteken-uitkomst")
    page.wait_for_function("() => document.getElementById('ondertekenen').getAttribute('data-error')")
    assert "onderweg gewijzigd" in outcome.inner_text() and "SIGNATURE_INVALID" in outcome.inner_text()
    page.screenshot(path=str(tmp_path / "geweigerd.png"), full_page=True)
    assert entry_count(server) == before
    page.unroute("**/v1/grootboek/regels")

    # signed as shown: admitted, and the page says so
    page.locator("#ondertekenen button").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(server.url + f"/berichten/{server.n1.seq}?regel=") + r"\d+"))
    seq = int(page.url.rsplit("=", 1)[1])
    assert f"vastgelegd in het grootboek als regel {seq}" in page.get_by_role("status").first.inner_text()
    accessible(page)
    page.screenshot(path=str(tmp_path / "bevestigd.png"), full_page=True)
    page.goto(server.url + "/")
    accessible(page)
    page.screenshot(path=str(tmp_path / "overzicht.png"), full_page=True)
    page.goto(server.url + "/berichten")
    row = page.locator("tr", has=page.locator(f"a[href='/berichten/{server.n1.seq}']"))
    assert row.get_by_role("link", name="Bevestigen").count() == 0 and "afgehandeld" in row.inner_text()
    # no script error: only the answers the test asked for (the wrong filter's 400, the tampered POST's 422)
    assert [e for e in errors if "status of 400" not in e and "status of 422" not in e] == [], errors

    # "Vastleggen als N3" on the determination page: the N3 is signed in this browser by the account's key too
    page.goto(server.url + "/beoordeling")
    page.get_by_role("link", name="Voorbeeld invullen").click()
    page.get_by_role("button", name="Beoordelen").click()
    page.get_by_role("heading", name="Uitkomst casus K01").wait_for()
    page.get_by_label("Pseudoniem van de cliënt").fill("PSN-browser-n3")
    page.get_by_role("button", name="Vastleggen als N3").click()
    page.wait_for_url(server.url + "/beoordeling/vastleggen")
    shown = json.loads(page.locator("#verklaring-json").inner_text())
    assert shown["outcome"]["cost_bearer"] == "GM0166", shown
    form = page.locator("form#ondertekenen")
    assert form.get_attribute("data-key-id") == key_id and form.get_attribute("data-account") == USER
    signed = json.loads(base64.b64decode(form.get_attribute("data-statement")))
    assert (signed["kind"], signed["author"], signed["key_id"], signed["payload"]) == ("determination", "GM0193",
                                                                                       key_id, shown)
    accessible(page)
    page.screenshot(path=str(tmp_path / "vastleggen-n3.png"), full_page=True)
    page.locator("#ondertekenen button").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(server.url + "/grootboek?regel=") + r"\d+"))
    n3_seq = int(page.url.rsplit("=", 1)[1])
    context.close()

    # the ledger holds the acknowledgement signed by the browser's key
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    store = service.open_ledger(f"sqlite:///{server.home / 'bwledger.db'}")
    try:
        [ack] = store.rows_where(entries.c.seq == seq)
        assert (ack.kind, ack.author, ack.key_id, ack.client) == ("acknowledgement", "GM0193", key_id, "PSN-browser-1")
        assert json.loads(ack.statement)["payload"]["notice"]["seq"] == server.n1.seq
        [n3] = store.rows_where(entries.c.seq == n3_seq)
        assert (n3.kind, n3.author, n3.key_id, n3.client) == ("determination", "GM0193", key_id, "PSN-browser-n3")
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(ack.signature, ack.statement)
        assert service.verify_ledger(store, workers=1).ok
        # Kampen's machine reads its outbox from the server: Zwolle has acknowledged, the region not yet
        from api.access.accounts import AccessService

        _rec, token = AccessService(store.engine).issue_token("GM0166", ["regio"], label="outbox", created_by="test")
    finally:
        store.dispose()
    out = subprocess.run([sys.executable, "-m", "api.cli", "berichten", "--server", server.url, "--token", token,
                          "--map", "outbox", "--soort", "N1"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if x.startswith(f"{server.n1.seq}\t"))
    assert "wacht op regio IJssel-Vecht" in line
