"""The source register and the rule register: every rule the engine applies cites its sources."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CITATION_KINDS = ("statute", "bill", "regional_agreement", "analogy", "case_law", "project_default", "standard")


@dataclass(frozen=True)
class Citation:
    id: str
    kind: str
    reference: str
    url: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class CitationRegister:
    def __init__(self, citations: dict[str, Citation]):
        self._c = citations

    def __getitem__(self, cid: str) -> Citation:
        return self._c[cid]

    def __contains__(self, cid: str) -> bool:
        return cid in self._c

    def __iter__(self):
        return iter(self._c.values())


@dataclass(frozen=True)
class Rule:
    id: str
    title_nl: str
    citations: tuple[str, ...]


#: Every rule id the engine can put in a trail, with its Dutch title and its sources.
RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("R0", "Regime: huidige Wmo 2015 (A) of wetsvoorstel 36288 in werking (B)", ("S11", "S1", "S8")),
        Rule("R1", "Toegang: ingezetene en rechtmatig verblijf, mogelijke Wlz-aanspraak", ("S11",)),
        Rule("R2", "Peildatum: de datum van de melding", ("S11", "SPEC-8.1")),
        Rule("R3", "Het BRP-woonadres op de peildatum (een briefadres is geen woonadres)", ("S24", "S1")),
        Rule("R4", "Wettelijk college onder de huidige wet: de meldgemeente", ("S11",)),
        Rule("R5", "Wettelijk college onder het wetsvoorstel: gemeente van het woonadres", ("S1",)),
        Rule("R6", "Uitzondering a: beschermd wonen korter dan twaalf maanden geleden geëindigd", ("S1", "AWB-6-8", "SPEC-8.8")),
        Rule("R7", "Uitzondering b: woonadres in een aangewezen instelling, terug door de keten van verblijven", ("S1", "S12", "SPEC-R7")),
        Rule("R8", "Geen bruikbaar woonadres: de meldgemeente", ("SPEC-R8", "S11")),
        Rule("R9", "Bijzondere situaties: detentie, Wlz, GGZ, MO, jeugd op 18 jaar", ("SPEC-R9", "S12")),
        Rule("R10", "Lopende verstrekking: samenvoegen van aansluitende episodes, verhuizing tijdens BW", ("SPEC-R10",)),
        Rule("R11", "Regionale toets nieuwe cliënt: 365 dagen geen aanvraag en geen BW-gebruik in de regio", ("REGIOVISIE-IJV-FN5", "SPEC-8.4")),
        Rule("R12", "Overgang: bestaande cliënten blijven op het historisch budget van de centrumgemeente", ("S9", "REGIOVISIE-IJV-4.1", "SPEC-8.3")),
        Rule("R13", "Samenvoegen: de uiteindelijke kostendrager", ("SPEC-8.4", "S1", "S9")),
        Rule("R14", "Plaatsing en soort boeking (binnen of tussen regio's)", ("SPEC-8.5", "NVO")),
        Rule("R15", "Herbeoordeling na nieuwe feiten", ("SPEC-R15", "SPEC-8.9")),
        Rule("8.6", "Gemeentecodes en onbekende regio", ("SPEC-8.6",)),
        Rule("8.7", "Signaleringen en voorlopigheid", ("SPEC-8.7",)),
    )
}
