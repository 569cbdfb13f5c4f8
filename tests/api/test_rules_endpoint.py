"""POST /v1/beoordelingen and the same determination through the CLI."""
import json

from api_helpers import K01, assert_problem
from typer.testing import CliRunner

from api.cli import app as cli_app

TWO_CASES = K01 + """
[[case]]
id = "K02"
melding = { date = 2026-03-02, gemeente = "GM0193" }
addresses = [ { gemeente = "GM0193", function = "W", from = 2019-05-01 } ]
"""

K01_JSON = {
    "context": {"t0": "2026-01-01", "regions": {"ijssel-vecht": {
        "name": "IJssel-Vecht", "centrumgemeente": "GM0193",
        "members": ["GM0148", "GM0160", "GM0166", "GM0175", "GM0180", "GM1708", "GM1896", "GM0193"]}}},
    "case": {"id": "K01", "melding": {"date": "2026-03-02", "gemeente": "GM0166"},
             "addresses": [{"gemeente": "GM0166", "function": "W", "from": "2019-05-01"}],
             "placement": {"location": "GM0193", "fronting": "GM0193", "from": "2026-04-01"}},
}


def _determine(client, text, **params):
    return client.post("/v1/beoordelingen", content=text.encode(), params=params,
                       headers={"content-type": "application/toml"})


def test_toml_facts_give_the_cli_determination(client, tmp_path):
    r = _determine(client, K01)
    assert r.status_code == 200, r.text
    body = r.json()
    det = body["determination"]
    assert (det["cost_bearer"], det["budget"], det["class"], det["entry"]) == ("GM0166", "woonplaats", "NEW",
                                                                               "intra_regional")
    assert det["provisional"] is False and len(body["digest"]) == 64
    assert "Kostendrager:      Kampen (GM0166)" in body["explanationNl"]
    f = tmp_path / "k01.toml"
    f.write_text(K01, encoding="utf-8")
    out = CliRunner().invoke(cli_app, ["rules", "decide", str(f), "--case", "K01", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == det


def test_json_form_gives_the_same_determination(client):
    toml = _determine(client, K01).json()
    r = client.post("/v1/beoordelingen", json=K01_JSON)
    assert r.status_code == 200, r.text
    assert r.json()["digest"] == toml["digest"]


def test_without_context_the_verified_regions_apply(client):
    text = K01.split("[[case]]")[1]
    r = _determine(client, "[[case]]" + text)
    assert r.status_code == 200, r.text
    det = r.json()["determination"]
    assert det["cost_bearer"] == "GM0166" and det["meldregio"] == "ijssel-vecht"


def test_a_case_is_chosen_by_id(client):
    assert_problem(_determine(client, TWO_CASES), 400, "CASEBOOK_MALFORMED")
    r = _determine(client, TWO_CASES, case="K02")
    assert r.status_code == 200 and r.json()["determination"]["case_id"] == "K02"
    body = assert_problem(_determine(client, TWO_CASES, case="K99"), 400, "CASEBOOK_MALFORMED")
    assert "K99" in body["detail"]


def test_malformed_input_is_a_problem(client):
    assert "does not parse" in assert_problem(_determine(client, "[[case"), 400, "CASEBOOK_MALFORMED")["detail"]
    bad_date = K01.replace("date = 2026-03-02", 'date = "02-03-2026"')
    assert "melding.date" in assert_problem(_determine(client, bad_date), 400, "CASEBOOK_MALFORMED")["detail"]
    r = client.post("/v1/beoordelingen", content=b"{not json", headers={"content-type": "application/json"})
    assert_problem(r, 400, "CASEBOOK_MALFORMED")
    bad_ctx = {**K01_JSON, "context": {**K01_JSON["context"], "t0": "2026-02-30"}}
    assert "t0" in assert_problem(client.post("/v1/beoordelingen", json=bad_ctx), 400,
                                  "CASEBOOK_MALFORMED")["detail"]
    assert_problem(client.post("/v1/beoordelingen", content=b"\xff\xfe", params={"format": "toml"}), 400,
                   "REQUEST_INVALID")
    assert_problem(_determine(client, K01, format="yaml"), 400, "REQUEST_INVALID")


def test_facts_the_rules_refuse_are_a_problem_naming_case_and_field(client):
    text = K01.replace('placement = {', 'bw_episodes = [ { legal_college = "GM0166", cost_bearer = "GM0166", '
                       'location = "GM0166", from = 2025-01-01, budget = "historical" } ]\nplacement = {')
    body = assert_problem(_determine(client, text), 422, "FACTS_INVALID")
    assert body["caseId"] == "K01" and body["field"] == "bw_episodes.cost_bearer"


def test_cli_decide_shares_the_function_json_files_and_bad_toml(tmp_path):
    f = tmp_path / "k01.json"
    f.write_text(json.dumps(K01_JSON), encoding="utf-8")
    out = CliRunner().invoke(cli_app, ["rules", "decide", str(f), "--case", "K01"])
    assert out.exit_code == 0 and "Kostendrager:      Kampen (GM0166)" in out.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[[case", encoding="utf-8")
    out = CliRunner().invoke(cli_app, ["rules", "decide", str(bad), "--case", "X"])
    assert out.exit_code == 2, out.output
    assert "fout: TOML does not parse" in out.output
