"""Readings: the default reading of the rules and every alternative a flag of spec 8.7 stands for.

Where the spec leaves a point open, the engine computes the default and keeps the alternatives
(spec 8.7). A reading says, for every such point, which way it is read. It is made of one part per
group of provisions, so that each provision takes only the part it reads and a result can be
remembered under that part (a cache keyed by the reading object itself):

- ``intake``     R1 (eligibility) and R2 (the date the woonplaats is read on)
- ``woonplaats`` R3, R5, R7 and R8 (the walk through the BRP history)
- ``r6``         R6 (the twelve months); ``ignore_short_episode`` also for the RE_ENTRY continuity (8.4)
- ``transition`` 8.3 / R12 (existing clients and the T0 boundary)
- ``r11``        R11 (the 365-day new-client test)
- ``cost``       8.4 / R13 (which clock pays)

The fixed alternative readings are those of the table of flags (``flags.py``: each row lists the
fields it changes, by name); the others are made per case (``region_reading``: R11 in another
region). Every reading is an immutable value: two equal readings are one reading, run once.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from .flags import FLAGS, Changes


@dataclass(frozen=True, slots=True)
class IntakeReading:
    eligibility_settled: bool = False  # ELIGIBILITY_OPEN (R1): eligibility settled in the client's favour
    wp_on_intake_date: bool = False  # ADDRESS_CHANGED_DURING_INTAKE (R2): the woonplaats on the later date


@dataclass(frozen=True, slots=True)
class WoonplaatsReading:
    undesignate_assumed: bool = False  # DESIGNATION_ASSUMED (R7)
    literal_briefadres: bool = False  # BRIEFADRES_DURING_STAY (R7.5)
    chain_through_interim: bool = False  # SHORT_INTERIM_ADDRESS (R7.6)
    skip_onderzoek: bool = False  # ADDRESS_IN_ONDERZOEK (R3.3): the Jeugdwet reading
    r8_mode: str = "meldgemeente"  # NO_WOONADRES, CHAIN_END_NO_WOONADRES (R8): "briefadres" | "last_woonadres"
    unknown_code_as_r8: bool = False  # REGION_UNKNOWN (8.12): a gemeentecode 0000 period read as R8 reads it


@dataclass(frozen=True, slots=True)
class R6Reading:
    ignore_short_episode: bool = False  # SHORT_LAST_EPISODE (R6, and the RE_ENTRY continuity of 8.4)
    r6_not_mandator: bool = False  # MANDATE_PROVIDER: P is the episode's legal_college
    r6_one_day_shorter: bool = False  # BOUNDARY_12M: the twelve months end one day earlier


@dataclass(frozen=True, slots=True)
class TransitionReading:
    t0_home: bool = False  # T0_MISMATCH (R0): the home region's T0
    t0_straddle_alt: bool = False  # T0_STRADDLE (8.3)
    skip_existing: bool = False  # TRANSFER_EXISTING (R12): the host region's own determination


@dataclass(frozen=True, slots=True)
class R11Reading:
    window: str = "default"  # "m364" (BOUNDARY_365) | "calendar" (LEAP_YEAR_WINDOW)
    ignore_rejected: bool = False  # REJECTED_APPLICATION_COUNTS
    meldingen_count: bool = False  # MELDING_NOT_AANVRAAG
    out_of_region_aanvragen: bool = False  # OUT_OF_REGION_APPLICATION
    use_scope_both: bool = False  # USE_SCOPE_PARTIAL
    use_no_window: bool = False  # USE_WINDOW_READING
    ambulant_counts: bool = False  # AMBULANT_ONLY (also for the RE_ENTRY continuity of 8.4)
    r11_region: str | None = None  # MELDREGIO_NE_HOMEREGIO, NOT_REGIONAL_INHABITANT, TRANSFER_EXISTING


@dataclass(frozen=True, slots=True)
class CostReading:
    other_clock: bool = False  # CLOCK_DIVERGENCE, CROSS_REGION_LAST_PROVIDER (8.4): the other clock pays
    pay_cross_region_candidate: bool = False  # CROSS_REGION_LAST_PROVIDER: the passed-over episode pays


@dataclass(frozen=True, slots=True)
class Readings:
    intake: IntakeReading = field(default_factory=IntakeReading)
    woonplaats: WoonplaatsReading = field(default_factory=WoonplaatsReading)
    r6: R6Reading = field(default_factory=R6Reading)
    transition: TransitionReading = field(default_factory=TransitionReading)
    r11: R11Reading = field(default_factory=R11Reading)
    cost: CostReading = field(default_factory=CostReading)

    def changed(self, **changes: object) -> Readings:
        """This reading with the named fields (of any part) changed: ``changed(r8_mode="briefadres")``."""
        parts: dict[str, dict[str, object]] = {}
        for name, value in changes.items():
            part = _PART_OF.get(name)
            if part is None:
                raise ValueError(f"no reading is called {name}")
            parts.setdefault(part, {})[name] = value
        return replace(self, **{part: replace(getattr(self, part), **values) for part, values in parts.items()})


#: field name -> the part of a reading that holds it (field names are unique over the parts)
_PART_OF = {f.name: part.name for part in fields(Readings) for f in fields(part.default_factory)}

DEFAULT = Readings()


def table_readings(changes: tuple[Changes, ...]) -> tuple[Readings, ...]:
    """The fixed alternative readings of one row of the table of flags."""
    return tuple(DEFAULT.changed(**dict(c)) for c in changes)


#: flag name -> its fixed alternative readings, from the table of flags
FLAG_READINGS: dict[str, tuple[Readings, ...]] = {f.name: table_readings(f.readings) for f in FLAGS}


def flag_reading(name: str, **which: object) -> Readings:
    """The flag's alternative reading in the table: its only one, or the one with the changes ``which``."""
    readings = FLAG_READINGS[name]
    if which:
        readings = tuple(rd for rd in readings
                         if all(getattr(getattr(rd, _PART_OF[k]), k) == v for k, v in which.items()))
    if len(readings) != 1:
        raise LookupError(f"the table of flags has no single reading {which or ''} for {name}")
    return readings[0]


def region_reading(region_id: str, skip_existing: bool = False) -> Readings:
    """The reading "R11 in this region" (MELDREGIO_NE_HOMEREGIO, NOT_REGIONAL_INHABITANT, and with
    ``skip_existing`` TRANSFER_EXISTING), made per case."""
    return Readings(transition=TransitionReading(skip_existing=skip_existing), r11=R11Reading(r11_region=region_id))
