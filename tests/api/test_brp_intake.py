"""The BRP intake at the edges: `bwledger rules decide --brp`, POST /v1/beoordelingen with a `brp` member and
the /beoordeling page with a BRP upload all read the response through the one adapter (rules/brp_historie.py)."""
import json
import re
from pathlib import Path

from api_helpers import assert_problem
from typer.testing import CliRunner

from api.cli import app as cli_app

BRP = Path(__file__).resolve().parents[1] / "data" / "brp"
#: the other facts of casebook case A03 (rules/casebook/p_brp_adapter.toml), without its addresses
A03 = """[context]
t0 = 2026-01-01

[context.regions.ijssel-vecht]
name = "IJssel-Vecht"
centrumgemeente = "GM0193"
members = ["GM0148", "GM0160", "GM0166", "GM0175", "GM0180", "GM1708", "GM1896", "GM0193"]

[[case]]
id = "A03"
melding = { date = 2026-02-15, gemeente = "GM0193" }
"""
A04 = A03.replace('id = "A03"', 'id = "A04"').replace("date = 2026-02-15", "date = 2026-03-02") + (
    'stays = [ { type = "ggz_clinical", gemeente = "GM0193", from = 2025-10-01 } ]\n')
A03_LINE = ("woonadres GM0166 van 1 januari 2010 t/m de dag voor een onbekende dag in februari 2026 "
            "(datumTot februari 2026, JaarMaandDatum: dag onbekend)")


def _response(name: str) -> dict:
    return json.loads((BRP / name).read_text(encoding="utf-8"))


def _cli(tmp_path, *args):
    facts = tmp_path / "feiten.toml"
    facts.write_text(A04 if "A04.json" in " ".join(map(str, args)) else A03, encoding="utf-8")
    return CliRunner().invoke(cli_app, ["rules", "decide", str(facts), *map(str, args)])


def test_cli_prints_the_mapping_then_the_determination(tmp_path):
    out = _cli(tmp_path, "--case", "A03", "--brp", BRP / "A03.json")
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == "Uit het BRP-antwoord (verblijfplaatshistorie):" and lines[1] == "  " + A03_LINE
    assert lines[2].startswith("  RNI (gemeentecode 1999")
    assert out.output.index("Beoordeling A03") > out.output.index(A03_LINE)
    assert "Kostendrager:      Zwolle (GM0193)" in out.output and "onvolledige datum in de BRP" in out.output
    machine = _cli(tmp_path, "--case", "A03", "--brp", BRP / "A03.json", "--json")
    det = json.loads(machine.output)
    assert det["cost_bearer"] == "GM0193" and "DATE_INCOMPLETE" in {f["name"] for f in det["flags"]}


def test_cli_marks_an_institution_address(tmp_path):
    out = _cli(tmp_path, "--case", "A04", "--brp", BRP / "A04.json", "--instelling", "2025-10-01=ggz_clinical")
    assert out.exit_code == 0, out.output
    assert "woonadres GM0193 in instelling (ggz_clinical) vanaf 1 oktober 2025" in out.output
    assert "Kostendrager:      Kampen (GM0166)" in out.output  # R7: the woonadres before the clinic
    without = _cli(tmp_path, "--case", "A04", "--brp", BRP / "A04.json")
    assert without.exit_code == 0 and "Kostendrager:      Zwolle (GM0193)" in without.output
    bad = _cli(tmp_path, "--case", "A04", "--brp", BRP / "A04.json", "--instelling", "2025-10-01")
    assert bad.exit_code == 2 and "BEGINDATUM=SOORT" in bad.output


def test_cli_refuses_a_wrong_response_in_dutch_with_its_code(tmp_path):
    wrong = tmp_path / "brp.json"
    wrong.write_text(json.dumps({"verblijfplaatsen": [{"type": "Adres", "datumVan": {"type": "Datum",
                                                                                      "datum": "2018-13-01"}}]}))
    out = _cli(tmp_path, "--case", "A03", "--brp", wrong)
    assert out.exit_code == 2
    assert "verblijfplaatsen[0].datumVan.datum" in out.output and "BRP_DATE_INVALID" in out.output
    wrong.write_text("{niet json")
    out = _cli(tmp_path, "--case", "A03", "--brp", wrong)
    assert out.exit_code == 2 and "geen JSON" in out.output and "Traceback" not in out.output


