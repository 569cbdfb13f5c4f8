"""What a cost line must rest on (pure): its basis, its product and its tariff (R13/R14; issue 11).

A cost line is a receivable of its fronting party and a payable of its cost bearer. It is admitted
only with the basis it claims:
- a recorded determination or re-determination (`determination`) of the same client that names the
  line's cost bearer (its outcome's cost bearer), for days from its reference date on; or
- a committee decision or court ruling (`decision`: the dispute_event that carries it, still the
  decision in force of its case) of the same client whose period covering the line names that cost
  bearer. A line wholly outside the decision's periods (the unchanged rest of a reversed line) rests
  on its determination as above. The operator books such corrections (no party's key on the server):
  an operator's line needs a decision;
- a product of the catalogue (ledger/data/products.toml), and the tariff of a contract the fronting
  party uses (its own or its region's, ledger/data/tariffs.toml) on every day of the period. A line
  with another tariff is admitted only marked `tariff_deviation` and provisional: it stays
  provisional until the cost bearer accepts it (a `tariff_acceptance` entry, once per line, while
  the line stands, repeating its terms). Then the fronting party replaces it: the reversal of the
  accepted line, then a definitive line on the accepted terms that refers to both, with the
  idempotency key `tariff:<seq of the acceptance>`. An acceptance is used once: only the author of
  the line's one reversal (ALREADY_REVERSED) may use it, and the ledger holds one entry per author
  and idempotency key (a second one is a replay of the first), so no further ledger state is needed.
- both parties are municipalities that exist on the period's first day, never the committee or the
  operator (ledger/parties.py).

A reversal by the operator likewise needs the decision that orders it.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from .entries import OPERATOR
from .errors import (BASIS_MISMATCH, BASIS_MISSING, NOT_ENTITLED, PRODUCT_UNKNOWN, TARIFF_ACCEPTANCE_INVALID,
                     TARIFF_INVALID, LedgerError)
from .parties import municipality_problem
from .settlement.catalogue import load_catalogue


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


@lru_cache(maxsize=65536)
def contract_tariff_holds(fronting: str, product: str, start: date, stop: date, cents: int) -> bool:
    """Whether a contract the fronting party uses has tariff `cents` for `product` on every day."""
    cat = load_catalogue()
    for cid in cat.contracts_for(fronting):
        try:
            segments = cat.tariff_segments(fronting, product, start, stop, cid)
        except LedgerError:  # that contract has no tariff for these days (TARIFF_MISSING): try the next
            continue
        if all(t.cents_per_day == cents for _a, _b, t in segments):
            return True
    return False


def decision_covering(decision: dict, start: date, stop: date) -> dict | None:
    """The period of a decision (as JSON) that holds start..stop, or None."""
    for p in decision["cost_bearers"]:
        if _day(p["period_from"]) <= start and stop <= _day(p["period_to"]):
            return p
    return None


def decision_basis_problem(line, client: str | None, dec, cases) -> tuple[bool, LedgerError | None]:
    """(whether the decision covers the line, the problem). `dec` is the RefInfo of the dispute_event,
    `cases` the case states by dispute id (the decision must be its case's decision in force)."""
    decision = dec.payload.get("decision")
    state = cases.get(dec.payload.get("dispute_id"))
    if not decision or state is None or state.decision_seq != dec.seq:
        return False, LedgerError(BASIS_MISMATCH, f"decision: entry {dec.seq} is not the decision in force of its case")
    if dec.client != client:
        return False, LedgerError(BASIS_MISMATCH, f"decision: entry {dec.seq} is about another client")
    period = decision_covering(decision, line.period_from, line.period_to)
    if period is None:
        return False, None
    if period["cost_bearer"] != line.cost_bearer:
        return True, LedgerError(BASIS_MISMATCH, f"the decision names {period['cost_bearer']} for "
                                                 f"{period['period_from']}..{period['period_to']}, not {line.cost_bearer}")
    return True, None


def determination_basis_problem(line, client: str | None, det) -> LedgerError | None:
    """The determination (RefInfo) names this client, this cost bearer, and a reference date on or
    before the line's first day."""
    if det.client != client:
        return LedgerError(BASIS_MISMATCH, f"determination: entry {det.seq} is about another client")
    bearer = (det.payload.get("outcome") or {}).get("cost_bearer")
    if bearer != line.cost_bearer:
        return LedgerError(BASIS_MISMATCH, f"determination {det.seq} names {bearer} as cost bearer, "
                                           f"not {line.cost_bearer}")
    reference = _day(det.payload["reference_date"])
    if line.period_from < reference:
        return LedgerError(BASIS_MISMATCH, f"period_from {line.period_from.isoformat()} is before the "
                                           f"determination's reference date {reference.isoformat()}")
    return None


#: the terms of a line its cost bearer accepts, repeated in the acceptance and in the definitive line
ACCEPTED_TERMS = ("period_from", "period_to", "product", "units", "tariff_cents")


def _terms_differ(line_json: dict, other: dict) -> list[str]:
    return [f for f in ACCEPTED_TERMS if line_json.get(f) != other.get(f)]


def tariff_acceptance_problem(acceptance, client: str | None, line, accepted: set[int], reversed_: set[int]
                              ) -> LedgerError | None:
    """An acceptance (a TariffAcceptance model; its author is the line's cost bearer: the entitlement
    table) is of a standing, provisional line with a deviating tariff of the same client, on that
    line's terms, once. `line` is the RefInfo of the line."""
    p = line.payload
    if line.client != client:
        return LedgerError(TARIFF_ACCEPTANCE_INVALID, f"cost_line: entry {line.seq} is about another client")
    if not p.get("tariff_deviation") or p.get("status") != "provisional":
        return LedgerError(TARIFF_ACCEPTANCE_INVALID, f"cost line {line.seq} has no deviating tariff to accept")
    if line.seq in reversed_:
        return LedgerError(TARIFF_ACCEPTANCE_INVALID, f"cost line {line.seq} was reversed")
    if line.seq in accepted:
        return LedgerError(TARIFF_ACCEPTANCE_INVALID, f"the tariff of cost line {line.seq} was accepted before")
    differs = _terms_differ(p, acceptance.model_dump(mode="json"))
    if differs:
        return LedgerError(TARIFF_ACCEPTANCE_INVALID, f"the acceptance differs from cost line {line.seq} in "
                                                      f"{', '.join(differs)}")
    return None


def accepted_tariff_key(acceptance_seq: int) -> str:
    """The idempotency key of the definitive line that uses an acceptance (one per author and key)."""
    return f"tariff:{acceptance_seq}"


def accepted_tariff_problem(author: str, line, key: str, client: str | None, refs: dict) -> LedgerError | None:
    """A definitive line with a deviating tariff replaces the provisional line its cost bearer accepted:
    `replaces` is the reversal of that line by the same author, the terms are the accepted ones, and
    the idempotency key is accepted_tariff_key (so the acceptance is used once)."""
    acceptance, reversal = refs.get("tariff_acceptance"), refs.get("replaces")
    if acceptance is None:
        return LedgerError(TARIFF_INVALID, "a line with a deviating tariff is provisional until the cost bearer "
                                           "accepts it (field tariff_acceptance)")
    accepted_seq = acceptance.payload["cost_line"]["seq"]
    if reversal is None or reversal.author != author or reversal.payload["reverses"]["seq"] != accepted_seq:
        return LedgerError(TARIFF_ACCEPTANCE_INVALID, f"replaces: the reversal of the accepted line {accepted_seq} "
                                                      f"by {author}")
    if key != accepted_tariff_key(acceptance.seq):
        return LedgerError(TARIFF_ACCEPTANCE_INVALID, f"the idempotency key of the line that uses acceptance "
                                                      f"{acceptance.seq} is {accepted_tariff_key(acceptance.seq)}")
    if acceptance.client != client or acceptance.author != line.cost_bearer:
        return LedgerError(TARIFF_ACCEPTANCE_INVALID, f"tariff_acceptance: entry {acceptance.seq} is not the "
                                                      f"acceptance of {line.cost_bearer} for this client")
    differs = _terms_differ(line.model_dump(mode="json"), acceptance.payload)
    if differs:
        return LedgerError(TARIFF_ACCEPTANCE_INVALID, f"the line differs from the accepted terms in "
                                                      f"{', '.join(differs)}")
    return None


def cost_line_problem(author: str, line, client: str | None, refs: dict, cases, key: str = "") -> LedgerError | None:
    """Why a cost line (a CostLine model with idempotency key `key`, its resolved references) may not
    be admitted, or None."""
    for field in ("fronting_party", "cost_bearer"):
        err = municipality_problem(field, getattr(line, field), line.period_from)
        if err:
            return err
    det, dec = refs.get("determination"), refs.get("decision")
    covered = False
    if dec is not None:
        covered, err = decision_basis_problem(line, client, dec, cases)
        if err:
            return err
    elif author == OPERATOR:
        return LedgerError(NOT_ENTITLED, "the operator books a cost line only for a decision (field decision)")
    if not covered:
        if det is None:
            return LedgerError(BASIS_MISSING, "a cost line rests on a recorded determination or a decision "
                                              "naming its cost bearer")
        err = determination_basis_problem(line, client, det)
        if err:
            return err
    if line.product not in load_catalogue().products:
        return LedgerError(PRODUCT_UNKNOWN, f"product {line.product!r} is not in the catalogue")
    if line.tariff_deviation:
        if line.status != "provisional":
            return accepted_tariff_problem(author, line, key, client, refs)
    elif not contract_tariff_holds(line.fronting_party, line.product, line.period_from, line.period_to,
                                   line.tariff_cents):
        return LedgerError(TARIFF_INVALID, f"{line.tariff_cents} cents per day is not the contract tariff of "
                                           f"{line.fronting_party} for {line.product} on "
                                           f"{line.period_from.isoformat()}..{line.period_to.isoformat()} "
                                           "(mark a deviating tariff as such)")
    return None


def reversal_problem(author: str, client: str | None, refs: dict, cases) -> LedgerError | None:
    """A reversal by the operator rests on the decision that orders it; any reversal is of its own client."""
    line = refs.get("reverses")
    if line is not None and line.client != client:
        return LedgerError(BASIS_MISMATCH, f"reverses: entry {line.seq} is about another client")
    dec = refs.get("decision")
    if author == OPERATOR and dec is None:
        return LedgerError(NOT_ENTITLED, "the operator reverses a cost line only for a decision (field decision)")
    if dec is not None:
        state = cases.get(dec.payload.get("dispute_id"))
        if not dec.payload.get("decision") or state is None or state.decision_seq != dec.seq:
            return LedgerError(BASIS_MISMATCH, f"decision: entry {dec.seq} is not the decision in force of its case")
        if dec.client != client:
            return LedgerError(BASIS_MISMATCH, f"decision: entry {dec.seq} is about another client")
    return None
