"""`bwledger demo --scale national|medium|small`: the synthetic national data set (api/demo_national_data.py)
recorded through the service functions, two years of it, on a ledger of its own (issue 15).

The ledger runs on a clock of its own (`DemoClock`) that walks from January 2025 to November 2026, so every
entry is received on the day its story has it: the determinations (N3, recorded through
cases.determinations with their facts deposited, so the ledger replays the engine on each of them), the
answers (N4) within their six weeks, the placements and their N1s with the host region's
acknowledgement, the ends with an N2, the handover requests (N5) and their answers, each month's cost lines
as `bwledger book --month` books them (ledger.settlement.booking.book_month), each quarter sealed a few days
after its last month is booked, the re-determinations (N8) after a BRP correction with their corrections,
and disputes in every status of the workflow (ledger/data/workflow.toml). Nothing here decides: the
engine, the ledger's admission and the case workflow do.

The data set's own folder is `BWLEDGER_HOME/landelijk-<scale>` (unless BWLEDGER_DATABASE_URL names another
database), so the quick `bwledger demo` of `var/` is never touched; its pages: `BWLEDGER_HOME=<that folder>
bwledger serve`.
"""
from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api import bootstrap
from api.demo_national_data import BOOKED_UNTIL, DISPUTES_ON, FIRST, LAST, PROVIDERS, Client, DataSet, build
from api.format_nl import number_nl
from api.settings import Settings
from cases import determinations, handovers
from cases import service as cases
from cases.determinations import Intake
from cases.errors import CaseError
from ledger import service
from ledger.private_files import private_dir, write_private
from ledger.settlement import service as settlement
from ledger.settlement.quarters import Quarter, month_end
from ledger.store import Store
from rules import brp_historie, loader
from rules.casebook import case_facts, load_context

#: the N4 answers: accepted, objected, or none (the rest; the disputes are opened on those)
ACCEPT, OBJECT = 0.78, 0.05
HANDOVERS = 0.004  # the share of clients with an N5
DEPOSIT_THREADS = 6  # threads writing a day's deposits (encrypted files, each fsynced)
ACKNOWLEDGED = 0.9  # the share of N1s the host region acknowledges


class DemoClock:
    """The ledger's clock for the data set: set to a moment of the story, it never goes back (every entry
    is received after the one before it)."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def at(self, day: date, hour: int = 9) -> None:
        target = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
        self._now = max(self._now, target)

    def __call__(self) -> datetime:
        self._now += timedelta(microseconds=1)
        return self._now


@dataclass
class Figures:
    clients: int = 0
    determinations: int = 0
    accepted: int = 0
    objected: int = 0
    placements: int = 0
    notices_n1: int = 0
    notices_n2: int = 0
    acknowledgements: int = 0
    handovers: int = 0
    cost_lines: int = 0
    reversals: int = 0
    sealed: int = 0
    redeterminations: int = 0
    unchanged: int = 0
    cases: int = 0


def data_context(ds: DataSet):
    """The data set's rules context (its `[context]` table: the verified and the illustrative regions)."""
    return load_context({"context": ds.context_source}, loader.parameter_table(), loader.municipality_register(),
                        "landelijke demo (met illustratieve regio's)")


def client_intake(c: Client, ctx, context_source: dict, correction: tuple[str, date] | None = None) -> Intake:
    """The client's facts: its addresses from its BRP response (rules/brp_historie.py), the rest as given;
    a correction: a woonadres elsewhere from the same start, recorded on that day (a BRP mutation)."""
    reg = loader.municipality_register()
    mapping = brp_historie.map_history(c.brp, reg, c.institutions)
    addresses = [dict(a) for a in mapping.addresses]
    if correction is not None and len(addresses) == 1:
        woonadres, recorded = correction
        addresses = [{**addresses[0], "gemeente": woonadres, "recorded": recorded}]
    case = {"id": f"nl-{c.pseudonym}", **c.case, "addresses": addresses}
    return Intake(case_facts(case, reg), ctx, context_source, mapping.report)


