"""The tour of the pages per user (issue 14, README "Rondleiding"): Playwright drives Debian chromium through
each user's work on the demo's data (`bwledger demo` on a temporary BWLEDGER_HOME, the accounts of
api/demo_accounts.py), page by page. Every step asserts that the page is Dutch and shows its main content,
and writes one PNG (1280x800, the viewport, reduced to a palette so the README's images stay small).

With BWLEDGER_TOUR_DIR set (`BWLEDGER_TOUR_DIR=docs/tour`, relative to the repository) the PNGs replace the
README's; without it they go to the test's tmp dir. Not skipped: without chromium it fails with a clear
message (`make test` installs it)."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from api_helpers import ROOT, Server
from browser_helpers import launch_chromium

from api.access import totp
from api.demo_accounts import DEMO_PASSWORD

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--lang=nl-NL",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
USERS = ("regio", "financien", "commissie")  # the PNGs' prefixes, one per user
VIEWPORT = {"width": 1280, "height": 800}
BRP_FACTS = """[[case]]
id = "A03"
melding = { date = 2026-02-15, gemeente = "GM0193" }
"""
#: English words that would give away an untranslated page (whole words, any case)
ENGLISH = re.compile(r"\b(the|and|with|please|error|not found|submit|cancel|unknown|required)\b", re.IGNORECASE)
UNLABELLED = """() => [...document.querySelectorAll('input, textarea, select')]
  .filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.name)"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`bwledger demo` on a fresh home, then `bwledger serve` on it."""
    home = tmp_path_factory.mktemp("tour-home")
    env = {**os.environ, "BWLEDGER_HOME": str(home)}
    for name in ("BWLEDGER_DATABASE_URL", "BWLEDGER_DATABASE_SCHEMA"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "api.cli", "demo"], check=False, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    decided = re.search(r"Geschil (GS-\d+): uitspraak geboekt", done.stdout)
    assert decided, done.stdout[-3000:]
    server = Server(home, checkpoint_seconds=1)
    server.decided_case = decided.group(1)
    server.secrets = json.loads((home / "keys" / "demo-accounts.json").read_text(encoding="utf-8"))
    server.env = env
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser():
    # Dutch for the browser's own controls too ("Bestand kiezen", dd-mm-jjjj), with Debian chromium-l10n
    yield from launch_chromium(ARGS, {**os.environ, "LANGUAGE": "nl"})


@pytest.fixture(scope="module")
def tour_dir(tmp_path_factory) -> Path:
    wanted = os.environ.get("BWLEDGER_TOUR_DIR")
    if not wanted:
        return tmp_path_factory.mktemp("tour")
    path = Path(wanted) if Path(wanted).is_absolute() else ROOT / wanted
    path.mkdir(parents=True, exist_ok=True)
    for user in USERS:  # a step renamed or dropped leaves no stale picture behind
        for old in path.glob(f"{user}-[0-9][0-9]-*.png"):
            old.unlink()
    return path


def small_png(data: bytes) -> bytes:
    """The screenshot in a palette of 128 colours: text and the few colours of the pages stay sharp, the file
    is a third of the size."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


class Tour:
    """One user's walk: `step(name)` checks that the page is Dutch and writes `<user>-<nn>-<name>.png`."""

    def __init__(self, page, server, directory: Path, user: str) -> None:
        self.page, self.server, self.directory, self.user = page, server, directory, user
        self.count = 0
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def go(self, path: str) -> None:
        self.page.goto(self.server.url + path)

    def step(self, name: str, top=None) -> Path:
        """The page is Dutch and whole; `top` (a locator) is scrolled to the top of the screenshot."""
        page = self.page
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "nl", page.url
        assert page.locator("h1").count() == 1, page.url
        main = page.locator("main").inner_text()
        english = sorted({m.group(0).lower() for m in ENGLISH.finditer(main)})
        assert not english, f"{page.url}: English on the page: {english}"
        assert "Traceback" not in main and "Internal Server Error" not in main, page.url
        assert page.evaluate(UNLABELLED) == [], page.url
        if top is not None:
            top.evaluate("e => e.scrollIntoView({block: 'start'})")
        else:
            page.evaluate("() => window.scrollTo(0, 0)")
        self.count += 1
        path = self.directory / f"{self.user}-{self.count:02d}-{name}.png"
        return self.save(page.screenshot(), path)

    def save(self, png: bytes, path: Path) -> Path:
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        path.write_bytes(small_png(png))
        return path


