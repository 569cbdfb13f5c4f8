"""The prepared facts of one case: everything the provisions read that does not depend on a reading.

Spec 8.2 step 1: the facts validated (``facts.py``) and normalised (sorted by start), the BW
episodes merged under R10.2 (``provisions/r10_running_provision.py``), the meldregio and the
parameters on M (R0), and the intake date of R2. Made once per case by ``prepare``; every run of
the rules, under the default reading and under each alternative, reads the same prepared facts.

``woonplaats_cache`` is the one cache of a case: the woonplaats walk (R3, R5, R7, R8) under a part
of a reading (``readings.WoonplaatsReading``) on a date, which the alternatives of later rules
read again unchanged (``provisions/r05_woonplaats.py``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import attrgetter

from .context import Context, Parameters, RegionVersion
from .facts import Address, Application, CaseFacts, Placement, Stay
from .provisions import r00_regime, r02_peildatum, r11_new_client
from .provisions.r10_running_provision import MergedEpisode, running_provision

_BY_START = attrgetter("from_")


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedFacts:
    facts: CaseFacts
    ctx: Context
    params: Parameters  # in force on M
    m: date  # the peildatum (R2)
    meldgemeente: str
    meldregio: RegionVersion | None  # R0: None when the meldgemeente has no region on M (8.6)
    regime_b: bool  # R0: bill 36288 in force on M
    t0m: date  # the T0 of the meldregio (R0, 8.3)
    addresses: tuple[Address, ...]  # sorted by start
    stays: tuple[Stay, ...]  # sorted by start
    applications: tuple[Application, ...]
    placement: Placement | None
    eligibility_open: bool  # R1
    prior: tuple[MergedEpisode, ...]  # R10: merged BW episodes before this melding (the placement left out)
    with_placement: tuple[MergedEpisode, ...]  # R10: merged with the placement, for the transition tests
    bw_start: date | None
    merged: bool  # R10: some episodes (or the placement) were merged
    intake_date: date | None  # R2: the later of the BW start and the aanvraag date, when after M
    intake_moves: bool  # R2: the BRP history or a stay changes between M and the intake date
    r11_facts: r11_new_client.R11Facts  # what R11 reads of the facts, the same under every reading
    woonplaats_cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def gap(self) -> timedelta:
        """The chain and episode gap tolerance (R7.2, R10.2)."""
        return self.params.gap_delta

    @property
    def desig(self) -> dict:
        """Institution type -> "verified" | "assumed" (designated types only, R7.1)."""
        return self.params.designations


def _by_start(items: tuple) -> tuple:
    return tuple(sorted(items, key=_BY_START))


def prepare(facts: CaseFacts, ctx: Context) -> PreparedFacts:
    """Spec 8.2 step 1 for one case."""
    melding, placement = facts.melding, facts.placement
    m = melding.date
    params = ctx.params_at(m)
    meldregio = ctx.region_of(melding.gemeente, m)
    provision = running_provision(facts.bw_episodes, placement, params.gap_tolerance_days)
    intake = r02_peildatum.intake_date(melding, placement)
    addresses, stays = _by_start(facts.addresses), _by_start(facts.stays)
    return PreparedFacts(
        facts=facts, ctx=ctx, params=params, m=m, meldgemeente=melding.gemeente, meldregio=meldregio,
        regime_b=r00_regime.regime_b(params, m), t0m=ctx.t0_of(meldregio, params),
        addresses=addresses, stays=stays, applications=facts.applications, placement=placement,
        eligibility_open=facts.eligibility_open,
        prior=provision.prior, with_placement=provision.with_placement, bw_start=provision.bw_start,
        merged=provision.merged,
        intake_date=intake, intake_moves=r02_peildatum.moves_during_intake(addresses, stays, m, intake),
        r11_facts=r11_new_client.case_facts(facts.applications, provision.prior, m, ctx),
    )
