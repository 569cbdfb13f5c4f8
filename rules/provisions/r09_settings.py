"""R9, specific settings (notes on R7 and R8): detention, Wlz, GGZ, MO/opvang, jeugd at 18.

Detention, Wlz and GGZ stays follow R5/R7 by where the woonadres is (the designated types of R7,
``r07_chain``); a Wlz stay is no BW use (R6, R11). "Jeugd -> Wmo at 18: for continuity the default
uses the same municipality through R7 (jeugdhulp with stay as a designated type). Flag
``YOUTH_TRANSITION``" (informational): the chain passes jeugdhulp with stay, or the client turned 18
in the twelve months before M.

Citations (the rule register, ``rules/citations.py``): ``SPEC-R9``, ``S12`` (Jeugdwet art. 1.1).
"""
from __future__ import annotations

from datetime import date

from ..citations import RULES
from ..dates import eighteenth_birthday, minus_one_year
from ..facts import Person

RULE = "R9"
CITATIONS: tuple[str, ...] = RULES[RULE].citations


def youth_transition_note(person: Person | None, m: date, chain_passes_youth_care: bool) -> str | None:
    """YOUTH_TRANSITION's note, if it is raised (turning 18 before M says more than the chain)."""
    if person is not None and person.birth_date is not None:
        b18 = eighteenth_birthday(person.birth_date)
        if minus_one_year(m) < b18 <= m:
            return f"18 jaar geworden op {b18}, in de twaalf maanden voor M"
    if chain_passes_youth_care:
        return "de keten loopt door jeugdhulp met verblijf"
    return None
