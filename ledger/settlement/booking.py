"""Booking cost lines and reversals for placements (append-only: changes are reversals plus new lines)."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from rules import day_range

from ..confidential_locations import Confidentiality, location_to_sign
from ..crypto import Signer
from ..drafts import Draft
from ..entries import party_class
from ..errors import PARTY_UNKNOWN, REFERENCE_INVALID, LedgerError
from ..parties import exists_on
from ..service import SignedStatement, sign_statement
from ..store import AppendResult, Store, entries
from . import store as sstore
from .catalogue import Catalogue, load_catalogue
from .costlines import LineSpec, Placement, line_specs, split_days
from .quarters import Quarter, correction_label, days, month_end

SignerFor = Callable[[str], Signer]


def sealed_quarters(store: Store, conn=None) -> dict[str, tuple[int, int]]:
    """quarter code -> (through_seq, seal entry seq) of every sealed quarter."""
    out: dict[str, tuple[int, int]] = {}
    for seq, _author, _client, p, _at in sstore.entries_of_kind(store, ["settlement_seal"], conn=conn):
        q = p.get("quarter") or Quarter.of(date.fromisoformat(p["period_from"])).code
        out.setdefault(q, (p["through_seq"], seq))
    return out


def open_quarter(sealed: dict[str, tuple[int, int]], q: Quarter) -> Quarter:
    """`q`, or the first quarter after it that is not sealed."""
    while q.code in sealed:
        q = q.next()
    return q


def booking_quarter(sealed: dict[str, tuple[int, int]], period_from: date, today: date | None,
                    correction: bool) -> Quarter:
    """Where a line is booked (label it 'correctie op ...' when that is not its period's quarter).

    A regular line goes into its period's quarter; a correction (another cost bearer for a past
    period) into the open quarter of `today`; either moves on past sealed quarters.
    """
    pq = Quarter.of(period_from)
    q = max(pq, Quarter.of(today)) if (correction and today is not None) else pq
    return open_quarter(sealed, q)


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:40]


def cost_line_payload(*, fronting: str, bearer: str, spec: LineSpec, status: str, historical: bool,
                      determination: dict | None, agreement_version: str | None, placement_id: str | None,
                      location: str | None, quarter: Quarter, corrects: str | None) -> dict:
    return {"fronting_party": fronting, "cost_bearer": bearer, "period_from": spec.period_from.isoformat(),
            "period_to": spec.period_to.isoformat(), "product": spec.product, "units": spec.units,
            "tariff_cents": spec.tariff_cents, "amount_cents": spec.amount_cents, "status": status,
            "historical_budget": historical, "determination": determination,
            "agreement_version": agreement_version, "placement_id": placement_id or None,
            "location": location or None, "booking_quarter": quarter.code, "corrects_period": corrects}


def _content(line: sstore.Line) -> tuple:
    return (line.fronting, line.bearer, line.period_from, line.period_to, line.product, line.tariff_cents,
            line.status, line.historical)


def live_lines(store: Store, client: str) -> list[sstore.Line]:
    """The client's cost lines that no reversal cancels (after bringing the index up to date)."""
    sstore.sync_index(store)
    rows = sstore.client_lines(store, client)
    reversed_ = {r.reverses_seq for r in rows if r.kind == "reversal"}
    return [r for r in rows if r.kind == "cost_line" and r.seq not in reversed_]


def _generation(rows: Sequence[sstore.Line], content: tuple) -> int:
    return sum(1 for r in rows if r.kind == "cost_line" and _content(r) == content)


