"""The Dutch pages through TestClient: they show what the endpoints and the CLI compute."""
import re

from api_helpers import K01, as_json, determination_payload, party, signed


def test_start_page_shows_size_checkpoint_and_verification(client):
    r = client.get("/")
    assert r.status_code == 200 and '<html lang="nl">' in r.text
    assert "<h1>Overzicht</h1>" in r.text and "Nog niet gecontroleerd" in r.text
    r = client.post("/verificatie", follow_redirects=True)
    assert r.status_code == 200 and "In orde" in r.text


def test_assessment_form_and_result(client):
    form = client.get("/beoordeling?voorbeeld=1")
    assert form.status_code == 200 and 'label for="feiten"' in form.text and "K01" in form.text
    r = client.post("/beoordeling", files={"feiten": (None, K01), "casus": (None, ""), "formaat": (None, "toml")})
    assert r.status_code == 200, r.text
    text = re.sub(r"\s+", " ", r.text)
    assert "Uitkomst casus K01" in text and "definitief" in text
    assert "<th scope=\"row\">Kostendrager</th><td>Kampen (GM0166)</td>" in text
    assert "nieuwe cliënt" in text and "binnen de regio" in text
    assert "Kostendrager: Kampen (GM0166)" in text  # the explain_nl text, as `bwledger rules decide` prints it


def test_assessment_from_an_uploaded_file_and_a_provisional_outcome(client):
    provisional = K01.replace("placement = {", 'applications = [ { kind = "aanvraag", gemeente = "GM0166", '
                              'date = 2025-03-02, outcome = "granted" } ]\nplacement = {')  # 365 days before M
    r = client.post("/beoordeling", files={"bestand": ("feiten.toml", provisional.encode(), "application/toml")})
    assert r.status_code == 200, r.text
    text = re.sub(r"\s+", " ", r.text)
    assert '<span class="label voorlopig">voorlopig</span>' in text and "Grens van het venster van 365 dagen" in text  # the flag by its label
    assert "opent de uitkomst" in text and "kostendrager Kampen" in text  # the alternative reading


def test_assessment_errors_are_shown_in_the_form(client):
    r = client.post("/beoordeling", files={"feiten": (None, "[[case")})
    assert r.status_code == 422 and "De invoer klopt niet" in r.text and "CASEBOOK_MALFORMED" in r.text
    assert "[[case" in r.text  # what was typed is kept
    r = client.post("/beoordeling", files={"feiten": (None, "  ")})
    assert r.status_code == 400 and "Plak de feiten" in r.text


def test_ledger_page_lists_a_partys_entries_with_a_bundle_link(client):
    client.post("/v1/grootboek/regels", json=as_json(signed(party(client, "GM0166"), determination_payload(client))))
    r = client.get("/grootboek", params={"partij": "GM0193", "van": "2000-01-01", "tot": "2100-01-01"})
    assert r.status_code == 200
    assert "Zwolle: 1 regel(s)" in r.text and "Beoordeling (N3)" in r.text and "Kampen" in r.text
    link = re.search(r'href="(/v1/grootboek/bundel\?[^"]+)"', r.text).group(1).replace("&amp;", "&")
    bundle = client.get(link)
    assert bundle.status_code == 200 and bundle.json()["format"] == "bwledger-bundle/1"
    bad = client.get("/grootboek", params={"partij": "Zwolle"})
    assert bad.status_code == 400 and "partij: geen partij" in bad.text
