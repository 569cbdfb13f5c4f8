"""`bwledger demo --scale small` (issue 15): the national data set at a reduced size, with its invariants.

Every client determined (an N3 per client, replayed by the ledger on its deposit), the statements of every
sealed quarter summing to zero, every sealed quarter verifying (the settlement recomputed is the sealed
one, its checkpoint is the ledger's), all 342 municipalities in a region, the illustrative regions
labelled, every status of the dispute workflow, and determinism (the same seed gives the same data set and
the same determinations, on SQLite and on PostgreSQL)."""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console

from api.demo_national import (
    PATHS,
    National,
    client_intake,
    data_context,
    make_national,
    quarter_sums,
    run_national,
)
from api.demo_national_data import DEFAULT_SEED, build, clients_for
from api.settings import load_settings
from cases.workflow import STATUSES
from ledger.settlement import service as settlement
from ledger.store import entries as entries_table
from rules import loader
from rules.engine import determine
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]


def _quiet() -> Console:
    return Console(file=io.StringIO(), width=150)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> National:
    home = tmp_path_factory.mktemp("landelijk")
    return make_national(_quiet(), load_settings({"BWLEDGER_HOME": str(home)}), "small", DEFAULT_SEED)


def _payloads(store, kind: str) -> list[tuple]:
    return [(r, json.loads(r.statement)["payload"]) for r in store.rows_where(entries_table.c.kind == kind)]


def test_every_client_is_determined_and_replayed(small):
    clients = {c.pseudonym for c in small.data.clients}
    n3 = _payloads(small.store, "determination")
    assert len(clients) == clients_for("small") and {r.client for r, _p in n3} == clients
    assert small.figures.determinations == len(n3) == len(clients)
    # the ledger replayed the engine on every deposit: verify did so too, nothing left "not run"
    assert small.report.ok, small.report.problems[:3]
    assert not getattr(small.report, "replay_not_run", None)


def test_statements_sum_to_zero_and_every_sealed_quarter_verifies(small):
    store = small.store
    sealed = settlement.sealed(store)
    assert sorted(sealed) == ["2025K1", "2025K2", "2025K3", "2025K4", "2026K1", "2026K2", "2026K3"]
    assert set(quarter_sums(store).values()) == {0}
    checkpoints = {cp.tree_size: cp.root_hash.hex() for cp in store.checkpoints()}
    for quarter, (_through, seal_seq) in sealed.items():
        seal = json.loads(store.get_rows([seal_seq])[seal_seq].statement)["payload"]
        assert sum(b["net_cents"] for b in seal["balances"]) == 0
        assert checkpoints[seal["checkpoint_size"]] == seal["checkpoint_root"]  # sealed on a checkpoint of this ledger
        assert settlement.settle_quarter(store, quarter).digest == seal["digest"]  # recomputed, it is what was sealed
    lines = _payloads(store, "cost_line")
    assert len(lines) > 100 and {p["booking_quarter"] for _r, p in lines} >= set(sealed)


def test_all_municipalities_in_a_region_and_illustrative_regions_labelled(small):
    ds = small.data
    text = (ROOT / "rules" / "data" / "gemeenten_2025_2026.csv").read_text(encoding="utf-8")
    codes = {r["statcode"] for r in csv.DictReader(io.StringIO(text))}
    assert len(codes) == 342 and set(ds.municipalities) == codes
    members = [m for r in ds.regions.values() for m in r.members]
    assert sorted(members) == sorted(codes)  # each municipality in exactly one region
    verified = {r.id for r in loader.verified_regions()}
    for r in ds.regions.values():
        assert r.illustrative == (r.id not in verified)
        assert ("illustratief" in r.name) == r.illustrative and r.id.startswith("illustratief-") == r.illustrative
        assert ds.context_source["regions"][r.id].get("illustrative", False) == r.illustrative
    assert len(ds.regions) == 43 and len(ds.illustrative_regions) == 39
    # the context the N3s are deposited with marks them too (rules.context.RegionVersion.illustrative)
    n3 = _payloads(small.store, "determination")
    contexts = {p["context_version"] for _r, p in n3}
    assert len(contexts) == 1
    ctx = small.store.replayer.deposits.context(contexts.pop())
    assert {r.id for r in ctx.regions if r.illustrative} == {r.id for r in ds.illustrative_regions}
    # and the data set's output file says so in Dutch
    doc = ds.to_json()
    assert {r["id"] for r in doc["regios"] if r["illustratief"]} == {r.id for r in ds.illustrative_regions}
    assert all("illustratief" in r["naam"] for r in doc["regios"] if r["illustratief"])


def test_disputes_in_every_state_and_notices(small):
    statuses = Counter(small.cases.values())
    assert set(PATHS) | {"NO_RESPONSE"} == set(statuses)
    assert set(statuses) == set(STATUSES)  # every status of ledger/data/workflow.toml
    kinds = Counter(r.kind for r in small.store.rows_where(entries_table.c.seq >= 0))
    for kind in ("acceptance", "objection", "placement", "placement_notice", "acknowledgement", "outflow_notice",
                 "redetermination", "reversal", "settlement_seal", "dispute_event"):
        assert kinds[kind] > 0, kind


def test_the_same_seed_gives_the_same_data_set_and_determinations(small):
    again = build("small", DEFAULT_SEED)
    assert again.digest() == small.data.digest()
    assert build("small", DEFAULT_SEED + 1).digest() != small.data.digest()
    # the determinations in the ledger are the engine's on the data set's facts (content, not keys or times)
    recorded = sorted(p["determination_digest"] for _r, p in _payloads(small.store, "determination"))
    ctx = data_context(again)
    assert sorted(determine(client_intake(c, ctx, again.context_source).facts, ctx).digest
                  for c in again.clients) == recorded


def test_second_run_books_nothing_and_prints_the_login(small):
    out = io.StringIO()
    settings = load_settings({"BWLEDGER_HOME": str(small.settings.home.parent)})
    size = small.store.size()
    assert run_national(Console(file=out, width=200), settings, "small", DEFAULT_SEED) == 0
    text = out.getvalue()
    assert "niets opnieuw geboekt" in text and small.store.size() == size
    assert "regels in het grootboek" in text and "MB" in text and "demo-wachtwoord-bw" in text
    assert f"BWLEDGER_HOME={small.settings.home} bwledger serve" in text


@pytest.mark.postgres
def test_postgres_gives_the_same_ledger_content(small, pg_schema, tmp_path):
    settings = load_settings({"BWLEDGER_HOME": str(tmp_path), "BWLEDGER_DATABASE_URL": PG_URL,
                              "BWLEDGER_DATABASE_SCHEMA": pg_schema})
    pg = make_national(_quiet(), settings, "small", DEFAULT_SEED)
    assert pg.report.ok, pg.report.problems[:3]

    def content(n: National) -> tuple:
        rows = n.store.rows_where(entries_table.c.seq >= 0)
        dets = sorted(json.loads(r.statement)["payload"]["determination_digest"] for r in rows
                      if r.kind == "determination")
        return Counter(r.kind for r in rows), dets, quarter_sums(n.store), sorted(n.cases.values())

    assert content(pg) == content(small)
