"""The Algemene termijnenwet, against the statute's list written out by hand (not a holiday library)."""
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from rules.termijnen import holiday_name, holidays, is_rest_day, next_working_day, term

# art. 3 lid 1 (Nieuwjaarsdag, tweede Paas- en Pinksterdag, beide Kerstdagen, Hemelvaartsdag, Koningsdag,
# 5 mei), lid 2 (Goede Vrijdag), lid 3 (the royal decrees in rules/data/atw_gelijkgestelde_dagen.toml)
EXPECTED = {
    2024: ["2024-01-01", "2024-03-29", "2024-04-01", "2024-04-27", "2024-05-05", "2024-05-09", "2024-05-10",
           "2024-05-20", "2024-12-25", "2024-12-26", "2024-12-27"],
    2025: ["2025-01-01", "2025-04-18", "2025-04-21", "2025-04-26", "2025-05-05", "2025-05-29", "2025-05-30",
           "2025-06-09", "2025-12-25", "2025-12-26"],
    2026: ["2026-01-01", "2026-01-02", "2026-04-03", "2026-04-06", "2026-04-27", "2026-05-05", "2026-05-14",
           "2026-05-15", "2026-05-25", "2026-12-25", "2026-12-26"],
    2027: ["2027-01-01", "2027-03-26", "2027-03-29", "2027-04-27", "2027-05-05", "2027-05-06", "2027-05-07",
           "2027-05-17", "2027-12-25", "2027-12-26"],
}


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_holiday_list_per_statute(year):
    assert sorted(holidays(year)) == [date.fromisoformat(d) for d in EXPECTED[year]]


def test_kings_day_moves_to_26_april_when_27_april_is_a_sunday():
    assert "Koningsdag" in holiday_name(date(2014, 4, 26))  # 27 April 2014 was a Sunday
    assert holiday_name(date(2014, 4, 27)) is None
    assert "Koningsdag" in holiday_name(date(2025, 4, 26))
    assert "Koninginnedag" in holiday_name(date(2013, 4, 30))


def test_fifth_of_may_every_year_and_good_friday():
    for y in range(2020, 2031):
        assert holiday_name(date(y, 5, 5)) is not None
    assert "Goede Vrijdag" in holiday_name(date(2026, 4, 3))


def test_equated_days_carry_their_decree():
    assert "Besluit gelijkstelling" in holiday_name(date(2026, 5, 15))
    assert holiday_name(date(2023, 5, 19)) is not None
    assert holiday_name(date(2022, 5, 27)) is None  # no decree for 2022 in the data: not assumed


def test_rest_days():
    assert is_rest_day(date(2026, 12, 5))  # Saturday
    assert is_rest_day(date(2026, 12, 6))  # Sunday
    assert not is_rest_day(date(2026, 12, 7))
    assert next_working_day(date(2026, 12, 25)) == date(2026, 12, 28)


def test_art1_extends_past_weekend_and_holidays():
    t = term(date(2026, 11, 14), weeks=6)  # ends Saturday 26 December (tweede Kerstdag)
    assert t.calendar_end == date(2026, 12, 26)
    assert t.end == date(2026, 12, 28) and t.articles == ("art. 1",)
    t = term(date(2026, 4, 2), weeks=6)  # Hemelvaartsdag, then the equated Friday, then the weekend
    assert t.calendar_end == date(2026, 5, 14) and t.end == date(2026, 5, 18)


def test_art2_two_working_days_in_a_short_term():
    # Thursday before Easter 2026 + 3 days: Goede Vrijdag, Saturday, Sunday, tweede Paasdag -> Tuesday is the
    # only working day by art. 1, so art. 2 extends to Wednesday
    t = term(date(2026, 4, 2), days=3)
    assert t.calendar_end == date(2026, 4, 5)
    assert t.end == date(2026, 4, 8)
    assert t.articles == ("art. 1", "art. 2")


def test_term_not_extended_on_a_working_day():
    t = term(date(2026, 12, 1), weeks=2)
    assert t.end == date(2026, 12, 15) and not t.extended and t.articles == ()
    with pytest.raises(ValueError):
        term(date(2026, 12, 1))


@given(st.dates(min_value=date(2015, 1, 1), max_value=date(2029, 12, 31)), st.integers(min_value=1, max_value=70))
def test_term_properties(start, length):
    t = term(start, days=length)
    assert t.calendar_end == start + timedelta(days=length)
    assert t.end >= t.calendar_end and not is_rest_day(t.end)
    working = [start + timedelta(days=i) for i in range(1, (t.end - start).days + 1)
               if not is_rest_day(start + timedelta(days=i))]
    if length >= 3:
        assert len(working) >= 2  # art. 2
    if t.end > t.calendar_end:  # minimal: the day before would break art. 1 or art. 2
        prev = t.end - timedelta(days=1)
        short = len([d for d in working if d <= prev]) < 2 and length >= 3
        assert prev < t.calendar_end or is_rest_day(prev) or short


def test_committee_terms_are_configurable(tmp_path):
    from ledger.disputes import DATA, deadlines_for, load_workflow

    text = DATA.read_text(encoding="utf-8") + "\n[committee.COMMITTEE.admissibility]\nweeks = 3\n"
    text = text.replace("[committee.COMMITTEE]\n", "")
    (tmp_path / "wf.toml").write_text(text, encoding="utf-8")
    wf = load_workflow(tmp_path / "wf.toml")
    assert deadlines_for("ADMISSIBILITY", date(2026, 12, 1), workflow=wf)[0].due == date(2026, 12, 22)
    assert deadlines_for("ADMISSIBILITY", date(2026, 12, 1))[0].due == date(2026, 12, 15)
