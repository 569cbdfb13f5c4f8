"""Every page a person reads is Dutch (issue 14): rendered with real data (a provisional determination with a
flag, booked cost lines, a dispute carried to the committee's binding decision), its visible text holds no
raw code, known English word, ISO date, URL-form quarter or "UTC" (tests/dutch_text.py)."""
from __future__ import annotations

import re
from datetime import date

import pytest
from api_helpers import K01, seed_settlement_and_case
from dutch_text import problems, visible_text


def _decide(client, case_id: str) -> None:
    """The seeded dispute (Kampen -> Zwolle) through the workflow to the committee's binding advice."""
    from cases import service as cases
    from ledger import service

    def eml(subject: str) -> bytes:
        return (b"From: a@example.invalid\r\nTo: b@example.invalid\r\nDate: Mon, 2 Nov 2026 10:00:00 +0100\r\n"
                b"Subject: " + subject.encode() + b"\r\n\r\nGeen overeenstemming bereikt.\r\n")

    store, keys, docs = client.app.state.store, client.app.state.settings.keys_dir, client.app.state.documents

    def s(p):
        return service.party_signer(store, keys, p)

    today = cases.local_date(store.clock())
    cases.transition(store, s("GM0193"), case_id, "OBJECTED", position="Zwolle was niet de woonplaats")
    cases.transition(store, s("GM0166"), case_id, "CONSULTATION")
    a = cases.add_document(store, docs, case_id, filename="overleg.eml", data=eml("Overleg"), title="Verslag overleg",
                           author_party="GM0166", document_date=today)
    cases.record_attempt(store, s("GM0166"), case_id, kind="contactpersonen", held_on=today, summary="overleg",
                         evidence=[a.sha256])
    cases.transition(store, s("GM0166"), case_id, "ESCALATED")
    b = cases.add_document(store, docs, case_id, filename="advies.eml", data=eml("Advies"),
                           title="Verslag regioadviseur", author_party="GM0193", document_date=today)
    cases.record_attempt(store, s("GM0193"), case_id, kind="regioadviseur", held_on=today, summary="advies",
                         evidence=[b.sha256])
    cases.transition(store, s("GM0166"), case_id, "FILED")
    cases.transition(store, s("COMMITTEE"), case_id, "ADMISSIBILITY")
    cases.transition(store, s("COMMITTEE"), case_id, "EXCHANGE")
    cases.decide(store, s("COMMITTEE"), case_id, nature="binding_advice", summary="Zwolle tot april, daarna Kampen",
                 cost_bearers=[{"period_from": "2025-11-20", "period_to": "2026-03-31", "cost_bearer": "GM0193"},
                               {"period_from": "2026-04-01", "period_to": "2026-12-31", "cost_bearer": "GM0166",
                                "historical_budget": True}])


@pytest.fixture
def world(client):
    seeded = seed_settlement_and_case(client)
    _decide(client, seeded["case_id"])
    return seeded


def _page(client, path, status=200, **params):
    r = client.get(path, params=params, headers={"Accept": "text/html"})
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    return r.text


def _assert_dutch(html: str, where: str) -> str:
    text = visible_text(html)
    found = problems(text)
    assert not found, f"{where}: {found}\n{text[:3000]}"
    return text


def test_every_page_reads_dutch(client, world):
    case_id = world["case_id"]
    pages = {
        "/": _page(client, "/"),
        "/beoordeling": _page(client, "/beoordeling", voorbeeld=1),
        "/grootboek": _page(client, "/grootboek", partij="GM0193", van="2000-01-01", tot="2100-01-01"),
        "/grootboek?partij=COMMITTEE": _page(client, "/grootboek", partij="COMMITTEE"),
        "/verrekening": _page(client, "/verrekening", kwartaal="2026K1"),
        "/geschillen": _page(client, "/geschillen"),
        f"/geschillen/{case_id}": _page(client, f"/geschillen/{case_id}"),
        "/bestaat-niet": _page(client, "/bestaat-niet", 404),
    }
    provisional = K01.replace("placement = {", 'applications = [ { kind = "aanvraag", gemeente = "GM0166", '
                              'date = 2025-03-02, outcome = "granted" } ]\nplacement = {')
    r = client.post("/beoordeling", files={"feiten": (None, provisional), "formaat": (None, "toml")})
    assert r.status_code == 200, r.text
    pages["POST /beoordeling"] = r.text
    texts = {where: _assert_dutch(html, where) for where, html in pages.items()}
    # and what they show is what was computed, in words
    assert "Grens van het venster van 365 dagen" in texts["POST /beoordeling"]
    assert "Kwartaal 2026-K1" in texts["/verrekening"]
    assert "Beoordeling (N3)" in texts["/grootboek"] and "Kostenregel" in texts["/grootboek"]
    case = texts[f"/geschillen/{case_id}"]
    assert "Uitspraak: bindend advies" in case and "Kostendrager per periode" in case
    assert "20-11-2025 31-03-2026 Zwolle (GM0193) woonplaatsbudget" in case
    assert "01-04-2026 31-12-2026 Kampen (GM0166) historisch budget" in case
    assert "Zwolle tot april, daarna Kampen" in case and "uitspraak gedaan" in case


