"""Ledger benchmark: raw Ed25519 verification, batched and single appends (SQLite, PostgreSQL),
full verification of a 1,000,000-entry store on every core, and offline bundle verification.

    .venv/bin/python bench/ledger_bench.py [--entries 1000000] [--append 20000]

PostgreSQL: BWLEDGER_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test), in a
schema of its own that is dropped afterwards.  Files go to bench/out/.  The last line printed is one
JSON object: {"bench": "ledger", "figures": {...}, "goals": {NAME: {"value", "goal", "met"}}}.

References (all measured in the same run, by `cryptography` on one statement-sized message):

* batched append (SQLite, PostgreSQL): ONE reference, the run's one-core raw verify rate, the median
  of >= 1 s one-core samples taken at quiet points: at the start, just before each append round,
  between the bundle verifications and at the end.  None is taken while an append round runs.
  Each append runs in ROUNDS (3) rounds of a third of the entries; the figure is the median round
  (every round's rate is printed), so one slow moment of a shared VM moves one round, not the goal.  Raw-verify bursts sampled *between* the append batches are still printed
  (`raw_verify_per_s_between_*_batches`) but only as information: the append phase itself (fsync,
  the VM's I/O emulation, evicted caches) depresses them, so a ratio against them would excuse part
  of the append's own cost.
  Also for information: the append's entries per CPU second of this process against raw verifies
  per CPU second (`batched_append_*_cpu_vs_raw_cpu`; on PostgreSQL the server's CPU is not in it),
  which other processes on a shared machine disturb far less than wall time, and the append's cost
  per entry beyond one signature check at the reference (`append_us_per_entry_beyond_one_verify`).
* full verify: the raw rate with every core verifying at once, just before and after it (mean),
  because that is what "per core" means when every core is used (on shared or throttled vCPUs it is
  lower than the one-core rate); the ratio against the one-core median times the number of cores is
  printed as well (`full_verify_vs_one_core_raw_times_cores`).  The cryptographic pass is timed from
  the start of verify_store to the last stretch of rows checked (reading the keys and the view,
  starting the worker processes, every signature, hash and chain link, the tree and the checkpoint
  roots).  Since 2026-12-04 the duplicate-key query (a check of pass 3, not cryptographic) runs during
  the replay instead of beside the workers; it took a few tenths of a per cent of the cores.
* bundle verification: ROUNDS verifications of the same file, each against the mean of the one-core
  samples just before and after it; the goal is the median of the per-round ratios.

What is measured checks everything: appends parse, validate and verify every statement and run
the whole admission (ledger/admission.py); the full verify checks every signature, chain link,
checkpoint and the tree (its cryptographic pass, the goal) and replays the admission of every entry
(reported as its own figure, in microseconds per entry next to a plain loop that only looks up each
entry's reference in a dict); bundle verification reads the file and checks every entry's signature,
inclusion proof and entitlement and the checkpoint.

The workload is one the rules admit: 95% monthly cost lines, each resting on a determination of its
client stored before the timed phase (5,000 clients), and 5% N1 notices and dispute submissions on
open cases.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from ledger.bundle import export_bundle, verify_bundle_file  # noqa: E402
from ledger.crypto import Signer, new_signer  # noqa: E402
from ledger.checkpoints import is_note_time  # noqa: E402
from ledger.entries import entry_hash  # noqa: E402
from ledger.merkle import Frontier  # noqa: E402
from ledger.service import init_ledger, register_key, sign_statement  # noqa: E402
from ledger.store import Store, checkpoints, signed_checkpoint_columns, tree_state  # noqa: E402
from ledger.verify import verify_store  # noqa: E402

PG_URL = os.environ.get("BWLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
OUT = ROOT / "bench" / "out"
PAIRS = [("GM0166", "GM0193"), ("GM0193", "GM0200"), ("GM0200", "GM0166")]


def log(msg: str) -> None:
    print(msg, flush=True)


CLIENTS = 5000


def client_of(i: int) -> str:
    return f"PSN-{i % CLIENTS:06d}"


def pair_of(i: int) -> tuple[str, str]:
    return PAIRS[(i % CLIENTS) % 3]


def determination(bearer: str, k: int) -> dict:
    return {"determination_id": f"det-{k}", "determination_digest": "a" * 64, "input_digest": "b" * 64,
            "ruleset_version": "bench", "context_version": "bench", "reference_date": "2026-01-01",
            "outcome": {"cost_bearer": bearer, "budget": "woonplaats", "client_class": "NEW", "new_client": True,
                        "statutory_college": bearer, "entry_kind": "inter_regional"},
            "flags": [], "provisional": False, "addressee": bearer}


def statement(i: int, bases: dict) -> tuple[str, str, dict]:
    """(author, kind, payload) of workload entry i: 19 of 20 a cost line on the client's determination,
    else an N1 notice or a submission to the open case of the client's pair."""
    f, b = pair_of(i)
    if i % 20 == 19:
        if i % 40 == 19:
            return f, "placement_notice", {
                "placing_party": f, "host_region": "RG:ijssel-vecht", "host_municipality": b, "cost_bearer": b,
                "location": f"locatie {i % 9}", "start_date": "2026-01-05", "contract_used": "ijv-bw-2025",
                "legal_basis": "pseudoniem"}
        case = bases["cases"][(f, b)]
        return f, "dispute_event", {**case, "action": "submission", "position": f"stuk {i}"}
    units = 1 + i % 31
    tariff = 19_500 if f in ("GM0166", "GM0193") else 12_345  # the IJssel-Vecht contract, else marked
    d = {"fronting_party": f, "cost_bearer": b, "period_from": "2026-01-01", "period_to": "2026-01-31",
         "product": "15A01", "units": units, "tariff_cents": tariff, "amount_cents": units * tariff,
         "status": "provisional", "historical_budget": False, "determination": bases["dets"][client_of(i)]}
    if tariff != 19_500:
        d["tariff_deviation"] = True
    return f, "cost_line", d


