"""Per-municipality settlement statements for a quarter: XLSX, CSV and JSON (Dutch labels).

Every line carries the ids (sequence numbers) of the ledger entries it sums: a detail line is one
entry (a cost line, or a reversal, which also names the line it reverses); a counterparty total and
a solidarity share list the ids of all entries they add up.
"""
from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rules import glossary
from rules.dates import dutch_date_short
from rules.glossary import party_name

from ..confidential_locations import MASK, confidentiality
from ..settlement import store as sstore
from ..settlement.catalogue import load_catalogue
from ..settlement.line_status import CLASS_ADJ_NL, deviating_lines, dispute_facts, line_reason, payloads_of
from ..settlement.quarters import Quarter
from ..settlement.settle import CLASSES, Settlement, settle
from ..store import Store
from .xlsx import Bold, Money, Workbook

#: a line's status and kind in words: the glossary (rules/data/glossary.toml [line_status], [line_kind])
STATUS_NL = glossary.section("line_status")
KIND_NL = glossary.section("line_kind")
DETAIL_HEADER = ["Regel-id", "Soort", "Richting", "Cliënt", "Periode van", "Periode tot", "Product", "Dagen",
                 "Tarief (€)", "Bedrag (€)", "Status", "Historisch budget", "Correctie", "Terugboeking van",
                 "Beschikking", "Locatie", "Waarom deze status", "Reden terugboeking", "Uitspraak (geschil)",
                 "Uitspraak (regel)"]
DETAIL_WIDTHS = [10, 22, 14, 22, 12, 12, 9, 7, 11, 14, 11, 10, 24, 10, 11, 24, 44, 30, 18, 10]
SUMMARY_HEADER = ["Tegenpartij", "Naam", "Te ontvangen definitief", "Te ontvangen voorlopig",
                  "Te ontvangen betwist", "Te betalen definitief", "Te betalen voorlopig", "Te betalen betwist",
                  "Saldo (excl. betwist)", "Saldo (incl. betwist)", "Aantal regels", "Regel-ids"]
CSV_HEADER = ["Kwartaal", "Gemeente", "Tegenpartij", "Naam tegenpartij"] + DETAIL_HEADER


