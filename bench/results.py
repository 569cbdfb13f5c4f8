"""Runs every bench script and writes bench/RESULTS.md: each bench's figures, each goal with its value
and whether it is met, and the machine it ran on (issue 15: `make bench`).

    .venv/bin/python bench/results.py                 # every bench at its default size (what `make bench` runs)
    .venv/bin/python bench/results.py --small         # every bench at a reduced size (a smoke run, said so on top)
    .venv/bin/python bench/results.py --only ledger   # some benches only (repeatable)
    .venv/bin/python bench/results.py --quick         # no bench run: renders the canned lines of
                                                      # bench/canned_results.jsonl (the renderer's test)
    .venv/bin/python bench/results.py --lines FILE    # no bench run: renders the JSON lines in FILE

Each bench script prints, as its last line, one JSON object {"bench": NAME, "figures": {...}, "goals":
{GOAL: {"value": X, "goal": Y, "met": bool}}}; this collects that line (a bench that exits non-zero or
prints none is listed as failed, with the end of its output). `--out PATH` writes elsewhere than
bench/RESULTS.md. The exit status is 0 when every bench ran and printed its line (a goal not met is a
result, not an error), 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("BWLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CANNED = ROOT / "bench" / "canned_results.jsonl"


@dataclass(frozen=True)
class Bench:
    name: str  # the "bench" of its JSON line
    script: str
    small: tuple[str, ...]  # arguments of a reduced run (--small); the default size takes none


#: every bench `make bench` runs, in this order
BENCHES = (
    Bench("rules", "bench/rules_bench.py", ("5000",)),
    Bench("ledger", "bench/ledger_bench.py", ("--entries", "20000", "--append", "3000")),
    Bench("settlement", "bench/settlement_bench.py", ("--entries", "20000")),
    Bench("flood", "bench/flood_bench.py", ("--entries", "300", "--flood", "40", "--probes", "100")),
    Bench("api", "bench/api_bench.py", ("--seconds", "2", "--per-client", "1000")),
)


@dataclass
class Outcome:
    """One bench's run: its JSON line, or why there is none."""
    name: str
    command: str
    seconds: float | None = None
    result: dict | None = None  # the parsed last line
    error: str | None = None  # why there is no result (exit status, missing line, with the output's end)
    figures: dict = field(default_factory=dict)
    goals: dict = field(default_factory=dict)


def last_json_line(output: str) -> dict | None:
    """The last line of a bench's output that is a JSON object with a "bench" key, or None."""
    for line in reversed(output.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except ValueError:
                return None
            return obj if isinstance(obj, dict) and "bench" in obj else None
    return None


def outcome_of(name: str, command: str, obj: dict | None, seconds: float | None = None,
               error: str | None = None) -> Outcome:
    out = Outcome(name, command, seconds, obj, error)
    if obj is not None:
        out.figures = obj.get("figures") or {}
        out.goals = obj.get("goals") or {}
    return out


def run_bench(bench: Bench, small: bool) -> Outcome:
    """Run one bench script with this interpreter from the project root and collect its last JSON line."""
    args = [sys.executable, bench.script, *(bench.small if small else ())]
    command = " ".join(["python", bench.script, *args[2:]])
    print(f"== {command}", flush=True)
    start = time.perf_counter()
    lines = []
    with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:  # shown as it comes: a bench at its default size runs for minutes
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line)
    seconds = time.perf_counter() - start
    output = "".join(lines)
    obj = last_json_line(output)
    error = None
    if proc.returncode != 0:
        error = f"exit status {proc.returncode}"
    elif obj is None:
        error = "no JSON line at the end of its output"
    if error:
        tail = "\n".join(output.strip().splitlines()[-8:])
        error += ("; output ended with:\n" + tail) if tail else ""
        obj = None
    return outcome_of(bench.name, command, obj, seconds, error)


def outcomes_from_lines(lines: list[str], source: str) -> list[Outcome]:
    """Outcomes from JSON lines (one per bench), as the runs would have printed them."""
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        obj = last_json_line(line)
        if obj is None:
            out.append(outcome_of(f"line {n}", source, None, error="not a bench's JSON line"))
        else:
            out.append(outcome_of(str(obj["bench"]), f"{source}, line {n}", obj))
    return out


