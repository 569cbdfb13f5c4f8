"""R0, regime selection: the current Wmo 2015 (regime A) or bill 36288 in force (regime B).

"If ``law_in_force_from`` is set and M >= ``law_in_force_from``, the legal college follows R5-R9 (the
bill); otherwise the legal college is the meldgemeente (Wmo 2015 art. 1.2.1 sub b)." The cost bearer
follows R12-R13. The T0 that M is compared with is the T0 of the meldregio; when the home region has
another T0, ``T0_MISMATCH`` (alternative: the transition tests with the home region's T0). Spec 8.2
step 2: a meldgemeente without a region on M gives ``REGION_UNKNOWN`` and no cost bearer (8.6).

Citations (the rule register, ``rules/citations.py``): ``S11`` (Wmo 2015 art. 1.2.1), ``S1`` (bill
36288), ``S8``; for the meldregio without a region ``SPEC-8.6``.
"""
from __future__ import annotations

from datetime import date

from ..citations import RULES
from ..context import Context, Parameters, RegionVersion
from ..findings import Finding, Raised
from ..readings import TransitionReading, flag_reading
from ..trail import TrailRecord

RULE = "R0"
CITATIONS: tuple[str, ...] = RULES[RULE].citations

ALT_T0_HOME = flag_reading("T0_MISMATCH")

REGIME_B = "regime B: wetsvoorstel 36288 in werking"
REGIME_A = "regime A: huidige Wmo 2015 (wetsvoorstel 36288 niet in werking)"


def regime_b(params: Parameters, m: date) -> bool:
    """Regime B iff ``law_in_force_from`` is set and M is on or after it."""
    law = params.law_in_force_from
    return law is not None and m >= law


def regime_record(is_b: bool) -> TrailRecord:
    return TrailRecord(RULE, None, (REGIME_B if is_b else REGIME_A,))


def meldregio_unknown(meldgemeente: str, m: date) -> tuple[Raised, TrailRecord]:
    """8.2 step 2: the meldgemeente has no region on M: REGION_UNKNOWN, no cost bearer, stop."""
    return (Raised("REGION_UNKNOWN", f"meldgemeente {meldgemeente} valt op {m} in geen regio"),
            TrailRecord(RULE, None, (f"meldgemeente {meldgemeente} heeft geen regio in de regiotabel: geen kostendrager",)))


def transition_t0(ctx: Context, params: Parameters, t0m: date, home: RegionVersion | None,
                  reading: TransitionReading) -> Finding[date]:
    """The T0 the transition tests (8.3) compare M with: the meldregio's, or (``T0_MISMATCH``'s
    reading) the home region's."""
    t0h = ctx.t0_of(home, params) if home is not None else t0m
    flags = ()
    if home is not None and t0h != t0m:
        flags = (Raised("T0_MISMATCH", f"T0 van de meldregio {t0m}, van de thuisregio {t0h}", (ALT_T0_HOME,)),)
    return Finding(t0h if reading.t0_home else t0m, flags)