def id_ranges(ids: Iterable[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9'."""
    out: list[str] = []
    s = sorted(set(ids))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[j] + 1:
            j += 1
        out.append(str(s[i]) if i == j else f"{s[i]}-{s[j]}")
        i = j + 1
    return ", ".join(out)


def _d(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(v)


# a detail line from one party's view:
# (seq, kind, client, counterparty, from, to, product, units, tariff, signed cents, class, historical,
#  corrects, reverses_seq, determination_seq, location, ids, why (Dutch), reversal reason,
#  decision (case id, decision entry seq) or None)
@dataclass
class PartyStatement:
    party: str
    lines: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))  # counterparty -> lines
    own: list[tuple] = field(default_factory=list)  # fronting == cost bearer


@dataclass(frozen=True)
class StatementFiles:
    party: str
    xlsx: Path
    csv: Path
    json: Path


@dataclass(frozen=True)
class StatementsResult:
    quarter: str
    directory: Path
    files: tuple[StatementFiles, ...]
    settlement: Settlement
    summary_json: Path
    lines: int


def collect(store: Store, s: Settlement, viewer: str | None = None) -> dict[str, PartyStatement]:
    """Every row of the settled quarter, sorted into each party's statement; a location of a
    SAFETY_CONFIDENTIAL client only in the statement of a party that needs it, and, when `viewer` (another
    reader, e.g. an auditor) is given, only if the viewer needs it too (ledger/confidential_locations.py)."""
    q = Quarter.parse(s.quarter)
    rows = sstore.raw_quarter_rows(store, q.code, s.through_seq, s.carried)
    out: dict[str, PartyStatement] = {}
    hist_ids: dict[tuple[str, str], list[int]] = defaultdict(list)
    conf = confidentiality(store, {r[2] for r in rows if r[18]})  # only lines that name a location
    facts = s.facts if s.facts is not None else dispute_facts(store, s.through_seq)
    # the few lines whose class needs their statement: a provisional line a decision may settle (a
    # deviating tariff stays provisional), and every reversal (its reason and the decision behind it)
    candidates = [(r[0], r[1], r[16]) for r in rows if r[11] == "provisional" and (
        (r[15] is not None and r[15] in facts.settled_determinations)
        or (r[15] is None and r[2] in facts.settled_clients))]
    deviating = deviating_lines(store, candidates)
    reversals = payloads_of(store, [r[0] for r in rows if r[1] == "reversal"])

    def st(p: str) -> PartyStatement:
        ps = out.get(p)
        if ps is None:
            ps = out[p] = PartyStatement(p)
        return ps

    for r in sorted(rows, key=lambda r: (r[2], str(r[5]), r[0])):
        seq, kind, client, fronting, bearer = r[0], r[1], r[2], r[3], r[4]
        det = r[15]
        klass, why = line_reason(r[11], det, client, r[5], r[6], facts, deviating=seq in deviating)
        rev = reversals.get(seq) or {}
        dec = rev.get("decision")
        decision = (facts.decisions.get(dec["seq"], ""), dec["seq"]) if dec else None
        hist = bool(r[12])
        if hist and klass != "disputed":
            hist_ids[(bearer, klass)].append(seq)
        base = (seq, kind, client)
        tail = (_d(r[5]), _d(r[6]), r[7], r[8], r[9])
        # the location only in the statement of a party that needs it (spec 8.7; the fronting party signed it)
        rest = {p: (klass, hist, r[14], r[16], det,
                    r[18] if not r[18] or conf.shows(p, client, author=fronting, viewer=viewer) else MASK, (seq,),
                    why, rev.get("reason") or "", decision)
                for p in (fronting, bearer)}
        if fronting == bearer:
            st(fronting).own.append(base + (fronting,) + tail + (r[10],) + rest[fronting])
            continue
        st(fronting).lines[bearer].append(base + (bearer,) + tail + (r[10],) + rest[fronting])
        st(bearer).lines[fronting].append(base + (fronting,) + tail + (-r[10],) + rest[bearer])
    for sh in s.pool_shares:
        if sh.member == sh.holder or not sh.share_cents:
            continue
        ids = tuple(sorted(hist_ids.get((sh.holder, sh.klass), ())))
        label = f"{sh.pool}; {glossary.label('verdeelsleutel', sh.key)}; gewicht {sh.weight}"
        for p, cp, cents in ((sh.holder, sh.member, sh.share_cents), (sh.member, sh.holder, -sh.share_cents)):
            why = f"{STATUS_NL[sh.klass]}: aandeel in de solidariteitspool van de {CLASS_ADJ_NL[sh.klass]} kosten"
            st(p).lines[cp].append((ids[0] if ids else 0, "pool", "", cp, q.start, q.end, "", 0, 0, cents,
                                    sh.klass, True, label, None, None, "", ids, why, "", None))
    for p in {f.creditor for f in s.flows} | {f.debtor for f in s.flows}:
        st(p)
    return out


def _summary(s: Settlement, ps: PartyStatement) -> list[dict[str, Any]]:
    rows = []
    for cp in sorted(ps.lines):
        rec = dict.fromkeys(CLASSES, 0)
        pay = dict.fromkeys(CLASSES, 0)
        ids: set[int] = set()
        for ln in ps.lines[cp]:
            ids.update(ln[16])
        for f in s.flows:
            if f.creditor == ps.party and f.debtor == cp:
                for k, v in zip(CLASSES, (f.definitive_cents, f.provisional_cents, f.disputed_cents)):
                    rec[k] += v
            elif f.debtor == ps.party and f.creditor == cp:
                for k, v in zip(CLASSES, (f.definitive_cents, f.provisional_cents, f.disputed_cents)):
                    pay[k] += v
        net_pay = rec["definitive"] + rec["provisional"] - pay["definitive"] - pay["provisional"]
        rows.append({"party": cp, "name": party_name(cp), "receivable": rec, "payable": pay,
                     "net_payable_cents": net_pay, "net_cents": sum(rec.values()) - sum(pay.values()),
                     "lines": len(ps.lines[cp]), "entry_ids": sorted(ids)})
    return rows


def _header(s: Settlement, party: str) -> list[list[Any]]:
    q = Quarter.parse(s.quarter)
    status = (f"verzegeld (zegel regel {s.seal_seq}, t/m regel {s.through_seq})" if s.sealed
              else "open (nog niet verzegeld)")
    return [[Bold(f"Verrekening beschermd wonen {q.label}")],
            ["Gemeente", f"{party_name(party)} ({party})"],
            ["Periode", q.start, q.end],
            ["Status", status],
            ["Controlegetal", s.digest],
            []]


def xlsx_sheets(s: Settlement, ps: PartyStatement, summary: list[dict[str, Any]] | None = None
                ) -> Iterator[tuple[str, list[int], Iterator[list[Any]]]]:
    """The statement workbook as (sheet title, column widths, rows): a summary plus one sheet per counterparty."""
    q = Quarter.parse(s.quarter)
    summary = _summary(s, ps) if summary is None else summary
    pos = s.position(ps.party)

    def first() -> Iterator[list[Any]]:
        yield from _header(s, ps.party)
        yield [Bold(h) for h in SUMMARY_HEADER]
        for c in summary:
            yield ([c["party"], c["name"]] + [Money(c["receivable"][k]) for k in CLASSES]
                   + [Money(c["payable"][k]) for k in CLASSES]
                   + [Money(c["net_payable_cents"]), Money(c["net_cents"]), c["lines"], id_ranges(c["entry_ids"])])
        yield ([Bold("Totaal"), ""] + [Money(pos.receivable[k]) for k in CLASSES]
               + [Money(pos.payable[k]) for k in CLASSES]
               + [Money(pos.net_payable_cents), Money(pos.net_cents), sum(c["lines"] for c in summary),
                  id_ranges(i for c in summary for i in c["entry_ids"])])
        yield []
        yield ["Eigen kosten (uitvoerder is kostendrager)", "", Money(sum(ln[9] for ln in ps.own)), "", "", "", "",
               "", "", "", len(ps.own), id_ranges(ln[0] for ln in ps.own)]
        yield ["Positief saldo: te ontvangen; negatief saldo: te betalen. Betwiste bedragen worden niet betaald "
               "zolang het geschil loopt."]

    def detail(cp: str) -> Iterator[list[Any]]:
        yield [Bold(f"{party_name(ps.party)} met {party_name(cp)} ({cp}), {q.label}")]
        yield [Bold(h) for h in DETAIL_HEADER]
        total = 0
        for ln in ps.lines[cp]:
            total += ln[9]
            yield _xlsx_line(ln)
        yield [Bold("Totaal"), "", "", "", "", "", "", "", "", Money(total)]

    def own() -> Iterator[list[Any]]:
        yield [Bold(h) for h in DETAIL_HEADER]
        for ln in ps.own:
            yield _xlsx_line(ln)

    yield "Samenvatting", [14, 26] + [16] * 8 + [10, 40], first()
    for cp in sorted(ps.lines):
        yield f"{cp} {party_name(cp)}", DETAIL_WIDTHS, detail(cp)
    if ps.own:
        yield "Eigen kosten", DETAIL_WIDTHS, own()


def write_party(s: Settlement, ps: PartyStatement, directory: Path) -> StatementFiles:
    q = Quarter.parse(s.quarter)
    stem = directory / f"verrekening-{q.code}-{ps.party.replace(':', '_')}"
    summary = _summary(s, ps)
    pos = s.position(ps.party)
    own_total = sum(ln[9] for ln in ps.own)
    # XLSX
    xlsx = stem.with_suffix(".xlsx")
    with Workbook(xlsx) as wb:
        for title, widths, rows in xlsx_sheets(s, ps, summary):
            ws = wb.sheet(title, widths)
            for r in rows:
                ws.row(r)
    # CSV
    path_csv = stem.with_suffix(".csv")
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    code, name = ps.party, party_name(ps.party)
    for cp in sorted(ps.lines):
        cpn = party_name(cp)
        for ln in ps.lines[cp]:
            w.writerow([q.label, code, cp, cpn] + _text_line(ln))
    for ln in ps.own:
        w.writerow([q.label, code, code, name] + _text_line(ln))
    path_csv.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))
    # JSON
    path_json = stem.with_suffix(".json")
    doc = {"format": "bwledger-statement/1", "quarter": q.code, "party": ps.party, "party_name": name,
           "sealed": s.sealed, "seal_seq": s.seal_seq, "through_seq": s.through_seq, "settlement_digest": s.digest,
           "position": {"receivable": pos.receivable, "payable": pos.payable, "net_cents": pos.net_cents,
                        "net_payable_cents": pos.net_payable_cents},
           "counterparties": summary,
           "own_costs": {"amount_cents": own_total, "entry_ids": sorted(ln[0] for ln in ps.own)},
           "lines": [_json_line(cp, ln) for cp in sorted(ps.lines) for ln in ps.lines[cp]]
           + [_json_line(ps.party, ln) for ln in ps.own]}
    path_json.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n",
                         encoding="utf-8")
    return StatementFiles(ps.party, xlsx, path_csv, path_json)