def national_settings(s: Settings, scale: str) -> Settings:
    """The data set's own folder under BWLEDGER_HOME (its SQLite database there), unless another database
    is configured (BWLEDGER_DATABASE_URL: it is used as it is)."""
    if s.database_url != f"sqlite:///{s.home / 'bwledger.db'}":
        return s
    home = s.home / f"landelijk-{scale}"
    return replace(s, home=home, database_url=f"sqlite:///{home / 'bwledger.db'}")


def _months(first: date, last: date) -> list[date]:
    out, m = [], date(first.year, first.month, 1)
    while m <= last:
        out.append(m)
        m = (m + timedelta(days=32)).replace(day=1)
    return out


class NationalRun:
    """One run of the data set into a store (the steps in the order of the story)."""

    def __init__(self, settings: Settings, ds: DataSet, store: Store, clock: DemoClock, progress: Progress) -> None:
        self.s, self.ds, self.store, self.clock, self.progress = settings, ds, store, clock, progress
        self.deposits = bootstrap.determination_deposits(settings, store)
        self.ctx = data_context(ds)
        self.signers: dict = {}
        self.rnd = random.Random(ds.seed + 1)
        self.fig = Figures(clients=len(ds.clients))
        self.n3: dict[str, tuple] = {}  # client -> (Recording, AppendResult)
        self.placement_of: dict[str, dict] = {}  # client -> its placement record fields
        self.results: dict[str, str] = {}  # the disputes' case id -> status
        self.pool = ThreadPoolExecutor(max_workers=DEPOSIT_THREADS)

    # -- helpers ----------------------------------------------------------------------------------
    def signer(self, party: str):
        if party not in self.signers:
            self.signers[party] = service.party_signer(self.store, self.s.keys_dir, party)
        return self.signers[party]

    def intake(self, c: Client, correction: tuple[str, date] | None = None) -> Intake:
        return client_intake(c, self.ctx, self.ds.context_source, correction)

    def ref(self, result) -> dict:
        return {"seq": result.seq, "entry_hash": result.entry_hash.hex()}

    def append(self, signer, draft) -> object:
        return self.store.append(*draft.signed(signer, self.clock()).as_item())

    # -- the story's steps ------------------------------------------------------------------------
    def determine_batch(self, clients: list[Client]) -> None:
        """Record the N3s of one day in one batch (draft, deposit, sign; the ledger replays each)."""
        self.deposits.documents.keys.create_keys(c.pseudonym for c in clients)  # one transaction for the day's keys

        def draft(c: Client):
            return determinations.draft_record(self.store, self.deposits, self.intake(c),
                                               author=c.case["melding"]["gemeente"], client=c.pseudonym)

        # the deposits are written (and fsynced) by a few threads at once: the disk, not the engine, is the wait
        # there; the first one alone, so that the data set's context file is written once
        recs = [draft(clients[0])] + list(self.pool.map(draft, clients[1:]))
        by_author = [(c, rec, self.signer(c.case["melding"]["gemeente"])) for c, rec in zip(clients, recs)]
        now = self.clock()
        results = self.store.append_batch([rec.draft.signed(sig, now).as_item() for _c, rec, sig in by_author])
        for (c, rec, _sig), res in zip(by_author, results):
            self.n3[c.pseudonym] = (rec, res)
        self.fig.determinations += len(results)

    def answer_batch(self, answers: list[tuple[Client, bool]]) -> None:
        """The addressees' N4s of one day (acceptances and objections), appended in one batch."""
        items = []
        now = self.clock()
        for c, accept in answers:
            rec, res = self.n3[c.pseudonym]
            draft = determinations.draft_answer(self.store, res.seq, accept=accept,
                                                reasons="" if accept else "de woonplaats lag volgens onze "
                                                                          "BRP-gegevens elders")
            items.append(draft.signed(self.signer(rec.draft.payload["addressee"]), now).as_item())
            self.fig.accepted += accept
            self.fig.objected += not accept
        self.store.append_batch(items)

    def place(self, c: Client) -> None:
        """The fronting party records the placement (after its N1 to the host region, when inter-regional)."""
        rec, res = self.n3[c.pseudonym]
        bearer = rec.determination.cost_bearer
        notice = None
        if c.inter_regional:
            n1 = service.sign_statement(self.signer(c.fronting), "placement_notice", {
                "placing_party": c.fronting, "host_region": f"RG:{c.host_region}", "host_municipality": c.host,
                "cost_bearer": bearer, "location": f"locatie {c.host}", "start_date": c.start.isoformat(),
                "contract_used": "regionaal contract", "legal_basis": "pseudoniem"},
                idempotency_key=f"n1-{c.pseudonym}", client=c.pseudonym, authored_at=self.clock())
            r1 = self.store.append(*n1.as_item())
            notice = self.ref(r1)
            self.fig.notices_n1 += 1
            if self.rnd.random() < ACKNOWLEDGED:
                self.clock.at(c.start + timedelta(days=2))
                ack = service.sign_statement(self.signer(f"RG:{c.host_region}"), "acknowledgement",
                                             {"notice": notice}, idempotency_key=f"ack-{r1.seq}",
                                             client=c.pseudonym, authored_at=self.clock())
                self.store.append(*ack.as_item())
                self.fig.acknowledgements += 1
        fields = {"placement_id": f"pl-{c.pseudonym}", "cost_bearer": bearer,
                  "provider": PROVIDERS[int(c.pseudonym[-4:]) % len(PROVIDERS)], "product": c.product,
                  "start": c.start, "location": f"locatie {c.host}", "determination": self.ref(res),
                  "notice": notice}
        self.placement_of[c.pseudonym] = fields
        self.append(self.signer(c.fronting), settlement.draft_placement(self.store, c.fronting, c.pseudonym,
                                                                        **fields))
        self.fig.placements += 1

    def end(self, c: Client) -> None:
        """The placement ends: its record with the end date, and the N2 to the host region."""
        fields = {**self.placement_of[c.pseudonym], "end": c.end}
        self.placement_of[c.pseudonym] = fields
        self.append(self.signer(c.fronting), settlement.draft_placement(self.store, c.fronting, c.pseudonym,
                                                                        **fields))
        n2 = service.sign_statement(self.signer(c.fronting), "outflow_notice", {
            "sender": c.fronting, "host_municipality": c.host, "host_region": f"RG:{c.host_region}",
            "end_date": c.end.isoformat(), "new_municipality": c.woonplaats, "legal_basis": "pseudoniem"},
            idempotency_key=f"n2-{c.pseudonym}", client=c.pseudonym, authored_at=self.clock())
        self.store.append(*n2.as_item())
        self.fig.notices_n2 += 1

    def handover(self, c: Client, day: date) -> None:
        meld = c.case["melding"]["gemeente"]
        to = c.woonplaats if c.woonplaats != meld else self.ds.regions[c.region].centrumgemeente
        if to == meld:
            return
        res = handovers.send(self.store, self.signer(meld), to_party=to, client=c.pseudonym,
                             reasons="de cliënt heeft de meeste kans van slagen in de gemeente van herkomst",
                             proposed_date=day + timedelta(days=30))
        self.fig.handovers += 1
        if self.rnd.random() < 0.7:
            self.clock.at(day + timedelta(days=5))
            handovers.answer(self.store, self.signer(to), res.seq, accepted=self.rnd.random() < 0.6,
                             reasons="geen plaats beschikbaar in de regio")

    def book(self, month: date) -> None:
        """Each fronting party books the month, as `bwledger book --month` does."""
        today = month_end(month) + timedelta(days=3)
        self.clock.at(today)
        for party in sorted({c.fronting for c in self.ds.clients if c.fronting}):
            done = settlement.book_month(self.store, f"{month:%Y-%m}", self.signer(party), today=today)
            self.fig.cost_lines += done.booked
            self.fig.reversals += done.reversed

    def seal(self, q: Quarter) -> None:
        day = q.end + timedelta(days=6)
        self.clock.at(day)
        settlement.seal_quarter(self.store, q.code, today=day)
        self.fig.sealed += 1

    def correct(self, c: Client, day: date) -> None:
        """A retroactive BRP correction: the N8 (rerun by the engine, replayed by the ledger), the placement
        recorded again on it, and the lines already booked since the correction's date rebooked."""
        woonadres, recorded = c.correction
        rec, res = self.n3[c.pseudonym]
        try:
            new, r8 = determinations.redetermine_and_record(
                self.store, self.deposits, self.signer(self._author(res)), res.seq,
                self.intake(c, c.correction), trigger="brp_correction")
        except CaseError as exc:  # the engine's outcome did not change: nothing recorded
            if exc.code != determinations.REDETERMINATION_UNCHANGED:
                raise
            self.fig.unchanged += 1
            return
        self.fig.redeterminations += 1
        bearer = new.determination.cost_bearer
        historical = new.determination.budget == "historical"
        fields = {**self.placement_of[c.pseudonym], "cost_bearer": bearer, "determination": self.ref(r8)}
        self.placement_of[c.pseudonym] = fields
        self.append(self.signer(c.fronting), settlement.draft_placement(self.store, c.fronting, c.pseudonym,
                                                                        **fields))
        booked_until = month_end(date(day.year, day.month, 1) - timedelta(days=1))
        if recorded <= booked_until:
            lines = settlement.rebook(self.store, self.signer, client=c.pseudonym,
                                      periods=[(recorded, booked_until, bearer, historical)],
                                      reason="herbeoordeling na BRP-correctie", today=day, ref=self.ref(r8))
            self.fig.cost_lines += sum(1 for r in lines if not r.duplicate)

    def _author(self, res) -> str:
        return self.store.get_rows([res.seq])[res.seq].author


