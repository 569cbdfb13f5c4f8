"""Every workflow step on the case page (/geschillen/{id}): offered only to the party whose role the workflow
table allows (cases.steps over ledger.disputes.transition_problem), drafted by the server and signed with
the account's own key (here Python plays the browser with a key of the same kind, as tests/api/test_notices.py
does; tests/api/test_browser_cases.py does it in Chromium), a wrong input refused in Dutch next to its field
with what was typed kept; exhibits uploaded and downloaded on the page; the work list with its filters."""
from __future__ import annotations

import base64
import html
import json
import re
import time

import pytest
from api_helpers import sqlite_settings
from litestar.testing import TestClient
from real_determinations import Recorder

from api import compose_notices
from api.access import totp
from api.access.account_keys import AccountKeys
from api.http import create_app
from cases import service as cases_service
from ledger import service
from ledger.crypto import new_signer
from ledger.store import entries

PASSWORD = "een lang genoeg wachtwoord"
KAMPEN, ZWOLLE, APELDOORN = "GM0166", "GM0193", "GM0200"
ACCOUNTS = {"post@kampen.nl": (KAMPEN, ["regio"]), "post@zwolle.nl": (ZWOLLE, ["regio"]),
            "post@apeldoorn.nl": (APELDOORN, ["regio"]), "secretaris@commissie.nl": ("COMMITTEE", ["secretaris"])}
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def app_client(tmp_path):
    with TestClient(create_app(sqlite_settings(tmp_path)), base_url="https://testserver.local") as c:
        c.totp = {}
        for user, (p, roles) in ACCOUNTS.items():
            made = c.app.state.access.add_account(user, p, roles, password=PASSWORD)
            c.totp[user] = made.totp_secret
        c.sessions = {}
        yield c


def log_in(client, username: str) -> str:
    """The person's session (logged in once per test: a committee account's second factor is a one-time code)."""
    if username not in client.sessions:
        client.cookies.clear()
        r = client.post("/aanmelden", data={"gebruiker": username, "wachtwoord": PASSWORD}, follow_redirects=False)
        assert r.status_code == 303, r.text
        if r.headers["location"].startswith("/aanmelden/code"):
            code = totp.code_at(client.totp[username], time.time())
            assert client.post("/aanmelden/code", data={"code": code}, follow_redirects=False).status_code == 303
        client.sessions[username] = dict(client.cookies)
    client.cookies.clear()
    for k, v in client.sessions[username].items():
        client.cookies.set(k, v)
    return client.get("/v1/ik").json()["csrf"]


def browser_key(client, username: str):
    """The account's browser key (what WebCrypto makes), asked for on /sleutel and registered by the operator."""
    csrf = log_in(client, username)
    key = new_signer(ACCOUNTS[username][0])
    asked = client.post("/sleutel", data={"publieke_sleutel": key.public_key.hex(), "csrf": csrf},
                        follow_redirects=False)
    assert asked.status_code == 303, asked.text
    compose_notices.register_account_key(client.app.state.store, AccountKeys(client.app.state.access.engine),
                                         key.key_id)
    return key


def determination(client, addressee: str = ZWOLLE, client_id: str = "PSN-geschil-1"):
    store = client.app.state.store
    kampen = service.party_signer(store, client.app.state.settings.keys_dir, KAMPEN)
    return Recorder.of_app(client.app).record(kampen, addressee, f"det-{client_id}", variant="BOUNDARY_365",
                                              idempotency_key=f"det-{client_id}", client=client_id)


