"""Recording a determination as N3, its answer (N4), and its re-determination (N8): the service functions
the CLI (`bwledger rules record / answer / redetermine`), the API (`POST /v1/vastgelegde-beoordelingen` ...) and the
page share (issue 14). Nothing here decides who pays or what the ledger admits: the rules engine
determines, the ledger's admission replays it on the deposit (ledger/determination_replay.py) and checks
who may answer by when (ledger/notices.py).

Each write has a *draft* function (reads, checks, deposits the facts, returns the unsigned statement: the
party signs it on its own machine, `POST /v1/vastgelegde-beoordelingen` hands it out) and a local one that signs the
draft with the Signer it is given and appends it. The facts and the trail are deposited before anything
is signed: they are content-addressed (the input digest, the determination digest), so depositing twice
stores nothing twice, and a deposit whose entry is never signed is only an unused encrypted file.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.crypto import Signer
from ledger.determination_replay import changed, expected_payload
from ledger.drafts import Draft
from ledger.entries import party_class
from ledger.notices import objection_deadline
from ledger.store import AppendResult, Store
from rules import brp_historie, loader
from rules.casebook import _parse, read_case
from rules.engine import Determination, determine
from rules.facts import CaseFacts
from rules.redetermine import TRIGGERS, redetermine
from rules.termijnen import term

from .determination_deposits import DeterminationDeposits
from .errors import DETERMINATION_NOT_FOUND, CaseError
from .service import today

#: spec section 4 (N4): the objection period after an N3 (ledger/data/admission.toml, objection_weeks)
OBJECTION_WEEKS = 6
NO_COST_BEARER = "NO_COST_BEARER"  # the engine names no cost bearer: nothing to address an N3 to
REDETERMINATION_UNCHANGED = "REDETERMINATION_UNCHANGED"  # rerun on new facts, same outcome: nothing recorded
TRIGGER_INVALID = "TRIGGER_INVALID"
ANSWER_INVALID = "ANSWER_INVALID"


@dataclass(frozen=True)
class Intake:
    """One case read for recording: its facts, context, the context's source table (None: the default
    context) and what the BRP adapter said it mapped."""

    facts: CaseFacts
    context: Any
    context_source: dict | None
    brp_report: tuple[str, ...] | None


def read_intake(text: str, fmt: str = "toml", case_id: str | None = None, brp: str | None = None,
                institutions: dict[str, str] | None = None) -> Intake:
    """The facts of one case from casebook TOML/JSON, the address history optionally from a Haal Centraal
    BRP response (rules/brp_historie.py; never stored, only the facts derived from it)."""
    response = brp_historie.parse(brp) if brp is not None else None
    facts, ctx, mapping = read_case(text, fmt, case_id, loader.parameter_table(), loader.municipality_register(),
                                    loader.default_context(), brp=response, institutions=institutions)
    source = _parse(text, fmt).get("context")
    return Intake(facts, ctx, source if isinstance(source, dict) else None,
                  mapping.report if mapping is not None else None)


def intake_json(intake: Intake) -> str:
    """The intake as casebook JSON: the facts as the engine read them (a BRP response's mapped addresses, never
    the response), with the case's own context when it has one. What a page carries to "Vastleggen als N3"."""
    from rules.input_digest import facts_document

    from .determination_deposits import _json_dates

    doc: dict[str, Any] = {"case": [{"id": intake.facts.id, **facts_document(intake.facts)}]}
    if intake.context_source is not None:
        doc["context"] = _json_dates(intake.context_source)
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Recording:
    """A determination and the draft of its N3 (or N8)."""

    determination: Determination
    draft: Draft
    brp_report: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"determination": self.determination.to_dict(), "digest": self.determination.digest,
               "kind": self.draft.kind, "payload": self.draft.payload,
               "idempotency_key": self.draft.idempotency_key, "client": self.draft.client}
        if self.brp_report is not None:
            out["brp_report"] = list(self.brp_report)
        return out


