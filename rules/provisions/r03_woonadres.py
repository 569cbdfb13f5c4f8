"""R3, reading the BRP woonadres.

"woonadres(d) is the BRP address with function W valid on date d. A briefadres is not a woonadres.
If the address on d carries the 'in onderzoek' note, use it provisionally and raise
``ADDRESS_IN_ONDERZOEK``" (alternative: the address skipped, as the Jeugdwet does: R8). BRP
gemeentecode 1999 (RNI) is a period without a Dutch woonadres; 0000 (onbekend) one whose
municipality is unknown (spec 8.12).

Citations (the rule register, ``rules/citations.py``): ``S24`` (Wet BRP art. 1.1 sub o), ``S1``.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..citations import RULES
from ..facts import Address
from ..readings import flag_reading
from ..trail import TrailRecord

RULE = "R3"
CITATIONS: tuple[str, ...] = RULES[RULE].citations

ALT_SKIP_ONDERZOEK = flag_reading("ADDRESS_IN_ONDERZOEK")
IN_ONDERZOEK_NOTE = "het beslissende adres staat 'in onderzoek'"


def address_on(addresses: Sequence[Address], d: date) -> int | None:
    """The position (in the history sorted by start) of the BRP period that covers ``d``, if any."""
    for i, a in enumerate(addresses):
        if a.covers(d):
            return i
    return None


def address_record(m: date, index: int | None) -> TrailRecord:
    """The trail's R3 step: the BRP period on M (found again in the facts by its position)."""
    return TrailRecord(RULE, RULE, (m, index))
