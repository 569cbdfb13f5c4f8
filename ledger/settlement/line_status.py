"""The status class of a settlement line, and why: definitive, provisional or disputed (one place).

A line (a cost line, or a reversal: the negative of the line it reverses) is
- *disputed* while the latest dispute_event of its determination (or, for a line without one, of its
  client) is in an open status (OPEN_DISPUTE);
- *definitive* when a binding decision in force (a committee's bindend advies, or a court's ruling
  replacing it) of a case that is no longer open covers the line's whole period, for the line's
  determination (or, without one, its client): the decision settles it, whatever was booked before;
  a line with a deviating tariff the cost bearer has not accepted stays provisional (the decision is
  about the cost bearer, not the tariff);
- otherwise as booked: *provisional* (a flagged determination, a deviating tariff) or *definitive*.

`dispute_facts` folds the dispute_events (up to a sealed quarter's `through_seq`, so a sealed quarter
never changes); `line_class` and `line_reason` are pure. The settlement (settle.py), the statements
(reports/statements.py) and the what-if use these, so a line reads the same everywhere.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rules import glossary

from ..store import Store
from . import store as sstore

OPEN_DISPUTE = frozenset({"OBJECTED", "NO_RESPONSE", "CONSULTATION", "ESCALATED", "FILED", "ADMISSIBILITY",
                          "EXCHANGE", "HEARING", "DECIDED", "COURT_REVIEW", "ANNULLED"})
#: the natures of a decision that bind the parties (an "advice" does not)
BINDING = frozenset({"binding_advice", "court_ruling"})
#: the Dutch words, from the one glossary (rules/data/glossary.toml)
NATURE_NL = glossary.section("decision_nature")
CLASS_NL = glossary.section("line_status")
#: the inflected form before a noun: "definitieve regels", "voorlopige kosten"
CLASS_ADJ_NL = glossary.section("line_status_adjective")


def _day(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(v)


@dataclass(frozen=True)
class Settled:
    """A binding decision in force of a case that is no longer open."""

    case_id: str
    status: str
    decision_seq: int
    nature: str
    decided_on: str
    periods: tuple[tuple[date, date, str], ...]  # (from, to inclusive, cost bearer)

    def covers(self, start: date, stop: date) -> bool:
        return any(a <= start and stop <= b for a, b, _c in self.periods)


@dataclass(frozen=True)
class OpenCase:
    case_id: str
    status: str


@dataclass(frozen=True)
class DisputeFacts:
    """What the dispute_events say about the lines, as of `through_seq` (None: all)."""

    open_determinations: dict[int, OpenCase] = field(default_factory=dict)
    open_clients: dict[str, OpenCase] = field(default_factory=dict)
    settled_determinations: dict[int, Settled] = field(default_factory=dict)
    settled_clients: dict[str, Settled] = field(default_factory=dict)
    #: decision entry seq -> case id (a reversal or line names the decision that ordered it)
    decisions: dict[int, str] = field(default_factory=dict)

    def open_case(self, det: int | None, client: str | None) -> OpenCase | None:
        if det is not None:
            return self.open_determinations.get(det)
        return self.open_clients.get(client or "")

    def settled_by(self, det: int | None, client: str | None, start: date, stop: date) -> Settled | None:
        s = self.settled_determinations.get(det) if det is not None else self.settled_clients.get(client or "")
        return s if s is not None and s.covers(_day(start), _day(stop)) else None


def dispute_facts(store: Store, through_seq: int | None = None, conn=None) -> DisputeFacts:
    """Fold every dispute_event (up to through_seq): the open cases and the binding decisions in force."""
    latest: dict[str, tuple[str, int | None, str | None]] = {}
    decision: dict[str, tuple[int, dict]] = {}
    decisions: dict[int, str] = {}
    for seq, _a, client, p, _at in sstore.entries_of_kind(store, ["dispute_event"], through_seq, conn=conn):
        subject = p.get("determination") or {}
        prev = latest.get(p["dispute_id"])
        det = subject.get("seq") if subject else (prev[1] if prev else None)
        latest[p["dispute_id"]] = (p["status"], det, client)
        if p.get("decision"):
            decision[p["dispute_id"]] = (seq, p["decision"])
            decisions[seq] = p["dispute_id"]
    open_dets: dict[int, OpenCase] = {}
    open_clients: dict[str, OpenCase] = {}
    settled_dets: dict[int, Settled] = {}
    settled_clients: dict[str, Settled] = {}
    for case_id, (status, det, client) in latest.items():
        if status in OPEN_DISPUTE:
            if det is not None:
                open_dets.setdefault(det, OpenCase(case_id, status))
            if client:
                open_clients.setdefault(client, OpenCase(case_id, status))
            continue
        if case_id not in decision:
            continue
        seq, dec = decision[case_id]
        if dec.get("nature") not in BINDING:
            continue
        settled = Settled(case_id, status, seq, dec["nature"], str(dec.get("decided_on", "")),
                          tuple((_day(x["period_from"]), _day(x["period_to"]), x["cost_bearer"])
                                for x in dec.get("cost_bearers", ())))
        if det is not None:
            settled_dets[det] = settled
        if client:
            settled_clients[client] = settled
    return DisputeFacts(open_dets, open_clients, settled_dets, settled_clients, decisions)


def line_class(status: str, det: int | None, client: str | None, period_from, period_to, facts: DisputeFacts,
               *, deviating: bool = False) -> str:
    """"definitive" | "provisional" | "disputed" of one line (see the module's docstring)."""
    if facts.open_case(det, client) is not None:
        return "disputed"
    if status == "provisional" and not deviating and facts.settled_by(det, client, period_from, period_to):
        return "definitive"
    return "provisional" if status == "provisional" else "definitive"


def line_reason(status: str, det: int | None, client: str | None, period_from, period_to, facts: DisputeFacts,
                *, deviating: bool = False) -> tuple[str, str]:
    """(class, why in Dutch) of one line: the same class as line_class, with the reason a person reads."""
    klass = line_class(status, det, client, period_from, period_to, facts, deviating=deviating)
    if klass == "disputed":
        c = facts.open_case(det, client)
        return klass, f"betwist: geschil {c.case_id} loopt nog"
    if klass == "definitive" and status == "provisional":
        s = facts.settled_by(det, client, period_from, period_to)
        return klass, f"definitief: {NATURE_NL.get(s.nature, s.nature)} in geschil {s.case_id}"
    if klass == "provisional":
        if deviating:
            return klass, "voorlopig: afwijkend tarief, nog niet aanvaard door de kostendrager"
        return klass, "voorlopig: de beoordeling heeft een open signalering"
    s = facts.settled_by(det, client, period_from, period_to)
    if s is not None:
        return klass, f"definitief: {NATURE_NL.get(s.nature, s.nature)} in geschil {s.case_id}"
    return klass, "definitief: beoordeling zonder open signalering"


def deviating_lines(store: Store, rows: Iterable[tuple[int, str, int | None]], conn=None) -> set[int]:
    """Of (seq, kind, reverses_seq) rows, the seqs whose cost line (for a reversal: the reversed line)
    carries `tariff_deviation`. Reads the few statements asked for, not the quarter."""
    rows = list(rows)
    want = sorted({(r[2] if r[1] == "reversal" else r[0]) for r in rows if r[0] is not None} - {None})
    payloads = payloads_of(store, want, conn)
    hit = {s for s, p in payloads.items() if p.get("tariff_deviation")}
    return {r[0] for r in rows if (r[2] if r[1] == "reversal" else r[0]) in hit}


def settle_groups(store: Store, groups: list[tuple], facts: DisputeFacts, in_scope, conn=None) -> list[tuple]:
    """Move the provisional lines a binding decision settles (line_class) from their provisional group
    to the definitive one. `groups`: (fronting, bearer, status, historical, disputed, cents, n) as
    store.group_totals gives them; `in_scope(booking_quarter, seq)`: the quarter's rows."""
    if not facts.settled_determinations and not facts.settled_clients:
        return groups
    rows = [r for r in sstore.lines_of(store, sorted(facts.settled_determinations), sorted(facts.settled_clients),
                                       conn)
            if r[2] == "provisional" and in_scope(r[5], r[6])]
    deviating = deviating_lines(store, [(r[6], r[11], r[12]) for r in rows], conn)
    acc: dict[tuple, list[int]] = {}
    for g in groups:
        a = acc.setdefault(tuple(g[:5]), [0, 0])
        a[0] += g[5]
        a[1] += g[6]
    for r in rows:
        if line_class(r[2], r[7], r[8], r[9], r[10], facts, deviating=r[6] in deviating) != "definitive":
            continue
        k = (r[0], r[1], "provisional", bool(r[3]), False)
        acc.setdefault(k, [0, 0])
        acc[k][0] -= int(r[4])
        acc[k][1] -= 1
        d = acc.setdefault((r[0], r[1], "definitive", bool(r[3]), False), [0, 0])
        d[0] += int(r[4])
        d[1] += 1
    return [(*k, v[0], v[1]) for k, v in acc.items() if v[1] or v[0]]


def payloads_of(store: Store, seqs: Sequence[int], conn=None) -> dict[int, dict[str, Any]]:
    """seq -> payload of these entries (in chunks)."""
    import json

    out: dict[int, dict[str, Any]] = {}
    seqs = sorted(set(seqs))
    ph = "?" if store.dialect == "sqlite" else "%s"
    with sstore._conn(store, conn) as c:
        for i in range(0, len(seqs), 500):
            part = seqs[i:i + 500]
            sql = f"SELECT seq, statement FROM ledger_entries WHERE seq IN ({', '.join([ph] * len(part))})"
            for seq, raw in c.exec_driver_sql(sql, tuple(part)):
                out[seq] = json.loads(bytes(raw))["payload"]
    return out


__all__ = [
    "BINDING",
    "CLASS_ADJ_NL",
    "CLASS_NL",
    "NATURE_NL",
    "OPEN_DISPUTE",
    "DisputeFacts",
    "OpenCase",
    "Settled",
    "deviating_lines",
    "dispute_facts",
    "line_class",
    "line_reason",
    "payloads_of",
    "settle_groups",
]
