"""R1, eligibility before woonplaats.

"The woonplaats question arises only for an ingezetene van Nederland who is eligible (art. 1.2.1;
for foreigners art. 1.2.2 requires lawful residence); if the person may be entitled to Wlz care, the
college may refuse BW (art. 2.3.5 lid 6). Output ``ELIGIBILITY_OPEN`` when this is unresolved. No
cost bearer is fixed until then." Spec 8.2 step 3: cost bearer, budget and class none; the new
client test and the legal college are still computed; entry none; provisional.

Citations (the rule register, ``rules/citations.py``): ``S11`` (Wmo 2015 art. 1.2.1, 1.2.2, 2.3.5).
"""
from __future__ import annotations

from ..citations import RULES
from ..findings import Finding, Raised
from ..readings import IntakeReading, flag_reading
from ..trail import TrailRecord

RULE = "R1"
CITATIONS: tuple[str, ...] = RULES[RULE].citations

ALT_ELIGIBLE = flag_reading("ELIGIBILITY_OPEN")


def eligibility_open(is_open: bool, reading: IntakeReading) -> Finding[bool]:
    """Whether eligibility is still open under the reading (its alternative: settled for the client)."""
    if not is_open or reading.eligibility_settled:
        return Finding(False)
    return Finding(True, (Raised("ELIGIBILITY_OPEN", "toegang (ingezetene, rechtmatig verblijf, Wlz) nog niet "
                                 "vastgesteld", (ALT_ELIGIBLE,)),),
                   (TrailRecord(RULE, None, ("toegang nog open: nog geen kostendrager",)),))
