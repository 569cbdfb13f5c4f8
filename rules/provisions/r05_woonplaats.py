"""R5, the base rule under the bill: the legal college is the municipality of the woonadres on M,
unless R6 or R7 applies, or R8 because there is no woonadres ("R6 (a) first, then R7 (b), then R8").

This module is the walk that finds the financial woonplaats on a date (spec 8.2 step 5): the BRP
period on the date (R3, ``r03_woonadres``), an ordinary woonadres (R5), back through the chain of
designated stays (R7, ``r07_chain``) or no usable woonadres (R8, ``r08_no_woonadres``), under one
part of a reading (``readings.WoonplaatsReading``). ``woonplaats_flags`` raises the flags the walk
found. BRP gemeentecode 0000 (onbekend) where it decides leaves the woonplaats unknown (spec 8.12):
``REGION_UNKNOWN``, whose alternatives read the period as R8 does.

Citations (the rule register, ``rules/citations.py``): ``S1`` (bill 36288, art. 1.2.1a).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from ..citations import RULES
from ..facts import Address, AddressFunction, AddressStatus, InstitutionType
from ..findings import Raised
from ..readings import FLAG_READINGS, WoonplaatsReading, flag_reading
from ..trail import TrailRecord
from . import r03_woonadres, r07_chain, r08_no_woonadres
from .r08_no_woonadres import Inapplicable

if TYPE_CHECKING:
    from ..prepared import PreparedFacts

RULE = "R5"
CITATIONS: tuple[str, ...] = RULES[RULE].citations

__all__ = ["Inapplicable", "Woonplaats", "woonplaats_flags", "woonplaats_on"]

NOT_IN_NL = frozenset({AddressStatus.ABROAD, AddressStatus.RNI, AddressStatus.UNREGISTERED})


@dataclass(frozen=True, slots=True)
class Woonplaats:
    gemeente: str | None
    via: str  # "R5" | "R7" | "R7.5" | "R8"
    cur: int | None = None  # position of the BRP period on the date (R3)
    decisive: Address | None = None
    passed: tuple[int, ...] = ()  # positions (in the sorted BRP history) the R7 walk passed
    chain_end: bool = False
    no_woonadres: bool = False
    briefadres_stay: bool = False
    short_interim: bool = False
    assumed: bool = False
    youth: bool = False
    safety: bool = False
    onderzoek: bool = False
    short_registration: bool = False
    unknown: bool = False  # the period that decides is of BRP gemeentecode 0000 (onbekend, spec 8.12)


def woonplaats_on(case: PreparedFacts, d: date, reading: WoonplaatsReading) -> Woonplaats:
    """The financial woonplaats on ``d``; remembered per case under the part of the reading it
    reads, so the alternatives of later rules reuse it instead of walking the BRP history again."""
    key = (d, reading)
    wp = case.woonplaats_cache.get(key)
    if wp is None:
        wp = case.woonplaats_cache[key] = _walk(case, d, reading)
    return wp


def _walk(case: PreparedFacts, d: date, reading: WoonplaatsReading) -> Woonplaats:
    idx = r03_woonadres.address_on(case.addresses, d)
    cur = case.addresses[idx] if idx is not None else None
    safety = any(s.type is InstitutionType.WOMENS_SHELTER and s.covers(d) for s in case.stays)
    if cur is None or cur.status is not None:  # no Dutch woonadres on the date
        if cur is not None and cur.status is AddressStatus.UNKNOWN and not reading.unknown_code_as_r8:
            return _unknown(Woonplaats(None, "R8", idx, safety=safety))
        return _r8(case, d, reading, Woonplaats(None, "R8", idx, safety=safety), no_woonadres=True)
    if cur.function is AddressFunction.WOONADRES and (
            cur.institution is None or r07_chain.designation(case.desig, cur.institution, reading) is None):
        prev = case.addresses[idx - 1] if idx else None  # R5: an ordinary woonadres
        short = (d - cur.from_).days < case.params.short_registration_days and (prev is None or prev.status in NOT_IN_NL)
        wp = Woonplaats(cur.gemeente, "R5", idx, cur, safety=safety, short_registration=short)
        return _in_onderzoek(case, d, reading, wp)
    found = r07_chain.walk_chain(case, d, idx, reading)  # R7 (with R7.5): back through the chain of stays
    if not found.applies:
        return _r8(case, d, reading, Woonplaats(None, "R8", idx, safety=safety), no_woonadres=True)
    wp = Woonplaats(found.gemeente, found.via, idx, found.decisive, found.passed,
                    briefadres_stay=found.briefadres_stay, short_interim=found.short_interim, assumed=found.assumed,
                    youth=found.youth, safety=safety or found.safety)
    if found.chain_end:
        if found.unknown and not reading.unknown_code_as_r8:
            return _unknown(wp)
        return _r8(case, d, reading, replace(wp, chain_end=True), no_woonadres=False)
    return _in_onderzoek(case, d, reading, wp)


def _unknown(wp: Woonplaats) -> Woonplaats:
    """Spec 8.12: the period that decides has gemeentecode 0000 (onbekend): no usable woonadres and no
    municipality to name. The woonplaats stays unknown (no guess)."""
    return replace(wp, unknown=True, via="R8", gemeente=None, decisive=None)


def _in_onderzoek(case: PreparedFacts, d: date, reading: WoonplaatsReading, wp: Woonplaats) -> Woonplaats:
    """R3.3: the deciding address 'in onderzoek' is used provisionally; its alternative skips it (R8)."""
    if wp.decisive is None or not wp.decisive.in_onderzoek:
        return wp
    wp = replace(wp, onderzoek=True)
    return _r8(case, d, reading, wp, no_woonadres=True) if reading.skip_onderzoek else wp


def _r8(case: PreparedFacts, d: date, reading: WoonplaatsReading, wp: Woonplaats, no_woonadres: bool) -> Woonplaats:
    """R8 (``r08_no_woonadres``): ``no_woonadres`` for none on the date, rather than a chain without one."""
    return replace(wp, no_woonadres=no_woonadres and not wp.chain_end, via="R8", decisive=None,
                   gemeente=r08_no_woonadres.r8_municipality(case, d, reading))


def woonplaats_text(via: str, gemeente: str | None, briefadres_stay: bool, *passed: int):
    """``passed``: the positions (in the sorted BRP history) of the addresses the walk used."""
    refs = tuple(f"addresses[{i}]" for i in passed)
    if via == "R5":
        text = f"woonplaats {gemeente}: het woonadres op de melddatum"
    elif via in ("R7", "R7.5"):
        text = (f"woonplaats {gemeente}: het laatste gewone woonadres voor de keten van verblijven"
                + (" (briefadres tijdens verblijf telt als adres in de instelling)" if briefadres_stay else ""))
    elif gemeente is None:  # spec 8.12: the period that decides has gemeentecode 0000
        text = "woonplaats onbekend: het beslissende BRP-adres heeft gemeentecode 0000 (onbekend)"
    else:
        text = f"geen bruikbaar woonadres: de meldgemeente {gemeente} (R8)"
    return text, refs


def record(wp: Woonplaats) -> TrailRecord:
    """The trail's step for the woonplaats (under R5, R7 or R8)."""
    return TrailRecord(wp.via if wp.via in ("R5", "R7", "R8") else "R7", woonplaats_text,
                       (wp.via, wp.gemeente, wp.briefadres_stay, *wp.passed))