def _fragment(**extra) -> dict:
    return {"context": {"t0": "2026-01-01", "regions": {"ijssel-vecht": {
        "name": "IJssel-Vecht", "centrumgemeente": "GM0193",
        "members": ["GM0148", "GM0160", "GM0166", "GM0175", "GM0180", "GM1708", "GM1896", "GM0193"]}}},
        "case": {"id": "A03", "melding": {"date": "2026-02-15", "gemeente": "GM0193"}}, **extra}


def test_endpoint_takes_the_response_as_its_brp_member(client, tmp_path):
    r = client.post("/v1/beoordelingen", json=_fragment(brp=_response("A03.json")))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["brpReport"][0] == A03_LINE
    assert body["determination"]["cost_bearer"] == "GM0193"
    cli = _cli(tmp_path, "--case", "A03", "--brp", BRP / "A03.json", "--json")
    assert json.loads(cli.output) == body["determination"]  # the same service function
    plain = client.post("/v1/beoordelingen", json=_fragment(case={**_fragment()["case"], "addresses": [
        {"gemeente": "GM0193", "function": "W", "from": "2019-05-01"}]}))
    assert plain.status_code == 200 and "brp_report" not in plain.json()


def test_endpoint_answers_a_wrong_response_with_a_problem_naming_the_place(client):
    response = _response("A03.json")
    response["verblijfplaatsen"][0]["type"] = "Woonboot"
    body = assert_problem(client.post("/v1/beoordelingen", json=_fragment(brp=response)), 422, "BRP_TYPE_UNKNOWN")
    assert body["field"] == "brp.verblijfplaatsen[0].type" and "Woonboot" in body["detail"]
    assert_problem(client.post("/v1/beoordelingen", json=_fragment(brp=5)), 422, "BRP_MALFORMED")
    assert "brp_institutions" in assert_problem(client.post("/v1/beoordelingen", json=_fragment(
        brp=_response("A03.json"), brp_institutions="2025-10-01=mo")), 400, "CASEBOOK_MALFORMED")["detail"]
    assert_problem(client.post("/v1/beoordelingen", json=_fragment(
        brp=_response("A03.json"), brp_institutions={"2010-01-01": [1]})), 422, "BRP_INSTITUTION_INVALID")
    both = _fragment(brp=_response("A03.json"))
    both["case"]["addresses"] = [{"gemeente": "GM0193", "function": "W", "from": "2019-05-01"}]
    assert "addresses" in assert_problem(client.post("/v1/beoordelingen", json=both), 400,
                                         "CASEBOOK_MALFORMED")["detail"]


def _page(client, brp: bytes | None, instellingen: str = "", feiten: str = A03):
    files = {"feiten": (None, feiten), "casus": (None, ""), "formaat": (None, "toml"),
             "instellingen": (None, instellingen)}
    if brp is not None:
        files["brp"] = ("historie.json", brp, "application/json")
    return client.post("/beoordeling", files=files)


def test_page_takes_a_brp_upload_and_shows_what_it_read(client):
    form = client.get("/beoordeling")
    assert 'id="brp" name="brp"' in form.text and 'label for="brp"' in form.text
    r = _page(client, (BRP / "A03.json").read_bytes())
    assert r.status_code == 200, r.text
    text = re.sub(r"\s+", " ", r.text)
    assert "Uit het BRP-antwoord" in text and f"<li>{A03_LINE}</li>" in text
    assert "onvolledige datum in de BRP" in text and "Uitkomst casus A03" in text


def test_page_shows_a_wrong_brp_file_next_to_the_field_and_keeps_the_input(client):
    r = _page(client, b'{"verblijfplaatsen": []}', instellingen="")
    assert r.status_code == 422
    text = re.sub(r"\s+", " ", r.text)
    assert '<p class="veldfout" id="brp-fout">Het BRP-antwoord is niet te verwerken' in text
    assert "geen verblijfplaatsen" in text and "BRP_EMPTY" in text and 'aria-invalid="true"' in text
    assert 'id = "A03"' in r.text.replace("&#34;", '"').replace("&quot;", '"')  # the facts typed are kept
    r = _page(client, b"\xff\xfe")
    assert r.status_code == 400 and 'id="brp-fout"' in r.text and "UTF-8" in r.text
    r = _page(client, None, instellingen="2025-10-01=ggz_clinical")
    assert r.status_code == 400 and 'id="instellingen-fout"' in r.text and "2025-10-01=ggz_clinical" in r.text
