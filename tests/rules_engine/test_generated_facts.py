"""Property tests over generated facts (not only the casebooks' facts): the order of facts never
changes the determination, the same input always gives the same output and digest, the cost bearer
is a municipality of the facts or of the region table (or none), and the input digest is SHA-256 of
the rfc8785 package's form of the context digest and the sorted facts. Small histories,
deterministic under the "ci" profile."""
import hashlib
import random
from datetime import date, timedelta

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from rules import loader
from rules.engine import determine
from rules.facts import CaseFacts
from rules.input_digest import facts_document

REG = loader.municipality_register()
CONTEXTS = [
    loader.default_context(overrides={"t0": date(2026, 1, 1)}),  # regime A, IJssel-Vecht with its own t0
    loader.default_context(overrides={"t0": date(2026, 1, 1), "law_in_force_from": date(2026, 7, 1)}),
]
IJV = ["GM0148", "GM0160", "GM0166", "GM0193"]
ZHZ = ["GM0482", "GM0505", "GM0512"]
ZEE = ["GM0664", "GM0687", "GM0718"]
ELSEWHERE = ["GM0363", "GM0599"]  # in no region of the table
CODES = IJV + ZHZ + ZEE + ELSEWHERE
IN_REGIONS = IJV + ZHZ + ZEE
CENTRUM = ["GM0193", "GM0505", "GM0718"]
INSTITUTIONS = ["ggz_clinical", "mo", "detention", "wlz", "youth_residential", "womens_shelter", "bw"]
# lengths around the thresholds of the rules (gap, 30/90 days, the 365-day window, leap years)
SPANS = [1, 2, 20, 29, 30, 31, 89, 90, 200, 364, 365, 366, 700, 3000]
BEFORE_M = [0, 1, 10, 100, 364, 365, 366, 500]

codes = st.sampled_from(IN_REGIONS * 4 + ELSEWHERE)  # mostly municipalities in a region
spans = st.sampled_from(SPANS)


def rarely(draw, one_in: int) -> bool:
    return draw(st.sampled_from([False] * (one_in - 1) + [True]))


def iso(d: date) -> str:
    return d.isoformat()


@st.composite
def address_history(draw, m: date):
    """Consecutive BRP periods (at most one gap of a few days) going back from around M."""
    out = []
    end = m + timedelta(days=draw(st.sampled_from([-40, -1, 0, 0, 5])))  # the last period may end before M
    open_ = draw(st.booleans())
    for _ in range(draw(st.sampled_from([1, 2, 3, 1, 2, 0]))):
        start = end - timedelta(days=draw(spans) - 1)
        kind = draw(st.sampled_from(["W", "W", "W", "inst", "B", "status"]))
        a = {"from": iso(start)}
        if kind == "status":
            a["status"] = draw(st.sampled_from(["abroad", "vow", "rni", "unregistered"]))
        else:
            a["gemeente"] = draw(codes)
            a["function"] = "B" if kind == "B" else "W"
            if kind == "inst":
                a["institution"] = draw(st.sampled_from(INSTITUTIONS))
            if rarely(draw, 10):
                a["in_onderzoek"] = True
        if not (open_ and not out):
            a["to"] = iso(end)
        out.append(a)
        end = start - timedelta(days=draw(st.sampled_from([1, 1, 1, 2, 5])))
    return out


