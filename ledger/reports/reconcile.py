"""Reconciliation: a municipality's own records (XLSX or CSV) against its ledger statement.

Robust to the usual human errors: columns in another order or swapped, headers in other words or
missing, euro signs, thousands separators (Dutch or English), amounts in parentheses, text in number
cells, missing and duplicated rows, empty lines. Every input row gets an outcome and a reason; nothing
is dropped. Outcomes: matched, amount_differs, only_ledger, only_theirs, unreadable, duplicate,
total_row (a totals row in their file, shown but not counted).
Matching: on the entry id (Regel-id) when their file has one, else on (client, period from, period to).
"""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from rules import glossary

from ..errors import LedgerError
from ..settlement.quarters import Quarter
from ..settlement.settle import settle
from ..store import Store
from . import write_json
from .statements import collect
from .xlsx import Bold, Money, Workbook

FILE_UNREADABLE = "RECONCILE_FILE_UNREADABLE"
#: how a line compares; each in Dutch from the glossary (rules/data/glossary.toml [reconcile_outcome])
OUTCOMES = ("matched", "amount_differs", "only_ledger", "only_theirs", "unreadable", "duplicate", "total_row")
OUTCOME_NL = {k: glossary.label("reconcile_outcome", k) for k in OUTCOMES}

_ALIASES = {
    "id": ("regel-id", "regelid", "regel id", "regel", "entry", "entry id", "entry_id", "entry_ids", "id", "seq",
           "volgnummer", "boekingsnummer", "kenmerk"),
    "client": ("cliënt", "client", "clientnummer", "cliëntnummer", "pseudoniem", "pseudonym", "klant", "persoon"),
    "from": ("periode van", "van", "begindatum", "startdatum", "period_from", "periode begin", "datum van", "vanaf"),
    "to": ("periode tot", "tot", "t/m", "einddatum", "period_to", "periode eind", "datum tot", "tot en met"),
    "amount": ("bedrag (€)", "bedrag", "amount", "amount_cents", "bedrag euro", "totaal", "kosten", "waarde", "euro"),
    "counterparty": ("tegenpartij", "gemeente tegenpartij", "counterparty", "kostendrager", "uitvoerder"),
    "product": ("product", "productcode"),
}


@dataclass
class TheirRow:
    row: int  # 1-based row in their file
    id: int | None
    client: str | None
    period_from: date | None
    period_to: date | None
    amount_cents: int | None
    raw: dict[str, str]
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    outcome: str
    reason: str
    entry_ids: tuple[int, ...]
    their_row: int | None
    client: str | None
    period_from: str | None
    period_to: str | None
    ledger_cents: int | None
    their_cents: int | None
    their_values: dict[str, str]

    @property
    def difference_cents(self) -> int | None:
        if self.ledger_cents is None or self.their_cents is None:
            return None
        return self.their_cents - self.ledger_cents


@dataclass(frozen=True)
class Reconciliation:
    quarter: str
    party: str
    source: str
    outcomes: tuple[Outcome, ...]
    notes: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(OUTCOME_NL, 0)
        for o in self.outcomes:
            out[o.outcome] += 1
        return out

    def totals(self) -> dict[str, int]:
        ledger = sum(o.ledger_cents or 0 for o in self.outcomes)
        theirs = sum(o.their_cents or 0 for o in self.outcomes if o.outcome not in ("duplicate", "total_row"))
        return {"ledger_cents": ledger, "theirs_cents": theirs, "difference_cents": theirs - ledger}

    def to_dict(self) -> dict[str, Any]:
        return {"format": "bwledger-reconciliation/1", "quarter": self.quarter, "party": self.party,
                "source": self.source, "counts": self.counts(), "totals": self.totals(), "notes": list(self.notes),
                "lines": [dict(asdict(o), entry_ids=list(o.entry_ids), difference_cents=o.difference_cents)
                          for o in self.outcomes]}


# ---------------------------------------------------------------------------------------------
# parsing their values
# ---------------------------------------------------------------------------------------------
_NUM = re.compile(r"^\d[\d.,]*$")


