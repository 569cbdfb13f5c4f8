"""The one table of flags (spec 8.7, "Flags and provisional").

A flag of kind **O** opens the outcome: it is raised only when its condition holds and its
alternative reading changes the outcome, and it makes the determination provisional unless the
meldregio's configuration settles it. A flag of kind **I** is informational: raised when its
condition holds, without an alternative.

Each row names the flag, its kind, the section of the spec that states its condition, its
alternative reading in words, the fixed alternative readings the engine runs for it (as changes to
the default ``readings.Readings``; empty when the alternative is made per case: another region's
R11, the outcome for the cost bearer's own region, the previous determination) and whether it keeps
the outcome open when no alternative can be computed from the facts (the committee must then
supply one: the reading that keeps the outcome provisional, fixed by the casebook).

The engine, the casebook runner, the re-determination and the Dutch explanation read this table;
``tests/rules_engine/test_flags.py`` checks it against the table of spec 8.7, name by name and kind
by kind; the rows of section "8.12" are the flags spec 8.12 adds to that register (``DATE_INCOMPLETE``).
"""
from __future__ import annotations

from dataclasses import dataclass

Changes = tuple[tuple[str, object], ...]


def _changes(**values: object) -> Changes:
    """One alternative reading: the fields of ``readings.Readings`` it changes, with their values."""
    return tuple(sorted(values.items()))


@dataclass(frozen=True, slots=True)
class FlagDefinition:
    name: str
    kind: str  # "O" opens the outcome, "I" informational
    section: str  # where the spec states the condition: a rule (R0-R15) or a section of 8
    alternative: str  # the alternative reading ("" for kind I)
    readings: tuple[Changes, ...] = ()  # the fixed alternative readings; () when made per case
    open_without_alternative: bool = False  # kept open (provisional) when no alternative is computable