def _key(prefix: str, client: str, digest: str) -> str:
    """The idempotency key of recording `digest` for `client` (the same facts for two clients are two N3s)."""
    return f"{prefix}:" + hashlib.sha256(f"{client}\x00{digest}".encode()).hexdigest()[:40]


def _payload(det: Determination, facts: CaseFacts, author: str, on: date, legal_basis: str | None) -> dict:
    if not det.cost_bearer:
        raise CaseError(NO_COST_BEARER, "de beoordeling wijst geen kostendrager aan: er is niemand om de "
                                        "beoordeling (N3) aan te richten")
    payload = {**expected_payload(det, facts.melding.date), "addressee": det.cost_bearer,
               "objection_deadline": term(on, weeks=OBJECTION_WEEKS).end.isoformat()}
    # the meldgemeente (and the legal college) get a copy when they are not the addressee or the author
    copy_to = sorted({p for p in (facts.melding.gemeente, det.legal_college)
                      if p and p not in (det.cost_bearer, author) and party_class(p) == "municipality"})
    if copy_to:
        payload["copy_to"] = copy_to
    if legal_basis:
        payload["legal_basis"] = legal_basis
    return payload


def draft_record(store: Store, deposits: DeterminationDeposits, intake: Intake, *, author: str, client: str,
                 legal_basis: str | None = None) -> Recording:
    """Determine the case, deposit its facts and trail for `client`, and draft the N3 `author` signs."""
    det = determine(intake.facts, intake.context)
    deposits.deposit(client, intake.facts, intake.context, det, intake.context_source)
    payload = _payload(det, intake.facts, author, today(store), legal_basis)
    return Recording(det, Draft("determination", payload, _key("n3", client, det.digest), client), intake.brp_report)


def record(store: Store, deposits: DeterminationDeposits, signer: Signer, intake: Intake, *, client: str,
           legal_basis: str | None = None) -> tuple[Recording, AppendResult]:
    """`draft_record`, signed here by `signer` and appended (admission replays it on the deposit)."""
    rec = draft_record(store, deposits, intake, author=signer.party, client=client, legal_basis=legal_basis)
    return rec, store.append(*rec.draft.signed(signer, store.clock()).as_item())


# ------------------------------------------------------------------------------------------- N4
def _determination_row(store: Store, seq: int):
    row = store.get_rows([seq]).get(seq)
    if row is None or row.kind not in ("determination", "redetermination"):
        raise CaseError(DETERMINATION_NOT_FOUND, f"grootboekregel {seq} is geen beoordeling (N3 of N8)")
    return row


def draft_answer(store: Store, seq: int, *, accept: bool, reasons: str = "", evidence: tuple[str, ...] = (),
                 note: str = "") -> Draft:
    """The N4 on the determination at `seq`: an acceptance, or an objection with its reasons. Who may
    answer, and by when, is the ledger's admission (the addressee, within the objection deadline, once)."""
    row = _determination_row(store, seq)
    ref = {"seq": row.seq, "entry_hash": row.leaf_hash.hex()}
    if accept:
        return Draft("acceptance", {"determination": ref, **({"note": note} if note else {})}, f"n4:{row.seq}",
                     row.client)
    if not reasons.strip():
        raise CaseError(ANSWER_INVALID, "een bezwaar heeft redenen nodig")
    payload: dict[str, Any] = {"determination": ref, "reasons": reasons.strip()}
    if evidence:
        payload["evidence"] = list(evidence)
    return Draft("objection", payload, f"n4:{row.seq}", row.client)


def answer(store: Store, signer: Signer, seq: int, **kwargs: Any) -> AppendResult:
    """`draft_answer`, signed here and appended."""
    return store.append(*draft_answer(store, seq, **kwargs).signed(signer, store.clock()).as_item())


def answer_deadline(store: Store, seq: int) -> date:
    """The last day to accept or object to the determination at `seq` (ledger/notices.py)."""
    row = _determination_row(store, seq)
    from ledger.admission import local_date
    return objection_deadline(json.loads(row.statement)["payload"], local_date(row.received_at))