def book_placement(store: Store, signer_for: SignerFor, placement: Placement, *, until: date,
                   today: date | None = None, reason: str = "nieuwe beschikking",
                   catalogue: Catalogue | None = None) -> list[AppendResult]:
    """Bring the placement's cost lines in line with `placement` up to `until`, in one batch.

    Lines that already exist unchanged are kept; lines that differ (another cost bearer, product,
    tariff, status, period) are reversed and new ones booked. Calling it twice books nothing new.
    A line whose period lies in a sealed quarter goes into the next open quarter, labelled
    "correctie op <quarter>"; a changed cost bearer is booked in the open quarter of `today`.
    """
    cat = catalogue or load_catalogue()
    specs = line_specs(placement, cat, until)
    sealed = sealed_quarters(store)
    sstore.sync_index(store)
    all_rows = [r for r in sstore.client_lines(store, placement.client) if r.placement_id == placement.placement_id]
    reversed_ = {r.reverses_seq for r in all_rows if r.kind == "reversal"}
    live = [r for r in all_rows if r.kind == "cost_line" and r.seq not in reversed_]
    want = {(placement.fronting_party, placement.cost_bearer, s.period_from, s.period_to, s.product,
             s.tariff_cents, placement.status, placement.historical_budget): s for s in specs}
    keep = {c for c in (_content(r) for r in live) if c in want}
    bearer_changed = any(r.bearer != placement.cost_bearer or r.historical != placement.historical_budget
                         for r in live)
    items: list[SignedStatement] = []
    location = location_to_sign(store, placement.client, placement.location)  # spec 8.7: "vertrouwelijk"
    for r in live:
        if _content(r) in keep:
            continue
        q = booking_quarter(sealed, r.period_from, today, correction=True)
        label = correction_label(r.period_from, r.period_to) if q != Quarter.of(r.period_from) else None
        items.append(_reversal(store, signer_for, r, reason, q, label))
    for content, spec in want.items():
        if content in keep:
            continue
        q = booking_quarter(sealed, spec.period_from, today, correction=bearer_changed)
        label = correction_label(spec.period_from, spec.period_to) if q != Quarter.of(spec.period_from) else None
        payload = cost_line_payload(fronting=placement.fronting_party, bearer=placement.cost_bearer, spec=spec,
                                    status=placement.status, historical=placement.historical_budget,
                                    determination=placement.determination,
                                    agreement_version=placement.agreement_version,
                                    placement_id=placement.placement_id, location=location,
                                    quarter=q, corrects=label)
        gen = _generation(all_rows, content)
        items.append(sign_statement(signer_for(placement.fronting_party), "cost_line", payload,
                                    idempotency_key=f"cl-{_key(placement.placement_id, *content, gen)}",
                                    client=placement.client))
    if not items:
        return []
    results = store.append_batch([i.as_item() for i in items])
    sstore.sync_index(store)
    return results


def reversal_draft(store: Store, line: sstore.Line, reason: str, q: Quarter, label: str | None,
                   decision: dict | None = None) -> Draft:
    """The unsigned reversal of `line` by its fronting party, booked in `q` (ledger/drafts.py)."""
    kinds = sstore.entry_kinds(store, [line.seq])
    payload = {"reverses": {"seq": line.seq, "entry_hash": kinds[line.seq][1].hex()}, "reason": reason,
               "booking_quarter": q.code, "corrects_period": label}
    if decision is not None:  # the decision that orders it (ledger/costline_basis.py)
        payload["decision"] = decision
    return Draft("reversal", payload, reversal_key(line.seq), line.client or None)


def reversal_key(line_seq: int) -> str:
    """The idempotency key of the reversal of cost line `line_seq`."""
    return f"rev-{line_seq}"


def _reversal(store: Store, signer_for: SignerFor, line: sstore.Line, reason: str, q: Quarter,
              label: str | None, decision: dict | None = None) -> SignedStatement:
    d = reversal_draft(store, line, reason, q, label, decision)
    return sign_statement(signer_for(line.fronting), d.kind, d.payload, idempotency_key=d.idempotency_key,
                          client=d.client)


def reversal_statement(store: Store, signer_for: SignerFor, line: sstore.Line, reason: str, q: Quarter,
                       label: str | None, decision: dict | None = None) -> SignedStatement:
    """A signed reversal of `line`, booked in `q` (public for corrections)."""
    return _reversal(store, signer_for, line, reason, q, label, decision)


# ---------------------------------------------------------------------------------------------
# A month's cost lines from the recorded placements (issue 14): `bwledger book --month 2026-03`
# ---------------------------------------------------------------------------------------------
MONTH_INVALID = "MONTH_INVALID"
#: the idempotency keys of the lines book_month books start with this (what it finds as its own)
MONTH_KEY_PREFIX = "bm-"
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")


def parse_month(text: str) -> tuple[date, date]:
    """'2026-03' -> (1 March 2026, 31 March 2026); anything else: LedgerError(MONTH_INVALID)."""
    m = _MONTH_RE.match(str(text))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise LedgerError(MONTH_INVALID, f"geen maand (verwacht bijvoorbeeld 2026-03): {str(text)[:40]!r}")
    year = int(m.group(1))
    if not day_range.year_in_range(year):
        raise LedgerError(MONTH_INVALID, f"de maand {m.group(0).strip()} ligt buiten de jaren "
                                         f"{day_range.FIRST_DAY.year} tot en met {day_range.LAST_DAY.year}")
    start = date(year, int(m.group(2)), 1)
    return start, month_end(start)


