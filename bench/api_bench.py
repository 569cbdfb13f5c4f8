"""API benchmark: `bwledger serve --workers N` on PostgreSQL, loaded by `wrk` from another process.

    .venv/bin/python bench/api_bench.py [--workers 2] [--seconds 8] [--clients 8]

Set-up (not timed): a PostgreSQL schema of its own (BWLEDGER_TEST_PG_URL, dropped afterwards) holding the
demo's ledger (`bwledger demo` on it: determinations, notices, placements, cost lines, settled quarters), a
token per party (api/access/accounts.py, as `bwledger accounts token add` makes them) and, per client,
enough pre-signed N1 statements (`placement_notice`, each of its own client pseudonym and idempotency
key, signed with that party's key) for the whole run. The server runs as in production: login (bearer
tokens), the audit log and the rate limits on (the limits raised so that 8 clients on one address are
not refused: they are still checked and counted for every request), the checkpoint timer on.

Measured in the same run, each phase `--seconds` long with `--clients` connections (Debian `wrk`, a Lua
script that sends each connection its own statements and counts the answers):
 (a) the reference: a trivial Litestar endpoint (bench/trivial_app.py) under uvicorn with the same
     number of workers;
 (b) `POST /v1/grootboek/regels` of signed entries by the clients, each its own party;
 (c) `GET /v1/berichten?map=inbox` of the host municipality (Zwolle), its inbox of N1s;
 (d) `GET /v1/verrekeningen/2026K1/overzichten/GM0166?format=json`, Kampen's statement.
Goals (issue 14): entry POSTs at least 0.25 of the trivial endpoint's rate, their p99 at most 10x the
trivial p99; the inbox and the statement p99 at most 5x the trivial p99. Every answer of (b) must be 201
and of (c)/(d) 200 (counted; a run with other answers does not meet its goals).
`--scale national` (issue 15) seeds the synthetic national data set of `bwledger demo --scale national` instead
(about 110,000 entries; its seeding takes many minutes and is not timed), so the inbox and statement goals are
measured at the size of the country.
The last line printed is one JSON object: {"bench": "api", "figures": {...}, "goals": {...}}.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

PG_URL = os.environ.get("BWLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: the parties whose regions place clients in Zwolle (the demo's cost bearers), one per client
PARTIES = ["GM0166", "GM0148", "GM0160", "GM1708", "GM0505", "GM0228", "GM0718", "GM0345", "GM0642", "GM0150"]
HOST = {"host_region": "RG:ijssel-vecht", "host_municipality": "GM0193"}
GOAL_POST_RATE = 0.25
GOAL_POST_P99 = 10.0
GOAL_READ_P99 = 5.0

LUA = r"""
local counter, threads = 1, {}
function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end
function init(args)
  bodies, i, statuses = {}, 0, {}
  local dir = args[1]
  if dir ~= nil and dir ~= "" then
    for line in io.lines(dir .. "/bodies-" .. id .. ".jsonl") do table.insert(bodies, line) end
  end
  local f = io.open(args[2] .. "/token-" .. id .. ".txt")
  if f == nil then f = io.open(args[2] .. "/token-1.txt") end
  token = f:read("*l"); f:close()
  wrk.headers["Authorization"] = "Bearer " .. token
  if #bodies > 0 then wrk.headers["Content-Type"] = "application/json"; wrk.method = "POST" end