FLAGS: tuple[FlagDefinition, ...] = (
    FlagDefinition("REGION_UNKNOWN", "O", "8.6",
                   "the cost bearer the rules found, as if its region were known (per case; none when the "
                   "meldgemeente has no region); when the woonplaats lies in BRP gemeentecode 0000 (onbekend, "
                   "8.12): that period read as no usable woonadres (R8: the meldgemeente; the last ordinary "
                   "woonadres before M)",
                   (_changes(unknown_code_as_r8=True), _changes(unknown_code_as_r8=True, r8_mode="last_woonadres")),
                   open_without_alternative=True),
    FlagDefinition("ELIGIBILITY_OPEN", "O", "R1", "eligibility (R1) settled in the client's favour",
                   (_changes(eligibility_settled=True),)),
    FlagDefinition("T0_MISMATCH", "O", "R0", "the transition tests with the home region's T0",
                   (_changes(t0_home=True),)),
    FlagDefinition("T0_STRADDLE", "O", "8.3", "a melding before T0 with its BW start after T0 decided on the "
                   "melding date", (_changes(t0_straddle_alt=True),)),
    FlagDefinition("ADDRESS_CHANGED_DURING_INTAKE", "O", "R2",
                   "the woonplaats on the BW start (or on melding.aanvraag_date), the later date",
                   (_changes(wp_on_intake_date=True),)),
    FlagDefinition("ADDRESS_IN_ONDERZOEK", "O", "R3",
                   "the period that decides the woonplaats skipped, as the Jeugdwet does",
                   (_changes(skip_onderzoek=True),)),
    FlagDefinition("CHAIN_END_NO_WOONADRES", "O", "R7",
                   "as NO_WOONADRES (R8): the briefadres municipality; the last ordinary woonadres before M",
                   (_changes(r8_mode="briefadres"), _changes(r8_mode="last_woonadres")),
                   open_without_alternative=True),
    FlagDefinition("NO_WOONADRES", "O", "R8",
                   "the briefadres municipality; the last ordinary woonadres before M",
                   (_changes(r8_mode="briefadres"), _changes(r8_mode="last_woonadres")),
                   open_without_alternative=True),
    FlagDefinition("BRIEFADRES_DURING_STAY", "O", "R7", "the briefadres taken literally (R8)",
                   (_changes(literal_briefadres=True),)),
    FlagDefinition("SHORT_INTERIM_ADDRESS", "O", "R7", "the chain runs through the short interim address",
                   (_changes(chain_through_interim=True),)),
    FlagDefinition("DESIGNATION_ASSUMED", "O", "R7", "the types whose designation is assumed not designated",
                   (_changes(undesignate_assumed=True),)),
    FlagDefinition("YOUTH_TRANSITION", "I", "R9", ""),
    FlagDefinition("SAFETY_CONFIDENTIAL", "I", "8.7", ""),
    FlagDefinition("SHORT_REGISTRATION", "I", "R8", ""),
    FlagDefinition("LT_CHECK", "I", "R8", ""),
    FlagDefinition("SAME_DAY_EVENTS", "I", "8.7", ""),
    FlagDefinition("AGREED_TRANSFER", "I", "R10", ""),
    FlagDefinition("MANDATE_PROVIDER", "O", "R6", "P = the episode's legal_college instead of its mandator",
                   (_changes(r6_not_mandator=True),)),
    FlagDefinition("BOUNDARY_12M", "O", "R6", "the twelve months (R6) ending one day earlier",
                   (_changes(r6_one_day_shorter=True),)),
    FlagDefinition("SHORT_LAST_EPISODE", "O", "R6", "the short episode R6 or the RE_ENTRY continuity relies on "
                   "ignored", (_changes(ignore_short_episode=True),)),
    FlagDefinition("CLOCK_DIVERGENCE", "O", "8.4", "the other clock's outcome (R6 or the regional rules)",
                   (_changes(other_clock=True),)),
    FlagDefinition("CROSS_REGION_LAST_PROVIDER", "O", "8.4",
                   "the other clock's outcome; or the episode outside the meldregio that was passed over pays",
                   (_changes(other_clock=True), _changes(pay_cross_region_candidate=True))),
    FlagDefinition("BOUNDARY_365", "O", "R11", "the window [M-364, M]", (_changes(window="m364"),)),
    FlagDefinition("LEAP_YEAR_WINDOW", "O", "R11", "the window [M minus one calendar year, M]",
                   (_changes(window="calendar"),)),
    FlagDefinition("REJECTED_APPLICATION_COUNTS", "O", "R11", "rejected aanvragen ignored",
                   (_changes(ignore_rejected=True),)),
    FlagDefinition("MELDING_NOT_AANVRAAG", "O", "R11", "in-window meldingen in the meldregio count as aanvragen",
                   (_changes(meldingen_count=True),)),
    FlagDefinition("OUT_OF_REGION_APPLICATION", "O", "R11", "in-window aanvragen outside the meldregio count",
                   (_changes(out_of_region_aanvragen=True),)),
    FlagDefinition("USE_SCOPE_PARTIAL", "O", "R11", "an episode must be both located in and financed by the "
                   "meldregio", (_changes(use_scope_both=True),)),
    FlagDefinition("USE_WINDOW_READING", "O", "R11", "(b) counts BW use with from <= M regardless of the window",
                   (_changes(use_no_window=True),)),
    FlagDefinition("AMBULANT_ONLY", "O", "R11", "episodes with an ambulant product (beschermd thuis) count as BW use",
                   (_changes(ambulant_counts=True),)),
    FlagDefinition("MELDREGIO_NE_HOMEREGIO", "O", "R11", "R11 run in the home region (made per case)"),
    FlagDefinition("NOT_REGIONAL_INHABITANT", "O", "R11", "R11 run in the home region (made per case)"),
    FlagDefinition("TRANSFER_EXISTING", "O", "R12",
                   "the host region's own determination (its R11, the existing client not carried over; per case)"),
    FlagDefinition("RETRO_BRP", "O", "R15", "the previous determination's outcome"),
    FlagDefinition("DATE_INCOMPLETE", "O", "8.12",
                   "every incomplete BRP date (year, or year and month, or datumOnbekend) at its latest possible "
                   "day; the default reads each at its earliest (the facts read again: rules/date_incomplete.py)"),
)

#: name -> its row
FLAG = {f.name: f for f in FLAGS}
FLAG_NAMES: tuple[str, ...] = tuple(FLAG)
INFORMATIONAL_FLAGS = frozenset(f.name for f in FLAGS if f.kind == "I")
#: O flags raised even when no alternative can be computed from the facts
OPEN_WITHOUT_ALTERNATIVE = frozenset(f.name for f in FLAGS if f.open_without_alternative)
#: a kind in words, for the Dutch explanation
FLAG_KIND_NL = {"O": "opent de uitkomst", "I": "ter informatie"}


def kind_of(name: str) -> str:
    return FLAG[name].kind