def _direction(ln: tuple) -> str:
    return "te ontvangen" if ln[9] >= 0 else "te betalen"


def _xlsx_line(ln: tuple) -> list[Any]:
    return [ln[0] if ln[1] != "pool" else id_ranges(ln[16]), KIND_NL[ln[1]], _direction(ln), ln[2], ln[4], ln[5],
            ln[6], ln[7] or None, Money(ln[8]) if ln[8] else None, Money(ln[9]), STATUS_NL[ln[10]],
            "ja" if ln[11] else "nee", ln[12], ln[13], ln[14], ln[15], ln[17], ln[18] or None,
            ln[19][0] if ln[19] else None, ln[19][1] if ln[19] else None]


def _comma(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    a = abs(cents)
    return f"{sign}{a // 100},{a % 100:02d}"


def _text_line(ln: tuple) -> list[Any]:
    return [ln[0] if ln[1] != "pool" else id_ranges(ln[16]), KIND_NL[ln[1]], _direction(ln), ln[2],
            dutch_date_short(ln[4]), dutch_date_short(ln[5]), ln[6], ln[7] or "", _comma(ln[8]) if ln[8] else "", _comma(ln[9]),
            STATUS_NL[ln[10]], "ja" if ln[11] else "nee", ln[12] or "", ln[13] if ln[13] is not None else "",
            ln[14] if ln[14] is not None else "", ln[15] or "", ln[17], ln[18] or "",
            ln[19][0] if ln[19] else "", ln[19][1] if ln[19] else ""]


def _json_line(cp: str, ln: tuple) -> dict[str, Any]:
    return {"entry_ids": list(ln[16]), "kind": ln[1], "client": ln[2] or None, "counterparty": cp,
            "period_from": ln[4].isoformat(), "period_to": ln[5].isoformat(), "product": ln[6] or None,
            "units": ln[7], "tariff_cents": ln[8], "amount_cents": ln[9], "status": ln[10], "historical_budget": ln[11],
            "corrects_period": ln[12], "reverses": ln[13], "determination": ln[14], "location": ln[15] or None,
            "status_reason": ln[17], "reversal_reason": ln[18] or None,
            "decision": {"case_id": ln[19][0], "seq": ln[19][1]} if ln[19] else None}


def write_statements(store: Store, quarter: str | Quarter, out_dir: Path, *, parties: Sequence[str] | None = None,
                     settlement: Settlement | None = None, viewer: str | None = None) -> StatementsResult:
    """Settle the quarter and write every (or the given) municipality's XLSX, CSV and JSON statement (as
    `viewer` may read them: `collect`)."""
    s = settlement or settle(store, quarter)
    q = Quarter.parse(s.quarter)
    directory = Path(out_dir) / f"verrekening-{q.code}"
    directory.mkdir(parents=True, exist_ok=True)
    per = collect(store, s, viewer)
    wanted = sorted(per) if parties is None else [p for p in parties]
    files = tuple(write_party(s, per.get(p) or PartyStatement(p), directory) for p in wanted)
    summary = directory / f"verrekening-{q.code}.json"
    summary.write_text(json.dumps(dict(s.to_dict(), format="bwledger-settlement/1", digest=s.digest,
                                       names={p: party_name(p) for p in sorted(per)}),
                                  ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    n = sum(len(v) for ps in per.values() for v in ps.lines.values()) + sum(len(ps.own) for ps in per.values())
    return StatementsResult(q.code, directory, files, s, summary, n)


__all__ = ["StatementFiles", "StatementsResult", "collect", "id_ranges", "load_catalogue", "write_statements"]
