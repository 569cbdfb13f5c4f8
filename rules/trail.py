"""The trail of a determination: the rules applied, with their findings in Dutch for a policy
officer. A run records each step as a ``TrailRecord``; the texts are made when the trail is read."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import NamedTuple

from .citations import RULES
from .facts import Address, AddressStatus, CaseFacts

_FROM = attrgetter("from_")


def by_start(items: tuple) -> list:
    return sorted(items, key=_FROM) if len(items) > 1 else list(items)


@dataclass(frozen=True, slots=True)
class TrailStep:
    rule: str
    finding: str
    facts: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        r = RULES[self.rule]
        return {"rule": self.rule, "title": r.title_nl, "finding": self.finding, "facts": list(self.facts),
                "citations": list(r.citations)}


class TrailRecord(NamedTuple):
    """One step as a run records it: the rule, the kind of finding and the values it is made from.

    ``_TEXTS[kind]`` makes the finding (or the finding and the facts it used) from ``values``;
    kind ``None`` means the one value is the finding itself. The values are immutable (strings,
    numbers, booleans, None, dates), so the step is the same whenever it is made."""

    rule: str
    kind: str | None
    values: tuple = ()


class Trail(Sequence):
    """The rules applied, in order: a sequence of ``TrailStep``.

    A run records each step as a ``TrailRecord`` and the steps (with their Dutch findings) are
    made the first time the trail is read: most determinations are settled and stored without
    anyone reading their trail, and making the texts was a large part of a determination's cost."""

    __slots__ = ("_facts", "_records", "_steps")

    def __init__(self, records: tuple[TrailRecord, ...] = (), steps: tuple[TrailStep, ...] | None = None,
                 facts: CaseFacts | None = None):
        self._records, self._steps, self._facts = records, steps, facts

    @property
    def steps(self) -> tuple[TrailStep, ...]:
        steps = self._steps
        if steps is None:
            out = []
            for rule, kind, values in self._records:
                if kind is None:
                    out.append(TrailStep(rule, values[0]))
                    continue
                if kind == "R3":  # the address is found again in the facts (by its position)
                    made = _r3_text(values[0], by_start(self._facts.addresses), values[1])
                else:
                    made = _TEXTS[kind](*values)
                out.append(TrailStep(rule, made) if type(made) is str else TrailStep(rule, *made))
            steps = self._steps = tuple(out)
            self._records, self._facts = (), None
        return steps

    def __getitem__(self, i):
        return self.steps[i]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __add__(self, other) -> Trail:
        return Trail(steps=self.steps + tuple(other))

    def __eq__(self, other) -> bool:
        if isinstance(other, Trail):
            return self.steps == other.steps
        return isinstance(other, tuple) and self.steps == other

    def __hash__(self) -> int:
        return hash(self.steps)

    def __repr__(self) -> str:
        return f"Trail({self.steps!r})"


def _addr_text(a: Address) -> str:
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




def _r2_text(m: date, meldgemeente: str) -> tuple[str, tuple[str, ...]]:
    return f"peildatum: melding op {m} bij {meldgemeente}", ("melding",)


def _r3_text(m: date, addresses: list[Address], index: int | None) -> tuple[str, tuple[str, ...]]:
    if index is None:
        return f"BRP op {m}: geen adres", ()
    return f"BRP op {m}: " + _addr_text(addresses[index]), (f"addresses[{index}]",)


def _wp_step(via: str, gemeente: str | None, briefadres_stay: bool, *passed: int):
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


def _r6_text(from_: date, to: date | None, legal_college: str, last_day: date | None, applies: bool,
             regime_b: bool) -> str:
    return (f"laatste BW-episode {from_}..{to or 'lopend'} ({legal_college}); "
            + (f"twaalf maanden tot en met {last_day}; " if last_day else "loopt nog op M; ")
            + ("uitzondering a van toepassing" if applies else "uitzondering a niet van toepassing")
            + ("" if regime_b else " (wordt onder de huidige wet alleen ter vergelijking bepaald)"))


R0_B = "regime B: wetsvoorstel 36288 in werking"
R0_A = "regime A: huidige Wmo 2015 (wetsvoorstel 36288 niet in werking)"


def _legal_text(legal: str | None, regime_b: bool, r6_applies: bool) -> str:
    return f"wettelijk college: {legal or 'geen (woonplaats onbekend)'}" + (
        " (meldgemeente)" if not regime_b else (" (uitzondering a)" if r6_applies else " (woonplaats)"))


def _r11_text(ws: date, m: date, region_name: str, *contacts) -> str:
    """``contacts``: the values of ``r11_new_client.contact_values``, one contact after the other."""
    texts, i = [], 0
    while i < len(contacts):
        n = _CONTACT_LEN[contacts[i]]
        texts.append(_contact_text(contacts[i:i + n]))
        i += n
    return f"venster {ws}..{m} in {region_name}: " + (
        "contact gevonden: " + "; ".join(texts) if texts else "geen aanvraag en geen BW-gebruik: nieuwe cliënt")


def _r12_text(how: str, t0x: date) -> str:
    return ("een episode op het historisch budget loopt op M door na T0: bestaande cliënt" if how == "a"
            else f"melding en BW-start voor T0 {t0x}: historisch regime")


def _r13_text(klass: str, cost_bearer: str | None, budget: str, by_law: bool) -> str:
    return f"klasse {klass}; kostendrager {cost_bearer or 'geen'} ({budget})" + (
        " volgens R6 (wet gaat voor regionale afspraak)" if by_law else "")


#: the number of values ``r11_new_client.contact_values`` writes for each kind of contact
_CONTACT_LEN = {"bw": 5, "aanvraag": 4}


def _contact_text(c: tuple) -> str:
    if c[0] == "bw":
        _, from_, to, cost_bearer, historical = c
        return f"BW {from_}..{to or 'lopend'} ({cost_bearer}, {'historisch' if historical else 'woonplaats'})"
    _, gemeente, when, historical = c
    return f"aanvraag {gemeente} {when}" + (" (voor T0)" if historical else "")


def _entry_text(fronting: str, entry: str) -> str:
    return {"none": "geen boeking tussen gemeenten (voorfinancier is kostendrager)",
            "intra_regional": f"boeking binnen de regio: voorfinancier {fronting}",
            "inter_regional": f"boeking tussen regio's: voorfinancier {fronting}"}[entry]


def _flags_text(provisional: bool, *names: str) -> str:
    return "signaleringen: " + ", ".join(names) + ("; uitkomst voorlopig" if provisional else "; uitkomst definitief")


#: the text function of each kind of trail record (see Trail)
_TEXTS = {"R2": _r2_text, "wp": _wp_step, "R6": _r6_text, "college": _legal_text, "R11": _r11_text,
          "R12": _r12_text, "R13": _r13_text, "R14": _entry_text, "8.7": _flags_text}