def parse_amount(value: Any) -> int | None:
    """Cents from '€ 1.234,56', '1,234.56', '-12,5', '(12,00)', '12,-', 1234.56 ...; None when not a number.

    The separator that comes last is the decimal one when both occur; a single separator followed by
    exactly three digits ('1.234', '12,345') is a thousands separator; more than two decimals round
    half up to cents.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return int((Decimal(repr(value)) * 100).quantize(Decimal(1), ROUND_HALF_UP))
    s = str(value).strip().replace("\u00a0", " ")
    neg = False
    if s.startswith("(") and s.endswith(")"):
        neg, s = True, s[1:-1]
    s = re.sub(r"(?i)eur(o)?|€|\s|'", "", s)
    if s.endswith(",-") or s.endswith(".-"):
        s = s[:-2]
    if s.endswith("-"):
        neg, s = not neg, s[:-1]
    if s.startswith("-"):
        neg, s = not neg, s[1:]
    elif s.startswith("+"):
        s = s[1:]
    if not s or not _NUM.match(s) or s[-1] in ".,":
        return None
    dot, comma = s.rfind("."), s.rfind(",")
    if dot >= 0 and comma >= 0:
        dec, thou = (",", ".") if comma > dot else (".", ",")
        if s.count(dec) > 1:
            return None
        s = s.replace(thou, "").replace(dec, ".")
    elif dot >= 0 or comma >= 0:
        sep = "." if dot >= 0 else ","
        parts = s.split(sep)
        if len(parts) > 2 or (len(parts[-1]) == 3 and 1 <= len(parts[0]) <= 3):
            if any(len(x) != 3 for x in parts[1:]):
                return None
            s = "".join(parts)
        else:
            s = parts[0] + "." + parts[1]
    cents = int((Decimal(s) * 100).quantize(Decimal(1), ROUND_HALF_UP))
    return -cents if neg else cents


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if value is None:
        return None
    s = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return None


def parse_id(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    s = str(value).strip()
    return int(s) if s.isascii() and s.isdigit() else None  # isdigit alone takes "²", which int() refuses


_CLIENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{5,63}$")


def _kind_of(value: Any) -> str:
    if value is None or str(value).strip() == "":
        return "empty"
    if parse_date(value) is not None:
        return "date"
    if parse_id(value) is not None:
        return "id"
    if parse_amount(value) is not None:
        return "amount"
    if isinstance(value, str) and _CLIENT.match(value.strip()) and any(c.isalpha() for c in value) \
            and any(c.isdigit() for c in value):
        return "client"
    return "text"


# ---------------------------------------------------------------------------------------------
# reading their file
# ---------------------------------------------------------------------------------------------
def _read_table(path: Path) -> list[list[Any]]:
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt", ".tsv"):
        raise LedgerError(FILE_UNREADABLE, f"{path.name}: expected an .xlsx or .csv file (save .xls or .ods as .xlsx)")
    try:
        if suffix in (".xlsx", ".xlsm"):
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                best: list[list[Any]] = []
                for ws in wb.worksheets:  # the sheet with the most rows holding an amount
                    rows = [list(r) for r in ws.iter_rows(values_only=True)]
                    if sum(1 for r in rows if any(_kind_of(v) == "amount" for v in r)) > \
                            sum(1 for r in best if any(_kind_of(v) == "amount" for v in r)):
                        best = rows
                return best
            finally:
                wb.close()
        data = path.read_bytes()
    except (OSError, ValueError, KeyError) as exc:
        raise LedgerError(FILE_UNREADABLE, f"cannot read {path.name}: {exc}") from None
    except Exception as exc:  # openpyxl raises many types on a broken file; the user gets a clear error
        raise LedgerError(FILE_UNREADABLE, f"cannot read {path.name} as a spreadsheet: {type(exc).__name__}") from None
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    lines = text.splitlines()
    sample = "\n".join(lines[:20])
    counts = {d: sample.count(d) for d in (";", "\t", ",", "|")}
    delim = max(counts, key=lambda d: (counts[d], d == ";"))
    if counts[delim] == 0:
        delim = ";"
    return [row for row in csv.reader(io.StringIO(text), delimiter=delim)]


def _norm(h: Any) -> str:
    return re.sub(r"\s+", " ", str(h or "").strip().lower().replace("_", " ")).replace("client", "client")


def _header_map(row: list[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, h in enumerate(row):
        n = _norm(h)
        if not n:
            continue
        for field_, names in _ALIASES.items():
            if field_ in out:
                continue
            if n in (_norm(x) for x in names) or (field_ == "amount" and n.startswith("bedrag")):
                out[field_] = i
                break
    return out


def read_theirs(path: Path) -> tuple[list[TheirRow], list[str]]:
    """Their rows (every non-empty row after the header), and notes about how the file was read."""
    table = _read_table(Path(path))
    notes: list[str] = []
    header_idx, mapping = None, {}
    for i, row in enumerate(table[:30]):
        m = _header_map(row)
        if "amount" in m and len(m) >= 2 and len(m) > len(mapping):
            header_idx, mapping = i, m
    if header_idx is None:
        notes.append("geen kopregel herkend: kolommen bepaald op inhoud")
        start = 0
    else:
        start = header_idx + 1
        notes.append("kolommen: " + ", ".join(f"{k}={_col_name(table[header_idx], v)}"
                                              for k, v in sorted(mapping.items(), key=lambda kv: kv[1])))
    out: list[TheirRow] = []
    for n, row in enumerate(table[start:], start + 1):
        if not any(str(v).strip() for v in row if v is not None):
            continue
        raw = {(_col_name(table[header_idx], i) if header_idx is not None else f"kolom {i + 1}"): _show(v)
               for i, v in enumerate(row) if v is not None and str(v).strip() != ""}
        if _is_total_row(row):
            out.append(TheirRow(n, None, None, None, None, None, raw, ["totaalregel overgeslagen"]))
            continue
        out.append(_their_row(n, row, mapping, raw))
    return out, notes


def _is_total_row(row: list[Any]) -> bool:
    first = [str(v).strip().lower() for v in row if v is not None and str(v).strip()]
    return bool(first) and first[0] in ("totaal", "total", "som", "subtotaal")


def _col_name(header: list[Any], i: int) -> str:
    h = header[i] if i < len(header) else None
    return str(h).strip() if h not in (None, "") else f"kolom {i + 1}"


def _show(v: Any) -> str:
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _their_row(n: int, row: list[Any], mapping: dict[str, int], raw: dict[str, str]) -> TheirRow:
    def get(field_: str) -> Any:
        i = mapping.get(field_)
        return row[i] if i is not None and i < len(row) else None

    problems: list[str] = []
    used: set[int] = set(mapping.values())
    kinds = [_kind_of(v) for v in row]
    rid = parse_id(get("id")) if "id" in mapping else None
    client = str(get("client")).strip() if get("client") not in (None, "") else None
    dfrom, dto = parse_date(get("from")), parse_date(get("to"))
    amount = parse_amount(get("amount"))
    # swapped or shifted columns: take a value of the right kind from elsewhere in the row
    if "amount" in mapping and amount is None and get("amount") not in (None, ""):
        if _kind_of(get("amount")) in ("date", "client"):
            problems.append(f"kolom bedrag bevat {_show(get('amount'))!r}: kolommen verwisseld?")
        else:
            problems.append(f"bedrag onleesbaar: {_show(get('amount'))!r}")
    if amount is None and not any("onleesbaar" in p for p in problems):
        # an amount elsewhere: in a column without a header role, or under a header whose role does not fit
        fits = {i for f, i in mapping.items() if f in ("id",) and kinds[i] == "id"} | \
               {i for f, i in mapping.items() if f in ("from", "to") and kinds[i] == "date"}
        cands = [i for i, k in enumerate(kinds) if k == "amount" and i not in fits and i != mapping.get("amount")]
        if len(cands) == 1:
            amount = parse_amount(row[cands[0]])
            problems = [p for p in problems if "verwisseld" not in p]
            problems.append(f"bedrag gevonden in kolom {cands[0] + 1}")
    if client is not None and _kind_of(client) in ("date", "amount"):
        swapped = client
        cands = [i for i, k in enumerate(kinds) if k == "client"]
        client = str(row[cands[0]]).strip() if cands else None
        problems.append(f"kolom cliënt bevat {swapped!r}: kolommen verwisseld?")
    if client is None:
        cands = [i for i, k in enumerate(kinds) if k == "client" and i not in used]
        if len(cands) == 1:
            client = str(row[cands[0]]).strip()
    if dfrom is None or dto is None:
        dates = [parse_date(row[i]) for i, k in enumerate(kinds) if k == "date"]
        if len(dates) >= 2 and (dfrom is None and dto is None):
            dfrom, dto = min(dates[:2]), max(dates[:2])
    if dfrom and dto and dto < dfrom:
        dfrom, dto = dto, dfrom
        problems.append("periode van en tot verwisseld")
    if rid is None and "id" in mapping and get("id") not in (None, ""):
        txt = str(get("id"))
        m = re.match(r"^\s*(\d+)\s*$", txt.split(",")[0]) if "," in txt else None
        if m:
            rid = int(m.group(1))
    return TheirRow(n, rid, client, dfrom, dto, amount, raw, problems)


# ---------------------------------------------------------------------------------------------
# matching
# ---------------------------------------------------------------------------------------------
def reconcile(store: Store, quarter: str | Quarter, party: str, theirs: Path) -> Reconciliation:
    """Match `party`'s own file against its statement for the quarter."""
    s = settle(store, quarter)
    per = collect(store, s)
    ps = per.get(party)
    ledger_lines = []
    if ps is not None:
        for cp in sorted(ps.lines):
            ledger_lines.extend(ps.lines[cp])
        ledger_lines.extend(ps.own)
    rows, notes = read_theirs(Path(theirs))
    by_id: dict[int, tuple] = {}
    by_key: dict[tuple, list[tuple]] = defaultdict(list)
    for ln in ledger_lines:
        if ln[1] != "pool":
            by_id[ln[0]] = ln
        by_key[(ln[2], ln[4], ln[5])].append(ln)
    # sign convention of their file: many administrations book what they pay as a positive amount
    same = flipped = 0
    for r in rows:
        if r.amount_cents is None or r.amount_cents == 0:
            continue
        cands = ([by_id[r.id]] if r.id in by_id else []) + by_key.get((r.client, r.period_from, r.period_to), [])
        same += any(x[9] == r.amount_cents for x in cands)
        flipped += any(x[9] == -r.amount_cents for x in cands)
    if flipped > same:
        notes = [*notes, "uw bestand telt te betalen bedragen positief: alle tekens omgedraaid"]
        for r in rows:
            if r.amount_cents is not None:
                r.amount_cents = -r.amount_cents
    used: set[int] = set()
    seen_rows: dict[tuple, int] = {}
    outcomes: list[Outcome] = []
    for r in rows:
        raw = r.raw
        if r.problems and r.problems[0] == "totaalregel overgeslagen":
            outcomes.append(Outcome("total_row", "totaalregel in uw bestand, niet meegeteld", (), r.row, None,
                                    None, None, None, None, raw))
            continue
        note = ("; ".join(r.problems) + "; ") if r.problems else ""
        sig = (r.id, r.client, r.period_from, r.period_to, r.amount_cents)
        if sig in seen_rows and any(v is not None for v in sig):
            outcomes.append(Outcome("duplicate", f"{note}zelfde regel als rij {seen_rows[sig]} van uw bestand",
                                    (), r.row, r.client, _iso(r.period_from), _iso(r.period_to), None,
                                    r.amount_cents, raw))
            continue
        seen_rows[sig] = r.row
        ln = None
        if r.id is not None and r.id in by_id and r.id not in used:
            ln = by_id[r.id]
            how = f"regel-id {r.id}"
        elif r.client and r.period_from and r.period_to:
            cands = [x for x in by_key.get((r.client, r.period_from, r.period_to), []) if x[0] not in used]
            exact = [x for x in cands if x[9] == r.amount_cents or -x[9] == r.amount_cents]
            pick = exact or cands
            if pick:
                ln = pick[0]
                how = "cliënt en periode"
        if ln is None:
            if r.amount_cents is None:
                outcomes.append(Outcome("unreadable", f"{note}geen bedrag en geen passende grootboekregel", (), r.row,
                                        r.client, _iso(r.period_from), _iso(r.period_to), None, None, raw))
            else:
                why = (f"regel-id {r.id} staat niet in de verrekening van dit kwartaal" if r.id is not None
                       else "geen ledgerregel met deze cliënt en periode")
                outcomes.append(Outcome("only_theirs", note + why, (), r.row, r.client, _iso(r.period_from),
                                        _iso(r.period_to), None, r.amount_cents, raw))
            continue
        used.add(ln[0])
        ids = tuple(ln[16])
        theirs_c = r.amount_cents
        if theirs_c is not None and theirs_c == -ln[9] and theirs_c != ln[9]:
            theirs_c = ln[9]
            note += "teken omgekeerd (uw bestand telt te betalen positief); "
        if theirs_c is None:
            outcomes.append(Outcome("amount_differs", f"{note}gekoppeld op {how}; bedrag onleesbaar", ids, r.row,
                                    ln[2], ln[4].isoformat(), ln[5].isoformat(), ln[9], None, raw))
        elif theirs_c == ln[9]:
            outcomes.append(Outcome("matched", f"{note}gekoppeld op {how}", ids, r.row, ln[2], ln[4].isoformat(),
                                    ln[5].isoformat(), ln[9], theirs_c, raw))
        else:
            outcomes.append(Outcome("amount_differs", f"{note}gekoppeld op {how}; verschil "
                                    f"{_eur(theirs_c - ln[9])}", ids, r.row, ln[2], ln[4].isoformat(),
                                    ln[5].isoformat(), ln[9], theirs_c, raw))
    for ln in ledger_lines:
        if ln[0] in used and ln[1] != "pool":
            continue
        if ln[1] == "pool" and any(o.entry_ids == tuple(ln[16]) for o in outcomes):
            continue
        outcomes.append(Outcome("only_ledger", "niet gevonden in uw bestand"
                                + (" (solidariteitsbijdrage)" if ln[1] == "pool" else ""),
                                tuple(ln[16]), None, ln[2] or None, ln[4].isoformat(), ln[5].isoformat(), ln[9], None,
                                {}))
    return Reconciliation(Quarter.parse(s.quarter).code, party, Path(theirs).name, tuple(outcomes), tuple(notes))


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _eur(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    a = abs(cents)
    whole = f"{a // 100:,}".replace(",", ".")
    return f"{sign}€ {whole},{a % 100:02d}"


def write_reconciliation(rec: Reconciliation, out_dir: Path) -> tuple[Path, Path]:
    """The outcome as XLSX (Dutch) and JSON."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"aansluiting-{rec.quarter}-{rec.party.replace(':', '_')}"
    js = stem.with_suffix(".json")
    write_json(js, rec.to_dict())
    xl = stem.with_suffix(".xlsx")
    with Workbook(xl) as wb:
        ws = wb.sheet("Aansluiting", [20, 44, 12, 22, 12, 12, 14, 14, 14, 16, 50])
        ws.row([Bold(f"Aansluiting {Quarter.parse(rec.quarter).label} {rec.party} met {rec.source}")])
        for k, v in rec.counts().items():
            ws.row([OUTCOME_NL[k], v])
        t = rec.totals()
        ws.row(["Totaal grootboek", Money(t["ledger_cents"])])
        ws.row(["Totaal uw bestand", Money(t["theirs_cents"])])
        ws.row(["Verschil", Money(t["difference_cents"])])
        for n in rec.notes:
            ws.row(["Opmerking", n])
        ws.row([])
        ws.row([Bold(h) for h in ("Uitkomst", "Reden", "Rij uw bestand", "Cliënt", "Periode van", "Periode tot",
                                  "Bedrag grootboek", "Bedrag uw bestand", "Verschil", "Regel-ids", "Uw waarden")])
        for o in rec.outcomes:
            ws.row([OUTCOME_NL[o.outcome], o.reason, o.their_row, o.client, parse_date(o.period_from),
                    parse_date(o.period_to),
                    Money(o.ledger_cents) if o.ledger_cents is not None else None,
                    Money(o.their_cents) if o.their_cents is not None else None,
                    Money(o.difference_cents) if o.difference_cents is not None else None,
                    ", ".join(map(str, o.entry_ids)), "; ".join(f"{k}={v}" for k, v in o.their_values.items())])
    return xl, js
