"""Charts (matplotlib, Agg): net positions per municipality, flows between regions, cost trend.

Output is byte-identical for the same data: PNG without the Software/date metadata, SVG with a fixed
hash salt and no date, fixed figure size, dpi and font.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from rules import glossary
from rules.glossary import party_name

from ..settlement.catalogue import load_catalogue
from ..settlement.quarters import Quarter
from ..settlement.settle import Settlement

_RC = {"svg.hashsalt": "bwledger", "font.family": "DejaVu Sans", "font.size": 9, "path.simplify": False,
       "svg.fonttype": "path"}


def _save(fig, stem: Path) -> tuple[Path, Path]:
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    fig.savefig(png, format="png", dpi=100, metadata={"Software": None})
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return png, svg


def _eur_axis(ax) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"€ {v:,.0f}".replace(",", ".")))


def net_positions(s: Settlement, out_dir: Path) -> tuple[Path, Path]:
    """Bar chart: each municipality's net position (excl. disputed) in the quarter."""
    with plt.rc_context(_RC):
        parties = [p for p in s.positions]
        fig, ax = plt.subplots(figsize=(8, 4.5))
        names = [f"{party_name(p.party)}" for p in parties]
        vals = [p.net_payable_cents / 100 for p in parties]
        ax.bar(range(len(vals)), vals, color=["#2e7d32" if v >= 0 else "#c62828" for v in vals])
        ax.set_xticks(range(len(vals)), names, rotation=45, ha="right")
        ax.axhline(0, color="black", linewidth=0.8)
        _eur_axis(ax)
        ax.set_title(f"Nettopositie per gemeente, {Quarter.parse(s.quarter).label} (excl. betwist)")
        ax.set_ylabel("te ontvangen (+) / te betalen (−)")
        fig.tight_layout()
        return _save(fig, Path(out_dir) / f"nettoposities-{s.quarter}")


def region_matrix(s: Settlement, out_dir: Path) -> tuple[Path, Path]:
    """Matrix: what each region's municipalities pay (rows: cost bearer region) to each region (columns)."""
    cat = load_catalogue()
    flows: dict[tuple[str, str], int] = defaultdict(int)
    for f in s.flows:
        if f.kind != "kosten":
            continue
        a = cat.region_of.get(f.debtor, "overig")
        b = cat.region_of.get(f.creditor, "overig")
        flows[(a, b)] += f.total_cents
    regions = sorted({r for k in flows for r in k}) or ["-"]
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7, 5.5))
        data = [[flows.get((a, b), 0) / 100 for b in regions] for a in regions]
        im = ax.imshow(data, cmap="Blues")
        labels = [cat.region_names.get(r, r) for r in regions]
        ax.set_xticks(range(len(regions)), labels, rotation=45, ha="right")
        ax.set_yticks(range(len(regions)), labels)
        for i, row in enumerate(data):
            for j, v in enumerate(row):
                ax.text(j, i, f"{v:,.0f}".replace(",", "."), ha="center", va="center", fontsize=8)
        ax.set_xlabel("regio van de uitvoerder (ontvangt)")
        ax.set_ylabel("regio van de kostendrager (betaalt)")
        ax.set_title(f"Geldstromen tussen regio's, {Quarter.parse(s.quarter).label} (€)")
        fig.colorbar(im, ax=ax, shrink=0.8)
        fig.tight_layout()
        return _save(fig, Path(out_dir) / f"regiostromen-{s.quarter}")


def cost_trend(settlements: Sequence[Settlement], out_dir: Path, name: str = "kostentrend") -> tuple[Path, Path]:
    """Line chart: total cost lines between parties, and own costs, per quarter."""
    ss = sorted(settlements, key=lambda s: Quarter.parse(s.quarter))
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(8, 4))
        xs = [Quarter.parse(s.quarter).label for s in ss]
        between = [sum(f.total_cents for f in s.flows if f.kind == "kosten") / 100 for s in ss]
        own = [sum(s.own_costs.values()) / 100 for s in ss]
        ax.plot(xs, between, marker="o", label="tussen gemeenten")
        ax.plot(xs, own, marker="s", label="eigen kosten (uitvoerder = kostendrager)")
        _eur_axis(ax)
        ax.set_title("Kosten beschermd wonen per kwartaal")
        ax.legend()
        ax.grid(True, linewidth=0.3)
        fig.tight_layout()
        return _save(fig, Path(out_dir) / name)


def party_positions_svg(s: Settlement, party: str) -> bytes:
    """SVG bytes: the party's position towards each counterparty in the quarter, definitive, provisional
    and disputed side by side (+ to receive, - to pay). The same look as the files above; drawn on a
    Figure of its own (no pyplot state), so a server thread can call it."""
    import io

    from matplotlib.figure import Figure

    from ..settlement.quarter_view import counterparties
    from ..settlement.settle import CLASSES

    per = {c.party: (c.definitive_cents, c.provisional_cents, c.disputed_cents) for c in counterparties(s, party)}
    cps = sorted(per)
    with plt.rc_context(_RC):
        fig = Figure(figsize=(8, 4.5))
        ax = fig.subplots()
        width = 0.27
        colours = {"definitive": "#2e7d32", "provisional": "#f9a825", "disputed": "#c62828"}
        for i, klass in enumerate(CLASSES):
            ax.bar([x + (i - 1) * width for x in range(len(cps))], [per[c][i] / 100 for c in cps], width,
                   color=colours[klass], label=glossary.label("line_status", klass))
        # the end of each rotated name sits under its own tick (rotation_mode "anchor"), not beside it
        ax.set_xticks(range(len(cps)), [party_name(c) for c in cps], rotation=45, ha="right",
                      rotation_mode="anchor")
        ax.axhline(0, color="black", linewidth=0.8)
        _eur_axis(ax)
        ax.set_title(f"Positie van {party_name(party)} per tegenpartij, {Quarter.parse(s.quarter).label}")
        ax.set_ylabel("te ontvangen (+) / te betalen (−)")
        if cps:
            ax.legend()
        fig.tight_layout()
        buf = io.BytesIO()
        # the drawing's own bounds: a long municipality name below the axis is never cut off (tight_layout
        # alone cannot make room when the names are longer than the figure allows)
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight",
                    pad_inches=0.1)
        return buf.getvalue()