# ------------------------------------------------------------------------------------------- N8
def _replayed(deposits: DeterminationDeposits, store: Store, seq: int) -> tuple[Any, Determination]:
    """The determination recorded at `seq`, replayed on its deposit (as admission did)."""
    from ledger.determination_replay import Replayer
    from ledger.store import ref_info

    row = _determination_row(store, seq)

    def lookup(s: int):
        r = store.get_rows([s]).get(s)
        return ref_info(r) if r is not None else None

    det, err = Replayer(deposits).determination(row.client, json.loads(row.statement)["payload"], lookup)
    if err:
        raise err
    return row, det


def draft_redetermine(store: Store, deposits: DeterminationDeposits, previous_seq: int, intake: Intake, *,
                      trigger: str, author: str, legal_basis: str | None = None) -> Recording:
    """New facts for the client of the determination at `previous_seq` (e.g. a BRP mutation with its
    `recorded` date): rerun (rules/redetermine.py); when the outcome changes, deposit and draft the N8 that
    refers to the previous one; when nothing changes (ledger.determination_replay.changed: outcome, flags,
    provisional, reference date) REDETERMINATION_UNCHANGED and nothing is deposited."""
    if trigger not in TRIGGERS:
        raise CaseError(TRIGGER_INVALID, f"onbekende aanleiding {trigger!r}; een van: {', '.join(TRIGGERS)}")
    row, previous = _replayed(deposits, store, previous_seq)
    facts = intake.facts.model_copy(update={"id": previous.case_id}) if intake.facts.id != previous.case_id \
        else intake.facts
    new = redetermine(previous, facts, intake.context, trigger)
    if not changed(json.loads(row.statement)["payload"], expected_payload(new, facts.melding.date)):
        raise CaseError(REDETERMINATION_UNCHANGED, "de herbeoordeling geeft dezelfde uitkomst (kostendrager, budget, "
                                                   "klasse, wettelijk college) en dezelfde signaleringen: er wordt "
                                                   "niets vastgelegd")
    deposits.deposit(row.client, facts, intake.context, new, intake.context_source)
    payload = _payload(new, facts, author, today(store), legal_basis)
    # the parties of the determination it replaces are told too (the cost bearer it relieves above all)
    before = json.loads(row.statement)["payload"]
    told = {before.get("addressee"), (before.get("outcome") or {}).get("cost_bearer"), *before.get("copy_to", ()),
            *payload.get("copy_to", ())} - {None, payload["addressee"], author}
    if told:
        payload["copy_to"] = sorted(p for p in told if party_class(p) in ("municipality", "region"))
    payload = {**payload, "previous": {"seq": row.seq, "entry_hash": row.leaf_hash.hex()}, "trigger": trigger,
               "changes": [f"{f}: {o} -> {n}" for f, o, n in new.changes][:50]}
    return Recording(new, Draft("redetermination", payload, _key("n8", row.client, new.digest), row.client),
                     intake.brp_report)


def redetermine_and_record(store: Store, deposits: DeterminationDeposits, signer: Signer, previous_seq: int,
                           intake: Intake, *, trigger: str, legal_basis: str | None = None
                           ) -> tuple[Recording, AppendResult]:
    """`draft_redetermine`, signed here and appended."""
    rec = draft_redetermine(store, deposits, previous_seq, intake, trigger=trigger, author=signer.party,
                            legal_basis=legal_basis)
    return rec, store.append(*rec.draft.signed(signer, store.clock()).as_item())


def trail(store: Store, deposits: DeterminationDeposits, digest: str) -> tuple[Any, dict]:
    """The recorded determination of `digest` (its entry row) and its deposited JSON with the trail."""
    from ledger.store import entries as entries_table

    rows = [r for r in store.rows_where(entries_table.c.kind.in_(("determination", "redetermination")))
            if json.loads(r.statement)["payload"].get("determination_digest") == digest]
    if not rows:
        raise CaseError(DETERMINATION_NOT_FOUND, f"geen vastgelegde beoordeling {digest[:16]}")
    row = rows[0]
    return row, deposits.trail(row.client, digest)
