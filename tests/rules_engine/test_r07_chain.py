"""R7 (rules/provisions/r07_chain.py): the chain of designated stays, step by step, with the
readings its flags stand for; the engine's woonplaats is the module's."""
from datetime import date

import pytest

from rules import loader
from rules.citations import RULES
from rules.engine import determine
from rules.prepared import prepare
from rules.readings import WoonplaatsReading
from rules.facts import CaseFacts, InstitutionType
from rules.provisions import r07_chain as r7

KAMPEN, ZWOLLE, DALFSEN = "GM0166", "GM0193", "GM0148"
M = date(2026, 5, 4)


@pytest.fixture(scope="module")
def ctx():
    return loader.default_context(overrides={"t0": date(2026, 1, 1)})


def _prepared(ctx, addresses, stays=()):
    raw = {"id": "R7-T", "melding": {"date": M.isoformat(), "gemeente": ZWOLLE}, "addresses": list(addresses),
           "stays": list(stays)}
    facts = CaseFacts.model_validate(raw, context={"municipalities": ctx.municipalities})
    return facts, prepare(facts, ctx)


def _w(gemeente, start, end=None, institution=None):
    a = {"gemeente": gemeente, "function": "W", "from": start}
    if end:
        a["to"] = end
    if institution:
        a["institution"] = institution
    return a


def _b(gemeente, start, end=None):
    a = {"gemeente": gemeente, "function": "B", "from": start}
    if end:
        a["to"] = end
    return a


def _stay(type_, gemeente, start, end=None):
    s = {"type": type_, "gemeente": gemeente, "from": start}
    if end:
        s["to"] = end
    return s


def _walk(p, reading=WoonplaatsReading()):
    index = next(i for i, a in enumerate(p.addresses) if a.covers(M))
    return r7.walk_chain(p, M, index, reading)


def test_the_module_cites_the_register():
    assert r7.CITATIONS == RULES["R7"].citations
    register = loader.citation_register()
    assert r7.CITATIONS and all(c in register for c in r7.CITATIONS)
    assert "SPEC-R7" in r7.CITATIONS


def test_one_step_back_to_the_ordinary_woonadres(ctx):
    facts, p = _prepared(ctx, [_w(KAMPEN, "2019-05-01", "2026-02-09"), _w(ZWOLLE, "2026-02-10", institution="ggz_clinical")],
                         [_stay("ggz_clinical", ZWOLLE, "2026-02-01")])
    f = _walk(p)
    assert f.applies and not f.chain_end
    assert (f.via, f.gemeente, f.passed) == ("R7", KAMPEN, (1,))
    assert f.decisive is p.addresses[0]
    assert f.assumed is True  # every type's designation is assumed by default
    assert determine(facts, ctx).woonplaats == KAMPEN


def test_two_institutions_in_a_row_are_skipped(ctx):
    _, p = _prepared(ctx, [_w(DALFSEN, "2015-01-01", "2025-06-30"),
                           _w(KAMPEN, "2025-07-01", "2025-12-31", institution="detention"),
                           _w(ZWOLLE, "2026-01-01", institution="mo")])
    f = _walk(p)
    assert (f.gemeente, f.passed, f.chain_end) == (DALFSEN, (2, 1), False)


def test_a_gap_or_a_period_abroad_ends_the_chain(ctx):
    _, p = _prepared(ctx, [{"status": "abroad", "from": "2020-01-01", "to": "2026-01-11"},
                           _w(ZWOLLE, "2026-01-12", institution="ggz_clinical")])
    f = _walk(p)
    assert f.applies and f.chain_end and f.gemeente is None
    _, p = _prepared(ctx, [_w(KAMPEN, "2019-05-01", "2026-01-01"), _w(ZWOLLE, "2026-01-12", institution="ggz_clinical")])
    assert _walk(p).chain_end


def test_briefadres_during_a_stay_and_its_literal_reading(ctx):
    facts, p = _prepared(ctx, [_w(KAMPEN, "2015-01-01", "2024-11-30"), _b(ZWOLLE, "2024-12-01")],
                         [_stay("mo", ZWOLLE, "2024-12-01")])
    f = _walk(p)
    assert (f.applies, f.via, f.gemeente, f.briefadres_stay) == (True, "R7.5", KAMPEN, True)
    assert _walk(p, WoonplaatsReading(literal_briefadres=True)) == r7.NOT_APPLICABLE
    assert determine(facts, ctx).woonplaats == KAMPEN


def test_short_interim_address_breaks_the_chain_unless_read_through(ctx):
    _, p = _prepared(ctx, [_w(DALFSEN, "2015-01-01", "2025-10-31"),
                           _w(ZWOLLE, "2025-11-01", "2025-11-30", institution="ggz_clinical"),
                           _w(KAMPEN, "2025-12-01", "2025-12-21"),
                           _w(ZWOLLE, "2025-12-22", institution="detention")])
    f = _walk(p)
    assert (f.gemeente, f.short_interim) == (KAMPEN, True)
    through = _walk(p, WoonplaatsReading(chain_through_interim=True))
    assert (through.gemeente, through.short_interim, through.passed) == (DALFSEN, True, (3, 2, 1))


def test_what_the_chain_passes(ctx):
    _, p = _prepared(ctx, [_w(KAMPEN, "2015-01-01", "2025-12-31"), _w(ZWOLLE, "2026-01-01", institution="youth_residential")])
    f = _walk(p)
    assert (f.youth, f.safety) == (True, False)
    _, p = _prepared(ctx, [_w(KAMPEN, "2015-01-01", "2025-12-31"), _w(ZWOLLE, "2026-01-01", institution="womens_shelter")])
    assert _walk(p).safety is True


def test_designation_under_the_readings():
    desig = {InstitutionType.MO: "assumed", InstitutionType.DETENTION: "verified"}
    assert r7.designation(desig, InstitutionType.MO, WoonplaatsReading()) == "assumed"
    assert r7.designation(desig, InstitutionType.MO, WoonplaatsReading(undesignate_assumed=True)) is None
    assert r7.designation(desig, InstitutionType.DETENTION, WoonplaatsReading(undesignate_assumed=True)) == "verified"
    assert r7.designation(desig, InstitutionType.WLZ, WoonplaatsReading()) is None
    assert r7.designation(desig, None, WoonplaatsReading()) is None
