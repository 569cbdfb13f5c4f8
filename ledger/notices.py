"""Notices between regions (N1 placement, N2 outflow, N5 handover) and their acknowledgement (pure).

A notice is admitted when (domain specification section 4 and 8.12; issue 11):
- every party it names exists on the notice's date (ledger/parties.py), its cost bearer and
  addressees are no committee or operator, its host region a region and its host or new municipality
  a municipality;
- it is addressed to a party other than its sender (an N1 may name the sender as host municipality:
  a placement in its own municipality on another region's contract);
- its date is plausible: not more than `notice_years_back` years before its receipt (older claims
  are time-barred: art. 3:308 BW, five years) nor more than `notice_days_ahead` days after it;
- it names the legal basis on which it names a client, one of the dated list `legal_bases` of the
  rule set (spec 8.12: mandaat, gemeenschappelijke regeling, pseudoniem, a designated processing).
  N3, N4 and N8 (determination, acceptance/objection, re-determination) name it too; absent there it
  is `pseudoniem`, the default of spec 8.12 (nothing but the pseudonym enters the ledger);
- from rule set 2026-12-02 (family `episodes`): an outflow (N2) does not end before the client's
  episode began, the earliest start date of the client's placement notices (N1).

An acceptance or objection (N4) and a re-determination (N8) are about the client of the
determination they refer to.

From rule set 2026-12-04b (family `determination_answers`) the addressee answers a determination (N4:
acceptance or objection; who may is the entitlement table) by its objection deadline: six weeks
(`objection_weeks`) after the N3 was received, extended by the Algemene termijnenwet (rules/termijnen.py),
or the later `objection_deadline` the N3 names (an author may give more time, never less). After the
deadline the determination is NO_RESPONSE (spec section 4 and 8: no deemed acceptance); a party that
missed it goes to the committee.

From rule set 2026-12-04b (family `handover_answers`) the party an N5 asked answers it (`handover_answer`, the
entitlement table) once, for the request's client; a yes names the day it takes over (spec section 4: the
answer is due within two weeks; a late one is still admitted, the inbox marks it overdue: `handover_answer_due`).

An acknowledgement is by an addressee of the notice (the entitlement table), for the same client,
once per addressee; it is due `acknowledgement_working_days` working days after the notice was
received (Algemene termijnenwet: rules/termijnen.py). A late acknowledgement is still admitted: the
inbox marks it overdue.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from rules.dates import dutch_date
from rules.termijnen import term, working_days_after

from .errors import (
    ACKNOWLEDGEMENT_INVALID,
    DATE_IMPLAUSIBLE,
    DEADLINE_PASSED,
    HANDOVER_ANSWER_INVALID,
    LEGAL_BASIS_INVALID,
    PARTY_ROLE_INVALID,
    REFERENCE_INVALID,
    LedgerError,
)
from .entries import party_class
from .parties import paying_party_problem, unknown_party_problem


_ZONE = ZoneInfo("Europe/Amsterdam")


class NoticeShape(NamedTuple):
    """Where a notice kind keeps its sender, its addressees and its date."""

    sender: str
    addressees: tuple[str, ...]
    date_field: str


NOTICES = {
    "placement_notice": NoticeShape("placing_party", ("host_region", "host_municipality"), "start_date"),
    "outflow_notice": NoticeShape("sender", ("host_municipality", "host_region", "new_municipality"), "end_date"),
    "handover_request": NoticeShape("meldgemeente", ("to_party",), "proposed_date"),
}


#: the fields of a notice that name a party of one class
FIELD_CLASS = {"host_region": "region", "host_municipality": "municipality", "new_municipality": "municipality"}


def addressees(kind: str, payload: dict[str, Any]) -> set[str]:
    """The parties a notice (as JSON) is addressed to."""
    return {payload[f] for f in NOTICES[kind].addressees if payload.get(f)}


def acknowledgement_due(received_on: date, working_days: int = 5) -> date:
    """The last day to acknowledge a notice received on `received_on`."""
    return working_days_after(received_on, working_days)


def notice_problem(kind: str, payload, received_on: date, ruleset) -> LedgerError | None:
    """Why a notice (a payload model of NOTICES' kinds) may not be admitted, or None."""
    shape = NOTICES[kind]
    on: date = getattr(payload, shape.date_field)
    if on < received_on - timedelta(days=round(365.25 * ruleset.notice_years_back)):
        return LedgerError(DATE_IMPLAUSIBLE, f"{shape.date_field} {on.isoformat()} is more than "
                                             f"{ruleset.notice_years_back} years before the notice")
    if on > received_on + timedelta(days=ruleset.notice_days_ahead):
        return LedgerError(DATE_IMPLAUSIBLE, f"{shape.date_field} {on.isoformat()} is more than "
                                             f"{ruleset.notice_days_ahead} days after the notice")
    for field in payload.party_fields:
        err = unknown_party_problem(field, getattr(payload, field), on)
        if err:
            return err
    for field in ("cost_bearer", *shape.addressees):
        err = paying_party_problem(field, getattr(payload, field, None))
        if err:
            return err
    for field, cls in FIELD_CLASS.items():
        party = getattr(payload, field, None)
        if party is not None and party_class(party) != cls:
            return LedgerError(PARTY_ROLE_INVALID, f"{field}: {party} is not a {cls}")
    sender = getattr(payload, shape.sender)
    if not {getattr(payload, f) for f in shape.addressees if getattr(payload, f)} - {sender}:
        return LedgerError(PARTY_ROLE_INVALID, f"the notice is addressed to its sender {sender} only")
    if payload.legal_basis not in ruleset.legal_bases:
        return LedgerError(LEGAL_BASIS_INVALID, f"legal_basis {payload.legal_basis!r} is not one of "
                                                f"{', '.join(sorted(ruleset.legal_bases))}")
    return None


def legal_basis_problem(payload, ruleset) -> LedgerError | None:
    """The legal basis a determination, re-determination, acceptance or objection names, when it
    names one (absent: pseudoniem, spec 8.12), is of the rule set's dated list."""
    basis = payload.legal_basis
    if basis is not None and basis not in ruleset.legal_bases:
        return LedgerError(LEGAL_BASIS_INVALID, f"legal_basis {basis!r} is not one of "
                                                f"{', '.join(sorted(ruleset.legal_bases))}")
    return None


#: the references by which an N4 (acceptance, objection) or N8 (re-determination) names its determination
DETERMINATION_REFS = ("determination", "previous")


def referred_client_problem(client: str | None, refs: dict) -> LedgerError | None:
    """The determination an acceptance, objection or re-determination refers to (resolved references:
    RefInfo by field) is about the statement's own client."""
    for field in DETERMINATION_REFS:
        ref = refs.get(field)
        if ref is not None and ref.client != client:
            return LedgerError(REFERENCE_INVALID, f"{field}: entry {ref.seq} is about another client")
    return None


def outflow_episode_problem(end_date: date, episode_start: date | None) -> LedgerError | None:
    """An outflow notice does not end the client's BW before its episode began (its first N1)."""
    if episode_start is not None and end_date < episode_start:
        return LedgerError(DATE_IMPLAUSIBLE, f"end_date {end_date.isoformat()} is before the client's episode "
                                             f"began ({episode_start.isoformat()}, placement notice)")
    return None


def acknowledgement_problem(author: str, client: str | None, notice, acknowledged: set[tuple[int, str]]
                            ) -> LedgerError | None:
    """Why an acknowledgement by `author` of `notice` (a RefInfo) may not be admitted, or None."""
    if notice.client != client:
        return LedgerError(ACKNOWLEDGEMENT_INVALID, f"notice {notice.seq} is about another client")
    if author not in addressees(notice.kind, notice.payload):
        return LedgerError(ACKNOWLEDGEMENT_INVALID, f"{author} is not an addressee of notice {notice.seq}")
    if (notice.seq, author) in acknowledged:
        return LedgerError(ACKNOWLEDGEMENT_INVALID, f"{author} acknowledged notice {notice.seq} before")
    return None


def objection_deadline(determination_payload: dict[str, Any], received_on: date, weeks: int = 6) -> date:
    """The last day to accept or object to a determination (JSON payload) received on `received_on`: six
    weeks after it (Algemene termijnenwet), or the later deadline the N3 names."""
    statutory = term(received_on, weeks=weeks).end
    named = determination_payload.get("objection_deadline")
    return max(statutory, date.fromisoformat(named)) if named else statutory


def answer_problem(received_on: date, determination, weeks: int = 6) -> LedgerError | None:
    """Why an N4 received on `received_on` on `determination` (a RefInfo) may not be admitted, or None:
    it comes after the objection deadline."""
    if determination.received_at is None:  # pragma: no cover - every lookup of the store gives it
        return None
    deadline = objection_deadline(determination.payload, determination.received_at.astimezone(_ZONE).date(), weeks)
    if received_on > deadline:
        return LedgerError(DEADLINE_PASSED, f"de bezwaartermijn van beoordeling {determination.seq} liep tot en "
                                            f"met {dutch_date(deadline)}")
    return None


def handover_answer_due(received_on: date) -> date:
    """The last day to answer an N5 received on `received_on` (spec section 4: within two weeks)."""
    return term(received_on, weeks=2).end


def handover_answer_problem(client: str | None, request, payload, answered: set[int]) -> LedgerError | None:
    """Why an answer to the N5 `request` (a RefInfo) may not be admitted, or None."""
    if request.client != client:
        return LedgerError(HANDOVER_ANSWER_INVALID, f"overdrachtsverzoek {request.seq} gaat over een andere cliënt")
    if request.seq in answered:
        return LedgerError(HANDOVER_ANSWER_INVALID, f"overdrachtsverzoek {request.seq} is al beantwoord")
    if payload.accepted and payload.take_over_date is None:
        return LedgerError(HANDOVER_ANSWER_INVALID, "wie een overdracht aanvaardt, noemt de dag van overname (take_over_date)")
    return None
