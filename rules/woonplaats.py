"""The financial woonplaats on a date: R3, R5, R7 (with R7.5 and R9) and R8 (spec 8.2, 8.11, 8.12).

BRP gemeentecode 1999 (RNI) is a period without a Dutch woonadres (the fact model reads it as
``rni``): R8 where it decides, and it counts for SHORT_REGISTRATION as ``rni`` does. Gemeentecode
0000 (onbekend) gives no usable woonadres and no municipality: where it decides (on the date, or at
the end of the R7 chain) the woonplaats is left unknown and the engine raises REGION_UNKNOWN.

The walk through the BRP history and (R7, ``provisions/r07_chain.py``) the chain of designated
stays, under one reading of the flags that touch it (designation assumed or not, a briefadres during a stay taken literally, a short
interim address, an address in onderzoek, R8's alternatives). ``woonplaats_on`` remembers the
result per case, so the alternatives of later rules reuse it. Pure functions of the prepared facts
(``engine._Prepared``) and the reading (``engine.Readings``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from .facts import Address, AddressFunction, AddressStatus, InstitutionType
from .provisions import r07_chain

if TYPE_CHECKING:
    from .engine import Readings, _Prepared

_W, _B = AddressFunction.WOONADRES, AddressFunction.BRIEFADRES  # (Address.is_woonadres is a slow property)
_NOT_IN_NL = frozenset({AddressStatus.ABROAD, AddressStatus.RNI, AddressStatus.UNREGISTERED})
# (``Enum.MEMBER`` is a slow look-up on the enum class; module constants are globals)
_SHELTER = InstitutionType.WOMENS_SHELTER
_UNKNOWN = AddressStatus.UNKNOWN  # BRP gemeentecode 0000 (spec 8.12); 1999 (RNI) is read as RNI


class Inapplicable(Exception):
    """An alternative reading that the facts give no answer for (e.g. no briefadres to take)."""



@dataclass(slots=True)
class Woonplaats:
    gemeente: str | None
    via: str  # "R5" | "R7" | "R7.5" | "R8"
    cur: int | None = None  # index of the address on the date (R3)
    decisive: Address | None = None
    passed: list = field(default_factory=list)  # positions (in the sorted BRP history) the walk passed
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


def woonplaats_on(p: _Prepared, d: date, rd: Readings) -> Woonplaats:
    """The woonplaats depends on a few readings only: alternatives of R11, R6 and the transition
    tests reuse it instead of walking the BRP history again."""
    key = (d, rd.wp_key)
    wp = p.wp_cache.get(key)
    if wp is None:
        wp = p.wp_cache[key] = _woonplaats(p, d, rd)
    return wp


def _woonplaats(p: _Prepared, d: date, rd: Readings) -> Woonplaats:
    """R3, R5, R7 (with R7.5 and R9) and R8: the financial woonplaats on ``d``."""
    addrs = p.addresses
    idx = None
    for i, a in enumerate(addrs):
        if a.from_ <= d and (a.to is None or d <= a.to):  # a.covers(d), inlined: the hottest loop
            idx = i
            break
    cur = addrs[idx] if idx is not None else None
    wp = Woonplaats(None, "R5", idx)  # gemeente, via, cur
    for s in p.stays:
        if s.type is _SHELTER and s.covers(d):
            wp.safety = True

    if cur is None or cur.status is not None:
        if cur is not None and cur.status is _UNKNOWN and not rd.unknown_code_as_r8:
            return _unknown(wp)
        return _r8(p, d, rd, wp, True)
    if cur.function is _W and (cur.institution is None
                               or r07_chain.designation(p.desig, cur.institution, rd) is None):
        wp.gemeente, wp.decisive = cur.gemeente, cur
        prev = addrs[idx - 1] if idx else None
        if ((d - cur.from_).days < p.params.short_registration_days
                and (prev is None or prev.status in _NOT_IN_NL)):
            wp.short_registration = True
        return _finish(p, d, rd, wp) if cur.in_onderzoek else wp
    # R7 (with R7.5): back through the chain of stays (rules/provisions/r07_chain.py)
    found = r07_chain.walk_chain(p, d, idx, rd)
    if not found.applies:
        return _r8(p, d, rd, wp, True)
    wp.via, wp.passed = found.via, list(found.passed)
    wp.briefadres_stay, wp.short_interim = found.briefadres_stay, found.short_interim
    wp.assumed, wp.youth, wp.safety = found.assumed, found.youth, wp.safety or found.safety
    if found.chain_end:
        if found.unknown and not rd.unknown_code_as_r8:
            return _unknown(wp)
        wp.chain_end = True
        return _r8(p, d, rd, wp, False)
    wp.gemeente, wp.decisive = found.gemeente, found.decisive
    return _finish(p, d, rd, wp)


def _unknown(wp: Woonplaats) -> Woonplaats:
    """Spec 8.12: the period that decides has gemeentecode 0000 (onbekend): no usable woonadres, and
    no municipality to name. The woonplaats stays unknown (no guess): the engine raises
    REGION_UNKNOWN, whose alternatives read the period as R8 does (``Readings.unknown_code_as_r8``)."""
    wp.unknown, wp.via, wp.gemeente, wp.decisive = True, "R8", None, None
    return wp


def _finish(p: _Prepared, d: date, rd: Readings, wp: Woonplaats) -> Woonplaats:
    if wp.decisive is not None and wp.decisive.in_onderzoek:
        wp.onderzoek = True
        if rd.skip_onderzoek:  # the Jeugdwet reading: skip the address, no usable woonadres
            return _r8(p, d, rd, wp, True)
    return wp


def _r8(p: _Prepared, d: date, rd: Readings, wp: Woonplaats, no_woonadres: bool) -> Woonplaats:
    """R8: no usable woonadres (``no_woonadres``: none on the date, rather than a chain without one). Default the meldgemeente; the alternatives kept for review."""
    wp.no_woonadres = no_woonadres and not wp.chain_end
    wp.via = "R8"
    wp.decisive = None
    if rd.r8_mode == "meldgemeente":
        wp.gemeente = p.meldgemeente
    elif rd.r8_mode == "briefadres":
        b = next((a for a in p.addresses if a.covers(d) and a.function is _B), None)
        if b is None:
            raise Inapplicable
        wp.gemeente = b.gemeente
    else:
        last = last_ordinary_woonadres(p, d)
        if last is None:
            raise Inapplicable
        wp.gemeente = last.gemeente
    return wp


def last_ordinary_woonadres(p: _Prepared, d: date) -> Address | None:
    found = None
    for a in p.addresses:
        if a.from_ <= d and a.function is _W and a.institution is None:
            found = a
    return found