def test_dates_on_pages_are_dutch(client, world):
    html = _page(client, f"/geschillen/{world['case_id']}")
    text = visible_text(html)
    assert re.search(r"Status sinds \d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|"
                     r"november|december) \d{4}", text), text[:2000]
    assert "Uitspraak: bindend advies" in text


def test_a_page_with_raw_codes_fails_the_check():
    """The check itself can fail: the old rendering of a decision and of a flag."""
    old = ("<dl><dt>nature</dt><dd>binding_advice</dd><dt>decided_on</dt><dd>2026-12-02</dd></dl>"
           "<p>Kwartaal 2026K1, BOUNDARY_365, status provisional, 10:00 UTC</p><code>BOUNDARY_365</code>")
    found = problems(visible_text(old))
    assert {"raw code binding_advice", "raw code BOUNDARY_365", "ISO date 2026-12-02", "quarter code 2026K1",
            "English word 'provisional'", "UTC"} <= set(found), found
    assert problems(visible_text("<p>Geen <code>BOUNDARY_365</code> op 2 december 2026 (2026-K1)</p>")) == []


def test_unknown_municipality_is_refused_on_pages_and_api(client):
    r = client.get("/grootboek", params={"partij": "GM9999"})
    assert r.status_code == 400 and "onbekende gemeentecode GM9999" in r.text
    _assert_dutch(r.text, "/grootboek?partij=GM9999")
    r = client.get("/api/ledger/entries", params={"party": "GM9999"})
    assert r.status_code == 400 and r.json()["code"] == "PARTY_UNKNOWN", r.text
    assert "onbekende gemeentecode GM9999" in r.json()["detail"]
    r = client.get("/api/settlement/2026K1/statements/GM9999/csv")
    assert r.status_code == 400 and r.json()["code"] == "PARTY_UNKNOWN", r.text
    assert date.today()  # the pages above rendered on the server's own day


def test_refusals_on_pages_read_dutch(client):
    """A wrong input on a page: a Dutch message (and the stable code), never the English detail."""
    cases = [("/verrekening", {"kwartaal": "volgend jaar"}, "geen geldig kwartaal", ()),
             ("/grootboek", {"partij": "GM0166", "van": "gisteren"}, "van: geen datum", ()),
             ("/grootboek", {"partij": "GM0166", "van": "2026-02-01", "tot": "2026-01-01"},
              "1 januari 2026 ligt vóór de begindatum 1 februari 2026", ()),
             # the message names the codes one may type
             ("/grootboek", {"partij": "Kampen"}, "geen partij", ("OPERATOR", "COMMITTEE"))]
    for path, params, words, codes in cases:
        html = _page(client, path, 400, **params)
        text = visible_text(html)
        assert words in text, (path, params, text[-1500:])
        assert not problems(text, allowed=codes), (path, params, problems(text, allowed=codes))


def test_an_error_page_names_the_refusal_in_words(client):
    """A refusal as a page (here: a query parameter of the wrong type): the glossary's words and the code."""
    r = client.get("/beoordeling", params={"voorbeeld": "misschien"}, headers={"Accept": "text/html"})
    assert r.status_code == 400, r.text[:300]
    text = visible_text(r.text)
    assert "400 · De invoer klopt niet" in text and "REQUEST_INVALID" in r.text, text
    assert not problems(text), problems(text)  # the framework's English detail is shown as code only