@st.composite
def case_facts(draw):
    m = date(2025, 6, 1) + timedelta(days=draw(st.sampled_from(range(400, 1300, 7))))
    case = {"id": "G1", "melding": {"date": iso(m), "gemeente": draw(codes)}}
    if draw(st.booleans()):
        case["melding"]["aanvraag_date"] = iso(m + timedelta(days=draw(st.sampled_from([0, 3, 30]))))
    case["addresses"] = draw(address_history(m))
    stays = []
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        start = m - timedelta(days=draw(spans))
        s = {"type": draw(st.sampled_from(INSTITUTIONS)), "gemeente": draw(codes), "from": iso(start)}
        if draw(st.booleans()):
            s["to"] = iso(start + timedelta(days=draw(spans)))
        stays.append(s)
    case["stays"] = stays
    episodes = []
    for _ in range(draw(st.sampled_from([0, 1, 0, 2]))):
        end = m - timedelta(days=draw(st.sampled_from(BEFORE_M)))
        start = end - timedelta(days=draw(spans))
        historical = start < date(2026, 1, 1) and draw(st.booleans())
        college = draw(st.sampled_from(CENTRUM)) if historical else draw(codes)
        e = {"legal_college": college, "cost_bearer": college, "location": draw(codes), "from": iso(start),
             "budget": "historical" if historical else "woonplaats"}
        if not rarely(draw, 4):
            e["to"] = iso(end)
        if rarely(draw, 6):
            e["mandator"] = draw(codes)
        if rarely(draw, 6):
            e["product"] = "ambulant"
        if rarely(draw, 8):
            e["agreed_transfer"] = True
        episodes.append(e)
    case["bw_episodes"] = episodes
    case["applications"] = [
        {"kind": draw(st.sampled_from(["aanvraag", "melding"])), "gemeente": draw(codes),
         "date": iso(m - timedelta(days=draw(st.sampled_from(BEFORE_M)))),
         "outcome": draw(st.sampled_from(["granted", "rejected", "withdrawn", "pending"]))}
        for _ in range(draw(st.sampled_from([0, 1, 0, 2])))
    ]
    if draw(st.booleans()):
        case["placement"] = {"location": draw(codes), "fronting": draw(st.sampled_from(CODES + CENTRUM)),
                             "from": iso(m + timedelta(days=draw(st.sampled_from([0, 1, 20, 60]))))}
    if rarely(draw, 5):
        case["person"] = {"birth_date": iso(m - timedelta(days=draw(st.sampled_from([6570, 6574, 6700, 9000]))))}
    if rarely(draw, 10):
        case["eligibility_open"] = True
    return case


def validated(case: dict) -> CaseFacts:
    return CaseFacts.model_validate(case, context={"municipalities": REG})


contexts = st.sampled_from(CONTEXTS)


@given(case_facts(), contexts, st.randoms(use_true_random=False))
def test_generated_order_of_facts_never_changes_the_determination(case, ctx, rnd: random.Random):
    base = determine(validated(case), ctx)
    shuffled = dict(case)
    for key in ("addresses", "stays", "bw_episodes", "applications"):
        lst = list(shuffled[key])
        rnd.shuffle(lst)
        shuffled[key] = lst
    again = determine(validated(shuffled), ctx)
    assert again.to_dict() == base.to_dict()


@given(case_facts(), contexts)
def test_generated_same_input_same_output_and_digest(case, ctx):
    facts = validated(case)
    a, b = determine(facts, ctx), determine(validated(case), ctx)
    assert a.digest == b.digest and a.to_dict() == b.to_dict()
    # the input digest is the rfc8785 package's form of the sorted facts, hashed
    text = rfc8785.dumps({"context": ctx.digest, "facts": facts_document(facts)})
    assert a.input_digest == hashlib.sha256(text).hexdigest()


@given(case_facts(), contexts)
def test_generated_cost_bearer_is_in_facts_or_region_table(case, ctx):
    facts = validated(case)
    det = determine(facts, ctx)
    codes = {facts.melding.gemeente} | {a.gemeente for a in facts.addresses if a.gemeente}
    codes |= {e.cost_bearer for e in facts.bw_episodes} | {e.legal_college for e in facts.bw_episodes}
    codes |= {e.mandator for e in facts.bw_episodes if e.mandator}
    codes |= {r.centrumgemeente for r in ctx.regions} | {c for r in ctx.regions for c in r.members}
    assert det.cost_bearer is None or det.cost_bearer in codes
    for f in det.flags:
        for alt in f.alternatives:
            assert alt.cost_bearer is None or alt.cost_bearer in codes
