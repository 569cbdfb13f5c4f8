"""R13, combining: the final cost bearer (spec 8.4, with 8.3's existing clients and 8.6).

The class of the client and who pays (spec 8.4): R11 not new with a historical latest contact:
NOT_NEW, the historical budget; not new with post-T0 contacts: RE_ENTRY (regime A: the continuity
candidate, the latest in-window post-T0 episode, pays if its cost bearer is in the meldregio,
otherwise the woonplaats, with ``CROSS_REGION_LAST_PROVIDER`` when paying the passed-over episode
would change the outcome); NEW: the woonplaats (regime A); regime B: R13 row 3, the statutory college
(R6 included). "Divergence between the statutory twelve months (R6) and the regional rules: regime B
follows R6 and regime A the regional rules; raise ``CLOCK_DIVERGENCE`` if the R6 episode is located
in or financed by the meldregio, otherwise ``CROSS_REGION_LAST_PROVIDER``." Then 8.6: "REGION_UNKNOWN
(cost_bearer none) iff the resulting cost bearer has no region on the relevant date."

Citations (the rule register, ``rules/citations.py``): ``SPEC-8.4``, ``S1``, ``S9``; 8.6 ``SPEC-8.6``.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from ..citations import RULES
from ..context import RegionVersion
from ..dates import days_inclusive
from ..findings import Finding, Outcome, Raised
from ..readings import Readings, flag_reading
from ..trail import TrailRecord
from .r05_woonplaats import Woonplaats
from .r06_twelve_months import TwelveMonths
from .r11_new_client import Contact
from .r12_existing_clients import ExistingClient

if TYPE_CHECKING:
    from ..prepared import PreparedFacts

RULE = "R13"
CITATIONS: tuple[str, ...] = RULES[RULE].citations

ALT_OTHER_CLOCK = flag_reading("CLOCK_DIVERGENCE")  # also CROSS_REGION_LAST_PROVIDER's first
ALT_PAY_CANDIDATE = flag_reading("CROSS_REGION_LAST_PROVIDER", pay_cross_region_candidate=True)
ALT_IGNORE_SHORT = flag_reading("SHORT_LAST_EPISODE")

Payer = tuple[str | None, str]  # (cost bearer, budget)


class CostBearer(NamedTuple):
    klass: str
    cost_bearer: str | None
    budget: str


def _statcode_descending(code: str) -> list[int]:
    """A sort key under which the lowest statcode comes last (ties of 8.4 go to the lowest statcode)."""
    return [-ord(ch) for ch in code]


def classify(case: PreparedFacts, reading: Readings, contacts: tuple[Contact, ...], window_start: date,
             region: RegionVersion, wp: Woonplaats) -> Finding[tuple[str, Payer]]:
    """8.4: the class and the regional cost bearer of a melding decided on or after T0 (R11's contacts
    in the tested ``region``)."""
    if not contacts:
        return Finding(("NEW", (wp.gemeente, "woonplaats")))
    latest = max(c.when for c in contacts)
    historical = [c for c in contacts if c.when == latest and c.historical]
    if historical:  # NOT_NEW: any historical contact on the latest date decides
        episodes = [c.episode for c in historical if c.episode is not None]
        if episodes:
            e = max(episodes, key=lambda e: (e.from_, _statcode_descending(e.cost_bearer)))
            return Finding(("NOT_NEW", (e.cost_bearer, "historical")))
        return Finding(("NOT_NEW", (region.centrumgemeente, "historical")))
    return _re_entry(case, reading, window_start, region, wp)


def _re_entry(case: PreparedFacts, reading: Readings, window_start: date, region: RegionVersion,
              wp: Woonplaats) -> Finding[tuple[str, Payer]]:
    """RE_ENTRY, regime A: continuity with the latest in-window post-T0 episode, in any region."""
    m, flags = case.m, []
    candidates = sorted((e for e in case.prior if not e.historical and e.from_ <= m
                         and (e.product != "ambulant" or reading.r11.ambulant_counts)
                         and (e.to is None or e.to >= window_start)),
                        key=lambda e: (min(e.to or m, m), e.from_, _statcode_descending(e.cost_bearer)))
    candidate = candidates[-1] if candidates else None
    short_days = case.params.short_episode_days
    if candidate is not None and candidate.to is not None and not case.regime_b \
            and days_inclusive(candidate.from_, candidate.to) < short_days:
        flags.append(Raised("SHORT_LAST_EPISODE", f"de laatste episode {candidate.from_}..{candidate.to} duurde "
                            f"korter dan {short_days} dagen", (ALT_IGNORE_SHORT,)))
        if reading.r6.ignore_short_episode:
            candidate = candidates[-2] if len(candidates) > 1 else None
    if candidate is not None:
        payer_region = case.ctx.region_of(candidate.cost_bearer, m)
        if payer_region is not None and payer_region.id == region.id:
            return Finding(("RE_ENTRY", (candidate.cost_bearer, "woonplaats")), tuple(flags))
        if candidate.cost_bearer != wp.gemeente:
            flags.append(Raised("CROSS_REGION_LAST_PROVIDER", f"de laatste episode werd betaald door "
                                f"{candidate.cost_bearer}, buiten de meldregio", (ALT_PAY_CANDIDATE,)))
        if reading.cost.pay_cross_region_candidate:
            return Finding(("RE_ENTRY", (candidate.cost_bearer, "woonplaats")), tuple(flags))
    return Finding(("RE_ENTRY", (wp.gemeente, "woonplaats")), tuple(flags))


def _r6_payer(r6: TwelveMonths) -> Payer | None:
    if not r6.applies:
        return None
    e = r6.episode
    return (e.cost_bearer, "historical") if e.historical else (r6.party, "woonplaats")


def cost_bearer(case: PreparedFacts, reading: Readings, existing: ExistingClient | None, classified: Finding | None,
                r6: TwelveMonths, legal: str | None) -> Finding[CostBearer]:
    """R13: the class and who pays, from 8.3 (``existing``) or 8.4 (``classified``) and R6."""
    if existing is not None:
        return Finding(CostBearer("EXISTING_HISTORICAL", existing.cost_bearer, "historical"))
    klass, regional = classified.value
    r6_payer = _r6_payer(r6)
    divergent = r6_payer is not None and r6_payer != regional
    if case.regime_b:
        if klass == "NOT_NEW":
            payer = r6_payer if r6_payer is not None and r6_payer[0] != regional[0] else regional
        else:  # R13 row 3: the statutory college (R6 included)
            payer = r6_payer if r6_payer is not None else (legal, "woonplaats")
        if divergent and reading.cost.other_clock:
            payer = regional
    else:
        payer = r6_payer if divergent and reading.cost.other_clock else regional
    flags = list(classified.flags)
    if divergent:
        flags.append(_divergence(case, r6, r6_payer, regional))
    by_law = case.regime_b and payer == r6_payer and r6_payer != regional
    return Finding(CostBearer(klass, *payer), tuple(flags), (TrailRecord(RULE, cost_bearer_text, (klass, payer[0], payer[1], by_law)),))


def cost_bearer_text(klass: str, cost_bearer: str | None, budget: str, by_law: bool) -> str:
    return f"klasse {klass}; kostendrager {cost_bearer or 'geen'} ({budget})" + (
        " volgens R6 (wet gaat voor regionale afspraak)" if by_law else "")


def _divergence(case: PreparedFacts, r6: TwelveMonths, r6_payer: Payer, regional: Payer) -> Raised:
    e, m, meldregio = r6.episode, case.m, case.meldregio
    lr, fr = case.ctx.region_of(e.location, m), case.ctx.region_of(e.cost_bearer, m)
    inside = (lr is not None and lr.id == meldregio.id) or (fr is not None and fr.id == meldregio.id)
    return Raised("CLOCK_DIVERGENCE" if inside else "CROSS_REGION_LAST_PROVIDER",
                  f"de twaalf maanden van R6 wijzen naar {r6_payer[0]}, de regionale regels naar {regional[0]}",
                  (ALT_OTHER_CLOCK,))


def region_known(case: PreparedFacts, chosen: CostBearer, legal: str | None, wp: Woonplaats) -> Finding[CostBearer]:
    """8.6: a cost bearer without a region on M is none (REGION_UNKNOWN, the alternative the cost bearer
    as if its region were known); so is a woonplaats in gemeentecode 0000 (8.12)."""
    if chosen.cost_bearer is not None and case.ctx.region_of(chosen.cost_bearer, case.m) is None:
        found = Raised("REGION_UNKNOWN", f"kostendrager {chosen.cost_bearer} valt in geen regio",
                       alternative=Outcome(chosen.cost_bearer, chosen.budget, chosen.klass, legal))
        text = f"{chosen.cost_bearer} heeft geen regio in de regiotabel: geen kostendrager"
        return Finding(CostBearer(chosen.klass, None, None), (found,), (TrailRecord("8.6", None, (text,)),))
    if chosen.cost_bearer is None and wp.unknown:
        text = "woonplaats onbekend (BRP-gemeentecode 0000): geen kostendrager"
        return Finding(CostBearer(chosen.klass, None, None), (), (TrailRecord("8.6", None, (text,)),))
    return Finding(chosen)