end
function request()
  if #bodies == 0 then return wrk.format(nil, wrk.path) end
  i = i + 1
  return wrk.format(nil, wrk.path, nil, bodies[((i - 1) % #bodies) + 1])
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do merged[tostring(k)] = (merged[tostring(k)] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%s": %d', k, v)) end
  io.write(string.format('WRKJSON {"requests": %d, "seconds": %.3f, "p50_us": %d, "p99_us": %d, "errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    table.concat(parts, ", ")))
end
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def run_wrk(url: str, work: Path, seconds: int, clients: int, bodies: bool) -> dict:
    script = work / "bench.lua"
    script.write_text(LUA)
    args = ["wrk", "-t", str(clients), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "10s", "-s", str(script),
            url, "--", str(work / "bodies") if bodies else "", str(work / "tokens")]  # "": no statements
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    r = json.loads(line[len("WRKJSON "):])
    r["rate"] = r["requests"] / r["seconds"]
    return r


def seed(home: Path, env: dict, work: Path, clients: int, per_client: int, scale: str | None = None) -> None:
    """The demo's ledger on PostgreSQL (`--scale`: the synthetic national data set of `bwledger demo --scale`),
    the tokens and the pre-signed statements (not timed)."""
    subprocess.run([sys.executable, "-m", "api.cli", "demo", *(["--scale", scale] if scale else [])], cwd=ROOT,
                   env=env, check=True, stdout=subprocess.DEVNULL)
    from api.access.accounts import AccessService
    from ledger import service

    store = service.init_ledger(env["BWLEDGER_DATABASE_URL"], home / "keys", schema=env["BWLEDGER_DATABASE_SCHEMA"])
    access = AccessService(store.engine)
    (work / "bodies").mkdir()
    (work / "tokens").mkdir()
    for n in range(1, clients + 1):
        party = PARTIES[(n - 1) % len(PARTIES)]
        _rec, token = access.issue_token(party, ("finance", "regio"), label="api-bench", created_by="api-bench")
        (work / "tokens" / f"token-{n}.txt").write_text(token + "\n")
        signer = service.party_signer(store, home / "keys", party)
        with open(work / "bodies" / f"bodies-{n}.jsonl", "w") as f:
            for j in range(per_client):
                client = f"PSN-bench-{n}-{j}"
                payload = {"placing_party": party, **HOST, "cost_bearer": party, "location": "Zwolle-01",
                           "start_date": "2026-03-01", "contract_used": "ijv-bw-2025", "legal_basis": "pseudoniem"}
                st = service.sign_statement(signer, "placement_notice", payload, idempotency_key=f"bench-{n}-{j}",
                                            client=client)
                f.write(json.dumps({"statement": base64.b64encode(st.statement).decode(),
                                    "signature": base64.b64encode(st.signature).decode()}) + "\n")
    for name, party, roles in (("inbox", "GM0193", ("regio",)), ("statement", "GM0166", ("finance",))):
        _rec, token = access.issue_token(party, roles, label="api-bench", created_by="api-bench")
        (work / f"tokens-{name}").mkdir()
        (work / f"tokens-{name}" / "token-1.txt").write_text(token + "\n")
    store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--per-client", type=int, default=4000, help="pre-signed statements per client")
    ap.add_argument("--scale", choices=("small", "medium", "national"), default=None,
                    help="load the synthetic data set of `bwledger demo --scale` instead of the demo's ledger "
                         "(issue 15: the inbox and statement goals at national size)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench installs it)")
    schema = f"apibench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    home = Path(tempfile.mkdtemp(prefix="bwledger-apibench-"))
    work = home / "bench"
    work.mkdir()
    env = {**os.environ, "BWLEDGER_HOME": str(home), "BWLEDGER_DATABASE_URL": PG_URL,
           "BWLEDGER_DATABASE_SCHEMA": schema, "BWLEDGER_RATE_PER_MINUTE_CALLER": "10000000",
           "BWLEDGER_RATE_PER_MINUTE_ADDRESS": "10000000", "BWLEDGER_CHECKPOINT_SECONDS": "2"}
    procs: list[subprocess.Popen] = []
    try:
        what = f"the {args.scale} data set" if args.scale else "the demo's ledger"
        log(f"seeding {what} in schema {schema} and {args.clients} x {args.per_client} statements ...")
        started = time.monotonic()
        seed(home, env, work, args.clients, args.per_client, args.scale)
        seed_seconds = round(time.monotonic() - started, 1)
        with admin.connect() as c:
            entries_before = c.exec_driver_sql(f"SELECT count(*) FROM {schema}.ledger_entries").scalar()
        port, tport = free_port(), free_port()
        server_log = open(home / "server.log", "w")
        procs.append(subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port",
                                       str(port), "--workers", str(args.workers)], cwd=ROOT, env=env,
                                      stdout=server_log, stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "bench.trivial_app:create",
                                       "--workers", str(args.workers), "--host", "127.0.0.1", "--port", str(tport),
                                       "--log-level", "warning"], cwd=ROOT, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        base, trivial_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{tport}/"
        wait_up(base + "/v1/gezondheid")
        wait_up(trivial_url)
        log("trivial endpoint ...")
        trivial = run_wrk(trivial_url, work, args.seconds, args.clients, bodies=False)
        log("inbox ...")
        inbox = _read_phase(work, base + "/v1/berichten?map=inbox", "tokens-inbox", args)
        log("statement ...")
        statement = _read_phase(work, base + "/v1/verrekeningen/2026K1/overzichten/GM0166?format=json",
                                "tokens-statement", args)
        log("entry POSTs ...")
        posts = run_wrk(base + "/v1/grootboek/regels", work, args.seconds, args.clients, bodies=True)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        with admin.begin() as c:
            c.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()
        shutil.rmtree(home, ignore_errors=True)

    def ms(us: float) -> float:
        return round(us / 1000, 2)

    ok_posts = posts["statuses"].get("201", 0) == posts["requests"] and posts["errors"] == 0
    ok_reads = all(p["statuses"].get("200", 0) == p["requests"] and p["errors"] == 0 for p in (inbox, statement))
    figures = {"scale": args.scale or "demo", "entries_seeded": entries_before, "seed_seconds": seed_seconds,
               "workers": args.workers, "clients": args.clients, "seconds": args.seconds,
               "trivial_rps": round(trivial["rate"]), "trivial_p50_ms": ms(trivial["p50_us"]),
               "trivial_p99_ms": ms(trivial["p99_us"]),
               "post_rps": round(posts["rate"], 1), "post_p50_ms": ms(posts["p50_us"]), "post_p99_ms": ms(posts["p99_us"]),
               "post_statuses": posts["statuses"],
               "inbox_rps": round(inbox["rate"], 1), "inbox_p50_ms": ms(inbox["p50_us"]), "inbox_p99_ms": ms(inbox["p99_us"]),
               "statement_rps": round(statement["rate"], 1), "statement_p50_ms": ms(statement["p50_us"]),
               "statement_p99_ms": ms(statement["p99_us"]),
               "read_statuses": {"inbox": inbox["statuses"], "statement": statement["statuses"]}}
    post_rate = posts["rate"] / trivial["rate"]
    post_p99 = posts["p99_us"] / trivial["p99_us"]
    inbox_p99 = inbox["p99_us"] / trivial["p99_us"]
    statement_p99 = statement["p99_us"] / trivial["p99_us"]
    goals = {"post_rate_vs_trivial": {"value": round(post_rate, 3), "goal": GOAL_POST_RATE,
                                      "met": ok_posts and post_rate >= GOAL_POST_RATE},
             "post_p99_vs_trivial": {"value": round(post_p99, 2), "goal": GOAL_POST_P99,
                                     "met": ok_posts and post_p99 <= GOAL_POST_P99},
             "inbox_p99_vs_trivial": {"value": round(inbox_p99, 2), "goal": GOAL_READ_P99,
                                      "met": ok_reads and inbox_p99 <= GOAL_READ_P99},
             "statement_p99_vs_trivial": {"value": round(statement_p99, 2), "goal": GOAL_READ_P99,
                                          "met": ok_reads and statement_p99 <= GOAL_READ_P99}}
    log(f"trivial {figures['trivial_rps']}/s p99 {figures['trivial_p99_ms']} ms; POST {figures['post_rps']}/s "
        f"p99 {figures['post_p99_ms']} ms; inbox p99 {figures['inbox_p99_ms']} ms; statement p99 "
        f"{figures['statement_p99_ms']} ms")
    print(json.dumps({"bench": "api", "figures": figures, "goals": goals}))


def _read_phase(work: Path, url: str, tokens: str, args) -> dict:
    """A GET phase with one party's token for every connection."""
    (work / "tokens").rename(work / "tokens-posts")
    (work / tokens).rename(work / "tokens")
    try:
        return run_wrk(url, work, args.seconds, args.clients, bodies=False)
    finally:
        (work / "tokens").rename(work / tokens)
        (work / "tokens-posts").rename(work / "tokens")


if __name__ == "__main__":
    main()