def steps_on(page_text: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="stap" value="([A-Za-z_]+)">', page_text)


def sign_and_submit(client, page, key, csrf) -> dict:
    """What sign.js does: sign every prepared statement and post them as one batch."""
    assert page.status_code == 200, page.text
    m = re.search(r'data-statements="([^"]+)"', page.text)
    assert m, page.text
    raws = [base64.b64decode(b) for b in json.loads(html.unescape(m.group(1)))]
    r = client.post("/v1/grootboek/regels", headers={"x-csrf-token": csrf}, json={"entries": [
        {"statement": base64.b64encode(raw).decode(), "signature": base64.b64encode(key.sign(raw)).decode()}
        for raw in raws]})
    assert r.status_code == 201, r.text
    return {"raws": raws, "results": r.json()["results"]}


def test_the_cost_bearer_opens_objects_and_each_role_sees_only_its_steps(app_client):
    c = app_client
    det = determination(c)
    zwolle_key = browser_key(c, "post@zwolle.nl")
    csrf = log_in(c, "post@zwolle.nl")

    form = c.get("/geschillen/openen", params={"regel": det.seq})
    assert form.status_code == 200 and 'name="vraag"' in form.text
    # a wrong input: no question; the Dutch error next to the field, what was typed kept, nothing stored
    size = c.app.state.store.size()
    bad = c.post("/geschillen/openen", data={"regel": str(det.seq), "vraag": " ", "standpunt": "Geen woonplaats",
                                             "csrf": csrf})
    assert bad.status_code == 400 and "Geef de vraag aan de commissie" in bad.text
    assert 'id="fout-vraag"' in bad.text and "Geen woonplaats</textarea>" in bad.text
    assert c.app.state.store.size() == size

    prepared = c.post("/geschillen/openen", data={"regel": str(det.seq), "vraag": "Is Zwolle de kostendrager?",
                                                  "standpunt": "De cliënt woonde in Kampen", "csrf": csrf})
    assert "Zwolle opent geschil GS-" in prepared.text and 'data-endpoint="/v1/grootboek/regels"' in prepared.text
    assert 'src="/static/sign.js"' in prepared.text and "<script>" not in prepared.text
    done = sign_and_submit(c, prepared, zwolle_key, csrf)
    [st] = [json.loads(r) for r in done["raws"]]
    assert (st["kind"], st["author"], st["key_id"]) == ("dispute_event", ZWOLLE, zwolle_key.key_id)
    case_id = st["payload"]["dispute_id"]
    assert cases_service.case_view(c.app.state.store, case_id).status == "DETERMINED"

    page = c.get(f"/geschillen/{case_id}", params={"regel": done["results"][-1]["seq"]})
    assert page.status_code == 200 and "vastgelegd in het grootboek" in page.text
    assert steps_on(page.text) == ["ACCEPTED", "OBJECTED", "submit"]  # the responding party's edges
    assert "Geschil intrekken" not in page.text

    # the objection without reasons: refused next to its field, the note kept
    bad = c.post(f"/geschillen/{case_id}/stap", data={"stap": "OBJECTED", "standpunt": "", "toelichting": "zie brief",
                                                      "csrf": csrf})
    assert bad.status_code == 400 and 'id="fout-OBJECTED-standpunt"' in bad.text
    assert "Geef de redenen van het bezwaar" in bad.text and 'value="zie brief"' in bad.text
    # a step the table does not give this party: refused, nothing prepared
    refused = c.post(f"/geschillen/{case_id}/stap", data={"stap": "WITHDRAWN", "csrf": csrf})
    assert refused.status_code == 400 and "Deze stap is nu niet aan uw partij" in refused.text
    assert "data-statements" not in refused.text

    prepared = c.post(f"/geschillen/{case_id}/stap", data={"stap": "OBJECTED", "standpunt": "Kampen is de woonplaats",
                                                           "csrf": csrf})
    assert "maakt bezwaar (N4)" in prepared.text and "bezwaar gemaakt" in prepared.text
    done = sign_and_submit(c, prepared, zwolle_key, csrf)
    assert [json.loads(r)["kind"] for r in done["raws"]] == ["objection", "dispute_event"]
    assert cases_service.case_view(c.app.state.store, case_id).status == "OBJECTED"

    log_in(c, "post@kampen.nl")  # the claiming party: consultation, settling, withdrawing
    assert steps_on(c.get(f"/geschillen/{case_id}").text) == ["CONSULTATION", "SETTLED", "WITHDRAWN", "submit"]
    log_in(c, "secretaris@commissie.nl")  # the committee has no edge from OBJECTED
    committee_page = c.get(f"/geschillen/{case_id}")
    assert steps_on(committee_page.text) == ["submit"]
    log_in(c, "post@apeldoorn.nl")  # not a party: the case does not exist for it
    assert c.get(f"/geschillen/{case_id}").status_code == 404
    assert c.post(f"/geschillen/{case_id}/stap", data={"stap": "submit"}).status_code in (403, 404)


def _to_exchange(c, case_id: str) -> None:
    """CONSULTATION, the two attempts with evidence, ESCALATED, FILED, ADMISSIBILITY, EXCHANGE (the parties'
    and the committee's key files, through the same service functions)."""
    store, keys = c.app.state.store, c.app.state.settings.keys_dir
    s = {p: service.party_signer(store, keys, p) for p in (KAMPEN, ZWOLLE, "COMMITTEE")}
    doc = cases_service.add_document(store, c.app.state.documents, case_id, filename="overleg.pdf", data=PDF,
                                     title="Verslag overleg", author_party=KAMPEN,
                                     document_date=cases_service.today(store))
    today = cases_service.today(store)
    cases_service.transition(store, s[KAMPEN], case_id, "CONSULTATION")
    for kind in ("contactpersonen", "regioadviseur"):
        cases_service.record_attempt(store, s[KAMPEN], case_id, kind=kind, held_on=today, summary="geen akkoord",
                                     evidence=[doc.sha256])
    cases_service.transition(store, s[KAMPEN], case_id, "ESCALATED")
    cases_service.transition(store, s[KAMPEN], case_id, "FILED")
    cases_service.transition(store, s["COMMITTEE"], case_id, "ADMISSIBILITY")
    cases_service.transition(store, s["COMMITTEE"], case_id, "EXCHANGE")


def test_the_committee_decides_in_a_table_form(app_client):
    c = app_client
    det = determination(c, client_id="PSN-geschil-2")
    committee_key = browser_key(c, "secretaris@commissie.nl")
    store, keys = c.app.state.store, c.app.state.settings.keys_dir
    view = cases_service.open_case(store, service.party_signer(store, keys, ZWOLLE), det.seq,
                                   question="Wie is de kostendrager?")
    cases_service.transition(store, service.party_signer(store, keys, ZWOLLE), view.case_id, "OBJECTED",
                             position="Kampen")
    _to_exchange(c, view.case_id)

    log_in(c, "post@zwolle.nl")
    assert steps_on(c.get(f"/geschillen/{view.case_id}").text) == ["SETTLED", "submit"]  # no decision for a party
    csrf = log_in(c, "secretaris@commissie.nl")
    page = c.get(f"/geschillen/{view.case_id}")
    assert steps_on(page.text) == ["HEARING", "DECIDED", "submit"]
    assert 'name="kostendrager_1"' in page.text and "Uitspraak doen" in page.text

    # a wrong cost bearer: the Dutch error next to that row's field, every typed value kept, nothing stored
    size = store.size()
    form = {"stap": "DECIDED", "aard": "binding_advice", "van_1": "2026-01-15", "tot_1": "2026-03-31",
            "kostendrager_1": "Kampen", "samenvatting": "Kampen draagt de kosten", "csrf": csrf}
    bad = c.post(f"/geschillen/{view.case_id}/stap", data=form)
    assert bad.status_code == 400 and 'id="fout-DECIDED-kostendrager_1"' in bad.text
    assert "Geen gemeentecode (GMxxxx): Kampen" in bad.text
    assert 'value="2026-03-31"' in bad.text and "Kampen draagt de kosten</textarea>" in bad.text
    assert store.size() == size
    # overlapping periods: the ledger's rule, in Dutch
    overlap = c.post(f"/geschillen/{view.case_id}/stap", data={**form, "kostendrager_1": KAMPEN, "van_2": "2026-03-01",
                                                              "tot_2": "2026-04-30", "kostendrager_2": ZWOLLE})
    assert overlap.status_code == 400 and "mogen elkaar niet overlappen" in overlap.text

    prepared = c.post(f"/geschillen/{view.case_id}/stap", data={**form, "kostendrager_1": KAMPEN})
    assert "bindend advies" in prepared.text and "15-01-2026" in prepared.text
    done = sign_and_submit(c, prepared, committee_key, csrf)
    [st] = [json.loads(r) for r in done["raws"]]
    assert st["author"] == "COMMITTEE" and st["payload"]["decision"]["cost_bearers"][0]["cost_bearer"] == KAMPEN
    decided = c.get(f"/geschillen/{view.case_id}")
    assert "uitspraak gedaan" in decided.text and 'id="uitspraak-perioden"' in decided.text
    assert "bindend advies" in decided.text and "31-03-2026" in decided.text
    assert steps_on(decided.text) == ["submit"]
    history = decided.text[decided.text.index("<h2>Geschiedenis</h2>"):decided.text.index("<h2>Uitspraak")]
    assert re.search(r'<td class="nw">\d{2}-\d{2}-\d{4}</td>', history) and not re.search(r"\d{4}-\d{2}-\d{2}<", history)
    assert "indiening (status blijft overleg contactpersonen)" in history and "geschillencommissie" in history
    row = store.rows_where(entries.c.seq == done["results"][0]["seq"])[0]
    assert (row.kind, row.key_id) == ("dispute_event", committee_key.key_id)

    # a party brings it before the court, and records the court's ruling where the table has it
    zwolle_key = browser_key(c, "post@zwolle.nl")
    csrf = log_in(c, "post@zwolle.nl")
    assert steps_on(c.get(f"/geschillen/{view.case_id}").text) == ["COURT_REVIEW", "submit"]
    done = sign_and_submit(c, c.post(f"/geschillen/{view.case_id}/stap", data={"stap": "COURT_REVIEW", "csrf": csrf,
                                                                               "toelichting": "beroep ingesteld"}),
                           zwolle_key, csrf)
    assert steps_on(c.get(f"/geschillen/{view.case_id}").text) == ["UPHELD", "ANNULLED", "submit"]
    ruling = {"stap": "ANNULLED", "van_1": "2026-01-15", "tot_1": "2026-03-31", "kostendrager_1": ZWOLLE,
              "samenvatting": "De rechter vernietigt het advies", "csrf": csrf}
    bad = c.post(f"/geschillen/{view.case_id}/stap", data={**ruling, "tot_1": "2026-01-01"})
    assert bad.status_code == 400 and 'id="fout-ANNULLED-tot_1"' in bad.text and "ligt vóór het begin" in bad.text
    done = sign_and_submit(c, c.post(f"/geschillen/{view.case_id}/stap", data=ruling), zwolle_key, csrf)
    after = cases_service.case_view(store, view.case_id)
    assert after.status == "ANNULLED" and after.decision["nature"] == "court_ruling"
    assert after.decision["cost_bearers"][0]["cost_bearer"] == ZWOLLE
    assert "uitspraak van de rechter" in c.get(f"/geschillen/{view.case_id}").text


def test_the_work_list_has_decided_and_closed_cases_filters_and_who_acts_next(app_client):
    c = app_client
    store, keys = c.app.state.store, c.app.state.settings.keys_dir
    zwolle = service.party_signer(store, keys, ZWOLLE)
    open_one = cases_service.open_case(store, zwolle, determination(c, client_id="PSN-wl-1").seq, question="Wie?")
    withdrawn = cases_service.open_case(store, zwolle, determination(c, client_id="PSN-wl-2").seq, question="Wie?")
    cases_service.transition(store, service.party_signer(store, keys, KAMPEN), withdrawn.case_id, "WITHDRAWN")
    decided = cases_service.open_case(store, zwolle, determination(c, client_id="PSN-wl-3").seq, question="Wie?")
    cases_service.transition(store, zwolle, decided.case_id, "OBJECTED", position="Kampen")
    _to_exchange(c, decided.case_id)
    cases_service.decide(store, service.party_signer(store, keys, "COMMITTEE"), decided.case_id,
                         nature="binding_advice", cost_bearers=[{"period_from": "2026-01-15", "period_to": "2026-03-31",
                                                                 "cost_bearer": KAMPEN}])
    untouched = determination(c, addressee=ZWOLLE, client_id="PSN-wl-4")

    log_in(c, "post@zwolle.nl")

    def cases(**params) -> list[str]:
        r = c.get("/geschillen", params=params)
        assert r.status_code == 200, r.text
        return re.findall(r'<td class="nw"><a href="/geschillen/(GS-\d+)">', r.text)

    assert cases() == [open_one.case_id]  # open by default
    assert cases(status="beslist") == [decided.case_id]
    assert cases(status="gesloten") == [withdrawn.case_id]
    assert sorted(cases(status="alle")) == sorted([open_one.case_id, withdrawn.case_id, decided.case_id])
    assert cases(status="alle", partij=APELDOORN) == []
    assert cases(wie="mij") == [open_one.case_id]  # DETERMINED: the responding party answers (N4)
    assert cases(wie="COMMITTEE") == []
    page = c.get("/geschillen", params={"status": "open"})
    assert "aanvaarding of bezwaar" in page.text and re.search(r"\d{2}-\d{2}-\d{4}</span>", page.text)
    assert f'href="/geschillen/openen?regel={untouched.seq}">Geschil openen</a>' in page.text
    decided_page = c.get("/geschillen", params={"status": "beslist"})
    assert "bindend advies van" in decided_page.text and "boeken van de uitspraak" in decided_page.text
    assert "beheerder" in decided_page.text  # the operator books next

    bad = c.get("/geschillen", params={"status": "afgerond", "partij": "GM0193"})
    assert bad.status_code == 400 and 'id="fout-status"' in bad.text and "Kies open, beslist" in bad.text
    assert 'value="GM0193"' in bad.text  # what was typed is kept
    bad = c.get("/geschillen", params={"partij": "Zwolle"})
    assert bad.status_code == 400 and "Geen partijcode" in bad.text and 'value="Zwolle"' in bad.text

    log_in(c, "post@apeldoorn.nl")  # another party sees none of them
    assert cases(status="alle") == []


def test_exhibits_are_uploaded_on_the_case_page_and_downloaded_by_the_parties_and_the_committee(app_client):
    import hashlib

    c = app_client
    store, keys = c.app.state.store, c.app.state.settings.keys_dir
    view = cases_service.open_case(store, service.party_signer(store, keys, ZWOLLE),
                                   determination(c, client_id="PSN-stuk-1").seq, question="Wie?")
    csrf = log_in(c, "post@zwolle.nl")
    page = c.get(f"/geschillen/{view.case_id}")
    assert 'enctype="multipart/form-data"' in page.text and "Nog geen stukken" in page.text

    # a file of a refused type: the Dutch error next to the file field, the title kept, nothing stored
    bad = c.post(f"/geschillen/{view.case_id}/stukken", data={"titel": "Brief aan Kampen", "csrf": csrf},
                 files={"bestand": ("brief.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert bad.status_code == 400 and 'id="fout-stuk-bestand"' in bad.text
    assert "Dit soort bestand wordt niet aangenomen" in bad.text and 'value="Brief aan Kampen"' in bad.text
    assert cases_service.list_documents(store, view.case_id) == []
    untitled = c.post(f"/geschillen/{view.case_id}/stukken", data={"titel": " ", "csrf": csrf},
                      files={"bestand": ("brief.pdf", PDF, "application/pdf")})
    assert untitled.status_code == 400 and 'id="fout-stuk-titel"' in untitled.text

    done = c.post(f"/geschillen/{view.case_id}/stukken", data={"titel": "Brief aan Kampen", "csrf": csrf},
                  files={"bestand": ("brief.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert done.status_code == 303, done.text
    shown = c.get(done.headers["location"])
    sha = hashlib.sha256(PDF).hexdigest()
    assert f'<code class="hash">{sha}</code>' in shown.text
    [doc] = cases_service.list_documents(store, view.case_id)
    assert (doc.author_party, doc.sha256, doc.media_type) == (ZWOLLE, sha, "application/pdf")
    link = f"/v1/geschillen/{view.case_id}/stukken/{doc.id}"
    assert f'href="{link}" download' in shown.text
    assert c.get(link).content == PDF
    # the exhibit is offered with the steps (as a document of a submission)
    assert f'name="stukken" value="{sha}"' in shown.text
    # without a registered browser key nothing is prepared: the page says what to do, in Dutch
    assert "geen geregistreerde sleutel" in shown.text
    no_key = c.post(f"/geschillen/{view.case_id}/stap", data={"stap": "submit", "standpunt": "zie brief",
                                                              "stukken": sha, "csrf": csrf})
    assert no_key.status_code == 400 and "data-statements" not in no_key.text
    assert "Uw account heeft nog geen geregistreerde sleutel" in no_key.text
    assert "zie brief</textarea>" in no_key.text and f'value="{sha}" checked' in no_key.text

    log_in(c, "secretaris@commissie.nl")
    got = c.get(link)
    assert got.status_code == 200 and got.content == PDF and "brief.pdf" in got.headers["content-disposition"]
    assert c.get(f"/v1/geschillen/{view.case_id}/stukken/{doc.id + 100}").status_code == 404
    log_in(c, "post@apeldoorn.nl")
    assert c.get(link).status_code == 404


def test_the_fronting_party_opens_a_dispute_on_a_cost_line_from_the_ledger_page(app_client):
    from datetime import date

    from ledger.settlement import service as settlement_service
    from ledger.settlement.costlines import Placement

    c = app_client
    store, keys = c.app.state.store, c.app.state.settings.keys_dir
    det = determination(c, client_id="PSN-kosten-1")
    settlement_service.book_placements(store, lambda p: service.party_signer(store, keys, p), [
        Placement("pl-kosten", "PSN-kosten-1", KAMPEN, ZWOLLE, "15B02", date(2026, 1, 15), date(2026, 2, 28),
                  determination={"seq": det.seq, "entry_hash": det.entry_hash.hex()})], until=date(2026, 2, 28))
    [line, *_] = store.rows_where(entries.c.kind == "cost_line")
    kampen_key = browser_key(c, "post@kampen.nl")
    csrf = log_in(c, "post@kampen.nl")
    ledger = c.get("/grootboek", params={"partij": KAMPEN, "van": "2026-01-01", "tot": "2026-12-31"})
    assert f'href="/geschillen/openen?regel={line.seq}">Geschil openen</a>' in ledger.text
    form = c.get("/geschillen/openen", params={"regel": line.seq})
    assert "Kostenregel" in form.text or "kostenregel" in form.text
    bad = c.post("/geschillen/openen", data={"regel": "abc", "vraag": "Klopt het tarief?", "csrf": csrf})
    assert bad.status_code == 400 and 'id="fout-regel"' in bad.text and 'value="Klopt het tarief?"' in bad.text
    done = sign_and_submit(c, c.post("/geschillen/openen", data={"regel": str(line.seq), "vraag": "Klopt het tarief?",
                                                                 "csrf": csrf}), kampen_key, csrf)
    [st] = [json.loads(r) for r in done["raws"]]
    assert st["payload"]["cost_line"]["seq"] == line.seq and st["author"] == KAMPEN
    view = cases_service.case_view(store, st["payload"]["dispute_id"])
    assert (view.subject_kind, view.parties.claiming, view.parties.responding) == ("cost_line", KAMPEN, ZWOLLE)
    # once open, the same line cannot be opened again
    again = c.post("/geschillen/openen", data={"regel": str(line.seq), "vraag": "Nog eens?", "csrf": csrf})
    assert again.status_code == 400 and "al een geschil geopend" in again.text


def test_the_api_work_list_has_the_same_groups_and_filters(app_client):
    c = app_client
    store, keys = c.app.state.store, c.app.state.settings.keys_dir
    zwolle = service.party_signer(store, keys, ZWOLLE)
    one = cases_service.open_case(store, zwolle, determination(c, client_id="PSN-api-wl-1").seq, question="Wie?")
    two = cases_service.open_case(store, zwolle, determination(c, client_id="PSN-api-wl-2").seq, question="Wie?")
    cases_service.transition(store, service.party_signer(store, keys, KAMPEN), two.case_id, "WITHDRAWN")
    log_in(c, "post@zwolle.nl")
    r = c.get("/v1/geschillen")
    assert r.status_code == 200, r.text
    [row] = r.json()["cases"]
    assert (row["caseId"], row["group"], row["nextActors"]) == (one.case_id, "open", [ZWOLLE])
    assert row["nextDeadline"]["name"] == "objection"
    assert [x["caseId"] for x in c.get("/v1/geschillen", params={"status": "gesloten"}).json()["cases"]] == [two.case_id]
    assert c.get("/v1/geschillen", params={"aanZet": "COMMITTEE"}).json()["cases"] == []
    bad = c.get("/v1/geschillen", params={"status": "klaar"}, headers={"accept": "application/json"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["invalidParams"][0]["name"] == "status"
