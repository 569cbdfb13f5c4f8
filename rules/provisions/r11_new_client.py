"""R11, the regional new-client test (365 days).

A client is new in the region where they report when, in the 365 days counted back from the
melding, they (a) made no aanvraag for beschermd wonen and (b) made no use of a BW provision in
that region ("een inwoner die (a) het afgelopen jaar (365 dagen teruggerekend vanaf de datum dat de
cliënt zich meldt) geen aanvraag heeft gedaan en (b) geen gebruik heeft gemaakt van een
BW-voorziening in de regio waar hij/zij zich meldt").

Citations (the rule register, ``rules/citations.py``, sources in ``rules/data/citations.toml``):
``REGIOVISIE-IJV-FN5`` (the regiovisie IJssel-Vecht, footnote 5: the text above) and ``SPEC-8.4``
(the domain specification, R11 and its defaults; the flags of 8.7).

The defaults of spec R11, each with the flag that names its other reading:
- the window is ``[M - 365 days, M]`` (``BOUNDARY_365``: ``[M - 364, M]``; ``LEAP_YEAR_WINDOW``:
  from the same day one calendar year before M);
- (a) an aanvraag counts whatever its outcome, when received in the test region
  (``REJECTED_APPLICATION_COUNTS``, ``OUT_OF_REGION_APPLICATION``); a melding without an aanvraag
  does not count (``MELDING_NOT_AANVRAAG``);
- (b) a BW episode counts when it started on or before M, ended in the window (or runs on) and is
  located in or financed by the test region (``USE_SCOPE_PARTIAL``, ``USE_WINDOW_READING``); an
  ambulant product (beschermd thuis) is no BW use (``AMBULANT_ONLY``);
- the test region is the meldregio (``MELDREGIO_NE_HOMEREGIO``, ``NOT_REGIONAL_INHABITANT``: the
  home region).

``is_new_client()`` is the conjunction of ``aanvraag_in_window()`` (a) and ``use_in_window()`` (b).
Each returns a finding: its value, the contacts it found, and the flags it raises (name and note;
the engine attaches the alternative reading from the table of flags, ``rules/flags.py``).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import NamedTuple, Protocol

from ..citations import RULES
from ..context import Context, RegionVersion
from ..dates import ONE_DAY, minus_one_year
from ..facts import Address, AddressFunction, Application, ApplicationKind
from ..facts import Outcome as ApplicationOutcome
from ..findings import Raised
from ..readings import R11Reading, flag_reading, region_reading
from ..trail import TrailRecord

RULE = "R11"
CITATIONS: tuple[str, ...] = RULES[RULE].citations


class UsedEpisode(Protocol):
    """What R11 reads of a (merged) BW episode (``r10_running_provision.MergedEpisode``)."""

    from_: date
    to: date | None
    budget: str
    cost_bearer: str


class Contact(NamedTuple):
    """An aanvraag or a BW use that counts in the window; ``when`` is its date (spec 8.1: an
    aanvraag's date; an episode's ``min(to, M)``, open = M)."""

    when: date
    historical: bool  # an aanvraag before T0, or an episode on the historical budget
    episode: UsedEpisode | None  # (b)
    app_gemeente: str | None  # (a)


class AanvraagFact(NamedTuple):
    application: Application
    region_id: str | None  # the region of the receiving municipality on M
    is_aanvraag: bool  # False: a melding without an aanvraag
    rejected: bool


class UseFact(NamedTuple):
    episode: UsedEpisode
    location_region_id: str | None  # on M
    financer_region_id: str | None  # on M
    ambulant: bool
    end: date  # min(to, M), open = M


class R11Facts(NamedTuple):
    """What R11 reads of a case, with the regions (on M) of its municipalities: the same under
    every reading, so worked out once per case (``case_facts``)."""

    aanvragen: tuple[AanvraagFact, ...]  # dated on or before M
    uses: tuple[UseFact, ...]  # started on or before M


NO_FACTS = R11Facts((), ())

#: the R11 flags with a fixed alternative reading, from the table of flags (the others run R11 in
#: another region: ``home_region_flags``)
ALTERNATIVE = {name: flag_reading(name) for name in ("BOUNDARY_365", "LEAP_YEAR_WINDOW", "REJECTED_APPLICATION_COUNTS",
                                                      "MELDING_NOT_AANVRAAG", "OUT_OF_REGION_APPLICATION",
                                                      "USE_SCOPE_PARTIAL", "USE_WINDOW_READING", "AMBULANT_ONLY")}

Flags = tuple[tuple[str, str], ...]  # (flag name, note)


class PartFinding(NamedTuple):
    """The finding of part (a) or (b): ``value`` is whether a contact counts in the window."""

    value: bool
    contacts: tuple[Contact, ...]
    flags: Flags  # the part's flags with their notes (the main run keeps them; spec 8.7)


NO_CONTACT = PartFinding(False, (), ())


class NewClientFinding(NamedTuple):
    """R11's finding: new (``value``) when neither (a) nor (b) finds a contact in the window."""

    value: bool
    aanvraag: PartFinding  # (a)
    use: PartFinding  # (b)
    window_start: date
    m: date
    region_name: str

    @property
    def contacts(self) -> tuple[Contact, ...]:
        return self.aanvraag.contacts + self.use.contacts

    @property
    def flags(self) -> tuple[Raised, ...]:
        """The flags of (a) and (b), each with its alternative reading from the table of flags; a flag
        raised by both keeps the note of (b)."""
        notes = dict(self.aanvraag.flags)
        notes.update(self.use.flags)
        return tuple(Raised(name, note, (ALTERNATIVE[name],)) for name, note in notes.items())

    @property
    def record(self) -> TrailRecord:
        """The trail record (its text: ``new_client_text``)."""
        return TrailRecord(RULE, new_client_text, (self.window_start, self.m, self.region_name,
                                                   *contact_values(self.contacts)))