ALT_LITERAL_BRIEFADRES = flag_reading("BRIEFADRES_DURING_STAY")
ALT_THROUGH_INTERIM = flag_reading("SHORT_INTERIM_ADDRESS")
ALT_UNDESIGNATE = flag_reading("DESIGNATION_ASSUMED")


def woonplaats_flags(case: PreparedFacts, wp: Woonplaats) -> tuple[Raised, ...]:
    """The flags of the woonplaats on M (spec 8.7): R3.3, R7, R8 and 8.12; the informational
    SAFETY_CONFIDENTIAL and SHORT_REGISTRATION."""
    flags: list[Raised] = []
    if wp.unknown:
        flags.append(Raised("REGION_UNKNOWN", "het beslissende BRP-adres heeft gemeentecode 0000 (gemeente onbekend): "
                            "geen woonplaats en geen kostendrager", FLAG_READINGS["REGION_UNKNOWN"]))
    if wp.onderzoek:
        flags.append(Raised("ADDRESS_IN_ONDERZOEK", r03_woonadres.IN_ONDERZOEK_NOTE, (r03_woonadres.ALT_SKIP_ONDERZOEK,)))
    if wp.chain_end or wp.no_woonadres:
        name = "CHAIN_END_NO_WOONADRES" if wp.chain_end else "NO_WOONADRES"
        flags.append(Raised(name, "geen bruikbaar woonadres: de meldgemeente (R8)", FLAG_READINGS[name]))
        note = r08_no_woonadres.lt_check_note(case)
        if note is not None:
            flags.append(Raised("LT_CHECK", note))
    if wp.briefadres_stay:
        flags.append(Raised("BRIEFADRES_DURING_STAY", "briefadres tijdens een aangewezen verblijf behandeld als "
                            "woonadres in de instelling", (ALT_LITERAL_BRIEFADRES,)))
    if wp.short_interim:
        flags.append(Raised("SHORT_INTERIM_ADDRESS", "kort gewoon woonadres tussen verblijven "
                            f"(< {case.params.short_interim_days} dagen)", (ALT_THROUGH_INTERIM,)))
    if wp.assumed:
        flags.append(Raised("DESIGNATION_ASSUMED", "de keten loopt door een instellingstype waarvan de aanwijzing "
                            "is aangenomen, niet geverifieerd", (ALT_UNDESIGNATE,)))
    if wp.safety:
        flags.append(Raised("SAFETY_CONFIDENTIAL", "vrouwenopvang op M of in de keten: locaties vertrouwelijk"))
    if wp.short_registration:
        flags.append(Raised("SHORT_REGISTRATION", f"woonadres korter dan {case.params.short_registration_days} "
                            "dagen ingeschreven"))
    return tuple(flags)
