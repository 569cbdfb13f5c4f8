"""A deviating tariff stays provisional until the cost bearer accepts it (issue 11; ledger/costline_basis.py,
ledger/settlement/tariff_acceptance.py), on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import date

import pytest

from ledger.errors import LedgerError
from ledger.service import sign_statement
from ledger.settlement.settle import settle
from ledger.settlement.tariff_acceptance import accept_tariff, book_accepted_tariff
from ledger.verify import verify_store

CLIENT = "PSN-TARIEF1"
FRONTING, BEARER = "GM0166", "GM0193"
DEVIATING = 20_000  # cents per day; the IJssel-Vecht contract says 19,500


def _ref(r) -> dict:
    return {"seq": r.seq, "entry_hash": r.entry_hash.hex()}


def _determination(env) -> dict:
    r = env.store.append(*sign_statement(
        env.signers[FRONTING], "determination",
        {"determination_id": "det-tarief", "determination_digest": "a" * 64, "input_digest": "b" * 64,
         "ruleset_version": "r", "context_version": "c", "reference_date": "2026-01-01",
         "outcome": {"cost_bearer": BEARER, "budget": "woonplaats", "client_class": "NEW", "new_client": True,
                     "statutory_college": BEARER, "entry_kind": "inter_regional"},
         "flags": [], "provisional": False, "addressee": BEARER},
        idempotency_key="det-tarief", client=CLIENT).as_item())
    return _ref(r)


def _line(det: dict, **over) -> dict:
    d = {"fronting_party": FRONTING, "cost_bearer": BEARER, "period_from": "2026-01-01", "period_to": "2026-01-31",
         "product": "15A01", "units": 31, "tariff_cents": DEVIATING, "amount_cents": 31 * DEVIATING,
         "status": "provisional", "historical_budget": False, "determination": det, "tariff_deviation": True}
    d.update(over)
    return d


def _append(env, author: str, kind: str, payload: dict, key: str):
    return env.store.append(*sign_statement(env.signers[author], kind, payload, idempotency_key=key,
                                            client=CLIENT).as_item())


def _refused(env, author, kind, payload, key) -> str:
    size = env.store.tree_state().tree_size
    with pytest.raises(LedgerError) as exc:
        _append(env, author, kind, payload, key)
    assert env.store.tree_state().tree_size == size  # nothing stored
    return exc.value.code


def _classes(env) -> tuple[int, int]:
    flow = next(f for f in settle(env.store, "2026K1").flows if (f.creditor, f.debtor) == (FRONTING, BEARER))
    return flow.provisional_cents, flow.definitive_cents


def test_a_deviating_tariff_is_provisional_until_its_cost_bearer_accepts_it(env):
    det = _determination(env)
    amount = 31 * DEVIATING
    assert _refused(env, FRONTING, "cost_line", _line(det, status="definitive"), "l-def") == "TARIFF_INVALID"
    line = _append(env, FRONTING, "cost_line", _line(det), "l-1")
    assert _classes(env) == (amount, 0)

    terms = {"cost_line": _ref(line), "period_from": "2026-01-01", "period_to": "2026-01-31", "product": "15A01",
             "units": 31, "tariff_cents": DEVIATING}
    # only the cost bearer accepts, on the line's own terms
    assert _refused(env, FRONTING, "tariff_acceptance", terms, "a-x") == "NOT_ENTITLED"
    assert _refused(env, BEARER, "tariff_acceptance", {**terms, "tariff_cents": 19_000},
                    "a-y") == "TARIFF_ACCEPTANCE_INVALID"
    acc = accept_tariff(env.store, env.signers[BEARER], line.seq, note="akkoord met het tarief")
    assert accept_tariff(env.store, env.signers[BEARER], line.seq, note="akkoord met het tarief").seq == acc.seq
    assert _refused(env, BEARER, "tariff_acceptance", terms, "a-twice") == "TARIFF_ACCEPTANCE_INVALID"
    assert _classes(env) == (amount, 0)  # accepted, not yet booked definitive

    # the definitive line needs the reversal of the accepted line before it
    definitive = _line(det, status="definitive", tariff_acceptance=_ref(acc))
    assert _refused(env, FRONTING, "cost_line", definitive, f"tariff:{acc.seq}") == "TARIFF_ACCEPTANCE_INVALID"

    rev, new = book_accepted_tariff(env.store, env.signers[FRONTING], acc.seq, today=date(2026, 2, 10))
    assert _classes(env) == (0, amount)
    stored = json.loads(env.store.get_rows([new.seq])[new.seq].statement)["payload"]
    assert stored["status"] == "definitive" and stored["replaces"]["seq"] == rev.seq

    # the acceptance is used once: another key, or other terms under the same key, are refused
    again = {**definitive, "replaces": _ref(rev)}
    assert _refused(env, FRONTING, "cost_line", again, "tariff-again") == "TARIFF_ACCEPTANCE_INVALID"
    assert _refused(env, FRONTING, "cost_line", {**again, "units": 30, "amount_cents": 30 * DEVIATING},
                    f"tariff:{acc.seq}") in ("IDEMPOTENCY_CONFLICT", "TARIFF_ACCEPTANCE_INVALID")
    # a reversed line is not accepted any more
    assert _refused(env, BEARER, "tariff_acceptance", terms, "a-after") == "TARIFF_ACCEPTANCE_INVALID"
    assert verify_store(env.store, workers=1).ok
