"""Flood benchmark: a trivial endpoint's p99 while the server is flooded with expensive requests.

    .venv/bin/python bench/flood_bench.py [--entries 3000] [--flood 200] [--probes 300]

A real `bwledger serve` (uvicorn, SQLite under a temporary BWLEDGER_HOME, default pool settings of
api/settings.py) holds a ledger of ENTRIES signed determinations. Measured in the same run:
 (a) unloaded: PROBES sequential `GET /api/health`, their p50 and p99;
 (b) under a verify flood: FLOOD parallel `GET /api/ledger/verify?workers=64` (sent from another
     process, so the measuring process stays quiet) while the same PROBES health requests run;
 (c) under a bundle flood: FLOOD parallel `GET /api/ledger/bundle?party=GM0166`, the same way.
For each flood: the health p99 against the unloaded p99, how many flood answers were 200 and how many
503 SERVER_BUSY (each with Retry-After), and the most worker processes the server had at once (the
caller's `workers=64` must not fork anything). Goals: the health p99 under each flood at most 0.25 s
(its ratio to the unloaded p99 is a figure); every flood answer is 200 or 503 with Retry-After; no
forked workers.
The last line printed is one JSON object: {"bench": "flood", "figures": {...}, "goals": {...}}.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx

from api import bootstrap
from api.settings import load_settings
from ledger import service

#: the trivial endpoint's p99 under a flood, at most
GOAL_P99_S = 0.25


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def payload(i: int) -> dict:
    return {"determination_id": f"flood-{i}", "determination_digest": "a" * 64, "input_digest": "b" * 64,
            "ruleset_version": "rules-1", "context_version": "ctx-1", "reference_date": "2026-01-15",
            "outcome": {"cost_bearer": "GM0193", "budget": "woonplaats", "client_class": "NEW",
                        "new_client": True, "statutory_college": "GM0166", "entry_kind": "inter_regional"},
            "flags": [], "provisional": False, "addressee": "GM0193"}


def seed(home: Path, n: int) -> None:
    settings = load_settings({"BWLEDGER_HOME": str(home), "BWLEDGER_CHECKPOINT_SECONDS": "0"})
    store = bootstrap.init_store(settings)
    signer = service.party_signer(store, settings.keys_dir, "GM0166")
    for lo in range(0, n, 500):
        items = [service.sign_statement(signer, "determination", payload(i), idempotency_key=f"flood-{i}",
                                        client=f"PSN-flood-{i % 97}") for i in range(lo, min(n, lo + 500))]
        service.record_batch(store, items)
    store.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def probe(url: str, count: int) -> list[float]:
    out = []
    with httpx.Client(timeout=60) as c:
        for _ in range(count):
            t = time.perf_counter()
            r = c.get(url + "/api/health")
            out.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
    return out


def _flood(url: str, path: str, n: int, queue) -> None:
    async def main():
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(timeout=600, limits=limits) as c:
            async def one():
                try:
                    r = await c.get(url + path)
                    return r.status_code, r.headers.get("retry-after")
                except httpx.HTTPError as exc:
                    return type(exc).__name__, None
            return await asyncio.gather(*(one() for _ in range(n)))
    t = time.perf_counter()
    answers = asyncio.run(main())
    queue.put((answers, time.perf_counter() - t))


def children(pid: int) -> int:
    """How many processes the server has forked (verification workers)."""
    try:
        return len(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
    except OSError:
        return 0


def flood_run(url: str, pid: int, path: str, n: int, probes: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_flood, args=(url, path, n, queue))
    peak = [0]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], children(pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    proc.start()
    time.sleep(0.5)  # the flood is in flight
    times = probe(url, probes)
    answers, seconds = queue.get(timeout=900)
    proc.join()
    stop.set()
    watcher.join()
    ok = sum(1 for s, _ in answers if s == 200)
    busy = sum(1 for s, ra in answers if s == 503 and ra)
    return {"p50_s": round(statistics.median(times), 4), "p99_s": round(p(times, 0.99), 4),
            "flood_ok": ok, "flood_busy_503": busy, "flood_other": len(answers) - ok - busy,
            "flood_seconds": round(seconds, 2), "server_children_peak": peak[0]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=3000)
    ap.add_argument("--flood", type=int, default=200)
    ap.add_argument("--probes", type=int, default=300)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bwledger-flood-"))
    server = out = None
    try:
        t = time.perf_counter()
        seed(home, args.entries)
        log(f"seeded {args.entries} entries in {time.perf_counter() - t:.1f} s")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "BWLEDGER_HOME": str(home), "BWLEDGER_CHECKPOINT_SECONDS": "0"}
        env.pop("BWLEDGER_DATABASE_URL", None)
        out = open(home / "server.log", "w+b")  # noqa: SIM115 - the server writes it until the finally
        server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port",
                                   str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                out.seek(0)
                raise SystemExit(f"server did not come up: {out.read().decode(errors='replace')}")
            time.sleep(0.1)
        probe(url, 20)  # warm up
        unloaded = probe(url, args.probes)
        figures: dict = {"entries": args.entries, "flood": args.flood, "probes": args.probes,
                         "unloaded": {"p50_s": round(statistics.median(unloaded), 4),
                                      "p99_s": round(p(unloaded, 0.99), 4)}}
        log(f"unloaded health p99 {figures['unloaded']['p99_s'] * 1000:.1f} ms")
        for name, path in (("verify_flood", "/api/ledger/verify?workers=64"),
                           ("bundle_flood", "/api/ledger/bundle?party=GM0166")):
            figures[name] = res = flood_run(url, server.pid, path, args.flood, args.probes)
            res["p99_vs_unloaded"] = round(res["p99_s"] / figures["unloaded"]["p99_s"], 2)
            log(f"{name}: health p99 {res['p99_s'] * 1000:.1f} ms ({res['p99_vs_unloaded']}x), "
                f"{res['flood_ok']} x 200, {res['flood_busy_503']} x 503, {res['flood_other']} other, "
                f"{res['server_children_peak']} forked workers at most")
        goals = {}
        for name in ("verify_flood", "bundle_flood"):
            res = figures[name]
            # the goal is absolute: a person does not notice a quarter of a second; the ratio is a figure (it
            # moves with the unloaded p99 of a few ms, and a pool thread doing CPU work holds the GIL for
            # up to the 5 ms switch interval at each of the trivial request's thread hops)
            goals[f"health_p99_under_{name}_s"] = {"value": res["p99_s"], "goal": GOAL_P99_S,
                                                   "met": bool(res["p99_s"] <= GOAL_P99_S)}
            goals[f"{name}_answers_200_or_503_retry_after"] = {
                "value": res["flood_other"], "goal": 0, "met": res["flood_other"] == 0}
        goals["verify_flood_forks_no_caller_workers"] = {
            "value": figures["verify_flood"]["server_children_peak"], "goal": 0,
            "met": figures["verify_flood"]["server_children_peak"] == 0}
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        if out is not None:
            out.close()
        shutil.rmtree(home, ignore_errors=True)
    print(json.dumps({"bench": "flood", "figures": figures, "goals": goals}))


if __name__ == "__main__":
    main()
