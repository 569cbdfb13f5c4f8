"""R7, exception b: a woonadres at a designated institution, followed back through the chain of stays.

When the client's woonadres on the date is the address of an institution of a designated type (or,
R7.5, a briefadres caused by a designated stay), the woonplaats is the first ordinary woonadres
before the unbroken chain of consecutive designated stays that leads to it (bill 36288, art. 1.2.1a
lid 1 sub b: "ingeval de ingezetene zijn woonadres heeft bij een bij regeling [aangewezen
instelling]"; modelled on the Jeugdwet's "onmiddellijk voorafgaand aan zijn verblijf").

Citations (the rule register, ``rules/citations.py``, sources in ``rules/data/citations.toml``):
``S1`` (bill 36288, art. 1.2.1a lid 1 sub a and b), ``S12`` (Jeugdwet art. 1.1, woonplaats 2°, the
analogy) and ``SPEC-R7`` (the domain specification, R7 and 8.11).

The steps of spec R7, each with the flag that names its other reading:
1. a woonadres at an institution of a designated type starts the walk back (``DESIGNATION_ASSUMED``
   when the chain passes a type whose designation is assumed, not verified);
2. institution addresses of a chain of consecutive stays (the next starts at most the gap tolerance
   after the previous ends) are skipped;
3. the first ordinary woonadres reached gives the woonplaats;
4. a period without a Dutch woonadres ends the chain: R8 (``CHAIN_END_NO_WOONADRES``); BRP gemeentecode
   1999 (RNI) is such a period; a period of gemeentecode 0000 (onbekend, spec 8.12) ends it with the
   municipality unknown (``unknown``: the woonplaats walk leaves the woonplaats unknown and the engine
   raises ``REGION_UNKNOWN``, its alternatives those of R8);
5. a briefadres caused by a designated stay counts as a woonadres at the institution
   (``BRIEFADRES_DURING_STAY``: the briefadres taken literally);
6. a short ordinary woonadres between stays breaks the chain (``SHORT_INTERIM_ADDRESS``: the chain
   runs through it).

``walk_chain()`` returns a finding; the woonplaats walk (``r05_woonplaats.py``, with R3 and R8)
applies it, and the engine raises the flags from the woonplaats.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import NamedTuple, Protocol

from ..citations import RULES
from ..context import Parameters
from ..dates import days_inclusive
from ..facts import Address, AddressFunction, AddressStatus, InstitutionType, Stay
from ..readings import WoonplaatsReading

RULE = "R7"
CITATIONS: tuple[str, ...] = RULES[RULE].citations


class ChainFacts(Protocol):
    """What R7 reads of the prepared facts (``prepared.PreparedFacts``)."""

    @property
    def addresses(self) -> Sequence[Address]: ...  # sorted by start

    @property
    def stays(self) -> Sequence[Stay]: ...  # sorted by start

    @property
    def desig(self) -> dict:  # institution type -> "verified" | "assumed" (designated types only)
        ...

    @property
    def params(self) -> Parameters: ...

    @property
    def gap(self) -> timedelta: ...  # the gap tolerance


class ChainFinding(NamedTuple):
    """R7's finding. ``applies`` False: a briefadres with no designated stay behind it (R8 then).
    Otherwise the woonplaats ``gemeente`` with its ``decisive`` address, or ``chain_end`` (R8)."""

    applies: bool
    via: str = "R7"  # "R7" | "R7.5" (the walk started from a briefadres during a stay)
    gemeente: str | None = None
    decisive: Address | None = None
    passed: tuple[int, ...] = ()  # positions (in the sorted BRP history) of the addresses walked
    chain_end: bool = False  # the chain reached no ordinary woonadres
    briefadres_stay: bool = False
    short_interim: bool = False
    assumed: bool = False  # the chain passes a type whose designation is assumed
    youth: bool = False  # the chain passes jeugdhulp with stay
    safety: bool = False  # the chain passes vrouwenopvang
    unknown: bool = False  # the chain ends at a period of BRP gemeentecode 0000 (onbekend, spec 8.12)


NOT_APPLICABLE = ChainFinding(False)


def designation(desig: dict, type_: InstitutionType | None, reading: WoonplaatsReading) -> str | None:
    """'verified' / 'assumed' when the institution type is designated under this reading, else None."""
    if type_ is None:
        return None
    status = desig.get(type_)
    if status == "assumed" and reading.undesignate_assumed:
        return None
    return status


def designated_stays(facts: ChainFacts, reading: WoonplaatsReading) -> Sequence[Stay]:
    if not facts.stays:
        return facts.stays
    return [s for s in facts.stays if designation(facts.desig, s.type, reading) is not None]


def stay_chain_covering(stays: Sequence[Stay], d: date, gap: int) -> list[Stay] | None:
    """The chain of consecutive designated stays (sorted by start) that covers ``d``, if any."""
    chain: list[Stay] = []
    for s in stays:
        if chain and (chain[-1].to is None or (s.from_ - chain[-1].to).days <= gap):
            chain.append(s)
            continue
        if any(c.covers(d) for c in chain):
            return chain
        chain = [s]
    return chain if any(c.covers(d) for c in chain) else None


def briefadres_caused_by_stay(b: Address, stays: Sequence[Stay], gap: timedelta) -> Stay | None:
    """Step 5 (8.11): the designated stay that caused the briefadres, if any."""
    for s in stays:
        if s.from_ - gap <= b.from_ and (s.to is None or b.from_ <= s.to):
            return s
    return None


def follows_stay(facts: ChainFacts, a: Address, stays: Sequence[Stay], reading: WoonplaatsReading) -> bool:
    """Whether the ordinary woonadres ``a`` follows a designated stay (or institution address)."""
    gap = facts.params.gap_tolerance_days
    for b in facts.addresses:
        if b.to is not None and b.to < a.from_ and (a.from_ - b.to).days <= gap \
                and b.function is AddressFunction.WOONADRES and b.institution is not None \
                and designation(facts.desig, b.institution, reading) is not None:
            return True
    for s in stays:
        if s.to is not None and s.to < a.from_ and (a.from_ - s.to).days <= gap:
            return True
    return False


def _joins(prev_to: date | None, nxt_from: date, gap: int) -> bool:
    return prev_to is not None and (nxt_from - prev_to).days <= gap


def walk_chain(facts: ChainFacts, d: date, index: int, reading: WoonplaatsReading) -> ChainFinding:
    """R7 from the address at ``index`` (the one on ``d``: an institution address of a designated
    type, or a briefadres) back through the chain."""
    addresses = facts.addresses
    gap = facts.params.gap_tolerance_days
    stays = designated_stays(facts, reading)
    types: list[InstitutionType] = []  # the institution types the chain passes
    current = addresses[index]
    briefadres_stay = short_interim = False
    if current.function is AddressFunction.BRIEFADRES:  # step 5 (R7.5)
        chain = stay_chain_covering(stays, d, gap) if not reading.literal_briefadres else None
        if chain is None or not (chain[0].from_ - facts.gap <= current.from_):
            return NOT_APPLICABLE
        briefadres_stay = True
        types += [s.type for s in chain]
    via = "R7.5" if briefadres_stay else "R7"
    passed: list[int] = []
    gemeente = decisive = None
    chain_end = unknown = False
    i = index
    while True:
        here = addresses[i]
        if here.institution is not None:
            types.append(here.institution)
        passed.append(i)
        prev = addresses[i - 1] if i > 0 else None
        if prev is None or prev.status is not None or not _joins(prev.to, here.from_, gap):  # step 4
            chain_end = True
            # spec 8.12: a period of gemeentecode 0000 right before the chain: the municipality is unknown
            unknown = prev is not None and prev.status is AddressStatus.UNKNOWN and _joins(prev.to, here.from_, gap)
            break
        if prev.function is AddressFunction.WOONADRES:
            if prev.institution is not None and designation(facts.desig, prev.institution, reading) is not None:
                i -= 1  # step 2
                continue
            # step 6: an ordinary woonadres ends the walk, unless it is a short interim address
            if days_inclusive(prev.from_, prev.to) < facts.params.short_interim_days \
                    and follows_stay(facts, prev, stays, reading):
                short_interim = True
                if reading.chain_through_interim:
                    i -= 1
                    continue
            gemeente, decisive = prev.gemeente, prev  # step 3
            types += [s.type for s in stays if s.from_ <= d and (s.to is None or s.to >= prev.to)]
            break
        # step 5 inside the chain: a briefadres counts when a designated stay caused it
        s = briefadres_caused_by_stay(prev, stays, facts.gap)
        if s is None:
            chain_end = True
            break
        briefadres_stay = True
        types.append(s.type)
        i -= 1
    return ChainFinding(True, via, gemeente, decisive, tuple(passed), chain_end, briefadres_stay, short_interim,
                        any(facts.desig.get(t) == "assumed" for t in types),
                        InstitutionType.YOUTH_RESIDENTIAL in types, InstitutionType.WOMENS_SHELTER in types, unknown)
