"""R11 (rules/provisions/r11_new_client.py): the new-client test read as (a) and (b), with its
window, its flags and its citations; the engine's answer is the module's."""
from datetime import date, timedelta

import pytest

from rules import loader
from rules.citations import RULES
from rules.engine import determine
from rules.prepared import prepare
from rules.readings import R11Reading, flag_reading
from rules.facts import CaseFacts
from rules.provisions import r11_new_client as r11

ZWOLLE, KAMPEN, ARNHEM, DORDRECHT = "GM0193", "GM0166", "GM0202", "GM0505"  # Kampen lies in IJssel-Vecht
M = date(2027, 3, 10)
DAYS = timedelta(days=365)


@pytest.fixture(scope="module")
def ctx():
    return loader.default_context(overrides={"t0": date(2026, 1, 1)})


def _case(ctx, applications=(), episodes=(), m=M):
    raw = {"id": "R11-T", "melding": {"date": m.isoformat(), "gemeente": KAMPEN},
           "addresses": [{"gemeente": KAMPEN, "function": "W", "from": "2010-01-01"}],
           "applications": list(applications), "bw_episodes": list(episodes)}
    return CaseFacts.model_validate(raw, context={"municipalities": ctx.municipalities})


def _aanvraag(day: date, gemeente=ZWOLLE, kind="aanvraag", outcome="granted"):
    return {"kind": kind, "gemeente": gemeente, "date": day.isoformat(), "outcome": outcome}


def _episode(start: date, end: date | None, location=ZWOLLE, cost_bearer=ZWOLLE, product="intramural"):
    e = {"legal_college": cost_bearer, "cost_bearer": cost_bearer, "location": location, "from": start.isoformat(),
         "budget": "woonplaats", "product": product}
    if end is not None:
        e["to"] = end.isoformat()
    return e


def _names(finding) -> set[str]:
    return {r.name for r in finding.flags}


def _finding(ctx, facts, reading=R11Reading()):
    p = prepare(facts, ctx)
    region = r11.tested_region(ctx, p.meldregio, None, p.m)
    return r11.is_new_client(r11.case_facts(p.applications, p.prior, p.m, ctx), region, date(2026, 1, 1), p.m,
                             DAYS, reading)


def test_the_module_cites_the_register():
    assert r11.CITATIONS == RULES["R11"].citations
    register = loader.citation_register()
    assert r11.CITATIONS and all(c in register for c in r11.CITATIONS)
    assert "REGIOVISIE-IJV-FN5" in r11.CITATIONS


def test_window_starts():
    assert r11.window_start(M, DAYS, "default") == M - timedelta(days=365)
    assert r11.window_start(M, DAYS, "m364") == M - timedelta(days=364)
    assert r11.window_start(date(2028, 3, 1), DAYS, "calendar") == date(2027, 3, 1)  # 366 days back
    assert r11.window_start(date(2028, 2, 29), DAYS, "calendar") == date(2027, 2, 28)


def test_no_history_is_a_new_client(ctx):
    f = _finding(ctx, _case(ctx))
    assert f.value is True and f.contacts == () and f.flags == ()
    assert f.record[:2] == ("R11", r11.new_client_text) and f.record.values[:3] == (M - DAYS, M, f.region_name)


def test_aanvraag_on_m_minus_365_is_inside_and_raises_boundary_365(ctx):
    f = _finding(ctx, _case(ctx, [_aanvraag(M - timedelta(days=365))]))
    assert f.aanvraag.value is True and f.use.value is False and f.value is False
    assert _names(f) == {"BOUNDARY_365"}
    under_m364 = _finding(ctx, _case(ctx, [_aanvraag(M - timedelta(days=365))]), R11Reading(window="m364"))
    assert under_m364.value is True  # (its own flags are not the determination's: only the default run raises)


def test_aanvraag_on_m_minus_366_is_outside(ctx):
    f = _finding(ctx, _case(ctx, [_aanvraag(M - timedelta(days=366))]))
    assert f.value is True and f.flags == ()


def test_leap_year_window(ctx):
    m = date(2028, 3, 1)
    f = _finding(ctx, _case(ctx, [_aanvraag(date(2027, 3, 1), outcome="rejected")], m=m))
    assert f.value is True
    assert {"LEAP_YEAR_WINDOW"} <= _names(f)
    calendar = _finding(ctx, _case(ctx, [_aanvraag(date(2027, 3, 1))], m=m), R11Reading(window="calendar"))
    assert calendar.value is False


