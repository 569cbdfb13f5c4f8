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
from ..facts import Address, AddressStatus
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


def address_text(a: Address) -> str:
    """A BRP period in words."""
    span = f"{a.from_}..{a.to or ''}"
    if a.from_partial is not None or a.to_partial is not None:  # spec 8.12: read at the earliest day
        span += f" (onvolledige BRP-datum {a.from_partial or a.from_}..{a.to_partial or a.to or ''})"
    if a.status is AddressStatus.UNKNOWN:
        return f"gemeente onbekend (BRP-gemeentecode 0000) {span}"
    if a.brp_code is not None:
        return f"geen Nederlands adres ({a.status.value}, BRP-gemeentecode {a.brp_code}) {span}"
    if a.status is not None:
        return f"geen Nederlands adres ({a.status.value}) {span}"
    kind = "woonadres" if a.is_woonadres else "briefadres"
    inst = f" in instelling ({a.institution.value})" if a.institution is not None else ""
    return f"{kind} {a.gemeente}{inst} {span}" + (" [in onderzoek]" if a.in_onderzoek else "")


def address_on_text(m: date, address: Address | None, index: int | None) -> tuple[str, tuple[str, ...]]:
    if index is None:
        return f"BRP op {m}: geen adres", ()
    return f"BRP op {m}: " + address_text(address), (f"addresses[{index}]",)


def address_record(m: date, addresses: Sequence[Address], index: int | None) -> TrailRecord:
    """The trail's R3 step: the BRP period on M and its position in the sorted history."""
    return TrailRecord(RULE, address_on_text, (m, addresses[index] if index is not None else None, index))