# -- disputes in every state --------------------------------------------------------------------
#: the path to each status of the dispute workflow (ledger/data/workflow.toml), step by step
PATHS: dict[str, tuple[str, ...]] = {
    "DETERMINED": (),
    "ACCEPTED": ("ACCEPTED",),
    "CLOSED": ("ACCEPTED", "CLOSED"),
    "OBJECTED": ("OBJECTED",),
    "CONSULTATION": ("OBJECTED", "CONSULTATION"),
    "ESCALATED": ("OBJECTED", "CONSULTATION", "ESCALATED"),
    "FILED": ("OBJECTED", "CONSULTATION", "ESCALATED", "FILED"),
    "ADMISSIBILITY": ("OBJECTED", "CONSULTATION", "ESCALATED", "FILED", "ADMISSIBILITY"),
    "INADMISSIBLE": ("OBJECTED", "CONSULTATION", "ESCALATED", "FILED", "ADMISSIBILITY", "INADMISSIBLE"),
    "EXCHANGE": ("OBJECTED", "CONSULTATION", "ESCALATED", "FILED", "ADMISSIBILITY", "EXCHANGE"),
    "HEARING": ("OBJECTED", "CONSULTATION", "ESCALATED", "FILED", "ADMISSIBILITY", "EXCHANGE", "HEARING"),
    "DECIDED": ("OBJECTED", "CONSULTATION", "ESCALATED", "FILED", "ADMISSIBILITY", "EXCHANGE", "DECIDED"),
    "IMPLEMENTED": ("OBJECTED", "CONSULTATION", "ESCALATED", "FILED", "ADMISSIBILITY", "EXCHANGE", "DECIDED",
                    "IMPLEMENTED"),
    "COURT_REVIEW": ("OBJECTED", "CONSULTATION", "ESCALATED", "FILED", "ADMISSIBILITY", "EXCHANGE", "DECIDED",
                     "COURT_REVIEW"),
    "UPHELD": ("OBJECTED", "CONSULTATION", "ESCALATED", "FILED", "ADMISSIBILITY", "EXCHANGE", "DECIDED",
               "COURT_REVIEW", "UPHELD"),
    "ANNULLED": ("OBJECTED", "CONSULTATION", "ESCALATED", "FILED", "ADMISSIBILITY", "EXCHANGE", "DECIDED",
                 "COURT_REVIEW", "ANNULLED"),
    "SETTLED": ("OBJECTED", "CONSULTATION", "SETTLED"),
    "WITHDRAWN": ("WITHDRAWN",),
}


