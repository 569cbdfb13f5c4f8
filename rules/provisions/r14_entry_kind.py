"""R14, placement location and ledger entries: the entry kind (spec 8.5).

"No placement: no entry asserted. cost_bearer none, or fronting == cost_bearer: ``none``.
region(fronting) == region(cost_bearer) on placement.from: ``intra_regional``; otherwise
``inter_regional``. The location's region does not change the kind (it triggers the N1 notice)."
The fronting party is the party that pays the provider (the contracting municipality or region; a
regional contract is represented by its centrumgemeente).

Citations (the rule register, ``rules/citations.py``): ``SPEC-8.5``, ``NVO``.
"""
from __future__ import annotations

from ..citations import RULES
from ..context import Context
from ..facts import Placement
from ..findings import Finding
from ..trail import TrailRecord

RULE = "R14"
CITATIONS: tuple[str, ...] = RULES[RULE].citations


def entry_text(fronting: str, entry: str) -> str:
    return {"none": "geen boeking tussen gemeenten (voorfinancier is kostendrager)",
            "intra_regional": f"boeking binnen de regio: voorfinancier {fronting}",
            "inter_regional": f"boeking tussen regio's: voorfinancier {fronting}"}[entry]


def entry_kind(ctx: Context, placement: Placement | None, cost_bearer: str | None) -> Finding[str | None]:
    """The entry kind for the placement (None: no placement given, so no entry asserted)."""
    if placement is None:
        return Finding(None)
    fronting, start = placement.fronting, placement.from_
    if cost_bearer is None or fronting == cost_bearer:
        kind = "none"
    else:
        fr, cr = ctx.region_of(fronting, start), ctx.region_of(cost_bearer, start)
        kind = "intra_regional" if fr is not None and cr is not None and fr.id == cr.id else "inter_regional"
    return Finding(kind, (), (TrailRecord(RULE, entry_text, (fronting, kind)),))