def client_for(i: int, bases: dict) -> str:
    f, b = pair_of(i)
    return bases["case_clients"][(f, b)] if i % 20 == 19 and i % 40 != 19 else client_of(i)


def raw_verify_rate(seconds: float = 2.0) -> float:
    """Ed25519 verifications per second on one core, for a statement-sized message."""
    key = Ed25519PrivateKey.generate()
    pub = key.public_key()
    msg = b"x" * 450
    sig = key.sign(msg)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(500):
            pub.verify(sig, msg)
        n += 500
    return n / (time.perf_counter() - start)


def _raw_rate_worker(_: int) -> float:
    return raw_verify_rate(3.0)


def raw_verify_rate_all_cores(cores: int) -> list[float]:
    """Per-process raw verify rates while every core verifies at once (what 'per core' means when
    every core is used: on shared or throttled vCPUs it is lower than the one-core rate)."""
    with multiprocessing.get_context("spawn").Pool(cores) as pool:
        return pool.map(_raw_rate_worker, range(cores))


def raw_verify_per_cpu_second(n: int = 4000) -> float:
    """Raw verifications per second of this process's CPU time (one core)."""
    key = Ed25519PrivateKey.generate()
    pub, msg = key.public_key(), b"x" * 450
    sig = key.sign(msg)
    start = time.process_time()
    for _ in range(n):
        pub.verify(sig, msg)
    return n / (time.process_time() - start)


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished child processes."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def setup(url: str, schema: str | None, keys: Path) -> tuple[Store, dict[str, Signer], dict]:
    """A store with the parties' keys, a determination for each of the CLIENTS clients and an open
    case per pair (what the workload rests on), stored before anything is timed."""
    store = init_ledger(url, keys, schema=schema)
    signers = {}
    for party in ("GM0166", "GM0193", "GM0200"):
        signers[party] = new_signer(party)
        register_key(store, signers[party])
    bases: dict = {"dets": {}, "cases": {}, "case_clients": {}}
    items = []
    for k in range(CLIENTS):
        f, b = pair_of(k)
        items.append(sign_statement(signers[f], "determination", determination(b, k), idempotency_key=f"det-{k}",
                                    client=client_of(k)).as_item())
    for k, r in enumerate(store.append_batch(items)):
        bases["dets"][client_of(k)] = {"seq": r.seq, "entry_hash": r.entry_hash.hex()}
    for k, (f, b) in enumerate(PAIRS):
        client = client_of(k)
        case = {"dispute_id": f"GS-bench-{k}", "determination": bases["dets"][client], "status": "DETERMINED",
                "previous_status": None, "participants": [f, b, "COMMITTEE"], "claiming": f, "responding": b}
        store.append(*sign_statement(signers[f], "dispute_event", case, idempotency_key=f"case-{k}",
                                     client=client).as_item())
        bases["cases"][(f, b)] = {**case, "previous_status": "DETERMINED"}
        bases["case_clients"][(f, b)] = client
    return store, signers, bases