def log_in(tour: Tour, username: str, shot: str | None = None) -> None:
    """The login form as a person fills it (a screenshot of it filled when `shot` names the step), then the
    code of the authenticator for the roles that need one."""
    page = tour.page
    tour.go("/aanmelden")
    assert page.locator("h1").inner_text() == "Aanmelden"
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    if shot and not tour.server.secrets.get(username):
        tour.step(shot)
    page.get_by_role("button", name="Aanmelden").click()
    secret = tour.server.secrets.get(username)
    if secret:
        page.get_by_label("Code").wait_for()
        page.get_by_label("Code").fill(totp.code_at(secret, time.time()))
        if shot:
            assert "code" in page.locator("main").inner_text().lower()
            tour.step(shot)
        page.get_by_role("button", name="Bevestigen").click()
    page.wait_for_url(tour.server.url + "/")


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam", viewport=VIEWPORT)
    yield context
    context.close()


def test_tour_regio(demo, context, tour_dir):
    """A region's officer (IJssel-Vecht): today's work, a client entered from a BRP response, the inbox, the
    browser key, and Kampen's outflow notice (N2) acknowledged, signed in the browser."""
    page = context.new_page()
    tour = Tour(page, demo, tour_dir, "regio")
    log_in(tour, "regio@ijssel-vecht.demo", shot="aanmelden")

    todo = page.locator("table", has=page.locator("th", has_text="Te doen"))
    assert todo.get_by_role("link", name=re.compile(r"Uitstroommelding \(N2\)")).count() >= 1
    assert todo.get_by_role("link", name="ontvangst bevestigen").count() >= 1
    tour.step("overzicht")

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Beoordeling").click()
    page.get_by_label("Feiten").fill(BRP_FACTS)
    page.get_by_label("BRP-antwoord verblijfplaatshistorie (.json, optioneel)").set_input_files(
        str(ROOT / "tests" / "data" / "brp" / "A03.json"))
    tour.step("beoordeling")
    page.get_by_role("button", name="Beoordelen").click()
    result = page.get_by_role("heading", name=re.compile("Uitkomst casus A03"))
    result.wait_for()
    assert page.get_by_role("heading", name="Uit het BRP-antwoord").is_visible()
    assert page.get_by_role("heading", name="Toegepaste regels").is_visible()
    row = page.locator("table.gegevens tr", has=page.locator("th", has_text="Kostendrager"))
    assert re.search(r"\(GM\d{4}\)", row.locator("td").inner_text())
    tour.step("uitkomst", top=result)

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Berichten").click()
    n2 = page.locator("tbody tr", has_text="Uitstroommelding (N2)").first
    assert "Kampen" in n2.inner_text() and "nieuw" in n2.inner_text().lower()
    tour.step("berichten")
    n2.get_by_role("link").first.click()
    assert page.locator("h1").inner_text().startswith("Uitstroommelding (N2)")
    assert "ontvangst bevestigen" in page.locator("main").inner_text()
    notice_url = page.url
    tour.step("bericht")

    # the key: made in this browser, its registration asked for; the operator registers it on the server
    tour.go("/sleutel")
    page.wait_for_function("() => !document.getElementById('sleutel-maken').disabled")
    page.get_by_role("button", name="Sleutel maken in deze browser").click()
    page.wait_for_function("() => /^[0-9a-f]{64}$/.test(document.getElementById('sleutel-id').textContent)")
    key_id = page.locator("#sleutel-id").inner_text()
    page.get_by_role("button", name="Registratie aanvragen").click()
    page.wait_for_url(demo.url + f"/sleutel?aangevraagd={key_id}")
    assert "De registratie is aangevraagd" in page.get_by_role("status").first.inner_text()
    tour.step("sleutel")
    done = subprocess.run([sys.executable, "-m", "api.cli", "accounts", "register-key", key_id], check=False,
                          cwd=ROOT, env=demo.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

    page.goto(notice_url)
    page.get_by_role("link", name="Bevestigen").click()
    assert page.locator("h1").inner_text() == "Ontvangst bevestigen"
    statement = json.loads(page.locator("#verklaring-json").inner_text())
    assert statement  # the exact statement that is signed, shown before signing
    tour.step("bevestigen")
    page.get_by_role("button", name="Ondertekenen en indienen").click()
    page.wait_for_url(re.compile(re.escape(notice_url) + r"\?regel=\d+$"))
    handled = page.locator("tr", has=page.locator("th", has_text="Afgehandeld door")).locator("td").inner_text()
    assert "nog niemand" not in handled and handled.strip()
    assert "ondertekend en vastgelegd in het grootboek" in page.locator("main").inner_text()
    tour.step("bevestigd")
    assert tour.errors == []


def test_tour_financien(demo, context, tour_dir):
    """Kampen's finance officer: what waits today, the quarter's saldo, the quarter page with its chart and
    the reasons per status, a line's determination, the reconciliation of Kampen's own file, a what-if, the
    ledger."""
    page = context.new_page()
    tour = Tour(page, demo, tour_dir, "financien")
    log_in(tour, "financien@kampen.demo")
    todo = page.locator("table", has=page.locator("th", has_text="Te doen"))
    assert "aanvaarden of bezwaar maken" in todo.inner_text()
    tour.step("overzicht")

    # the month's cost lines from Kampen's placements: the button prepares them and says what they book
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Verrekening").click()
    page.get_by_role("textbox", name="Maand").fill("2026-04")
    page.get_by_role("button", name="Boeking voorbereiden").click()
    booking = page.locator("section[aria-labelledby='boeken-kop']")
    assert re.search(r"april 2026 voor Kampen.*\d+ kostenregels?", booking.inner_text(), re.IGNORECASE | re.DOTALL)
    tour.step("maand-boeken", top=page.locator("#boeken-kop"))

    page.get_by_label("Kwartaal").fill("2026K1")
    with page.expect_navigation():  # the quarter's settlement, loaded before it is read
        page.get_by_role("button", name="Tonen").click()
    kampen = page.locator("tr", has=page.locator("th", has_text="Kampen"))
    assert kampen.count() == 1 and "€" in kampen.inner_text()
    tour.step("verrekening", top=page.locator("#kw-kop"))

    kampen.get_by_role("link", name="Kampen", exact=True).click()
    page.wait_for_url(demo.url + "/verrekening/2026K1/GM0166")
    assert page.locator("h1").inner_text() == "Verrekening 2026-K1: Kampen"
    chart = page.locator("figure.grafiek img")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("#tegenpartijen tbody tr").count() >= 1
    tour.step("kwartaal")

    classes = page.locator("#klassen")
    assert {"definitief", "voorlopig", "betwist"} <= set(classes.locator("tr.klasse th").all_inner_texts())
    tour.step("waarom", top=page.locator("#klassen-kop"))

    determination = page.locator("a[aria-label^='beoordeling, regel']").first
    tour.step("regels", top=page.locator("#regels-kop"))
    quarter_url = page.url
    determination.click()
    assert re.fullmatch(r"Grootboekregel \d+: Beoordeling \(N\d\)", page.locator("h1").inner_text())
    assert "kostendrager" in page.locator("main").inner_text()
    tour.step("beoordeling")

    page.goto(quarter_url)
    own_file = demo.home / "outputs" / "verrekening" / "eigen-administratie-GM0166-2026K1.xlsx"
    page.get_by_label("Uw bestand (.xlsx of .csv)").set_input_files(str(own_file))
    page.get_by_role("button", name="Aansluiten").click()
    outcome = page.locator("#aansluiting-uitkomst")
    outcome.wait_for()
    differences = page.locator("#verschillen tbody tr")
    assert differences.count() >= 1 and "bedrag wijkt af" in page.locator("#verschillen").inner_text()
    tour.step("aansluiting", top=outcome)

    # the what-if: the quarter of the solidarity pool (2025K4) under another verdeelsleutel, and another
    # reading of a flag where the quarter's determinations offer one (the demo keeps no trails)
    tour.go("/verrekening/2025K4/GM0166")
    key = page.locator("select[name=sleutel]").first
    assert key.locator("option").count() >= 2, "the quarter has no pool with a verdeelsleutel to choose"
    key.select_option(index=0 if "(nu)" not in key.locator("option").first.inner_text() else 1)
    if page.locator("#lezing option").count() >= 2:
        page.get_by_label("Andere lezing van een signalering").select_option(index=1)
    page.get_by_role("button", name="Berekenen").click()
    page.locator("#watals").wait_for()
    own = page.locator("#watals tr.eigen")
    assert own.count() == 1 and "Kampen" in own.inner_text()
    assert own.locator("td").nth(2).inner_text() != "€ 0,00"  # the verschil: the other key moves Kampen's saldo
    tour.step("wat-als", top=page.locator("#watals-kop"))

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Grootboek").click()
    page.get_by_label("Partij").fill("GM0166")
    with page.expect_navigation():  # the ledger page of the party, loaded before it is read
        page.get_by_role("button", name="Tonen").click()
    assert page.get_by_role("link", name=re.compile("Bundel downloaden")).count() == 1
    assert page.locator("tbody tr").count() >= 10
    tour.step("grootboek")
    assert tour.errors == []


def test_tour_geschillencommissie(demo, context, tour_dir):
    """A member of the dispute committee: logs in with the authenticator's code, the work list, an open case,
    the decided case with its decision and exhibits, and its dossier (PDF, its first page shown)."""
    page = context.new_page()
    tour = Tour(page, demo, tour_dir, "commissie")
    log_in(tour, "lid@commissie.demo", shot="aanmelden-code")

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Geschillen").click()
    assert page.locator("h1").inner_text() == "Geschillen"
    cases = page.locator("tbody tr a[href^='/geschillen/GS-']")
    assert cases.count() >= 1
    tour.step("werklijst")

    cases.first.click()
    assert page.locator("h1").inner_text().startswith("Geschil GS-")
    assert page.get_by_role("heading", name="Geschiedenis").is_visible()
    assert page.get_by_role("heading", name="Termijnen").is_visible()
    tour.step("geschil")

    tour.go(f"/geschillen/{demo.decided_case}")
    assert page.locator("h1").inner_text().startswith(f"Geschil {demo.decided_case}")
    history = page.locator("table", has=page.locator("th", has_text="Toelichting"))
    assert history.locator("tbody tr").count() >= 5
    # the demo's question names the parties and the day of the melding as a person reads them
    question = re.search(r"Wie is de kostendrager[^?]*\?", page.locator("main").inner_text())
    assert question and re.search(r"melding van \d{1,2} [a-z]+ \d{4}\?", question.group(0)), question
    assert not re.search(r"\d{4}-\d{2}-\d{2}|GM\d{4}", question.group(0)), question.group(0)
    tour.step("uitspraak-geschiedenis")
    decision = page.get_by_role("heading", name="Uitspraak")
    assert decision.is_visible()
    assert page.get_by_role("heading", name=re.compile(r"Stukken \(\d+\)")).is_visible()
    exhibits = page.locator("table", has=page.locator("th", has_text="SHA-256"))
    assert re.search(r"[0-9a-f]{16}", exhibits.inner_text())
    tour.step("uitspraak-stukken", top=decision)

    with page.expect_download() as info:
        page.get_by_role("link", name="Dossier downloaden (PDF)").click()
    pdf = Path(info.value.path()).read_bytes()
    assert pdf[:5] == b"%PDF-"
    tour.count += 1
    tour.save(first_page_png(pdf), tour_dir / f"commissie-{tour.count:02d}-dossier.png")
    assert tour.errors == []


def first_page_png(pdf: bytes) -> bytes:
    """The dossier's first page as a PNG 800 pixels high (pypdfium2, as the dossier tests read PDFs)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    try:
        page = doc[0]
        text = page.get_textpage().get_text_range()
        assert "Dossier" in text or "dossier" in text, text[:500]
        scale = 800 / page.get_height()
        image = page.render(scale=scale).to_pil()
    finally:
        doc.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_the_readme_shows_every_screenshot_of_the_tour():
    """The README's Rondleiding and docs/tour agree: every picture it names exists, every picture the tour
    wrote is named (a step renamed or added shows up here after `BWLEDGER_TOUR_DIR=docs/tour`), in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"\]\(docs/tour/([a-z0-9-]+\.png)\)", readme)
    files = sorted(p.name for p in (ROOT / "docs" / "tour").glob("*.png"))
    assert named and sorted(named) == files
    for user in USERS:
        steps = [n for n in named if n.startswith(user + "-")]
        assert steps and [int(n.split("-")[1]) for n in steps] == list(range(1, len(steps) + 1)), user
    assert sum((ROOT / "docs" / "tour" / n).stat().st_size for n in files) < 3_000_000