def run_disputes(run: NationalRun, subjects: list[Client], day: date) -> dict[str, str]:
    """One case per status of PATHS (NO_RESPONSE: by time, `run_timed`), each on its own determination;
    the cases whose decision is booked rest on a placed client's determination. Returns case id -> status."""
    from api.bootstrap import client_documents
    from api.demo_cases import _eml

    store, docs = run.store, client_documents(run.s, run.store)
    out: dict[str, str] = {}
    placed = [c for c in subjects if c.fronting]
    others = [c for c in subjects if not c.fronting]
    needs_lines = {"IMPLEMENTED", "UPHELD", "ANNULLED"}
    for target, steps in PATHS.items():
        pool = placed if (target in needs_lines or not others) else others
        found = next((c for c in pool if run._author(run.n3[c.pseudonym][1])
                      != run.n3[c.pseudonym][0].draft.payload["addressee"]), None)
        if found is None:
            continue
        pool.remove(found)
        c = found
        rec, res = run.n3[c.pseudonym]
        claiming, responding = run._author(res), rec.draft.payload["addressee"]
        run.clock.at(day)
        view = cases.open_case(store, run.signer(claiming), res.seq,
                               question=f"Wie is de kostendrager van cliënt {c.pseudonym}?",
                               position=f"{claiming}: de beoordeling wijst {responding} aan.")
        start = date.fromisoformat(rec.draft.payload["reference_date"])
        for step in steps:
            view = _step(run, docs, view, step, claiming, responding, start, _eml)
        out[view.case_id] = view.status
        run.fig.cases += 1
    return out