def signed_items(signers: dict[str, Signer], bases: dict, n: int, tag: str) -> list[tuple[bytes, bytes]]:
    out = []
    for i in range(n):
        author, kind, p = statement(i, bases)
        st = sign_statement(signers[author], kind, p, idempotency_key=f"{tag}-{i}", client=client_for(i, bases))
        out.append(st.as_item())
    return out


def lookup_loop_us(store: Store, bases: dict) -> float:
    """The plain reference for the replay: read every entry's statement and look its reference up in a
    dict (microseconds per entry)."""
    known = {ref["seq"]: ref for ref in bases["dets"].values()}
    start, n = time.perf_counter(), 0
    for chunk in store.iter_raw_chunks():
        for r in chunk:
            d = json.loads(r[9])["payload"]
            ref = d.get("determination")
            if ref is not None:
                known.get(ref["seq"])
            n += 1
    return (time.perf_counter() - start) / n * 1e6


class RawVerifier:
    """Raw Ed25519 verification by `cryptography` (one core, a statement-sized message), sampled in
    short bursts between the batches of an append phase.  Information only: the append phase depresses
    these bursts (see the module docstring), so no goal is computed against them."""

    def __init__(self) -> None:
        key = Ed25519PrivateKey.generate()
        self.pub, self.msg = key.public_key(), b"x" * 450
        self.sig = key.sign(self.msg)
        self.count, self.seconds = 0, 0.0

    def burst(self, n: int = 150) -> None:
        pub, sig, msg = self.pub, self.sig, self.msg
        start = time.perf_counter()
        for _ in range(n):
            pub.verify(sig, msg)
        self.seconds += time.perf_counter() - start
        self.count += n

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def bench_batched(store: Store, signers, bases, n: int, batch: int) -> tuple[float, float, float]:
    """(entries/s of batched appends, raw verifies/s sampled between the batches, entries per CPU
    second of this process)."""
    items = signed_items(signers, bases, n, f"batch-{uuid.uuid4().hex[:6]}")
    raw = RawVerifier()
    spent = cpu = 0.0
    raw.burst()
    for i in range(0, n, batch):
        start, cpu0 = time.perf_counter(), time.process_time()
        store.append_batch(items[i:i + batch])
        spent += time.perf_counter() - start
        cpu += time.process_time() - cpu0
        raw.burst()
    return n / spent, raw.rate, n / cpu


ROUNDS = 3