@dataclass(frozen=True)
class RecordedPlacement:
    """The newest record of a placement (a `placement` entry, ledger/placements.py) and what booking reads
    of the determination it rests on."""

    seq: int
    entry_hash: bytes
    client: str
    payload: dict
    provisional: bool  # the determination's: its lines are provisional
    historical: bool  # the determination's budget is the centrumgemeente's historical budget

    @property
    def ref(self) -> dict:
        return {"seq": self.seq, "entry_hash": self.entry_hash.hex()}

    def placement(self) -> Placement:
        """As settlement books it (costlines.Placement)."""
        p = self.payload
        end = p.get("end_date")
        return Placement(p["placement_id"], self.client, p["fronting_party"], p["cost_bearer"], p["product"],
                         date.fromisoformat(p["start_date"]), date.fromisoformat(end) if end else None,
                         location=p.get("location") or "", historical_budget=self.historical,
                         status="provisional" if self.provisional else "definitive",
                         determination=dict(p["determination"]), contract=p.get("contract"))


def recorded_placements(store: Store, party: str, start: date | None = None, stop: date | None = None
                        ) -> list[RecordedPlacement]:
    """The placements `party` records as fronting party (the newest record of each), in the order first
    recorded; with `start`/`stop`, only those running on some day of start..stop."""
    rows = store.rows_where(entries.c.kind == "placement", entries.c.author == party)
    newest: dict[str, tuple] = {}
    for r in rows:  # in seq order: a later record of a placement replaces the one before it
        p = json.loads(r.statement)["payload"]
        first = newest.get(p["placement_id"], (r.seq,))[0]
        newest[p["placement_id"]] = (first, r, p)
    chosen = []
    for first, r, p in sorted(newest.values(), key=lambda t: t[0]):
        begins, end = date.fromisoformat(p["start_date"]), p.get("end_date")
        if stop is not None and begins > stop or start is not None and end and date.fromisoformat(end) < start:
            continue
        chosen.append((r, p))
    dets = store.get_rows([p["determination"]["seq"] for _r, p in chosen])
    out = []
    for r, p in chosen:
        det = json.loads(dets[p["determination"]["seq"]].statement)["payload"]
        out.append(RecordedPlacement(r.seq, r.leaf_hash, r.client, p, bool(det.get("provisional")),
                                     (det.get("outcome") or {}).get("budget") == "historical"))
    return out


@dataclass(frozen=True)
class MonthDrafts:
    """What booking `month` for `party` takes: the unsigned reversals and new lines (reversals first), and
    how many of the month's lines already stand as the placements say."""

    month: str
    party: str
    placements: int  # the placements running in the month, or with lines of it booked before
    drafts: tuple[Draft, ...]
    already: int  # lines of the month already booked as their placement says

    @property
    def lines(self) -> int:
        return sum(1 for d in self.drafts if d.kind == "cost_line")

    @property
    def reversals(self) -> int:
        return sum(1 for d in self.drafts if d.kind == "reversal")


@dataclass(frozen=True)
class MonthBooking:
    """What book_month did: `booked` new lines and `reversed` lines (both 0 on a second run), `already` the
    lines that stood already, `results` the appended entries."""

    month: str
    party: str
    placements: int
    booked: int
    reversed: int
    already: int
    results: tuple[AppendResult, ...]


def _own_lines(store: Store, party: str, clients: Sequence[str]) -> set[int]:
    """The seqs of cost lines of these clients that book_month booked for `party` (by their key)."""
    return set(sstore.keyed_entries(store, "cost_line", party, clients, MONTH_KEY_PREFIX))


