"""The financial woonplaats on a date: R3, R5, R7 (with R7.5 and R9) and R8 (spec 8.2, 8.11).

The walk through the BRP history and the chain of designated stays, under one reading of the
flags that touch it (designation assumed or not, a briefadres during a stay taken literally, a short
interim address, an address in onderzoek, R8's alternatives). ``woonplaats_on`` remembers the
result per case, so the alternatives of later rules reuse it. Pure functions of the prepared facts
(``engine._Prepared``) and the reading (``engine.Readings``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from .dates import days_inclusive
from .facts import Address, AddressFunction, AddressStatus, InstitutionType, Stay

if TYPE_CHECKING:
    from .engine import Readings, _Prepared

_W, _B = AddressFunction.WOONADRES, AddressFunction.BRIEFADRES  # (Address.is_woonadres is a slow property)
_NOT_IN_NL = frozenset({AddressStatus.ABROAD, AddressStatus.RNI, AddressStatus.UNREGISTERED})
# (``Enum.MEMBER`` is a slow look-up on the enum class; module constants are globals)
_YOUTH, _SHELTER = InstitutionType.YOUTH_RESIDENTIAL, InstitutionType.WOMENS_SHELTER


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


def _gap_ok(prev_to: date | None, nxt_from: date, gap: int) -> bool:
    return prev_to is not None and (nxt_from - prev_to).days <= gap


def _designation(p: _Prepared, type_: str | None, rd: Readings) -> str | None:
    """'verified' / 'assumed' when the type is designated under this reading, else None."""
    if type_ is None:
        return None
    status = p.desig.get(type_)
    if status == "assumed" and rd.undesignate_assumed:
        return None
    return status


def _designated_stays(p: _Prepared, rd: Readings) -> list[Stay]:
    if not p.stays:
        return p.stays
    return [s for s in p.stays if _designation(p, s.type, rd) is not None]


def _stay_chain_covering(stays: list[Stay], d: date, gap: int) -> list[Stay] | None:
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


def _briefadres_caused_by_stay(b: Address, stays: list[Stay], gap: timedelta) -> Stay | None:
    for s in stays:
        if s.from_ - gap <= b.from_ and (s.to is None or b.from_ <= s.to):
            return s
    return None


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
    gap = p.params.gap_tolerance_days
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
        return _r8(p, d, rd, wp, True)
    if cur.function is _W and (cur.institution is None or _designation(p, cur.institution, rd) is None):
        wp.gemeente, wp.decisive = cur.gemeente, cur
        prev = addrs[idx - 1] if idx else None
        if ((d - cur.from_).days < p.params.short_registration_days
                and (prev is None or prev.status in _NOT_IN_NL)):
            wp.short_registration = True
        return _finish(p, d, rd, wp) if cur.in_onderzoek else wp
    dstays = _designated_stays(p, rd)  # (not needed on the plain R5 path above)
    if cur.function is _B:
        chain = _stay_chain_covering(dstays, d, gap) if not rd.literal_briefadres else None
        if chain is None or not (chain[0].from_ - p.gap <= cur.from_):
            return _r8(p, d, rd, wp, True)
        wp.briefadres_stay = True
        for s in chain:
            _note_stay(p, wp, s)
    # walk back through the chain (R7): cur is an institution address or a briefadres of a stay
    wp.via = "R7.5" if wp.briefadres_stay else "R7"
    i = idx
    while True:
        _note_address(p, wp, addrs[i])
        wp.passed.append(i)
        prev = addrs[i - 1] if i > 0 else None
        here = addrs[i]
        if prev is None or prev.status is not None or not _gap_ok(prev.to, here.from_, gap):
            wp.chain_end = True
            return _r8(p, d, rd, wp, False)
        if prev.function is _W:
            if prev.institution is not None and _designation(p, prev.institution, rd) is not None:
                i -= 1
                continue
            # an ordinary woonadres ends the walk, unless it is a short interim address (R7.6)
            if days_inclusive(prev.from_, prev.to) < p.params.short_interim_days and _follows_stay(p, prev, dstays, rd):
                wp.short_interim = True
                if rd.chain_through_interim:
                    i -= 1
                    continue
            wp.gemeente, wp.decisive = prev.gemeente, prev
            for s in dstays:  # the stays this chain runs through
                if s.from_ <= d and (s.to is None or s.to >= prev.to):
                    _note_stay(p, wp, s)
            return _finish(p, d, rd, wp)
        # a briefadres inside the chain counts when a designated stay caused it (8.11)
        s = _briefadres_caused_by_stay(prev, dstays, p.gap)
        if s is None:
            wp.chain_end = True
            return _r8(p, d, rd, wp, False)
        wp.briefadres_stay = True
        _note_stay(p, wp, s)
        i -= 1


def _follows_stay(p: _Prepared, a: Address, dstays: list[Stay], rd: Readings) -> bool:
    gap = p.params.gap_tolerance_days
    for b in p.addresses:
        if b.to is not None and b.to < a.from_ and (a.from_ - b.to).days <= gap and b.function is _W \
                and b.institution is not None and _designation(p, b.institution, rd) is not None:
            return True
    for s in dstays:
        if s.to is not None and s.to < a.from_ and (a.from_ - s.to).days <= gap:
            return True
    return False


def _note_address(p: _Prepared, wp: Woonplaats, a: Address) -> None:
    if a.institution is not None:
        _note_type(p, wp, a.institution)


def _note_stay(p: _Prepared, wp: Woonplaats, s: Stay) -> None:
    _note_type(p, wp, s.type)


def _note_type(p: _Prepared, wp: Woonplaats, t: InstitutionType) -> None:
    """What an institution type the chain passes says: designation assumed, youth care, a shelter."""
    if p.desig.get(t) == "assumed":
        wp.assumed = True
    if t is _YOUTH:
        wp.youth = True
    elif t is _SHELTER:
        wp.safety = True


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
