"""Issue 13's pins: every outcome, flag, alternative, provisional status and trail text stays as it was.

``data/determination_pins.json`` holds the SHA-256 of the canonical dump (RFC 8785,
``Determination.digest``) of ``determine(...).to_dict()`` for every casebook case (the public one and
``rules/casebook/``), and for a fixed sample of ``bench/rules_bench.py``'s population (its first
``bench_clients`` clients, seed and generator of the bench) per regime: A (the bench's own context),
B (bill 36288 in force from the bench's first melding date) and T0 (a later T0, 2027-01-01), each
as one SHA-256 over the lines ``CASE_ID DIGEST``.

The values were taken before the rule changes of spec 8.12 (gemeentecode 1999/0000, DATE_INCOMPLETE)
and were the same after them; the cases of ``p_brp_codes_dates.toml`` were added with those changes.
A deliberate change (a new RULESET_VERSION) rewrites the file once, in its own commit:
``PYTHONPATH=. python tests/rules_engine/test_determination_pins.py --write``.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest

from rules import loader
from rules.casebook import case_facts, load_context
from rules.engine import RULESET_VERSION, determine
from rules.facts import CaseFacts

ROOT = Path(__file__).resolve().parents[2]
PINS = Path(__file__).parent / "data" / "determination_pins.json"
BOOKS = sorted((ROOT.parent / "shared" / "casebook").glob("*.toml")) + sorted((ROOT / "rules" / "casebook").glob("*.toml"))
BENCH_CLIENTS = 20_000
BENCH_SEED = 20261123  # bench/rules_bench.py's
#: the regimes of the sample: the context overrides of each
REGIMES = {"A": {"t0": date(2026, 1, 1)},
           "B": {"t0": date(2026, 1, 1), "law_in_force_from": date(2026, 1, 1)},
           "T0": {"t0": date(2027, 1, 1)}}


def casebook_digests() -> dict[str, str]:
    register, table, out = loader.municipality_register(), loader.parameter_table(), {}
    for book in BOOKS:
        raw = tomllib.loads(book.read_text())
        ctx = load_context(raw, table, register, book.name)
        for case in raw["case"]:
            out[f"{book.name}:{case['id']}"] = determine(case_facts(case, register), ctx).digest
    return out


def _bench_module():
    spec = importlib.util.spec_from_file_location("rules_bench", ROOT / "bench" / "rules_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_sample() -> list[CaseFacts]:
    bench, rnd = _bench_module(), random.Random(BENCH_SEED)
    vctx = {"municipalities": loader.municipality_register()}
    return [CaseFacts.model_validate(bench.make_case(i, rnd), context=vctx) for i in range(BENCH_CLIENTS)]


def bench_digest(sample: list[CaseFacts], regime: str) -> str:
    ctx = loader.default_context(overrides=REGIMES[regime])
    lines = "\n".join(f"{f.id} {determine(f, ctx).digest}" for f in sample)
    return hashlib.sha256(lines.encode()).hexdigest()


def compute() -> dict:
    sample = bench_sample()
    return {"ruleset_version": RULESET_VERSION, "bench_clients": BENCH_CLIENTS, "casebook": casebook_digests(),
            "bench": {regime: bench_digest(sample, regime) for regime in REGIMES}}


@pytest.fixture(scope="module")
def pins() -> dict:
    return json.loads(PINS.read_text())


def test_the_pins_are_of_this_ruleset(pins):
    assert pins["ruleset_version"] == RULESET_VERSION and pins["bench_clients"] == BENCH_CLIENTS


def test_every_casebook_case_has_its_pinned_digest(pins):
    got = casebook_digests()
    assert len(got) >= 134
    assert set(got) == set(pins["casebook"]), sorted(set(got) ^ set(pins["casebook"]))
    changed = sorted(k for k in got if got[k] != pins["casebook"][k])
    assert not changed, changed


@pytest.fixture(scope="module")
def sample() -> list[CaseFacts]:
    return bench_sample()


@pytest.mark.parametrize("regime", sorted(REGIMES))
def test_the_bench_sample_has_its_pinned_digest_per_regime(pins, sample, regime):
    assert bench_digest(sample, regime) == pins["bench"][regime]


def test_the_regimes_differ():
    ctxs = {r: loader.default_context(overrides=o) for r, o in REGIMES.items()}
    facts = CaseFacts.model_validate({"id": "X", "melding": {"date": "2026-06-01", "gemeente": "GM0505"},
                                      "addresses": [{"gemeente": "GM0505", "function": "W", "from": "2010-01-01"}]},
                                     context={"municipalities": loader.municipality_register()})
    assert determine(facts, ctxs["A"]).regime == "A" and determine(facts, ctxs["B"]).regime == "B"
    assert determine(facts, ctxs["T0"]).klass == "EXISTING_HISTORICAL"  # Dordrecht (no t0 of its own): M before T0


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    PINS.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
    print(f"written {PINS}")
