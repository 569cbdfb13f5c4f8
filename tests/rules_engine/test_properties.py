"""Property tests over the public casebook's facts: order of facts, determinism, cost bearer domain."""
import random
import tomllib
from pathlib import Path

from hypothesis import given, strategies as st

from rules import loader
from rules.casebook import case_facts, load_context
from rules.engine import determine

PUBLIC = Path(__file__).resolve().parents[3] / "shared" / "casebook"
REG, TABLE = loader.municipality_register(), loader.parameter_table()
CASES = []
for f in sorted(PUBLIC.glob("*.toml")):
    raw = tomllib.loads(f.read_text())
    ctx = load_context(raw, TABLE, REG, f.name)
    for case in raw["case"]:
        CASES.append((ctx, case))


@given(st.sampled_from(CASES), st.randoms(use_true_random=False))
def test_order_of_facts_never_changes_outcome_or_digest(item, rnd: random.Random):
    ctx, case = item
    base = determine(case_facts(case, REG), ctx)
    shuffled = dict(case)
    for key in ("addresses", "stays", "bw_episodes", "applications"):
        if key in shuffled:
            lst = list(shuffled[key])
            rnd.shuffle(lst)
            shuffled[key] = lst
    again = determine(case_facts(shuffled, REG), ctx)
    assert again.to_dict() == base.to_dict()
    assert again.input_digest == base.input_digest


@given(st.sampled_from(CASES))
def test_same_input_same_output(item):
    ctx, case = item
    a, b = determine(case_facts(case, REG), ctx), determine(case_facts(case, REG), ctx)
    assert a.digest == b.digest


@given(st.sampled_from(CASES))
def test_cost_bearer_is_in_facts_or_region_table(item):
    ctx, case = item
    det = determine(case_facts(case, REG), ctx)
    if det.cost_bearer is None:
        return
    facts = case_facts(case, REG)
    codes = {facts.melding.gemeente} | {a.gemeente for a in facts.addresses if a.gemeente}
    codes |= {e.cost_bearer for e in facts.bw_episodes} | {e.legal_college for e in facts.bw_episodes}
    codes |= {r.centrumgemeente for r in ctx.regions} | {m for r in ctx.regions for m in r.members}
    assert det.cost_bearer in codes


def test_canonical_json_matches_rfc8785():
    import rfc8785

    from rules.engine import canonical_json
    for ctx, case in CASES:
        doc = determine(case_facts(case, REG), ctx).to_dict()
        assert canonical_json(doc) == rfc8785.dumps(doc)


def _shift(obj, years):
    from datetime import date as _date
    if isinstance(obj, _date):
        return obj.replace(year=obj.year + years)  # a multiple of 4 keeps 29 February (1901-2099)
    if isinstance(obj, dict):
        return {k: _shift(v, years) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_shift(v, years) for v in obj]
    return obj


RAW = [(f, tomllib.loads(f.read_text())) for f in sorted(PUBLIC.glob("*.toml"))]


@given(st.sampled_from(RAW), st.sampled_from([-8, -4, 4, 8, 28]), st.data())
def test_shifting_every_date_by_whole_leap_cycles_keeps_the_outcome(item, years, data):
    f, raw = item
    case = data.draw(st.sampled_from(raw["case"]))
    ctx = load_context(raw, TABLE, REG, f.name)
    shifted_raw = _shift(raw, years)
    sctx = load_context(shifted_raw, TABLE, REG, f.name)
    scase = next(c for c in shifted_raw["case"] if c["id"] == case["id"])
    a, b = determine(case_facts(case, REG), ctx), determine(case_facts(scase, REG), sctx)
    assert (a.outcome, a.new_client, a.entry, a.flag_names, a.provisional) == \
        (b.outcome, b.new_client, b.entry, b.flag_names, b.provisional)