def _month_drafts_of(store: Store, rec: RecordedPlacement, start: date, stop: date, rows: Sequence[sstore.Line],
                     own: set[int], sealed, today: date | None, cat: Catalogue,
                     secret: Confidentiality) -> tuple[list[Draft], int]:
    """The drafts that bring one placement's lines of start..stop in line with its record, and how many stand.

    The placement's lines of the month that book_month did not book (a correction after a re-determination
    or a decision, a definitive line on an accepted tariff) are left as they are, and their days are not
    booked again: they are their own basis's to change."""
    p = rec.placement()
    mine = [r for r in rows if r.placement_id == p.placement_id and r.fronting == p.fronting_party
            and r.period_from <= stop and r.period_to >= start]
    reversed_ = {r.reverses_seq for r in rows if r.kind == "reversal"}
    live = [r for r in mine if r.kind == "cost_line" and r.seq not in reversed_]
    others = [(r.period_from, r.period_to, r.seq) for r in live if r.seq not in own]
    specs = []
    for s in line_specs(p, cat, stop):
        if s.period_from < start:
            continue
        for a, b, taken in split_days(s.period_from, s.period_to, others):
            if taken is None:
                specs.append(LineSpec(a, b, s.product, days(a, b), s.tariff_cents, s.contract))
    want = {(p.fronting_party, p.cost_bearer, s.period_from, s.period_to, s.product, s.tariff_cents, p.status,
             p.historical_budget): s for s in specs}
    standing = [r for r in live if r.seq in own]
    keep = {_content(r) for r in standing if _content(r) in want}
    bearer_changed = any(r.bearer != p.cost_bearer or r.historical != p.historical_budget for r in standing)
    out: list[Draft] = []
    for r in standing:
        if _content(r) in keep:
            continue
        q = booking_quarter(sealed, r.period_from, today, correction=True)
        label = correction_label(r.period_from, r.period_to) if q != Quarter.of(r.period_from) else None
        out.append(reversal_draft(store, r, "plaatsing gewijzigd", q, label))
    location = secret.location_to_sign(p.client, p.location)  # spec 8.7: "vertrouwelijk"
    month = start.strftime("%Y-%m")
    for content, spec in want.items():
        if content in keep:
            continue
        q = booking_quarter(sealed, spec.period_from, today, correction=bearer_changed)
        label = correction_label(spec.period_from, spec.period_to) if q != Quarter.of(spec.period_from) else None
        payload = cost_line_payload(fronting=p.fronting_party, bearer=p.cost_bearer, spec=spec, status=p.status,
                                    historical=p.historical_budget, determination=p.determination,
                                    agreement_version=None, placement_id=p.placement_id, location=location,
                                    quarter=q, corrects=label)
        payload["placement"] = rec.ref
        gen = sum(1 for r in mine if r.kind == "cost_line" and r.seq in own and _content(r) == content)
        out.append(Draft("cost_line", payload,
                         f"{MONTH_KEY_PREFIX}{month}-{_key(p.fronting_party, p.placement_id, *content, gen)}",
                         p.client))
    return out, len(keep)


Progress = Callable[[int, int], None]


def draft_month(store: Store, month: str, party: str, *, today: date | None = None,
                progress: Progress | None = None) -> MonthDrafts:
    """The cost lines of `month` ('2026-03') from the placements `party` records as fronting party x the
    contract tariffs (ledger/data/tariffs.toml), unsigned: one line per placement and tariff for its days
    in the month (both ends inclusive; a partial month pro rata by its days), and the reversal of a line it
    booked before that its placement no longer gives (a record with another end, product or determination).
    Lines that stand as their placement says are not drafted again, so booking twice books nothing twice;
    each line's idempotency key is its placement's and month's (`bm-2026-03-...`), so two runs at once
    book it once. A line of a sealed quarter goes into the next open one; after a change of cost bearer
    into the open quarter of `today` (booking_quarter). `progress(done, total)` after each placement."""
    start, stop = parse_month(month)
    if party_class(party) != "municipality" or not exists_on(party, start):
        raise LedgerError(PARTY_UNKNOWN, f"{party} is geen gemeente in {start.strftime('%Y-%m')}: alleen een "
                                         "gemeente boekt als voorliggende partij")
    # the placements running in the month, and those whose lines of the month book_month booked before
    # (a placement that ended earlier since: its lines of the month are to be reversed)
    booked_for = set(sstore.keyed_entries(store, "cost_line", party, None,
                                          f"{MONTH_KEY_PREFIX}{start:%Y-%m}-").values())
    running = {r.seq for r in recorded_placements(store, party, start, stop)}
    recs = [r for r in recorded_placements(store, party) if r.seq in running or r.client in booked_for]
    sstore.sync_index(store)
    cat = load_catalogue()
    sealed = sealed_quarters(store)
    clients = sorted({r.client for r in recs})
    own = _own_lines(store, party, clients)
    rows_of: dict[str, list[sstore.Line]] = {c: sstore.client_lines(store, c) for c in clients}
    secret = Confidentiality(store, clients)  # read once for the month's clients, not once per placement
    drafts: list[Draft] = []
    reversals: list[Draft] = []
    already = 0
    for i, rec in enumerate(recs, 1):
        made, kept = _month_drafts_of(store, rec, start, stop, rows_of[rec.client], own, sealed, today, cat,
                                      secret)
        reversals.extend(d for d in made if d.kind == "reversal")
        drafts.extend(d for d in made if d.kind != "reversal")
        already += kept
        if progress is not None:
            progress(i, len(recs))
    return MonthDrafts(start.strftime("%Y-%m"), party, len(recs), tuple(reversals + drafts), already)


