"""Settlement service functions: what the CLI, the HTTP API and the demo call (no business logic there).

Each takes a Store (ledger.service.open_ledger) and plain arguments and returns a dataclass or paths.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..entries import party_class
from ..errors import PARTY_ROLE_INVALID, LedgerError
from ..parties import check_party_code
from ..store import AppendResult, Store
from .booking import (MonthBooking, MonthDrafts, SignerFor, book_month, book_placement, draft_month,
                      draft_placement, draft_placement_by_seq, record_placement, recorded_placements,
                      sealed_quarters)
from .corrections import Period, rebook
from .tariff_acceptance import accept_tariff, book_accepted_tariff
from .costlines import Placement
from .quarters import Quarter
from .settle import SealResult, Settlement, WhatIf, close_quarter, settle, whatif

__all__ = [
    "ChartFiles",
    "accept_tariff",
    "book_accepted_tariff",
    "Period",
    "Placement",
    "MonthBooking",
    "MonthDrafts",
    "book_month",
    "book_placements",
    "draft_month",
    "draft_placement",
    "draft_placement_by_seq",
    "record_placement",
    "recorded_placements",
    "budget_projection",
    "position_chart_svg",
    "quarter_page",
    "quarter_whatif",
    "monitoring",
    "rebook",
    "reconcile_file",
    "seal_quarter",
    "sealed",
    "settle_quarter",
    "whatif_quarter",
    "write_charts",
    "write_statements",
    "write_whatif",
]


def book_placements(store: Store, signer_for: SignerFor, placements: Sequence[Placement], *, until: date,
                    today: date | None = None, reason: str = "nieuwe beschikking") -> list[AppendResult]:
    """Book (or bring up to date) the monthly cost lines of each placement; idempotent."""
    out: list[AppendResult] = []
    for p in placements:
        out.extend(book_placement(store, signer_for, p, until=until, today=today, reason=reason))
    return out


def settle_quarter(store: Store, quarter: str, *, keys: Mapping[str, str] | None = None) -> Settlement:
    """Pair totals, net positions and pool shares of a quarter (a sealed quarter exactly as sealed)."""
    return settle(store, quarter, keys=keys)


def sealed(store: Store) -> dict[str, tuple[int, int]]:
    """quarter -> (through_seq, seal entry seq)."""
    return sealed_quarters(store)


def write_statements(store: Store, quarter: str, out_dir: Path, *, parties: Sequence[str] | None = None,
                     viewer: str | None = None):
    """Each municipality's XLSX, CSV and JSON statement; returns reports.statements.StatementsResult.
    `viewer`: the reader when it is not the municipality itself (ledger/confidential_locations.py)."""
    from ..reports.statements import write_statements as _write

    if parties is not None:
        parties = [statement_party(p) for p in parties]
    return _write(store, quarter, Path(out_dir), parties=parties, viewer=viewer)


def statement_party(party: str) -> str:
    """A municipality a statement or a reconciliation is for: a known party code (ledger.parties, the one
    check), and a municipality (regions, the operator and the committee have no statement)."""
    party = check_party_code(party)
    if party_class(party) != "municipality":
        raise LedgerError(PARTY_ROLE_INVALID, f"een overzicht is er alleen per gemeente; {party} is geen gemeente")
    return party


@dataclass(frozen=True)
class ChartFiles:
    net_positions: tuple[Path, Path]
    region_matrix: tuple[Path, Path]
    cost_trend: tuple[Path, Path]

    def all(self) -> list[Path]:
        return [*self.net_positions, *self.region_matrix, *self.cost_trend]


def write_charts(store: Store, quarter: str, out_dir: Path, *, trend_quarters: int = 4) -> ChartFiles:
    """PNG and SVG: net positions, the region flow matrix, and the cost trend over the last quarters."""
    from ..reports import charts

    s = settle(store, quarter)
    q = Quarter.parse(quarter)
    qs = [q]
    for _ in range(trend_quarters - 1):
        qs.insert(0, qs[0].prev())
    trend = [s if x == q else settle(store, x, sync=False) for x in qs]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return ChartFiles(charts.net_positions(s, out), charts.region_matrix(s, out),
                      charts.cost_trend(trend, out, f"kostentrend-{q.code}"))


def seal_quarter(store: Store, quarter: str, *, today: date) -> SealResult:
    """Close a quarter: the operator's signed settlement_seal (once; again returns the existing seal)."""
    return close_quarter(store, quarter, today=today)


def whatif_quarter(store: Store, quarter: str, *, keys: Mapping[str, str] | None = None,
                   reading: Mapping[int, str] | None = None) -> WhatIf:
    """Recompute under other verdeelsleutels / another reading, without booking; differences per party.
    A reading names its cost bearer: a known municipality (the one party check)."""
    if reading:
        reading = {seq: statement_party(bearer) for seq, bearer in reading.items()}
    return whatif(store, quarter, keys=keys, reading=reading)


def write_whatif(w: WhatIf, out_dir: Path) -> tuple[Path, Path]:
    from ..reports.whatif import write_whatif as _write

    return _write(w, Path(out_dir))


def reconcile_file(store: Store, quarter: str, party: str, theirs: Path, out_dir: Path):
    """Match a municipality's own file against the ledger; returns (Reconciliation, xlsx path, json path)."""
    from ..reports.reconcile import reconcile, write_reconciliation

    rec = reconcile(store, quarter, statement_party(party), Path(theirs))
    xl, js = write_reconciliation(rec, Path(out_dir))
    return rec, xl, js


def monitoring(store: Store, year: int, out_dir: Path):
    """The monitoring report per region for a year (XLSX + JSON); returns reports.monitoring.MonitoringResult."""
    from ..reports.monitoring import write_monitoring

    return write_monitoring(store, year, Path(out_dir))


def budget_projection(region: str, *, historical_budget_cents: int, objective_budget_cents: int, on: date,
                      out_dir: Path | None = None):
    """Budget projection along the region's ingroeipad (dated parameter); returns reports.projection.Projection."""
    from ..reports.projection import project, write_projection

    p = project(region, historical_budget_cents=historical_budget_cents,
                objective_budget_cents=objective_budget_cents, on=on)
    if out_dir is not None:
        write_projection(p, Path(out_dir))
    return p


def quarter_page(store: Store, quarter: str, party: str, *, viewer: str | None = None, trail_of=None):
    """One municipality's quarter for its page (ledger.settlement.quarter_view.QuarterView)."""
    from .quarter_view import quarter_view

    return quarter_view(store, quarter, party, viewer=viewer, trail_of=trail_of)


def quarter_whatif(store: Store, view, *, readings: Sequence[str], keys: Mapping[str, str]):
    """The what-if of readings and verdeelsleutels chosen from the view's options (None: nothing chosen)."""
    from .quarter_view import chosen_whatif

    return chosen_whatif(store, view, readings=list(readings), keys=keys)


def position_chart_svg(store: Store, quarter: str, party: str) -> bytes:
    """The party's position per counterparty and class, as SVG (reports.charts.party_positions_svg)."""
    from ..reports.charts import party_positions_svg

    return party_positions_svg(settle(store, quarter), party)
