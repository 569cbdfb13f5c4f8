"""bench/results.py (issue 15): what `make bench` writes to bench/RESULTS.md, tested on canned JSON lines
and on tiny stand-in scripts (the renderer and the collection, never the timing)."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import results

ROOT = Path(__file__).resolve().parents[1]


def test_quick_renders_every_bench_goal_and_figure_of_the_canned_lines(tmp_path):
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run([sys.executable, "bench/results.py", "--quick", "--out", str(out)], check=False, cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    canned = [json.loads(line) for line in results.CANNED.read_text().splitlines() if line.strip()]
    goals = [(c["bench"], name, g) for c in canned for name, g in c["goals"].items()]
    met = sum(g["met"] for _, _, g in goals)
    assert 0 < met < len(goals)  # the canned lines hold goals met and not met
    assert "not from a run" in text.split("## Machine")[0]  # says on top that these are no measurements
    assert f"{len(canned)} benches, 0 without a result; {met} of {len(goals)} goals met." in text
    for bench, name, g in goals:
        row = f"| {bench} | {name} | {results.cell(g['value'])} | {results.cell(g['goal'])} | " \
              f"{'yes' if g['met'] else 'NO'} |"
        assert row in text
    for c in canned:
        section = text.split(f"\n## {c['bench']}\n", 1)[1].split("\n## ", 1)[0]
        for name, value in c["figures"].items():
            assert f"| {name} | {results.cell(value)} |" in section
    for label in ("| cores |", "| memory |", "| CPU |", "| Python |", "| PostgreSQL |"):
        assert label in text
    assert datetime.now(UTC).strftime("%Y-%m-%d") in text


def test_cell_renders_nested_figures_as_json_and_escapes_pipes():
    assert results.cell({"sqlite": 0.5, "postgres": [1, 2]}) == '{"sqlite": 0.5, "postgres": [1, 2]}'
    assert results.cell("a|b") == "a\\|b"
    assert results.cell(True) == "yes"
    assert results.cell(0.4870) == "0.487"


def test_a_line_that_is_no_bench_result_is_listed_as_without_result_and_fails_the_run(tmp_path):
    lines = tmp_path / "lines.jsonl"
    lines.write_text(json.dumps({"bench": "rules", "figures": {"n": 1}, "goals": {}}) + "\nnot json\n")
    out = tmp_path / "R.md"
    assert results.main(["--lines", str(lines), "--out", str(out)]) == 1
    text = out.read_text()
    assert "2 benches, 1 without a result; 0 of 0 goals met." in text
    assert "| line 2 | (no result) | | | NO |" in text
    assert "**No result**: not a bench's JSON line" in text


def test_run_bench_collects_the_last_json_line_and_reports_a_failing_script(tmp_path):
    good = tmp_path / "good.py"
    good.write_text("import json\nprint('working ...')\nprint(json.dumps({'bench': 'x', 'figures': {'a': 1}, "
                    "'goals': {'g': {'value': 2, 'goal': 1, 'met': True}}}))\n")
    bad = tmp_path / "bad.py"
    bad.write_text("print('set-up ...')\nraise SystemExit('the database is gone')\n")
    silent = tmp_path / "silent.py"
    silent.write_text("print('done')\n")
    ok = results.run_bench(results.Bench("x", str(good), ()), small=False)
    assert ok.error is None and ok.figures == {"a": 1} and ok.goals["g"]["met"] is True
    failed = results.run_bench(results.Bench("y", str(bad), ()), small=False)
    assert failed.result is None and failed.error.startswith("exit status 1")
    assert "the database is gone" in failed.error
    none = results.run_bench(results.Bench("z", str(silent), ()), small=False)
    assert none.result is None and none.error.startswith("no JSON line")
    text = results.render([ok, failed, none], {"cores": "2"}, when=datetime(2026, 12, 4, tzinfo=UTC))
    assert "3 benches, 2 without a result; 1 of 1 goals met." in text
    assert "| x | g | 2 | 1 | yes |" in text
    assert "the database is gone" in text.split("## y")[1]


def test_every_bench_of_the_makefile_target_is_run_by_results():
    makefile = (ROOT / "Makefile").read_text()
    target = makefile.split("\nbench:", 1)[1].split("\n\n", 1)[0]
    assert "bench/results.py" in target
    for bench in results.BENCHES:
        assert (ROOT / bench.script).exists()
    scripts = {p.name for p in (ROOT / "bench").glob("*_bench.py")}
    assert scripts == {Path(b.script).name for b in results.BENCHES}
