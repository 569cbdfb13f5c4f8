"""Instructions per determination and per validation, counted by valgrind (callgrind).

Wall time on a shared machine moves with the load of other processes; an instruction count does
not. This script runs itself under ``valgrind --tool=callgrind`` for the population of
``rules_bench.py`` at two sizes and at three stages (generating the JSON, validating it, validating
and determining), and takes differences, so that start-up, imports and the context's loading drop
out:

    .venv/bin/python bench/rules_instructions.py [--small 200] [--large 1000]

It takes a few minutes. Instructions are not time: validation's cost is partly memory (allocating the
fact models and the garbage collector's passes over them), which counts little here and much in wall
time, so the ratio below is a guide for changing the engine, not the goal of rules_bench.py. For the
same reason a batch of a thousand does not show what a determination costs the collector in a
batch of 100,000 (the full collections that a heap of fact models makes expensive): rules_bench.py
prints that as ``determine_gc_us``.
Last line: {"bench": "rules_instructions", "figures": {...}, "goals": {}}.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def stage(name: str, n: int) -> None:
    """The measured program: generate ``n`` clients, then validate and determine them by ``name``."""
    import random
    from datetime import date

    sys.path.insert(0, str(HERE.parent))
    sys.path.insert(0, str(HERE))
    argv, sys.argv = sys.argv, sys.argv[:1]  # rules_bench reads its size from argv on import
    import rules_bench
    sys.argv = argv
    from rules import loader
    from rules.engine import determine
    from rules.facts import CaseFacts

    rnd = random.Random(20261123)
    raw = [json.dumps(rules_bench.make_case(i, rnd)) for i in range(n)]
    ctx = loader.default_context(overrides={"t0": date(2026, 1, 1)})
    vctx = {"municipalities": ctx.municipalities}
    for f in [CaseFacts.model_validate_json(r, context=vctx) for r in raw[:50]]:  # warm both paths
        determine(f, ctx)
    if name in ("validate", "determine"):
        facts = [CaseFacts.model_validate_json(r, context=vctx) for r in raw]
        if name == "determine":
            [determine(f, ctx) for f in facts]


def count(name: str, n: int) -> int:
    out = Path(tempfile.mkdtemp()) / "callgrind.out"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
                           __file__, "--stage", name, str(n)], capture_output=True, text=True, env=env, check=True)
    shutil.rmtree(out.parent, ignore_errors=True)
    m = re.search(r"Collected : (\d+)", proc.stderr)
    if m is None:
        raise SystemExit(f"no instruction count from valgrind:\n{proc.stderr[-2000:]}")
    return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=200)
    ap.add_argument("--large", type=int, default=1000)
    ap.add_argument("--stage", nargs=2, metavar=("NAME", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stage:
        stage(args.stage[0], int(args.stage[1]))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    per = {}
    for name in ("generate", "validate", "determine"):
        small, large = count(name, args.small), count(name, args.large)
        per[name] = (large - small) / (args.large - args.small)
        print(f"{name}: {per[name]:,.0f} instructions per client", flush=True)
    validate = per["validate"] - per["generate"]
    determine = per["determine"] - per["validate"]
    figures = {"clients": [args.small, args.large], "validate_instructions": round(validate),
               "determine_instructions": round(determine), "ratio_instructions": round(validate / determine, 3)}
    print(f"per client: validation {validate:,.0f}, determination {determine:,.0f} instructions")
    print(json.dumps({"bench": "rules_instructions", "figures": figures, "goals": {}}))


if __name__ == "__main__":
    main()