def test_part_a_readings(ctx):
    rejected = _case(ctx, [_aanvraag(M - timedelta(days=10), outcome="rejected")])
    assert _finding(ctx, rejected).value is False
    assert "REJECTED_APPLICATION_COUNTS" in _names(_finding(ctx, rejected))
    assert _finding(ctx, rejected, R11Reading(ignore_rejected=True)).value is True
    melding = _case(ctx, [_aanvraag(M - timedelta(days=10), kind="melding")])
    assert _finding(ctx, melding).value is True
    assert "MELDING_NOT_AANVRAAG" in _names(_finding(ctx, melding))
    assert _finding(ctx, melding, R11Reading(meldingen_count=True)).value is False
    elsewhere = _case(ctx, [_aanvraag(M - timedelta(days=10), gemeente=ARNHEM)])
    assert _finding(ctx, elsewhere).value is True
    assert "OUT_OF_REGION_APPLICATION" in _names(_finding(ctx, elsewhere))
    assert _finding(ctx, elsewhere, R11Reading(out_of_region_aanvragen=True)).value is False


def test_part_b_use_located_or_financed_in_the_region(ctx):
    located = _case(ctx, episodes=[_episode(date(2026, 1, 1), M - timedelta(days=30), cost_bearer=ARNHEM)])
    f = _finding(ctx, located)
    assert f.use.value is True and f.aanvraag.value is False and f.value is False
    assert "USE_SCOPE_PARTIAL" in _names(f)
    assert _finding(ctx, located, R11Reading(use_scope_both=True)).value is True
    (contact,) = f.contacts
    assert contact.when == M - timedelta(days=30) and contact.episode is not None


def test_part_b_window_and_ambulant(ctx):
    before = _case(ctx, episodes=[_episode(date(2024, 1, 1), M - timedelta(days=400))])
    assert _finding(ctx, before).value is True
    assert "USE_WINDOW_READING" in _names(_finding(ctx, before))
    assert _finding(ctx, before, R11Reading(use_no_window=True)).value is False
    running = _case(ctx, episodes=[_episode(date(2026, 1, 1), None)])
    assert _finding(ctx, running).use.contacts[0].when == M  # open = M
    ambulant = _case(ctx, episodes=[_episode(date(2026, 1, 1), M - timedelta(days=30), product="ambulant")])
    assert _finding(ctx, ambulant).value is True
    assert "AMBULANT_ONLY" in _names(_finding(ctx, ambulant))
    assert _finding(ctx, ambulant, R11Reading(ambulant_counts=True)).value is False


def test_is_new_client_is_the_conjunction_of_a_and_b(ctx):
    cases = {
        (False, False): _case(ctx),
        (True, False): _case(ctx, [_aanvraag(M - timedelta(days=10))]),
        (False, True): _case(ctx, episodes=[_episode(date(2026, 1, 1), M - timedelta(days=10))]),
        (True, True): _case(ctx, [_aanvraag(M - timedelta(days=10))], [_episode(date(2026, 1, 1), M - timedelta(days=10))]),
    }
    for (a, b), facts in cases.items():
        f = _finding(ctx, facts)
        assert (f.aanvraag.value, f.use.value) == (a, b)
        assert f.value is (not a and not b)
        assert f.contacts == f.aanvraag.contacts + f.use.contacts
        assert determine(facts, ctx).new_client is f.value  # the engine's answer is the module's


def test_a_flag_carries_its_alternative_reading_from_the_table(ctx):
    f = _finding(ctx, _case(ctx, [_aanvraag(M - timedelta(days=365))]))
    assert f.value is False
    assert [(r.name, r.readings) for r in f.flags] == [("BOUNDARY_365", (flag_reading("BOUNDARY_365"),))]


def test_the_engine_records_the_finding_in_the_trail(ctx):
    facts = _case(ctx, [_aanvraag(M - timedelta(days=10))])
    step = next(s for s in determine(facts, ctx).trail if s.rule == "R11")
    assert step.finding.startswith(f"venster {M - DAYS}..{M} in ")
    assert f"contact gevonden: aanvraag {ZWOLLE} {M - timedelta(days=10)}" in step.finding


def test_home_region_flags(ctx):
    m = M
    ijv = ctx.region_of(ZWOLLE, m)
    zhz = ctx.region_of(DORDRECHT, m)
    facts = _case(ctx)
    assert r11.home_region_flags(ctx, ijv, ijv, facts.addresses, m) == ()
    assert r11.home_region_flags(ctx, ijv, None, facts.addresses, m) == ()
    names = [r.name for r in r11.home_region_flags(ctx, zhz, ijv, facts.addresses, m)]
    assert names == ["MELDREGIO_NE_HOMEREGIO", "NOT_REGIONAL_INHABITANT"]  # the woonadres is in Kampen
    names = [r.name for r in r11.home_region_flags(ctx, ijv, zhz, facts.addresses, m)]
    assert names == ["MELDREGIO_NE_HOMEREGIO"]
