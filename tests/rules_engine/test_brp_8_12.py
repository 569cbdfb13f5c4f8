"""Spec 8.12 in the engine: BRP gemeentecode 1999 (RNI) and 0000 (onbekend) in address histories, and
incomplete BRP dates (DATE_INCOMPLETE). The casebook cases are rules/casebook/p_brp_codes_dates.toml."""
from datetime import date

import pytest
from pydantic import ValidationError

from rules import date_incomplete, loader
from rules.engine import determine
from rules.facts import Address, AddressStatus, CaseFacts
from rules.flags import FLAG
from rules.input_digest import facts_document

REG = loader.municipality_register()
CTX = loader.default_context()
CTX_B = loader.default_context(overrides={"law_in_force_from": date(2026, 1, 1)})


def make(addresses, melding=("2026-03-02", "GM0193"), **kw) -> CaseFacts:
    data = {"id": "X1", "melding": {"date": melding[0], "gemeente": melding[1]}, "addresses": addresses, **kw}
    return CaseFacts.model_validate(data, context={"municipalities": REG})


KAMPEN_UNTIL_2025 = {"gemeente": "GM0166", "function": "W", "from": "2015-01-01", "to": "2025-06-30"}


# -- gemeentecode 1999 (RNI) -------------------------------------------------------------------------
@pytest.mark.parametrize("code", ["1999", "GM1999"])
def test_1999_is_read_as_an_rni_period_and_keeps_its_code(code):
    a = make([KAMPEN_UNTIL_2025, {"gemeente": code, "function": "W", "from": "2025-07-01"}]).addresses[1]
    assert (a.status, a.brp_code, a.gemeente, a.function) == (AddressStatus.RNI, "1999", None, None)


def test_1999_decides_as_rni_does_and_the_trail_names_the_code():
    as_code = determine(make([KAMPEN_UNTIL_2025, {"gemeente": "1999", "from": "2025-07-01"}]), CTX)
    as_status = determine(make([KAMPEN_UNTIL_2025, {"status": "rni", "from": "2025-07-01"}]), CTX)
    assert as_code.outcome == as_status.outcome and as_code.outcome.cost_bearer == "GM0193"
    assert as_code.flags == as_status.flags and "NO_WOONADRES" in as_code.flag_names
    assert as_code.input_digest != as_status.input_digest  # the facts as given differ: the code is kept
    r3 = next(s for s in as_code.trail if s.rule == "R3")
    assert "BRP-gemeentecode 1999" in r3.finding


@pytest.mark.parametrize("where, data", [
    ("melding.gemeente", {"melding": {"date": "2026-03-02", "gemeente": "1999"}}),
    ("stays", {"stays": [{"type": "mo", "gemeente": "0000", "from": "2025-01-01"}]}),
])
def test_the_codes_are_refused_outside_an_address_history(where, data):
    base = {"id": "X1", "melding": {"date": "2026-03-02", "gemeente": "GM0193"}, **data}
    with pytest.raises(ValidationError, match="no municipality"):
        CaseFacts.model_validate(base, context={"municipalities": REG})


@pytest.mark.parametrize("extra", [{"institution": "ggz_clinical"}, {"status": "abroad"}])
def test_a_brp_code_with_an_institution_or_a_status_is_refused(extra):
    with pytest.raises(ValidationError, match="names no municipality"):
        make([{"gemeente": "1999", "function": "W", "from": "2025-07-01", **extra}])


def test_a_brp_code_that_contradicts_its_status_is_refused():
    with pytest.raises(ValidationError, match="brp_code '1999' is read as status rni"):
        make([{"status": "abroad", "brp_code": "1999", "from": "2025-07-01"}])


# -- gemeentecode 0000 (onbekend) --------------------------------------------------------------------
UNKNOWN_ON_M = [KAMPEN_UNTIL_2025, {"gemeente": "0000", "from": "2025-07-01"}]


def test_0000_on_m_leaves_the_cost_bearer_open_with_the_readings_of_r8():
    det = determine(make(UNKNOWN_ON_M), CTX)
    assert (det.cost_bearer, det.budget, det.klass, det.legal_college) == (None, None, "NEW", "GM0193")
    assert det.woonplaats is None and det.provisional
    flag = det.flag("REGION_UNKNOWN")
    assert flag.kind == "O" and "0000" in flag.note
    assert {a.cost_bearer for a in flag.alternatives} == {"GM0193", "GM0166"}  # meldgemeente; last woonadres
    assert "NO_WOONADRES" not in det.flag_names


