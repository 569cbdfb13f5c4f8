"""Bad facts get a clear error naming the field; merged municipality codes are accepted for history."""
import pytest
from pydantic import ValidationError

from rules import loader
from rules.facts import CaseFacts

REG = loader.municipality_register()


def make(**kw):
    base = {"id": "X1", "melding": {"date": "2026-03-02", "gemeente": "GM0166"}}
    base.update(kw)
    return CaseFacts.model_validate(base, context={"municipalities": REG})


def test_pre_merger_code_is_accepted_for_its_own_period():
    # Giessenlanden (GM0689) merged into Molenlanden (GM1978) on 2019-01-01
    f = make(addresses=[{"gemeente": "GM0689", "function": "W", "from": "2010-01-01", "to": "2018-12-31"}])
    assert f.addresses[0].gemeente == "GM0689"


def test_code_used_after_it_ceased_is_refused():
    with pytest.raises(ValidationError, match="did not exist"):
        make(applications=[{"kind": "aanvraag", "gemeente": "GM0689", "date": "2025-01-01", "outcome": "granted"}])


def test_bare_four_digits_are_normalised():
    assert make(melding={"date": "2026-03-02", "gemeente": "0166"}).melding.gemeente == "GM0166"


@pytest.mark.parametrize("addresses, message", [
    ([{"gemeente": "GM0166", "function": "W", "from": "2020-01-01", "to": "2019-01-01"}], "before 'from'"),
    ([{"gemeente": "GM0166", "function": "W", "from": "2020-01-01"},
      {"gemeente": "GM0193", "function": "W", "from": "2021-01-01"}], "overlap"),
    ([{"gemeente": "GM0166", "function": "W", "from": "01-02-2020"}], "YYYY-MM-DD"),
    ([{"gemeente": "GM9999", "function": "W", "from": "2020-01-01"}], "unknown municipality code"),
])
def test_bad_addresses(addresses, message):
    with pytest.raises(ValidationError, match=message):
        make(addresses=addresses)


def test_nine_digit_case_id_is_refused_as_a_bsn():
    with pytest.raises(ValidationError, match="BSN"):
        make(id="123456789")
