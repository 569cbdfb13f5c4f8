"""A determination in plain Dutch, for a policy officer."""
from __future__ import annotations

from .citations import RULES
from .engine import Determination
from .glossary import in_words, label
from .loader import citation_register
from .municipalities import MunicipalityRegister


def explain_nl(det: Determination, reg: MunicipalityRegister) -> str:
    def g(code):
        return f"{reg.name(code)} ({code})" if code else "nog geen"

    cites = citation_register()
    lines = [
        f"Beoordeling {det.case_id}",
        f"  Kostendrager:      {g(det.cost_bearer)}" + (f", {label('budget', det.budget)}" if det.budget else ""),
        f"  Wettelijk college: {g(det.legal_college)}",
        f"  Klasse:            {label('class', det.klass, 'nog niet bepaald')}",
        f"  Nieuwe cliënt (R11): {'ja' if det.new_client else ('nee' if det.new_client is False else 'onbekend')}",
        f"  Woonplaats:        {g(det.woonplaats)}",
        f"  Regime:            {label('regime', det.regime)}",
    ]
    if det.entry is not None:
        lines.append(f"  Boeking:           {label('booking', det.entry)}")
    lines.append(f"  Status:            {'VOORLOPIG' if det.provisional else 'definitief'}")
    if det.flags:
        lines.append("Signaleringen:")
        for f in det.flags:
            lines.append(f"  - {label('flag', f.name)} ({label('flag_kind', f.kind)}): {in_words(f.note)}")
            for a in f.alternatives:
                lines.append(f"      alternatief: kostendrager {g(a.cost_bearer)}, {label('budget', a.budget)}, "
                             f"klasse {label('class', a.klass)}, college {g(a.legal_college)}")
    lines.append("Toegepaste regels:")
    for s in det.trail:
        refs = "; ".join(cites[c].reference.split(":")[0] if c in cites else c for c in RULES[s.rule].citations)
        lines.append(f"  [{s.rule}] {in_words(s.finding)}")
        lines.append(f"        bron: {refs}")
    lines.append(f"Regelset {det.ruleset_version}; context {det.context_digest[:12]}; invoer {det.input_digest[:12]}")
    return "\n".join(lines)