def _step(run: NationalRun, docs, view, step: str, claiming: str, responding: str, start: date, eml):
    store, sig = run.store, run.signer
    today = cases.today(store)
    if step == "OBJECTED":
        return cases.transition(store, sig(responding), view.case_id, "OBJECTED",
                                position=f"{responding}: de woonplaats lag elders.")
    if step in ("ACCEPTED",):
        return cases.transition(store, sig(responding), view.case_id, "ACCEPTED", note="akkoord")
    if step == "CLOSED":
        return cases.transition(store, store.operator, view.case_id, "CLOSED", note="verwerkt in het grootboek")
    if step == "CONSULTATION":
        return cases.transition(store, sig(claiming), view.case_id, "CONSULTATION", note="overleg gestart")
    if step == "ESCALATED":
        mail = cases.add_document(store, docs, view.case_id, filename="overleg.eml",
                                  data=eml(f"contact@{claiming.lower()}.example",
                                           f"contact@{responding.lower()}.example", "Overleg", "Geen overeenstemming."),
                                  title="E-mail overleg contactpersonen", author_party=claiming, document_date=today)
        cases.record_attempt(store, sig(claiming), view.case_id, kind="contactpersonen", held_on=today,
                             summary="Overleg zonder minnelijke uitkomst", evidence=[mail.sha256])
        return cases.transition(store, sig(claiming), view.case_id, "ESCALATED", note="regioadviseur gevraagd")
    if step == "FILED":
        mail = cases.add_document(store, docs, view.case_id, filename="regioadviseur.eml",
                                  data=eml("regioadviseur@regio.example", f"contact@{claiming.lower()}.example",
                                           "Bemiddeling", "Partijen zijn het niet eens geworden."),
                                  title="Verslag regioadviseur", author_party=responding, document_date=today)
        cases.record_attempt(store, sig(responding), view.case_id, kind="regioadviseur", held_on=today,
                             summary="Bemiddeling zonder resultaat", evidence=[mail.sha256])
        return cases.transition(store, sig(claiming), view.case_id, "FILED", note="verzoek ingediend")
    if step in ("ADMISSIBILITY", "EXCHANGE", "HEARING", "INADMISSIBLE"):
        return cases.transition(store, sig("COMMITTEE"), view.case_id, step, note="door de commissie")
    if step == "DECIDED":
        split = start + (today - start) // 2  # the lines after it are rebooked when the decision is booked
        return cases.decide(store, sig("COMMITTEE"), view.case_id, nature="binding_advice", cost_bearers=[
            {"period_from": start, "period_to": split - timedelta(days=1), "cost_bearer": responding},
            {"period_from": split, "period_to": today, "cost_bearer": claiming}],
            summary=f"Tot {split} draagt {responding} de kosten, daarna {claiming}.")
    if step == "IMPLEMENTED":
        return cases.book_decision(store, store.operator, sig, view.case_id).case
    if step == "COURT_REVIEW":
        return cases.transition(store, sig(responding), view.case_id, "COURT_REVIEW", note="beroep bij de rechter")
    if step == "UPHELD":
        return cases.court_ruling(store, sig(responding), view.case_id, annulled=False, summary="bekrachtigd")
    if step == "ANNULLED":
        return cases.court_ruling(store, sig(responding), view.case_id, annulled=True, cost_bearers=[
            {"period_from": start, "period_to": today, "cost_bearer": responding}], summary="vernietigd")
    if step == "SETTLED":
        return cases.transition(store, sig(claiming), view.case_id, "SETTLED", note="schikking")
    if step == "WITHDRAWN":
        return cases.transition(store, sig(claiming), view.case_id, "WITHDRAWN", note="ingetrokken")
    raise ValueError(step)


