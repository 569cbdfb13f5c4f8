"""Cost lines from placements (pure), the rounding rule, quarters."""
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import LedgerError
from ledger.settlement.catalogue import load_catalogue
from ledger.settlement.costlines import Placement, line_specs, split_days
from ledger.settlement.quarters import Quarter, correction_label, days, months
from ledger.settlement.settle import allocate

CAT = load_catalogue()


def P(start, stop, product="15B02", fronting="GM0193", **kw):
    return Placement("pl-x", "PSN-client-9", fronting, "GM0166", product, start, stop, **kw)


def test_days_both_ends_inclusive_and_partial_months():
    specs = line_specs(P(date(2025, 1, 20), date(2025, 3, 5)), CAT, date(2030, 1, 1))
    assert [(s.period_from, s.period_to, s.units) for s in specs] == [
        (date(2025, 1, 20), date(2025, 1, 31), 12), (date(2025, 2, 1), date(2025, 2, 28), 28),
        (date(2025, 3, 1), date(2025, 3, 5), 5)]
    assert all(s.amount_cents == s.units * s.tariff_cents for s in specs)
    one = line_specs(P(date(2025, 2, 10), date(2025, 2, 10)), CAT, date(2030, 1, 1))
    assert [(s.units, s.period_from, s.period_to) for s in one] == [(1, date(2025, 2, 10), date(2025, 2, 10))]
    leap = line_specs(P(date(2028, 2, 1), date(2028, 2, 29)), CAT, date(2030, 1, 1))
    assert leap[0].units == 29


def test_tariff_change_mid_month_splits_the_line():
    specs = line_specs(P(date(2026, 2, 1), date(2026, 2, 28)), CAT, date(2030, 1, 1))
    assert [(s.period_from.day, s.period_to.day, s.units) for s in specs] == [(1, 15, 15), (16, 28, 13)]
    assert specs[0].tariff_cents != specs[1].tariff_cents
    # the year boundary changes the tariff too
    specs = line_specs(P(date(2025, 12, 30), date(2026, 1, 2)), CAT, date(2030, 1, 1))
    assert [s.units for s in specs] == [2, 2] and specs[0].tariff_cents != specs[1].tariff_cents


def test_gaps_running_placements_and_regional_contract():
    p = P(date(2025, 3, 1), None, interruptions=((date(2025, 3, 10), date(2025, 3, 19)),))
    specs = line_specs(p, CAT, date(2025, 4, 10))
    assert [(s.period_from, s.period_to) for s in specs] == [
        (date(2025, 3, 1), date(2025, 3, 9)), (date(2025, 3, 20), date(2025, 3, 31)),
        (date(2025, 4, 1), date(2025, 4, 10))]
    assert sum(s.units for s in specs) == 9 + 12 + 10
    # Kampen fronts on the IJssel-Vecht regional contract
    assert line_specs(P(date(2025, 5, 1), date(2025, 5, 2), fronting="GM0166"), CAT, date(2030, 1, 1))[0].contract \
        == "ijv-bw-2025"
    assert line_specs(P(date(2025, 5, 1), date(2025, 5, 2)), CAT, date(2025, 4, 30)) == []  # not started yet


def test_bad_placements_and_unknown_products_are_clear_errors():
    with pytest.raises(LedgerError) as e:
        line_specs(P(date(2025, 5, 2), date(2025, 5, 1)), CAT, date(2030, 1, 1))
    assert e.value.code == "PLACEMENT_INVALID"
    with pytest.raises(LedgerError) as e:
        line_specs(P(date(2025, 5, 1), date(2025, 5, 2), product="99X99"), CAT, date(2030, 1, 1))
    assert e.value.code == "PRODUCT_UNKNOWN"
    with pytest.raises(LedgerError) as e:
        line_specs(P(date(2020, 5, 1), date(2020, 5, 2)), CAT, date(2030, 1, 1))
    assert e.value.code == "TARIFF_MISSING"
    with pytest.raises(LedgerError) as e:
        Quarter.parse("2026K5")
    assert e.value.code == "QUARTER_INVALID"


def test_quarters():
    q = Quarter.parse("2026K1")
    assert (q.start, q.end, q.code, q.label) == (date(2026, 1, 1), date(2026, 3, 31), "2026K1", "2026-K1")
    assert Quarter.parse("2024-k4").next() == Quarter(2025, 1) and Quarter(2025, 1).prev() == Quarter(2024, 4)
    assert correction_label(date(2024, 4, 1), date(2024, 4, 30)) == "correctie op 2024-K2"
    assert correction_label(date(2024, 6, 20), date(2024, 7, 3)) == "correctie op 2024-K2 t/m 2024-K3"


dates = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31))


@settings(max_examples=60)
@given(start=dates, length=st.integers(0, 500), cuts=st.lists(st.integers(1, 499), max_size=6),
       product=st.sampled_from(sorted(CAT.products)))
def test_splitting_a_period_never_changes_the_total(start, length, cuts, product):
    """Rounding rule: tariffs are whole cents per day, so amount = days * tariff needs no rounding and
    any split of a period gives exactly the same total as the monthly lines of the whole period."""
    stop = start + timedelta(days=length)
    whole = sum(s.amount_cents for s in line_specs(P(start, stop, product=product), CAT, stop))
    points = sorted({start + timedelta(days=c) for c in cuts if c <= length})
    pieces, lo = [], start
    for p in points:
        pieces.append((lo, p - timedelta(days=1)))
        lo = p
    pieces.append((lo, stop))
    parts = sum(s.amount_cents for a, b in pieces if a <= b
                for s in line_specs(P(a, b, product=product), CAT, b))
    assert parts == whole
    assert sum(days(a, b) for a, b in months(start, stop)) == length + 1


@settings(max_examples=200)
@given(total=st.integers(-10**9, 10**9), weights=st.dictionaries(st.sampled_from([f"GM{i:04d}" for i in range(12)]),
                                                                   st.integers(1, 10**6), min_size=1))
def test_largest_remainder_shares_add_up_and_are_within_a_cent(total, weights):
    shares = allocate(total, weights)
    assert sum(shares.values()) == total
    wsum = sum(weights.values())
    for k, w in weights.items():
        assert abs(shares[k] - total * w / wsum) < 1 + 1e-6
    assert allocate(total, weights) == shares  # deterministic


def test_split_days():
    d = date
    got = split_days(d(2025, 1, 1), d(2025, 1, 31), [(d(2025, 1, 10), d(2025, 1, 20), "x")])
    assert got == [(d(2025, 1, 1), d(2025, 1, 9), None), (d(2025, 1, 10), d(2025, 1, 20), "x"),
                   (d(2025, 1, 21), d(2025, 1, 31), None)]
    assert split_days(d(2025, 1, 1), d(2025, 1, 31), [(d(2024, 1, 1), d(2026, 1, 1), "y")]) == [
        (d(2025, 1, 1), d(2025, 1, 31), "y")]
