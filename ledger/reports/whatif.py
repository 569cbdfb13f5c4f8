"""What-if report: a quarter recomputed under another verdeelsleutel or reading, differences per party."""
from __future__ import annotations

from pathlib import Path

from rules import glossary
from rules.glossary import party_name

from ..settlement.quarters import Quarter
from ..settlement.settle import WhatIf
from . import write_json
from .xlsx import Bold, Money, Workbook


def _keys(keys) -> str:
    """pool -> verdeelsleutel, in words (the glossary): `ijv-historisch-2023-2025: naar inwonertal`."""
    return ", ".join(f"{k}: {glossary.label('verdeelsleutel', v)}" for k, v in sorted(keys.items())) or "-"


def write_whatif(w: WhatIf, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"wat-als-{w.quarter}"
    js = stem.with_suffix(".json")
    write_json(js, w.to_dict())
    xl = stem.with_suffix(".xlsx")
    with Workbook(xl) as wb:
        ws = wb.sheet("Wat als", [14, 22, 18, 18, 18, 18, 18])
        ws.row([Bold(f"Wat-als {Quarter.parse(w.quarter).label}: {w.description} (niets geboekt)")])
        ws.row(["Verdeelsleutels nu", _keys(w.base.keys)])
        ws.row(["Verdeelsleutels wat-als", _keys(w.alternative.keys)])
        ws.row([])
        ws.row([Bold(h) for h in ("Gemeente", "Naam", "Saldo nu", "Saldo wat-als", "Verschil",
                                  "Te betalen nu (excl. betwist)", "Te betalen wat-als")])
        for d in w.differences:
            ws.row([d.party, party_name(d.party), Money(d.base_net_cents), Money(d.alt_net_cents),
                    Money(d.difference_cents), Money(d.base_payable_cents), Money(d.alt_payable_cents)])
    return xl, js
