"""R10, the running provision: consecutive BW episodes are one provision.

A new beschikking for the same client without a gap continues the episode: episodes separated by at
most the gap tolerance are merged, and so is the placement with a consecutive preceding episode
(spec R10.2, 8.2 step 1, 8.11). A handover by agreement (convenant) starts a new episode with the
agreed legal college (R10.3, ``AGREED_TRANSFER``).

Citations (the rule register, ``rules/citations.py``): ``SPEC-R10`` (the domain specification, R10).

A merged episode keeps the college, cost bearer and budget of its earliest part and takes the
location of its latest part (8.11).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from ..citations import RULES
from ..facts import Episode, Placement
from ..trail import TrailRecord

RULE = "R10"
CITATIONS: tuple[str, ...] = RULES[RULE].citations

MERGED_RECORD = TrailRecord(RULE, None, ("aansluitende BW-episodes (en de plaatsing) samengevoegd tot één verstrekking",))


@dataclass(frozen=True, slots=True)
class MergedEpisode:
    """A BW episode after R10.2: one or more consecutive episodes (``parts``), or the placement."""

    legal_college: str
    cost_bearer: str
    location: str
    from_: date
    to: date | None
    budget: str  # "woonplaats" | "historical"
    mandator: str | None
    product: str  # "intramural" | "ambulant"
    agreed_transfer: bool
    parts: int = 1
    has_placement: bool = False

    @property
    def historical(self) -> bool:
        return self.budget == "historical"


def from_episode(e: Episode) -> MergedEpisode:
    return MergedEpisode(e.legal_college, e.cost_bearer, e.location, e.from_, e.to, e.budget.value, e.mandator,
                         e.product.value, e.agreed_transfer)


def from_placement(p: Placement) -> MergedEpisode:
    """The placement as an episode of its own: no college or cost bearer yet (that is the question)."""
    return MergedEpisode("", "", p.location, p.from_, None, "woonplaats", None, "intramural", False,
                         has_placement=True)


def merge(episodes: Sequence[MergedEpisode], gap: int) -> list[MergedEpisode]:
    """R10.2: consecutive episodes (at most ``gap`` days apart) merge; an episode inside a running one
    joins it; an agreed handover (R10.3) starts a new episode."""
    out: list[MergedEpisode] = []
    for e in sorted(episodes, key=lambda e: (e.from_, e.to or date.max)):
        last = out[-1] if out else None
        if last is None or e.agreed_transfer:
            out.append(e)
            continue
        joins = last.to is not None and (e.from_ - last.to).days <= gap
        if joins:
            out[-1] = replace(last, to=None if e.to is None else max(last.to, e.to), location=e.location,
                              has_placement=last.has_placement or e.has_placement, parts=last.parts + 1)
        elif last.to is None:  # an episode inside a running one
            out[-1] = replace(last, parts=last.parts + 1)
        else:
            out.append(e)
    return out


@dataclass(frozen=True, slots=True)
class Provision:
    """The case's BW episodes under R10: before the melding (``prior``, the placement left out) and
    with the placement merged in (``with_placement``, for the transition tests of 8.3)."""

    prior: tuple[MergedEpisode, ...]
    with_placement: tuple[MergedEpisode, ...]
    bw_start: date | None  # the start of the provision the placement belongs to
    merged: bool  # some episodes (or the placement) were merged

    @property
    def record(self) -> TrailRecord | None:
        return MERGED_RECORD if self.merged else None


def running_provision(episodes: Sequence[Episode], placement: Placement | None, gap: int) -> Provision:
    """R10.2 over the case's earlier BW episodes and its placement."""
    if not episodes:  # no earlier episodes: the placement (if any) stands alone
        return Provision((), (), placement.from_ if placement is not None else None, False)
    eps = [from_episode(e) for e in episodes]
    prior = merge(eps, gap)
    with_placement = prior
    bw_start = None
    if placement is not None:
        with_placement = merge(eps + [from_placement(placement)], gap)
        for e in with_placement:
            if e.has_placement:
                bw_start = e.from_
                if not e.legal_college:  # the placement stands alone: it is not an earlier episode
                    with_placement = [x for x in with_placement if x is not e]
                break
    merged = any(e.parts > 1 for e in (*with_placement, *prior))
    return Provision(tuple(prior), tuple(with_placement), bw_start, merged)


def agreed_transfer_note(episodes: Sequence[Episode]) -> str | None:
    """R10.3: the informational flag AGREED_TRANSFER when an episode records a handover by agreement."""
    if any(e.agreed_transfer for e in episodes):
        return "een episode legt een overdracht in overleg vast (R10.3)"
    return None
