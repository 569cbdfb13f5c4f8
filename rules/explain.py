"""A determination in plain Dutch, for a policy officer."""
from __future__ import annotations

from .citations import RULES
from .engine import Determination
from .flags import FLAG_KIND_NL
from .loader import citation_register
from .municipalities import MunicipalityRegister

_KLASSE = {"NEW": "nieuwe cliënt", "RE_ENTRY": "terugkerende cliënt (na T0)", "NOT_NEW": "geen nieuwe cliënt "
           "(historisch contact)", "EXISTING_HISTORICAL": "bestaande cliënt (historisch budget)"}
_BOEKING = {"intra_regional": "binnen de regio", "inter_regional": "tussen regio's", "none": "geen"}


def explain_nl(det: Determination, reg: MunicipalityRegister) -> str:
    def g(code):
        return f"{reg.name(code)} ({code})" if code else "nog geen"

    cites = citation_register()
    lines = [
        f"Beoordeling {det.case_id}",
        f"  Kostendrager:      {g(det.cost_bearer)}" + (f", {det.budget} budget" if det.budget else ""),
        f"  Wettelijk college: {g(det.legal_college)}",
        f"  Klasse:            {_KLASSE.get(det.klass, 'nog niet bepaald')}",
        f"  Nieuwe cliënt (R11): {'ja' if det.new_client else ('nee' if det.new_client is False else 'onbekend')}",
        f"  Woonplaats:        {g(det.woonplaats)}",
        f"  Regime:            {'B (wetsvoorstel 36288 in werking)' if det.regime == 'B' else 'A (huidige Wmo 2015)'}",
    ]
    if det.entry is not None:
        lines.append(f"  Boeking:           {_BOEKING[det.entry]}")
    lines.append(f"  Status:            {'VOORLOPIG' if det.provisional else 'definitief'}")
    if det.flags:
        lines.append("Signaleringen:")
        for f in det.flags:
            lines.append(f"  - {f.name} ({FLAG_KIND_NL[f.kind]}): {f.note}")
            for a in f.alternatives:
                lines.append(f"      alternatief: kostendrager {g(a.cost_bearer)}, {a.budget or '-'} budget, "
                             f"klasse {a.klass or '-'}, college {g(a.legal_college)}")
    lines.append("Toegepaste regels:")
    for s in det.trail:
        refs = "; ".join(cites[c].reference.split(":")[0] if c in cites else c for c in RULES[s.rule].citations)
        lines.append(f"  [{s.rule}] {s.finding}")
        lines.append(f"        bron: {refs}")
    lines.append(f"Regelset {det.ruleset_version}; context {det.context_digest[:12]}; invoer {det.input_digest[:12]}")
    return "\n".join(lines)
