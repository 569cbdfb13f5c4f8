"""R15: E38, a retroactive BRP correction, re-determined."""
from datetime import date

import pytest

from rules import loader
from rules.engine import determine
from rules.facts import CaseFacts
from rules.redetermine import redetermine

REG = loader.municipality_register()
CTX = loader.default_context(overrides={"t0": date(2026, 1, 1)})


def facts(addresses):
    return CaseFacts.model_validate({"id": "E38", "melding": {"date": "2026-02-09", "gemeente": "GM0505"},
                                     "addresses": addresses}, context={"municipalities": REG})


def test_retroactive_brp_correction_moves_cost_and_raises_retro_brp():
    first = determine(facts([{"gemeente": "GM0512", "function": "W", "from": "2017-01-01"}]), CTX)
    assert first.cost_bearer == "GM0512"
    corrected = facts([
        {"gemeente": "GM0512", "function": "W", "from": "2017-01-01", "to": "2025-10-31"},
        {"status": "vow", "from": "2025-11-01", "recorded": "2026-05-20"},
    ])
    again = redetermine(first, corrected, CTX, "brp_correction")
    assert again.cost_bearer == "GM0505"
    assert again.previous == first.digest and again.trigger == "brp_correction"
    assert ("cost_bearer", "GM0512", "GM0505") in again.changes
    retro = again.flag("RETRO_BRP")
    assert retro is not None and retro.alternatives[0].cost_bearer == "GM0512"
    assert again.provisional


def test_no_retro_flag_without_a_late_recording():
    first = determine(facts([{"gemeente": "GM0512", "function": "W", "from": "2017-01-01"}]), CTX)
    again = redetermine(first, facts([{"gemeente": "GM0512", "function": "W", "from": "2017-01-01"}]), CTX,
                        "new_stay")
    assert again.flag("RETRO_BRP") is None and again.changes == ()


def test_unknown_trigger_is_refused():
    first = determine(facts([{"gemeente": "GM0512", "function": "W", "from": "2017-01-01"}]), CTX)
    with pytest.raises(ValueError, match="unknown trigger"):
        redetermine(first, facts([{"gemeente": "GM0512", "function": "W", "from": "2017-01-01"}]), CTX, "whim")