def test_0000_under_regime_b_leaves_the_legal_college_open_too():
    det = determine(make(UNKNOWN_ON_M), CTX_B)
    assert det.regime == "B" and det.legal_college is None and det.cost_bearer is None
    assert any(a.legal_college == "GM0193" for a in det.flag("REGION_UNKNOWN").alternatives)
    assert any("geen (woonplaats onbekend)" in s.finding for s in det.trail)


def test_0000_that_decides_nothing_raises_nothing():
    det = determine(make([{"gemeente": "0000", "from": "2005-01-01", "to": "2009-12-31"},
                          {"gemeente": "GM0166", "function": "W", "from": "2010-01-01"}]), CTX)
    assert det.cost_bearer == "GM0166" and det.flags == () and not det.provisional


# -- incomplete dates (DATE_INCOMPLETE) --------------------------------------------------------------
def test_date_incomplete_is_an_o_flag_of_section_8_12_in_the_one_table():
    row = FLAG["DATE_INCOMPLETE"]
    assert (row.kind, row.section, row.readings, row.open_without_alternative) == ("O", "8.12", (), False)
    assert "latest" in row.alternative and "earliest" in row.alternative


@pytest.mark.parametrize("text, low, high", [
    ("2019", date(2019, 1, 1), date(2019, 12, 31)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("onbekend", date(1900, 1, 1), date(2199, 12, 31)),
])
def test_the_bounds_of_an_incomplete_date(text, low, high):
    assert date_incomplete.bounds(text) == (low, high)


@pytest.mark.parametrize("text", ["2019-13", "2019-00", "1850", "19-05"])
def test_a_malformed_incomplete_date_is_refused(text):
    with pytest.raises(ValidationError):
        make([{"gemeente": "GM0166", "function": "W", "from": text}])


MOVE_IN_FEBRUARY = [{"gemeente": "GM0193", "function": "W", "from": "2015-01-01", "to": "2026-02"},
                    {"gemeente": "GM0166", "function": "W", "from": "2026-02"}]


def test_both_readings_stay_a_history_the_default_the_earliest():
    facts = make(MOVE_IN_FEBRUARY, melding=("2026-02-15", "GM0166"))
    zwolle, kampen = facts.addresses
    assert (zwolle.to, zwolle.to_partial, kampen.from_, kampen.from_partial) == \
        (date(2026, 2, 1), "2026-02", date(2026, 2, 2), "2026-02")
    late_zwolle, late_kampen = date_incomplete.latest_reading(facts).addresses
    assert (late_zwolle.to, late_kampen.from_) == (date(2026, 2, 27), date(2026, 2, 28))


def test_date_incomplete_carries_the_latest_readings_outcome():
    det = determine(make(MOVE_IN_FEBRUARY, melding=("2026-02-15", "GM0166")), CTX)
    flag = det.flag("DATE_INCOMPLETE")
    assert det.cost_bearer == "GM0166" and det.provisional
    assert [a.cost_bearer for a in flag.alternatives] == ["GM0193"] and "2026-02" in flag.note


def test_date_incomplete_is_not_raised_when_the_readings_agree():
    det = determine(make(MOVE_IN_FEBRUARY, melding=("2026-04-15", "GM0166")), CTX)
    assert det.cost_bearer == "GM0166" and "DATE_INCOMPLETE" not in det.flag_names and not det.provisional


def test_an_incomplete_date_is_kept_in_the_input_digest_and_survives_a_round_trip():
    facts = make(MOVE_IN_FEBRUARY, melding=("2026-02-15", "GM0166"))
    full = make([{**MOVE_IN_FEBRUARY[0], "to": "2026-02-01"}, {**MOVE_IN_FEBRUARY[1], "from": "2026-02-02"}],
                melding=("2026-02-15", "GM0166"))
    assert determine(facts, CTX).input_digest != determine(full, CTX).input_digest
    again = CaseFacts.model_validate(facts.model_dump(mode="json", by_alias=True), context={"municipalities": REG})
    assert again == facts and facts_document(again) == facts_document(facts)


def test_the_text_of_an_incomplete_date_decides_and_a_day_outside_it_is_refused():
    # in a history the day is read again from the text
    facts = make([{"gemeente": "GM0166", "function": "W", "from": "2020-03-05", "from_partial": "2019"}])
    assert facts.addresses[0].from_ == date(2019, 1, 1)
    with pytest.raises(ValidationError, match="does not lie within its incomplete date"):
        Address.model_validate({"gemeente": "GM0166", "function": "W", "from": "2020-03-05", "from_partial": "2019"})
