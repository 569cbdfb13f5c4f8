"""R12, the transition: existing clients stay on the centrumgemeente's historical budget (spec 8.3).

"EXISTING_HISTORICAL iff (a) after merging, an episode with budget historical runs on M and does not
end before T0m; its cost_bearer pays (it must be a centrumgemeente); or (b) M < T0m and the BW start is
before T0m: the centrumgemeente of region(legal_college) pays, historical budget. If M < T0m and no
placement is given, apply (b) and raise ``T0_STRADDLE`` (alternative: NEW). A melding before T0m with
the BW start on or after T0m is decided as a melding on or after T0m (R12.3), with ``T0_STRADDLE``
(alternative: (b))." An existing client whose BW lies outside the financing centrumgemeente's region
raises ``TRANSFER_EXISTING`` (alternative: the host region's own determination).

Citations (the rule register, ``rules/citations.py``): ``S9``, ``REGIOVISIE-IJV-4.1``, ``SPEC-8.3``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..citations import RULES
from ..findings import FactsError, Finding, Raised
from ..readings import TransitionReading, flag_reading, region_reading
from ..trail import TrailRecord
from .r10_running_provision import MergedEpisode

if TYPE_CHECKING:
    from ..prepared import PreparedFacts

RULE = "R12"
CITATIONS: tuple[str, ...] = RULES[RULE].citations

ALT_T0_STRADDLE = flag_reading("T0_STRADDLE")


@dataclass(frozen=True, slots=True)
class ExistingClient:
    cost_bearer: str | None  # the centrumgemeente whose historical budget pays
    how: str  # "a": a historical episode runs on M; "b": melding and BW start before T0
    running_historical: MergedEpisode | None = None  # (a)


def existing_client(case: PreparedFacts, reading: TransitionReading, legal: str | None,
                    t0: date) -> Finding[ExistingClient | None]:
    """8.3 (a) and (b) with the T0 of the run (``r00_regime.transition_t0``); None: not an existing client."""
    if reading.skip_existing:
        return Finding(None)
    m = case.m
    running = None
    for e in case.with_placement:  # (a): the last historical episode running on M and not ended before T0
        if e.historical and e.from_ <= m and (e.to is None or e.to >= m) and (e.to is None or e.to >= t0):
            running = e
    if running is not None:
        if not case.ctx.is_centrumgemeente(running.cost_bearer):
            raise FactsError(case.facts.id, "bw_episodes.cost_bearer",
                             f"{running.cost_bearer} finances a historical episode but is no centrumgemeente")
        return Finding(ExistingClient(running.cost_bearer, "a", running))
    if m >= t0:
        return Finding(None)
    region = case.ctx.region_of(legal, m)  # (b)
    existing = ExistingClient(region.centrumgemeente if region is not None else None, "b")
    if case.bw_start is None:
        straddle = Raised("T0_STRADDLE", "melding voor T0 zonder bekende BW-start", (ALT_T0_STRADDLE,))
        return Finding(existing if not reading.t0_straddle_alt else None, (straddle,))
    if case.bw_start < t0:
        return Finding(existing)
    straddle = Raised("T0_STRADDLE", f"melding {m} voor T0 {t0}, BW-start {case.bw_start} erna", (ALT_T0_STRADDLE,))
    return Finding(existing if reading.t0_straddle_alt else None, (straddle,))


def existing_text(how: str, t0x: date) -> str:
    return ("een episode op het historisch budget loopt op M door na T0: bestaande cliënt" if how == "a"
            else f"melding en BW-start voor T0 {t0x}: historisch regime")


def record(existing: ExistingClient, t0: date) -> TrailRecord:
    return TrailRecord(RULE, existing_text, (existing.how, t0))


def transfer_existing(case: PreparedFacts, existing: ExistingClient) -> tuple[Raised, ...]:
    """TRANSFER_EXISTING: an existing client (a) whose BW (or placement) lies outside the region of
    the centrumgemeente that finances it."""
    if existing.how != "a":
        return ()
    ctx, m = case.ctx, case.m
    financing = ctx.region_of(existing.cost_bearer, m)
    places = [existing.running_historical.location]
    if case.placement is not None:
        places += [case.placement.fronting, case.placement.location]
    for code in places:
        region = ctx.region_of(code, m)
        if financing is None or region is None or region.id != financing.id:
            host = region or case.meldregio
            return (Raised("TRANSFER_EXISTING", f"bestaande cliënt van {existing.cost_bearer}, BW in {code} buiten "
                           "die regio", (region_reading(host.id, skip_existing=True),)),)
    return ()