def book_month(store: Store, month: str, signer: Signer, *, today: date | None = None,
               progress: Progress | None = None) -> MonthBooking:
    """Book `month` for the fronting party `signer` (draft_month, signed here, appended as one batch)."""
    d = draft_month(store, month, signer.party, today=today, progress=progress)
    results: list[AppendResult] = []
    if d.drafts:
        now = store.clock()
        results = store.append_batch([x.signed(signer, now).as_item() for x in d.drafts])
        sstore.sync_index(store)
    def count(kind: str, duplicate: bool) -> int:
        return sum(1 for r, x in zip(results, d.drafts) if x.kind == kind and r.duplicate == duplicate)

    # a line another run booked meanwhile answers as a replay: it stood already
    return MonthBooking(d.month, d.party, d.placements, count("cost_line", False), count("reversal", False),
                        d.already + count("cost_line", True), tuple(results))


def draft_placement(store: Store, party: str, client: str, *, placement_id: str, cost_bearer: str, provider: str,
                    product: str, start: date, determination: dict, end: date | None = None,
                    contract: str | None = None, location: str | None = None, notice: dict | None = None) -> Draft:
    """The record of a placement `party` fronts (a `placement` entry, ledger/placements.py), unsigned: the
    first record of `placement_id`, or one that replaces the newest record of it (`previous`, found here).
    The same record asked again is the same draft, so recording it twice stores it once. (A placement id is
    one client's: admission refuses a record of it for another client, so only this client's are read.)"""
    rows = store.rows_where(entries.c.kind == "placement", entries.c.author == party, entries.c.client == client)
    head = None
    for r in rows:
        if json.loads(r.statement)["payload"]["placement_id"] == placement_id:
            head = r
    payload = {"placement_id": placement_id, "fronting_party": party, "cost_bearer": cost_bearer,
               "provider": provider, "product": product, "start_date": start.isoformat(),
               "end_date": end.isoformat() if end else None, "contract": contract,
               "location": location_to_sign(store, client, location) or None, "determination": dict(determination),
               "notice": dict(notice) if notice else None}
    if head is not None:
        before = json.loads(head.statement)["payload"]
        if {k: before.get(k) for k in payload} == payload:  # nothing changed: the newest record again
            return Draft("placement", before, head.idempotency_key, head.client)
        payload["previous"] = {"seq": head.seq, "entry_hash": head.leaf_hash.hex()}
    n = sum(1 for r in rows if json.loads(r.statement)["payload"]["placement_id"] == placement_id)
    return Draft("placement", payload, f"pl-{_key(party, placement_id)}-{n}", client)


def entry_ref(store: Store, seq: int, kinds: Sequence[str], client: str, what: str) -> dict:
    """{seq, entry_hash} of entry `seq`, an entry of one of `kinds` about `client`; else
    LedgerError(REFERENCE_INVALID) in Dutch (`what`: how a person calls it)."""
    row = store.get_rows([seq]).get(seq)
    if row is None or row.kind not in kinds or row.client != client:
        raise LedgerError(REFERENCE_INVALID, f"regel {seq} is geen {what} van cliënt {client}")
    return {"seq": row.seq, "entry_hash": row.leaf_hash.hex()}


def draft_placement_by_seq(store: Store, party: str, client: str, *, determination_seq: int,
                           notice_seq: int | None = None, **fields) -> Draft:
    """draft_placement, naming the determination (N3/N8) and the N1 by their seqs (what a person knows)."""
    det = entry_ref(store, determination_seq, ("determination", "redetermination"), client, "beoordeling (N3/N8)")
    notice = None if notice_seq is None else entry_ref(store, notice_seq, ("placement_notice",), client,
                                                       "plaatsingsmelding (N1)")
    return draft_placement(store, party, client, determination=det, notice=notice, **fields)


def record_placement(store: Store, signer: Signer, client: str, **fields) -> AppendResult:
    """Record (or change) a placement the signer's party fronts (draft_placement, signed here)."""
    d = draft_placement(store, signer.party, client, **fields)
    return store.append(*d.signed(signer, store.clock()).as_item())