def contact_values(contacts: Sequence[Contact]) -> list:
    """What the trail says about the contacts, as plain values one contact after the other (the
    values of the R11 ``TrailRecord``, read back by ``new_client_text``)."""
    out: list = []
    for c in contacts:
        if c.episode is not None:
            e = c.episode
            out += ("bw", e.from_, e.to, e.cost_bearer, c.historical)
        else:
            out += ("aanvraag", c.app_gemeente, c.when, c.historical)
    return out


def new_client_text(ws: date, m: date, region_name: str, *contacts) -> str:
    """``contacts``: the values of ``r11_new_client.contact_values``, one contact after the other."""
    texts, i = [], 0
    while i < len(contacts):
        n = _CONTACT_LEN[contacts[i]]
        texts.append(_contact_text(contacts[i:i + n]))
        i += n
    return f"venster {ws}..{m} in {region_name}: " + (
        "contact gevonden: " + "; ".join(texts) if texts else "geen aanvraag en geen BW-gebruik: nieuwe cliënt")


#: the number of values ``contact_values`` writes for each kind of contact
_CONTACT_LEN = {"bw": 5, "aanvraag": 4}


def _contact_text(c: tuple) -> str:
    if c[0] == "bw":
        _, from_, to, cost_bearer, historical = c
        return f"BW {from_}..{to or 'lopend'} ({cost_bearer}, {'historisch' if historical else 'woonplaats'})"
    _, gemeente, when, historical = c
    return f"aanvraag {gemeente} {when}" + (" (voor T0)" if historical else "")


def window_start(m: date, days: timedelta, window: str) -> date:
    """The first day of the window under the reading: ``M - 365`` by default (``days`` is the
    parameter ``window_days``), ``M - 364`` for "m364", one calendar year before M for "calendar"."""
    if window == "m364":
        return m - days + ONE_DAY
    if window == "calendar":
        return minus_one_year(m)
    return m - days


def case_facts(applications: Sequence[Application], prior: Sequence[UsedEpisode], m: date, ctx: Context) -> R11Facts:
    """The aanvragen and meldingen dated on or before M and the BW episodes (``prior``, merged,
    the placement left out) started on or before M, with the regions R11 compares."""
    if not applications and not prior:
        return NO_FACTS
    aanvragen = []
    for a in applications:
        if a.date <= m:
            ar = ctx.region_of(a.gemeente, m)
            aanvragen.append(AanvraagFact(a, ar.id if ar is not None else None, a.kind is ApplicationKind.AANVRAAG,
                                          a.outcome is ApplicationOutcome.REJECTED))
    uses = []
    for e in prior:
        if e.from_ <= m:
            lr, fr = ctx.region_of(e.location, m), ctx.region_of(e.cost_bearer, m)
            uses.append(UseFact(e, lr.id if lr is not None else None, fr.id if fr is not None else None,
                                e.product == "ambulant", e.to if e.to is not None and e.to < m else m))
    return R11Facts(tuple(aanvragen), tuple(uses))


def _boundary_flags(d: date, m: date, days: timedelta, ws: date, notes: dict, what: str) -> None:
    """BOUNDARY_365 / LEAP_YEAR_WINDOW when a contact date sits where the window readings differ."""
    ws364 = window_start(m, days, "m364")
    wscal = window_start(m, days, "calendar")
    if d == ws and ws < ws364:
        notes["BOUNDARY_365"] = f"{what} {d} valt op M-365, de eerste dag van het venster"
    if wscal < ws and wscal <= d < ws:
        notes["LEAP_YEAR_WINDOW"] = f"{what} {d} valt precies een kalenderjaar voor M (366 dagen, 29 februari)"


