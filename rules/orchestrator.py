"""The order of application (spec 8.2): the provisions, one after the other, under one reading.

``run_rules(case, reading)`` is the visible list of the steps of spec 8.2 (steps 3-12); each step is
a provision of ``rules/provisions/`` that returns a finding (``findings.Finding``: its value, the
flags it raises, its trail records). The run collects the findings in order: the trail is their
records, the flags their raised flags. Nothing is shared between runs but the prepared facts
(``prepared.py``) and the woonplaats walk they remember per part of a reading.

The determination (``engine.determine``) runs the default reading, then each distinct alternative
reading of the flags it raised, once, and keeps of an alternative run only its outcome.

R1 is step 3 of spec 8.2, but "new_client and legal_college [are] still computed": its gate is
applied after the class and cost bearer are known, where it sets them to none.
"""
from __future__ import annotations

from dataclasses import dataclass

from .findings import Finding, Outcome, Raised
from .prepared import PreparedFacts
from .provisions import (
    r00_regime,
    r01_eligibility,
    r02_peildatum,
    r03_woonadres,
    r04_statutory_college,
    r05_woonplaats,
    r06_twelve_months,
    r09_settings,
    r10_running_provision,
    r11_new_client,
    r12_existing_clients,
    r13_cost_bearer,
    r14_entry_kind,
)
from .readings import Readings
from .trail import TrailRecord


@dataclass(frozen=True, slots=True)
class Run:
    """The result of the rules under one reading."""

    outcome: Outcome
    new_client: bool | None
    entry: str | None
    woonplaats: r05_woonplaats.Woonplaats
    flags: tuple[Raised, ...]  # in the order raised
    trail: tuple[TrailRecord, ...]


class _Steps:
    """The findings of one run, in order (local to ``run_rules``)."""

    def __init__(self) -> None:
        self.flags: list[Raised] = []
        self.trail: list[TrailRecord] = []

    def take(self, finding: Finding):
        self.flags += finding.flags
        self.trail += finding.trail
        return finding.value

    def record(self, record: TrailRecord | None) -> None:
        if record is not None:
            self.trail.append(record)

    def note(self, name: str, note: str | None) -> None:
        """An informational flag (kind I), when its note is given."""
        if note is not None:
            self.flags.append(Raised(name, note))


def run_rules(case: PreparedFacts, reading: Readings) -> Run:
    """Spec 8.2 steps 3-12 for a case whose meldgemeente has a region on M (step 2)."""
    ctx, m, params, meldregio = case.ctx, case.m, case.params, case.meldregio
    steps = _Steps()
    steps.record(r02_peildatum.peildatum_record(m, case.meldgemeente))
    steps.record(r10_running_provision.MERGED_RECORD if case.merged else None)

    # steps 4-5, R2/R3 and R5/R7/R8 with R9: the financial woonplaats on M and its flags
    wp = steps.take(r02_peildatum.woonplaats_for_melding(case, reading))
    steps.record(r03_woonadres.address_record(m, case.addresses, wp.cur))
    steps.record(r05_woonplaats.record(wp))
    steps.flags += r05_woonplaats.woonplaats_flags(case, wp)
    steps.note("YOUTH_TRANSITION", r09_settings.youth_transition_note(case.facts.person, m, wp.youth))
    steps.note("SAME_DAY_EVENTS", r02_peildatum.same_day_events(case))
    steps.note("AGREED_TRANSFER", r10_running_provision.agreed_transfer_note(case.facts.bw_episodes))

    # step 6, R6 (evaluated in both regimes, 8.4), and step 7, the legal college (R4, R5)
    r6 = r06_twelve_months.twelve_months(case.prior, m, params, reading.r6)
    steps.record(r06_twelve_months.record(r6, case.regime_b))
    legal = steps.take(r04_statutory_college.statutory_college(case, wp, r6))

    # step 8, the transition tests (8.3, R12) with the T0 of the run (R0)
    home = ctx.region_of(wp.gemeente, m)
    t0 = steps.take(r00_regime.transition_t0(ctx, params, case.t0m, home, reading.transition))
    existing = steps.take(r12_existing_clients.existing_client(case, reading.transition, legal, t0))

    # step 9, R11 in the meldregio (or, for an alternative, another region)
    region = r11_new_client.tested_region(ctx, meldregio, reading.r11.r11_region, m)
    new = r11_new_client.is_new_client(case.r11_facts, region, ctx.t0_of(region, params), m, params.window_delta,
                                       reading.r11)
    steps.take(Finding(new.value, new.flags, (new.record,)))
    steps.flags += r11_new_client.home_region_flags(ctx, meldregio, home, case.addresses, m)

    # step 10, the class and cost bearer (8.3 / 8.4, R13)
    classified = None
    if existing is not None:
        steps.record(r12_existing_clients.record(existing, t0))
        steps.flags += r12_existing_clients.transfer_existing(case, existing)
    else:
        classified = r13_cost_bearer.classify(case, reading, new.contacts, new.window_start, region, wp)
    chosen = steps.take(r13_cost_bearer.cost_bearer(case, reading, existing, classified, r6, legal))

    # step 3, R1: eligibility open: no cost bearer, budget, class or entry yet
    if steps.take(r01_eligibility.eligibility_open(case.eligibility_open, reading.intake)):
        return Run(Outcome(None, None, None, legal), new.value, "none" if case.placement is not None else None,
                   wp, tuple(steps.flags), tuple(steps.trail))

    # step 11, 8.6: the cost bearer must have a region; step 12, R14: the entry kind
    chosen = steps.take(r13_cost_bearer.region_known(case, chosen, legal, wp))
    entry = steps.take(r14_entry_kind.entry_kind(ctx, case.placement, chosen.cost_bearer))
    return Run(Outcome(chosen.cost_bearer, chosen.budget, chosen.klass, legal), new.value, entry, wp,
               tuple(steps.flags), tuple(steps.trail))