# -- the run ------------------------------------------------------------------------------------
Step = tuple[datetime, int, str, Callable[[], None]]


def _story(run: NationalRun) -> tuple[list[Step], list[Client]]:
    """Every step of the two years, in the order of the story (the moment, a tie-breaker, what, the call)."""
    ds = run.ds
    rnd = random.Random(ds.seed + 2)
    steps: list[Step] = []
    n = 0

    def add(day: date, what: str, call: Callable[[], None], hour: int = 9) -> None:
        nonlocal n
        n += 1
        steps.append((datetime(day.year, day.month, day.day, hour, tzinfo=UTC), n, what, call))

    by_day: dict[date, list[Client]] = defaultdict(list)
    for c in ds.clients:
        by_day[c.recorded_on].append(c)
    for day, group in sorted(by_day.items()):
        add(day, "beoordelingen (N3)", lambda g=group: run.determine_batch(g), hour=8)
    # the disputes are opened on determinations without an answer (the data set names them: `role`)
    subjects = [c for c in ds.clients if c.role == "dispute"]
    no_response = next((c for c in ds.clients if c.role == "no_response"), None)
    reserved = {c.pseudonym for c in ds.clients if c.role}
    answers: dict[date, list[tuple[Client, bool]]] = defaultdict(list)
    for c in ds.clients:
        if c.pseudonym in reserved:
            continue
        u = rnd.random()
        if u < ACCEPT + OBJECT:
            answers[c.recorded_on + timedelta(days=rnd.randrange(2, 35))].append((c, u < ACCEPT))
        if rnd.random() < HANDOVERS:
            day = c.recorded_on + timedelta(days=rnd.randrange(3, 20))
            add(day, "overdrachtsverzoeken (N5)", lambda c=c, d=day: run.handover(c, d), hour=11)
    for day, group in sorted(answers.items()):
        add(day, "antwoorden (N4)", lambda g=group: run.answer_batch(g), hour=10)
    for c in ds.clients:
        if not c.fronting:
            continue
        add(max(c.start, c.recorded_on + timedelta(days=1)), "plaatsingen en N1", lambda c=c: run.place(c), hour=12)
        if c.end is not None:
            add(c.end + timedelta(days=1), "einde plaatsing en N2", lambda c=c: run.end(c), hour=13)
        if c.correction is not None:
            day = c.correction[1] + timedelta(days=45)
            if day <= LAST:
                add(day, "herbeoordelingen (N8)", lambda c=c, d=day: run.correct(c, d), hour=14)
    for month in _months(FIRST, BOOKED_UNTIL):
        add(month_end(month) + timedelta(days=3), "maand boeken", lambda m=month: run.book(m), hour=16)
        q = Quarter.of(month)
        if month_end(month) == q.end:
            add(q.end + timedelta(days=6), "kwartaal verzegelen", lambda q=q: run.seal(q), hour=17)
    if no_response is not None:
        def open_no_response(c=no_response):
            rec, res = run.n3[c.pseudonym]
            cases.open_case(run.store, run.signer(run._author(res)), res.seq,
                            question=f"Wie is de kostendrager van cliënt {c.pseudonym}?")
            run.fig.cases += 1
        add(date(2026, 6, 20), "geschillen", open_no_response)
        add(date(2026, 7, 30), "geschillen", lambda: run_timed(run))
    add(DISPUTES_ON, "geschillen", lambda: run.results.update(run_disputes(run, subjects, DISPUTES_ON)))
    steps.sort(key=lambda s: (s[0], s[1]))
    return steps, subjects