def aanvraag_in_window(aanvragen: Sequence[AanvraagFact], region: RegionVersion, t0: date, m: date, days: timedelta,
                       reading: R11Reading) -> PartFinding:
    """(a): an aanvraag received in the test region with its date in the window."""
    if not aanvragen:
        return NO_CONTACT
    ws = window_start(m, days, reading.window)
    rid = region.id
    contacts = []
    notes: dict[str, str] = {}
    for a, region_id, is_aanvraag, rejected in aanvragen:
        in_region = region_id == rid
        if is_aanvraag:
            counts = (in_region or reading.out_of_region_aanvragen) and not (reading.ignore_rejected and rejected)
        else:
            counts = reading.meldingen_count and in_region
        inside = a.date >= ws
        if counts and inside:
            contacts.append(Contact(a.date, a.date < t0, None, a.gemeente))
        # the part's flags (spec 8.7)
        if is_aanvraag and in_region and inside and rejected:
            notes["REJECTED_APPLICATION_COUNTS"] = f"afgewezen aanvraag {a.gemeente} {a.date}"
        if is_aanvraag and not in_region and inside:
            notes["OUT_OF_REGION_APPLICATION"] = f"aanvraag buiten de regio {a.gemeente} {a.date}"
        if not is_aanvraag and in_region and inside:
            notes["MELDING_NOT_AANVRAAG"] = f"eerdere melding {a.gemeente} {a.date}"
        if is_aanvraag and in_region:
            _boundary_flags(a.date, m, days, ws, notes, "aanvraag")
    return PartFinding(bool(contacts), tuple(contacts), tuple(notes.items()))


def use_in_window(uses: Sequence[UseFact], region: RegionVersion, m: date, days: timedelta,
                  reading: R11Reading) -> PartFinding:
    """(b): BW use located in or financed by the test region, ended in the window or running."""
    if not uses:
        return NO_CONTACT
    ws = window_start(m, days, reading.window)
    rid = region.id
    contacts = []
    notes: dict[str, str] = {}
    for e, location_region_id, financer_region_id, ambulant, end in uses:
        located = location_region_id == rid
        financed = financer_region_id == rid
        scope = (located and financed) if reading.use_scope_both else (located or financed)
        inside = e.to is None or e.to >= ws
        if scope and (inside or reading.use_no_window) and (not ambulant or reading.ambulant_counts):
            contacts.append(Contact(end, e.budget == "historical", e, None))
        if scope:  # the part's flags (spec 8.7)
            if not ambulant:
                if inside and located != financed:
                    notes["USE_SCOPE_PARTIAL"] = (f"BW-gebruik {e.from_}..{e.to or ''}: alleen "
                                                  f"{'locatie' if located else 'financiering'} in de regio")
                if not inside:
                    notes["USE_WINDOW_READING"] = f"BW-gebruik {e.from_}..{e.to} eindigde voor het venster"
                _boundary_flags(end, m, days, ws, notes, "einde BW")
            elif inside:
                notes["AMBULANT_ONLY"] = f"ambulant product (beschermd thuis) {e.from_}..{e.to or ''}"
    return PartFinding(bool(contacts), tuple(contacts), tuple(notes.items()))


def is_new_client(facts: R11Facts, region: RegionVersion, t0: date, m: date, days: timedelta,
                  reading: R11Reading) -> NewClientFinding:
    """R11: new when (a) no aanvraag and (b) no BW use in the window, in the test region ``region``
    (``t0``: that region's T0, for whether an aanvraag is historical)."""
    aanvraag = aanvraag_in_window(facts.aanvragen, region, t0, m, days, reading)
    use = use_in_window(facts.uses, region, m, days, reading)
    return NewClientFinding(not aanvraag.value and not use.value, aanvraag, use,
                            window_start(m, days, reading.window), m, region.name)


def tested_region(ctx: Context, meldregio: RegionVersion, region_id: str | None, m: date) -> RegionVersion:
    """The region R11 runs in: the meldregio, or (an alternative reading) the region ``region_id``."""
    if region_id is None:
        return meldregio
    return ctx.region_by_id(region_id, m) or meldregio


def home_region_flags(ctx: Context, meldregio: RegionVersion, home: RegionVersion | None,
                      addresses: Sequence[Address], m: date) -> tuple[Raised, ...]:
    """MELDREGIO_NE_HOMEREGIO and NOT_REGIONAL_INHABITANT (alternative: R11 run in the home region):
    the home region (of the financial woonplaats) is not the meldregio, and no woonadres on M lies in
    the meldregio."""
    if home is None or home.id == meldregio.id:
        return ()
    in_home = (region_reading(home.id),)
    flags = [Raised("MELDREGIO_NE_HOMEREGIO", f"meldregio {meldregio.name}, thuisregio {home.name}", in_home)]
    current = next((a for a in addresses if a.covers(m) and a.function is AddressFunction.WOONADRES), None)
    current_region = ctx.region_of(current.gemeente, m) if current is not None else None
    if current_region is None or current_region.id != meldregio.id:
        flags.append(Raised("NOT_REGIONAL_INHABITANT", "geen woonadres in de meldregio op M", in_home))
    return tuple(flags)