# ---------------------------------------------------------------------------------------- the machine
def _first_line_of(path: str, prefix: str) -> str | None:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def postgres_version() -> str:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(PG_URL)
        try:
            with engine.connect() as c:
                return str(c.exec_driver_sql("SHOW server_version").scalar())
        finally:
            engine.dispose()
    except Exception as exc:  # the table says why rather than failing the whole run
        return f"not reachable ({type(exc).__name__})"


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def busy_note() -> str | None:
    """A warning when other processes kept the machine busy at the start (load above the cores)."""
    try:
        load, cores = os.getloadavg()[0], os.cpu_count() or 1
    except OSError:
        return None
    if load <= cores:
        return None
    return (f"The machine was busy: load average {load:.1f} on {cores} cores at the start (other processes), "
            "so wall-time figures and ratios are depressed; the references are measured in the same run, "
            "but a shared core moves them too.")


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    mem = _first_line_of("/proc/meminfo", "MemTotal")
    mem_gib = f"{int(mem.split()[0]) / 1024 ** 2:.1f} GiB" if mem else "unknown"
    return {
        "cores": str(os.cpu_count() or "unknown"),
        "memory": mem_gib,
        "CPU": _first_line_of("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "PostgreSQL": postgres_version(),
        "load average (1, 5, 15 min) at the start": load_average(),
    }


# ---------------------------------------------------------------------------------------- rendering
def cell(value) -> str:
    """A value for a Markdown table cell: numbers as printed, anything nested as compact JSON."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e6 else f"{value:.0f}"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, separators=(", ", ": "))
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def goal_met(goal) -> bool | None:
    return goal.get("met") if isinstance(goal, dict) and isinstance(goal.get("met"), bool) else None


def render(outcomes: list[Outcome], machine_info: dict[str, str], *, when: datetime, note: str | None = None,
           load_at_end: str | None = None) -> str:
    lines = ["# Bench results", ""]
    if note:
        lines += [f"> {note}", ""]
    lines += [(f"Written by `bench/results.py` on {when:%Y-%m-%d %H:%M} UTC (`make bench` reruns every bench "
               "and rewrites this file). Every bench prints its figures and goals as one JSON line; the "
               "tables below are those lines. Ratios are measured against a reference taken in the same run "
               "(see each script's docstring)."), ""]
    lines += ["## Machine", "", "| | |", "|---|---|"]
    info = dict(machine_info)
    if load_at_end is not None:
        info["load average (1, 5, 15 min) at the end"] = load_at_end
    lines += [f"| {k} | {cell(v)} |" for k, v in info.items()]

    all_goals = [(o, name, g) for o in outcomes for name, g in o.goals.items()]
    met = sum(1 for *_, g in all_goals if goal_met(g))
    failed = [o for o in outcomes if o.result is None]
    lines += ["", "## Summary", "",
              f"{len(outcomes)} benches, {len(failed)} without a result; {met} of {len(all_goals)} goals met.", "",
              "| bench | goal | value | goal value | met |", "|---|---|---|---|---|"]
    for o, name, g in all_goals:
        g = g if isinstance(g, dict) else {"value": g}
        state = goal_met(g)
        lines.append(f"| {o.name} | {cell(name)} | {cell(g.get('value', ''))} | {cell(g.get('goal', ''))} | "
                     f"{'yes' if state else 'NO' if state is False else '?'} |")
    for o in failed:
        lines.append(f"| {o.name} | (no result) | | | NO |")

    for o in outcomes:
        lines += ["", f"## {o.name}", "", f"Command: `{o.command}`" + (f", {o.seconds:.0f} s." if o.seconds else ".")]
        if o.result is None:
            lines += ["", "**No result**: " + (o.error or "unknown").split("\n", 1)[0]]
            if o.error and "\n" in o.error:
                lines += ["", "```", o.error.split("\n", 1)[1], "```"]
            continue
        if o.goals:
            lines += ["", "| goal | value | goal value | met |", "|---|---|---|---|"]
            for name, g in o.goals.items():
                g = g if isinstance(g, dict) else {"value": g}
                state = goal_met(g)
                lines.append(f"| {cell(name)} | {cell(g.get('value', ''))} | {cell(g.get('goal', ''))} | "
                             f"{'yes' if state else 'NO' if state is False else '?'} |")
        else:
            lines += ["", "No goals."]
        lines += ["", "| figure | value |", "|---|---|"]
        lines += [f"| {cell(name)} | {cell(v)} |" for name, v in o.figures.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument("--small", action="store_true", help="every bench at a reduced size (a smoke run)")
    ap.add_argument("--only", action="append", choices=[b.name for b in BENCHES], help="run only this bench")
    ap.add_argument("--quick", action="store_true", help="render the canned lines of bench/canned_results.jsonl")
    ap.add_argument("--lines", type=Path, help="render the JSON lines of this file instead of running")
    args = ap.parse_args(argv)
    when = datetime.now(UTC)
    info = machine()
    busy = busy_note()
    if args.quick or args.lines:
        source = args.lines or CANNED
        outcomes = outcomes_from_lines(source.read_text().splitlines(), source.name)
        note = (f"Rendered from the JSON lines of `{source.name}`, not from a run: the figures are not "
                "measurements of the machine below.")
    else:
        chosen = [b for b in BENCHES if not args.only or b.name in args.only]
        outcomes = [run_bench(b, args.small) for b in chosen]
        notes = [busy]
        if args.small:
            notes.insert(0, "A smoke run at reduced sizes (`bench/results.py --small`), not the benches' default "
                            "sizes: ratios at these sizes are not the goals' figures. `make bench` runs those.")
        note = " ".join(n for n in notes if n) or None
    ran = not (args.quick or args.lines)
    text = render(outcomes, info, when=when, note=note, load_at_end=load_average() if ran else None)
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0 if all(o.result is not None for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
