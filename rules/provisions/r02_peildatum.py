"""R2, the peildatum: the woonplaats is read on M, the date the melding is received.

"M = the date the melding (art. 2.3.2) for BW is received by a municipality, or by a centrumgemeente
acting for it. The exact reference moment is not verified: the engine also records the woonadres on
the aanvraag date and on the start date of BW; if these differ from the one on M, it raises
``ADDRESS_CHANGED_DURING_INTAKE``" (alternative: the woonplaats on the later date). A BRP period,
stay or episode that begins or ends on M itself is noted (``SAME_DAY_EVENTS``, spec 8.7).

Citations (the rule register, ``rules/citations.py``): ``S11`` (Wmo 2015 art. 2.3.2), ``SPEC-8.1``.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from ..citations import RULES
from ..facts import Address, Melding, Placement, Stay
from ..findings import Finding, Raised
from ..readings import Readings, flag_reading
from ..trail import TrailRecord
from . import r05_woonplaats
from .r05_woonplaats import Inapplicable, Woonplaats

if TYPE_CHECKING:
    from ..prepared import PreparedFacts

RULE = "R2"
CITATIONS: tuple[str, ...] = RULES[RULE].citations

ALT_INTAKE = flag_reading("ADDRESS_CHANGED_DURING_INTAKE")


def intake_date(melding: Melding, placement: Placement | None) -> date | None:
    """The later of the aanvraag date and the placement's start, when after M."""
    later = [d for d in (melding.aanvraag_date, placement.from_ if placement is not None else None)
             if d is not None and d > melding.date]
    return max(later) if later else None


def moves_during_intake(addresses: Sequence[Address], stays: Sequence[Stay], m: date, intake: date | None) -> bool:
    """Whether a BRP period or stay starts or ends between M and the intake date: if none does, the
    woonplaats on both days is the same."""
    if intake is None:
        return False
    return any(m < x.from_ <= intake or (x.to is not None and m <= x.to < intake) for x in (*addresses, *stays))


def peildatum_text(m: date, meldgemeente: str) -> tuple[str, tuple[str, ...]]:
    return f"peildatum: melding op {m} bij {meldgemeente}", ("melding",)


def peildatum_record(m: date, meldgemeente: str) -> TrailRecord:
    return TrailRecord(RULE, peildatum_text, (m, meldgemeente))


def woonplaats_for_melding(case: PreparedFacts, reading: Readings) -> Finding[Woonplaats]:
    """The financial woonplaats on M (``r05_woonplaats``), or under the alternative on the intake date."""
    wp = r05_woonplaats.woonplaats_on(case, case.m, reading.woonplaats)
    on_intake = reading.intake.wp_on_intake_date
    if case.intake_date is None or not (on_intake or case.intake_moves):
        return Finding(wp)
    try:
        later = r05_woonplaats.woonplaats_on(case, case.intake_date, reading.woonplaats)
    except Inapplicable:
        if on_intake:
            raise
        return Finding(wp)  # (no answer on the later date under this reading: nothing to compare)
    if later.gemeente == wp.gemeente:
        return Finding(wp)
    if on_intake:
        return Finding(later)
    return Finding(wp, (Raised("ADDRESS_CHANGED_DURING_INTAKE", f"woonplaats op {case.intake_date} is "
                               f"{later.gemeente}, op de melddatum {wp.gemeente}", (ALT_INTAKE,)),))


def same_day_events(case: PreparedFacts) -> str | None:
    """SAME_DAY_EVENTS (informational): something begins or ends on M itself."""
    m = case.m
    if case.placement is not None and case.placement.from_ == m:
        return "een BRP-periode, verblijf of BW-episode begint of eindigt op de melddatum"
    for x in (*case.addresses, *case.stays, *case.facts.bw_episodes):
        if x.from_ == m or x.to == m:
            return "een BRP-periode, verblijf of BW-episode begint of eindigt op de melddatum"
    return None
