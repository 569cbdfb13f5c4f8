"""The public casebook and the project's own casebook pass, through the real CLI command."""
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from rules import loader
from rules.casebook import find_case, run_text
from rules.engine import determine

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT.parent / "shared" / "casebook"
OWN = ROOT / "rules" / "casebook"


@pytest.mark.parametrize("path", sorted(PUBLIC.glob("*.toml")) + sorted(OWN.glob("*.toml")), ids=lambda p: p.name)
def test_casebook_file_passes(path):
    res = run_text(path.name, path.read_text(), loader.parameter_table(), loader.municipality_register())
    assert res.failed == 0, "\n".join(line for line in res.lines if line.startswith("FAIL"))
    assert res.passed > 0


def test_own_casebook_has_at_least_40_cases():
    total = sum(run_text(p.name, p.read_text(), loader.parameter_table(), loader.municipality_register()).passed
                for p in OWN.glob("*.toml"))
    assert total >= 40


def test_cli_check_closing_line_and_exit_code():
    res = CliRunner().invoke(app, ["rules", "check", str(PUBLIC)])
    assert res.exit_code == 0
    assert res.output.strip().splitlines()[-1].endswith(" passed, 0 failed")


def test_cli_check_fails_on_a_typo_key(tmp_path):
    bad = (PUBLIC / "placements.toml").read_text().replace("[case.expect]\n", "[case.expect]\nnot_flag = []\n", 1)
    f = tmp_path / "bad.toml"
    f.write_text(bad)
    res = CliRunner().invoke(app, ["rules", "check", str(f)])
    assert res.exit_code == 1
    assert "unknown key not_flag" in res.output


def test_cli_check_unparsable_file_is_one_fail_line(tmp_path):
    f = tmp_path / "broken.toml"
    f.write_text("[context\n")
    res = CliRunner().invoke(app, ["rules", "check", str(f)])
    assert res.exit_code == 1
    assert "does not parse" in res.output and "Traceback" not in res.output
    assert res.output.strip().splitlines()[-1] == "0 passed, 1 failed"


def test_cli_check_with_no_case_fails(tmp_path):
    res = CliRunner().invoke(app, ["rules", "check", str(tmp_path)])
    assert res.exit_code == 1
    assert res.output.strip() == "0 passed, 0 failed"


def test_decide_prints_dutch_trail_and_json():
    res = CliRunner().invoke(app, ["rules", "decide", str(PUBLIC / "woonplaats_chain.toml"), "--case", "E17a"])
    assert res.exit_code == 0
    assert "Kostendrager:      Schiedam (GM0606)" in res.output and "VOORLOPIG" in res.output
    res = CliRunner().invoke(app, ["rules", "decide", str(PUBLIC / "woonplaats_chain.toml"), "--case", "E17a", "--json"])
    assert '"cost_bearer": "GM0606"' in res.output


def test_bad_facts_name_case_and_field(tmp_path):
    text = (PUBLIC / "placements.toml").read_text().replace("from = 2019-05-01", "from = 2019-05-01, to = 2018-01-01", 1)
    res = run_text("x.toml", text, loader.parameter_table(), loader.municipality_register())
    line = next(line for line in res.lines if ":E01 " in line)
    assert line.startswith("FAIL") and "addresses" in line and "before 'from'" in line


def test_region_settled_flag_keeps_flag_but_not_provisional(tmp_path):
    text = (PUBLIC / "new_client_window.toml").read_text()
    text = text.replace('centrumgemeente = "GM0193"  # Zwolle\n',
                        'centrumgemeente = "GM0193"  # Zwolle\nsettled_flags = ["BOUNDARY_365"]\n', 1)
    facts, ctx = find_case(text, "E03", loader.parameter_table(), loader.municipality_register())
    det = determine(facts, ctx)
    assert "BOUNDARY_365" in det.flag_names and det.provisional is False
