"""R6, exception a: BW ended less than twelve months ago.

"Earlier BW, and less than twelve months elapsed since that beschermd wonen ended: the college of the
municipality that last provided beschermd wonen" (bill 36288, art. 1.2.1a lid 1 sub a). E is the end
of the most recent BW episode of any length, in any region; P its legal college (under mandate the
mandator: ``MANDATE_PROVIDER``); the twelve months run over [E+1, E+1 (+12 months) - 1 day] (spec
8.8, Awb art. 6:8 by analogy: ``BOUNDARY_12M`` when M is on the edge); it also covers M = E or M
before E (R10 continuity). R6 is evaluated in both regimes (8.4); it decides only in regime B, where
its flags are raised (``SHORT_LAST_EPISODE`` when the episode lasted less than the short-episode
parameter). A Wlz or GGZ stay is no BW use (R9).

Citations (the rule register, ``rules/citations.py``): ``S1``, ``AWB-6-8``, ``SPEC-8.8``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..citations import RULES
from ..context import Parameters
from ..dates import days_inclusive, r6_alternative_last_day, r6_period
from ..findings import Raised
from ..readings import R6Reading, flag_reading
from ..trail import TrailRecord
from .r10_running_provision import MergedEpisode

RULE = "R6"
CITATIONS: tuple[str, ...] = RULES[RULE].citations

ALT_12M_SHORTER = flag_reading("BOUNDARY_12M")
ALT_NOT_MANDATOR = flag_reading("MANDATE_PROVIDER")
ALT_IGNORE_SHORT = flag_reading("SHORT_LAST_EPISODE")


@dataclass(frozen=True, slots=True)
class TwelveMonths:
    """R6's finding: the episode it looks at, whether it applies on M and the provider P."""

    applies: bool = False
    episode: MergedEpisode | None = None
    party: str | None = None  # P
    last_day: date | None = None  # the last day of the twelve months (None: BW runs on M)
    short: bool = False  # the episode lasted less than the short-episode parameter
    boundary: bool = False  # the two readings of the twelve months differ on M


NO_EPISODE = TwelveMonths()


def twelve_months(prior: Sequence[MergedEpisode], m: date, params: Parameters, reading: R6Reading) -> TwelveMonths:
    """R6 on M over the merged BW episodes before the melding."""
    intramural = sorted((e for e in prior if e.from_ <= m and e.product == "intramural"),
                        key=lambda e: (e.to or date.max, e.from_, e.legal_college))
    if not intramural:
        return NO_EPISODE
    e = intramural[-1]
    short = e.to is not None and days_inclusive(e.from_, e.to) < params.short_episode_days
    if short and reading.ignore_short_episode:
        if len(intramural) < 2:
            return NO_EPISODE
        e = intramural[-2]
    party = e.mandator if e.mandator and not reading.r6_not_mandator else e.legal_college
    if e.to is None or e.to >= m:  # BW still running or ending on M: continuity
        return TwelveMonths(True, e, party, None, short, False)
    _, last = r6_period(e.to)
    alt_last = r6_alternative_last_day(e.to)
    last_day = alt_last if reading.r6_one_day_shorter else last
    return TwelveMonths(m <= last_day, e, party, last_day, short, (m <= last) != (m <= alt_last))


def twelve_months_text(from_: date, to: date | None, legal_college: str, last_day: date | None, applies: bool,
             regime_b: bool) -> str:
    return (f"laatste BW-episode {from_}..{to or 'lopend'} ({legal_college}); "
            + (f"twaalf maanden tot en met {last_day}; " if last_day else "loopt nog op M; ")
            + ("uitzondering a van toepassing" if applies else "uitzondering a niet van toepassing")
            + ("" if regime_b else " (wordt onder de huidige wet alleen ter vergelijking bepaald)"))


def record(r6: TwelveMonths, regime_b: bool) -> TrailRecord | None:
    e = r6.episode
    if e is None:
        return None
    return TrailRecord(RULE, twelve_months_text, (e.from_, e.to, e.legal_college, r6.last_day, r6.applies, regime_b))


def deciding_flags(r6: TwelveMonths, params: Parameters) -> tuple[Raised, ...]:
    """The flags of R6 where it decides (regime B, R6 applies)."""
    flags = []
    if r6.boundary:
        flags.append(Raised("BOUNDARY_12M", f"M ligt op de grens van de twaalf maanden (tot en met {r6.last_day})",
                            (ALT_12M_SHORTER,)))
    if r6.episode.mandator:
        flags.append(Raised("MANDATE_PROVIDER", f"episode in mandaat: mandaatgever {r6.episode.mandator}, "
                            f"gemandateerde {r6.episode.legal_college}", (ALT_NOT_MANDATOR,)))
    if r6.short:
        flags.append(Raised("SHORT_LAST_EPISODE", f"de laatste BW-episode duurde korter dan {params.short_episode_days} "
                            "dagen", (ALT_IGNORE_SHORT,)))
    return tuple(flags)
