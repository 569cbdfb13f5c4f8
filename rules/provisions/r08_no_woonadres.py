"""R8, no usable woonadres (homeless, briefadres only, not registered, chain ends abroad).

"Candidate readings: (i) the meldgemeente, (ii) the municipality of the briefadres, (iii) the last
known woonadres, (iv) werkelijk verblijf. Proposed default: (i) the meldgemeente, with flag
``NO_WOONADRES``, and (ii)/(iii) stored as alternatives for review" (``CHAIN_END_NO_WOONADRES`` when
the R7 chain ends there). Persons from abroad registered at a Dutch woonadres on M: R5 with no
minimum duration, ``SHORT_REGISTRATION`` when that registration is less than 30 days old. When the
last ordinary woonadres lies outside the meldregio, a handover (N5) may follow (``LT_CHECK``).

Citations (the rule register, ``rules/citations.py``): ``SPEC-R8``, ``S11`` (Wmo 2015 art. 1.2.1 sub c).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from ..citations import RULES
from ..facts import Address, AddressFunction
from ..readings import WoonplaatsReading

if TYPE_CHECKING:
    from ..prepared import PreparedFacts

RULE = "R8"
CITATIONS: tuple[str, ...] = RULES[RULE].citations


class Inapplicable(Exception):
    """An alternative reading that the facts give no answer for (e.g. no briefadres to take)."""


def r8_municipality(case: PreparedFacts, d: date, reading: WoonplaatsReading) -> str:
    """The municipality R8 names under the reading: the meldgemeente (default), the briefadres on
    ``d`` or the last ordinary woonadres; ``Inapplicable`` when the facts hold neither."""
    if reading.r8_mode == "meldgemeente":
        return case.meldgemeente
    if reading.r8_mode == "briefadres":
        b = next((a for a in case.addresses if a.covers(d) and a.function is AddressFunction.BRIEFADRES), None)
        if b is None:
            raise Inapplicable
        return b.gemeente
    last = last_ordinary_woonadres(case.addresses, d)
    if last is None:
        raise Inapplicable
    return last.gemeente


def last_ordinary_woonadres(addresses: Sequence[Address], d: date) -> Address | None:
    """The last woonadres, not at an institution, that started on or before ``d``."""
    found = None
    for a in addresses:
        if a.from_ <= d and a.function is AddressFunction.WOONADRES and a.institution is None:
            found = a
    return found


def lt_check_note(case: PreparedFacts) -> str | None:
    """LT_CHECK (informational): the last ordinary woonadres lies outside the meldregio."""
    last = last_ordinary_woonadres(case.addresses, case.m)
    if last is None:
        return None
    region = case.ctx.region_of(last.gemeente, case.m)
    if region is None or region.id != case.meldregio.id:
        return f"laatste woonadres {last.gemeente} ligt buiten de meldregio: overdracht (N5) mogelijk"
    return None