def append_rounds(store: Store, signers, bases, n: int, batch: int, label: str, sample_raw, figures: dict
                  ) -> tuple[float, float, float, float]:
    """The batched append in ROUNDS rounds of n/ROUNDS entries, a one-core raw sample at the quiet
    point before each: (the median round's entries/s, its raw bursts between batches, its entries per
    CPU second, raw verifies per CPU second before it).  One slow moment of a shared VM moves one
    round, not the figure; every round's rate is printed."""
    rounds = []
    for k in range(1, ROUNDS + 1):
        sample_raw(f"before_{label}_append_{k}")
        raw_cpu = raw_verify_per_cpu_second()
        rate, between, per_cpu = bench_batched(store, signers, bases, n // ROUNDS, batch)
        rounds.append((rate, between, per_cpu, raw_cpu))
    figures[f"batched_append_{label}_rounds_per_s"] = [round(r[0]) for r in rounds]
    return sorted(rounds)[len(rounds) // 2]


def bench_single(store: Store, signers, bases, n: int) -> float:
    items = signed_items(signers, bases, n, f"single-{uuid.uuid4().hex[:6]}")
    start = time.perf_counter()
    for item in items:
        store.append(*item)
    return (time.perf_counter() - start) / n * 1000


# --- the 1,000,000-entry store, loaded in bulk (signed for real, chained, checkpointed) ----------
_sign_ctx: dict = {}


def _sign_init(keys: dict[str, bytes], bases: dict) -> None:
    from cryptography.hazmat.primitives import serialization

    _sign_ctx["signers"] = {p: Signer(p, serialization.load_der_private_key(k, None)) for p, k in keys.items()}
    _sign_ctx["bases"] = bases


def _sign_chunk(bounds: tuple[int, int]) -> list[tuple[bytes, bytes]]:
    signers, bases = _sign_ctx["signers"], _sign_ctx["bases"]
    out = []
    for i in range(*bounds):
        author, kind, p = statement(i, bases)
        st = sign_statement(signers[author], kind, p, idempotency_key=f"bulk-{i}", client=client_for(i, bases))
        out.append(st.as_item())
    return out


def bulk_load(store: Store, signers: dict[str, Signer], bases: dict, n: int) -> None:
    """Bench-only loader: statements signed on every core, then chained, inserted and checkpointed
    exactly as the append path stores them, without re-verifying the bench's own signatures."""
    from cryptography.hazmat.primitives import serialization

    der = {p: s.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()) for p, s in signers.items()}
    state = store.tree_state()
    frontier = Frontier.from_bytes(state.tree_size, state.frontier)
    prev, seq = state.head_hash, state.tree_size
    chunk = 20_000
    bounds = [(i, min(i + chunk, n)) for i in range(0, n, chunk)]
    with multiprocessing.get_context("fork").Pool(os.cpu_count(), _sign_init, (der, bases)) as pool:
        for items in pool.imap(_sign_chunk, bounds):
            now = store.clock()
            stored_at = store._stored_received_at(now)
            rows, cps = [], []
            for raw, sig in items:
                h = entry_hash(seq, now, prev, sig, raw)
                st = json.loads(raw)
                rows.append((seq, stored_at, prev, h, st["kind"], st["author"], st["key_id"], st["idempotency_key"],
                             st["client"], raw, sig))
                frontier.append(h)
                prev, seq = h, seq + 1
                if frontier.size % 1000 == 0 or seq == state.tree_size + n:
                    root = frontier.root()
                    cps.append({"tree_size": frontier.size, "root_hash": root, "created_at": now,
                                "key_id": store.operator.key_id})
            with store.engine.begin() as c:
                origin = store.origin_for_note(c) if is_note_time(now) else None
                for cp in cps:  # the note (or, before note_from, the JSON) the store itself would sign
                    cp.update(signed_checkpoint_columns(store.operator, origin, cp["tree_size"], cp["root_hash"], now))
                store._insert_entries(c, rows)
                c.execute(checkpoints.insert(), cps)
                c.execute(tree_state.update().where(tree_state.c.id == 1).values(
                    tree_size=seq, head_hash=prev, frontier=frontier.to_bytes(), last_received_at=now,
                    checkpoint_size=seq))


def pg_schema() -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with sa.create_engine(PG_URL).begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {name}")
    return name


def drop_schema(name: str) -> None:
    with sa.create_engine(PG_URL).begin() as c:
        c.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=1_000_000, help="size of the store for the full verify")
    ap.add_argument("--append", type=int, default=20_000, help="entries for the batched append runs")
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=OUT))
    figures: dict = {"cores": cores}
    # The reference for the append goals: the median of one-core raw verify samples (>= 1 s each)
    # taken at quiet points (start, just before each append phase, around the bundle, end), never
    # between the batches of an append phase.  See the module docstring.
    raw_samples: list[tuple[str, float]] = []

    def sample_raw(label: str) -> float:
        raw_samples.append((label, raw_verify_rate(1.0)))
        return raw_samples[-1][1]

    try:
        log(f"raw Ed25519 verify: {sample_raw('start'):,.0f}/s on one core")

        store, signers, bases = setup(f"sqlite:///{work / 'append.db'}", None, work / "keys-a")
        rate, ref_sqlite, per_cpu, raw_cpu = append_rounds(store, signers, bases, args.append, args.batch,
                                                           "sqlite", sample_raw, figures)
        figures["batched_append_sqlite_per_s"] = round(rate)
        # information, less sensitive to other processes: entries per CPU second of this process (the
        # whole append on SQLite) against raw verifies per CPU second just before
        figures["batched_append_sqlite_cpu_vs_raw_cpu"] = round(per_cpu / raw_cpu, 3)
        figures["raw_verify_per_s_between_sqlite_batches"] = round(ref_sqlite)
        log(f"batched append, SQLite: {rate:,.0f} entries/s (batches of {args.batch}, one core); raw verify "
            f"between the batches {ref_sqlite:,.0f}/s (information only)")
        ms = bench_single(store, signers, bases, 200)
        figures["single_durable_append_sqlite_ms"] = round(ms, 3)
        log(f"single durable append, SQLite: {ms:.2f} ms")

        # what the canonical re-check of verify --deep costs on top of the plain verify
        plain = verify_store(store, workers=1)
        deep = verify_store(store, workers=1, deep=True)
        assert plain.ok and deep.ok, (plain.problems[:3], deep.problems[:3])
        figures["verify_deep_time_vs_plain"] = round(deep.seconds / plain.seconds, 3)
        log(f"verify of {plain.entries} entries on one core: {plain.seconds:.2f} s plain, "
            f"{deep.seconds:.2f} s with the canonical form re-checked")

        bundle = work / "bundle.json"
        today = date.today()
        summary = export_bundle(store, "GM0200", today - timedelta(days=1), today + timedelta(days=1), bundle)
        n_bundle = summary.entries + summary.references + summary.key_entries
        # ROUNDS verifications, each between two one-core raw samples; the goal takes the median of the
        # per-round ratios (one slow moment of a shared VM moves one round, not the figure)
        after = sample_raw("before_bundle_1")
        runs = []
        for k in range(1, ROUNDS + 1):
            before = after
            report = verify_bundle_file(bundle, trusted_operator_keys=[store.operator.key_id])
            assert report.ok, report.problems[:3]
            after = sample_raw(f"after_bundle_{k}")
            per_entry_us = report.seconds / n_bundle * 1e6  # reading and parsing the file included
            runs.append((per_entry_us / (1e6 / ((before + after) / 2)), per_entry_us, (before + after) / 2))
        ratio_bundle, per_entry_us, ref_bundle = sorted(runs)[len(runs) // 2]
        figures["raw_verify_per_s_around_bundle"] = round(ref_bundle)
        figures["bundle_entries"] = n_bundle
        figures["bundle_bytes"] = bundle.stat().st_size
        figures["bundle_verify_us_per_entry"] = round(per_entry_us, 1)
        figures["bundle_verify_ratio_rounds"] = [round(r[0], 3) for r in runs]
        log(f"bundle verify (file read, parsed and checked): {n_bundle} entries, {per_entry_us:.1f} us/entry "
            f"(median of {ROUNDS}; ratios {', '.join(f'{r[0]:.2f}' for r in runs)})")
        store.dispose()

        schema = pg_schema()
        try:
            pg, pg_signers, pg_bases = setup(PG_URL, schema, work / "keys-p")
            rate, ref_pg, per_cpu, raw_cpu = append_rounds(pg, pg_signers, pg_bases, args.append, args.batch,
                                                           "postgres", sample_raw, figures)
            figures["batched_append_postgres_per_s"] = round(rate)
            # information: the client's CPU only (the server's work on another core is not in it)
            figures["batched_append_postgres_client_cpu_vs_raw_cpu"] = round(per_cpu / raw_cpu, 3)
            figures["raw_verify_per_s_between_postgres_batches"] = round(ref_pg)
            log(f"batched append, PostgreSQL: {rate:,.0f} entries/s; raw verify between the batches "
                f"{ref_pg:,.0f}/s (information only)")
            ms = bench_single(pg, pg_signers, pg_bases, 200)
            figures["single_durable_append_postgres_ms"] = round(ms, 3)
            log(f"single durable append, PostgreSQL: {ms:.2f} ms")
            pg.dispose()
        finally:
            drop_schema(schema)

        big, big_signers, big_bases = setup(f"sqlite:///{work / 'big.db'}", None, work / "keys-b")
        start = time.perf_counter()
        bulk_load(big, big_signers, big_bases, args.entries)
        figures["bulk_load_s"] = round(time.perf_counter() - start, 1)
        log(f"loaded {args.entries:,} signed entries in {figures['bulk_load_s']} s")
        all_before = raw_verify_rate_all_cores(cores)
        cpu_ref = [raw_verify_per_cpu_second()]
        cpu0 = _cpu_seconds()
        report = verify_store(big)
        cpu_used = _cpu_seconds() - cpu0
        assert report.ok, report.problems[:3]
        cpu_ref.append(raw_verify_per_cpu_second())
        all_after = raw_verify_rate_all_cores(cores)
        # CPU time (of this process and its worker processes) is far less affected by other processes on
        # a shared machine than wall time: supporting figures, the goal stays on wall time
        figures["full_verify_per_cpu_s"] = round(report.entries / cpu_used)
        figures["raw_verify_per_cpu_s"] = round(sum(cpu_ref) / 2)
        figures["full_verify_cpu_efficiency_vs_raw"] = round(report.entries / cpu_used / (sum(cpu_ref) / 2), 3)
        figures["full_verify_cores_busy"] = round(cpu_used / report.seconds, 2)
        raw_all = (sum(all_before) + sum(all_after)) / 2
        figures["raw_verify_per_s_all_cores_at_once"] = round(raw_all)
        figures["raw_verify_all_cores_samples"] = [round(sum(all_before)), round(sum(all_after))]
        log(f"raw Ed25519 verify with all {cores} cores at once: {sum(all_before):,.0f}/s before, "
            f"{sum(all_after):,.0f}/s after the full verify")
        vrate = report.entries / report.seconds
        crypto_rate = report.entries / report.crypto_seconds
        replay_us = report.replay_seconds / report.entries * 1e6
        loop_us = lookup_loop_us(big, big_bases)
        figures.update(full_verify_entries=report.entries, full_verify_s=round(report.seconds, 1),
                       full_verify_per_s=round(vrate), full_verify_processes=report.workers,
                       full_verify_crypto_pass_s=round(report.crypto_seconds, 1),
                       full_verify_crypto_pass_per_s=round(crypto_rate),
                       full_verify_replay_s=round(report.replay_seconds, 1),
                       verify_replay_us_per_entry=round(replay_us, 1),
                       plain_lookup_loop_us_per_entry=round(loop_us, 2),
                       verify_replay_vs_lookup_loop=round(replay_us / loop_us, 1))
        log(f"full verify: {report.entries:,} entries in {report.seconds:.1f} s = {vrate:,.0f}/s "
            f"on {report.workers} processes; cryptographic pass {report.crypto_seconds:.1f} s "
            f"({crypto_rate:,.0f}/s), replay of admission {report.replay_seconds:.1f} s ({replay_us:.1f} us/entry, "
            f"a plain dict-lookup loop {loop_us:.2f} us/entry)")
        big.dispose()
        sample_raw("end")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    raw = statistics.median(r for _, r in raw_samples)
    figures["raw_verify_per_s_one_core"] = round(raw)
    figures["raw_verify_one_core_samples"] = {label: round(r) for label, r in raw_samples}
    log(f"raw Ed25519 verify, one core: median {raw:,.0f}/s of {len(raw_samples)} samples "
        f"({', '.join(f'{label} {r:,.0f}' for label, r in raw_samples)})")

    def goal(value, target, at_least=True):
        return {"value": round(value, 3), "goal": target, "met": bool(value >= target if at_least else value <= target)}

    goals = {
        # against the one reference of the run (the one-core median), not the bursts between batches
        # floors (issue 11): 0.5 for the append with every rule admitted, 0.8 for the cryptographic pass
        "batched_append_sqlite_vs_raw_verify_per_core": goal(figures["batched_append_sqlite_per_s"] / raw, 0.5),
        "batched_append_postgres_vs_raw_verify_per_core": goal(figures["batched_append_postgres_per_s"] / raw, 0.5),
        "full_verify_crypto_pass_vs_raw_verify_per_core": goal(figures["full_verify_crypto_pass_per_s"] / raw_all,
                                                               0.8),
        "bundle_verify_time_vs_raw_verify_time": goal(ratio_bundle, 1.5,
                                                      at_least=False),
    }
    # Information: the append ratios against the raw bursts between the batches (not a reference, see
    # the module docstring), and the append's cost per entry beyond one signature check at the reference.
    figures["append_vs_raw_between_batches"] = {
        "sqlite": round(figures["batched_append_sqlite_per_s"] / ref_sqlite, 3),
        "postgres": round(figures["batched_append_postgres_per_s"] / ref_pg, 3),
    }
    figures["append_us_per_entry_beyond_one_verify"] = {
        "sqlite": round(1e6 / figures["batched_append_sqlite_per_s"] - 1e6 / raw, 1),
        "postgres": round(1e6 / figures["batched_append_postgres_per_s"] - 1e6 / raw, 1),
    }
    # The stricter reading: against the one-core rate times the number of cores (an idle machine).
    figures["full_verify_vs_one_core_raw_times_cores"] = round(figures["full_verify_per_s"] / (raw * cores), 3)
    print(json.dumps({"bench": "ledger", "figures": figures, "goals": goals}))


if __name__ == "__main__":
    main()