def run_timed(run: NationalRun) -> None:
    """8.10: DETERMINED -> NO_RESPONSE after six weeks, by the operator (cases.service.run_timed_transitions)."""
    cases.run_timed_transitions(run.store, run.store.operator)


def _db_size(store: Store, s: Settings) -> int:
    if s.database_url.startswith("sqlite"):
        path = Path(s.database_url.split("///", 1)[1])
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    import sqlalchemy as sa

    with store.engine.connect() as c:
        return int(c.execute(sa.text("select coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, "
                                     "tablename))), 0) from pg_tables where schemaname = current_schema()")
                             ).scalar_one())


def _mb(n: int) -> str:
    return f"{number_nl(round(n / 1_000_000))} MB" if n >= 10_000_000 else f"{n / 1_000_000:.1f} MB".replace(".", ",")


@dataclass
class National:
    """What a run made: its settings (the data set's folder), store, data set, figures and verification."""

    settings: Settings
    store: Store
    data: DataSet
    figures: Figures | None  # None: the ledger held the data set already, nothing was booked
    report: object | None
    cases: dict[str, str]  # case id -> status
    seconds: float
    out: Path


def make_national(console: Console, settings: Settings, scale: str, seed: int) -> National:
    """Build the data set of `scale` from `seed` into its own ledger (national_settings), with progress bars
    on `console`; a ledger that holds it already is left as it is."""
    t0 = time.perf_counter()
    s = national_settings(settings, scale)
    private_dir(s.home)
    out = private_dir(s.outputs_dir)
    ds = build(scale, seed)
    clock = DemoClock(datetime(2024, 12, 31, 8, tzinfo=UTC))
    store = bootstrap.init_store(s, clock=clock)
    if store.size() > 1:
        return National(s, store, ds, None, None, {v.case_id: v.status for v in cases.list_cases(store)},
                        time.perf_counter() - t0, out)
    columns = (TextColumn("{task.description:28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        run = NationalRun(s, ds, store, clock, progress)
        steps, _subjects = _story(run)
        tasks: dict[str, int] = {}
        totals: dict[str, int] = defaultdict(int)
        for _at, _n, what, _call in steps:
            totals[what] += 1
        for what, total in totals.items():
            tasks[what] = progress.add_task(what, total=total)
        for at, _n, what, call in steps:
            clock.at(at.date(), at.hour)
            call()
            progress.advance(tasks[what])
        run.pool.shutdown()
        verify_task = progress.add_task("grootboek controleren", total=1)
        service.checkpoint(store)
        report = service.verify_ledger(store)
        progress.advance(verify_task)
    return National(s, store, ds, run.fig, report, {v.case_id: v.status for v in cases.list_cases(store)},
                    time.perf_counter() - t0, out)


def entry_kinds(store: Store) -> dict[str, int]:
    """The number of entries per kind."""
    import sqlalchemy as sa

    from ledger.store import entries

    with store.engine.connect() as c:
        return dict(c.execute(sa.select(entries.c.kind, sa.func.count()).group_by(entries.c.kind)).all())


def quarter_sums(store: Store) -> dict[str, int]:
    """Per sealed quarter, the sum of the net positions (zero when every receivable has its payable)."""
    return {q: sum(p.net_cents for p in settlement.settle_quarter(store, q).positions)
            for q in sorted(settlement.sealed(store))}


def run_national(console: Console, settings: Settings, scale: str, seed: int) -> int:
    """`bwledger demo --scale ...`: make the data set, write its outputs, print what it made and how to log in."""
    started = time.perf_counter()
    n = make_national(console, settings, scale, seed)
    store, ds, out = n.store, n.data, n.out
    if n.figures is None:
        console.print(f"De landelijke demo ({scale}) staat al in {n.settings.database_url}: niets opnieuw geboekt. "
                      f"Verwijder {n.settings.home} om hem opnieuw te maken.")
        _summary(console, n.settings, store, ds, n.seconds, out)
        return 0
    fig, report = n.figures, n.report
    # the outputs: the data set's regions (illustrative ones marked), the last sealed quarter's statements
    data_file = out / "landelijke-gegevens.json"
    if data_file.exists():
        data_file.unlink()
    write_private(data_file, json.dumps(ds.to_json(), indent=1, ensure_ascii=False).encode())
    last_q = Quarter.of(BOOKED_UNTIL).prev()
    res = settlement.write_statements(store, last_q.code, private_dir(out / "verrekening"))
    mon = settlement.monitoring(store, 2025, out / "verrekening")
    sums = quarter_sums(store)
    console.print(f"Beoordelingen (N3) {fig.determinations} van {fig.clients} cliënten; N4 {fig.accepted} aanvaard, "
                  f"{fig.objected} bezwaar; N8 {fig.redeterminations} (ongewijzigd {fig.unchanged}); "
                  f"N5 {fig.handovers}; plaatsingen {fig.placements}, N1 {fig.notices_n1} "
                  f"({fig.acknowledgements} bevestigd), N2 {fig.notices_n2}")
    kinds = entry_kinds(store)
    console.print(f"Kostenregels {kinds.get('cost_line', 0)}, tegenboekingen {kinds.get('reversal', 0)} (na "
                  f"herbeoordelingen en uitspraken); {fig.sealed} kwartalen verzegeld "
                  f"({', '.join(sums)}), nettoposities per kwartaal samen "
                  f"{'nul' if not any(sums.values()) else 'NIET nul'}")
    counted: dict[str, int] = defaultdict(int)
    for status in n.cases.values():
        counted[status] += 1
    console.print(f"Geschillen: {sum(counted.values())} dossiers, statussen: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(counted.items())))
    console.print(f"Regio's: {len(ds.regions)}, waarvan {len(ds.illustrative_regions)} illustratief (niet de "
                  f"werkelijke indeling: {data_file.name}); gemeenten: {len(ds.municipalities)}; "
                  f"gegevensdigest {ds.digest()[:16]} (seed {seed})")
    console.print(f"Verrekening {last_q.code}: {len(res.files)} gemeenten ({res.directory}); monitoring 2025: "
                  f"{mon.xlsx}")
    console.print(f"Grootboek: verificatie {'OK' if report.ok else 'FOUT'}"
                  + ("" if report.ok else f" ({len(report.problems)} problemen: {report.problems[:3]})"))
    _summary(console, n.settings, store, ds, time.perf_counter() - started, out)
    return 0 if report.ok and not any(sums.values()) and fig.determinations == fig.clients else 1


def _summary(console: Console, s: Settings, store: Store, ds: DataSet, seconds: float, out: Path) -> None:
    from api.demo_accounts import ensure_demo_accounts, print_demo_accounts

    console.print(f"Tijd {number_nl(round(seconds))} s; {number_nl(store.size())} regels in het grootboek; "
                  f"database {_mb(_db_size(store, s))} ({s.database_url})")
    console.print(f"Uitvoer: {out}")
    case_ids = [v.case_id for v in cases.list_cases(store)]
    print_demo_accounts(console, ensure_demo_accounts(s, store, case_ids), time.time())
    console.print(f"De pagina's van deze gegevens: BWLEDGER_HOME={s.home} bwledger serve")
