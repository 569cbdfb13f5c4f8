"""R4 and R5, the statutory (legal) college (spec 8.2 step 7).

R4, regime A (current law): "legal_college = meldgemeente" (Wmo 2015 art. 1.2.1 sub b). R5, regime B
(bill 36288): "legal_college = municipality of woonadres(M), unless R6 or R7 applies, or R8": P when
R6 applies, otherwise the financial woonplaats of the walk (``r05_woonplaats``: R5, R7, R8).

Citations (the rule register, ``rules/citations.py``): R4 ``S11``; R5 ``S1``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..citations import RULES
from ..findings import Finding
from ..trail import TrailRecord
from . import r00_regime, r06_twelve_months
from .r05_woonplaats import Woonplaats
from .r06_twelve_months import TwelveMonths

if TYPE_CHECKING:
    from ..prepared import PreparedFacts

CITATIONS: dict[str, tuple[str, ...]] = {"R4": RULES["R4"].citations, "R5": RULES["R5"].citations}


def college_text(legal: str | None, regime_b: bool, r6_applies: bool) -> str:
    return f"wettelijk college: {legal or 'geen (woonplaats onbekend)'}" + (
        " (meldgemeente)" if not regime_b else (" (uitzondering a)" if r6_applies else " (woonplaats)"))


def statutory_college(case: PreparedFacts, wp: Woonplaats, r6: TwelveMonths) -> Finding[str | None]:
    """The legal college: the meldgemeente (R4), or P / the woonplaats (R5 with R6)."""
    if case.regime_b:
        legal = r6.party if r6.applies else wp.gemeente
        flags = r06_twelve_months.deciding_flags(r6, case.params) if r6.applies else ()
    else:
        legal, flags = case.meldgemeente, ()
    rule = "R5" if case.regime_b else "R4"
    return Finding(legal, flags, (r00_regime.regime_record(case.regime_b),
                                  TrailRecord(rule, college_text, (legal, case.regime_b, r6.applies))))
