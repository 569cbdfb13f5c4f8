"""Booking, corrections, settlement, seals and what-if against a real store (SQLite and PostgreSQL)."""
import random
from datetime import date, timedelta

import pytest

from ledger.errors import LedgerError
from ledger.settlement import store as sstore
from ledger.settlement.booking import book_placement
from ledger.settlement.catalogue import load_catalogue
from ledger.settlement.corrections import rebook
from ledger.settlement.costlines import Placement
from ledger.settlement.quarters import Quarter
from ledger.settlement.settle import close_quarter, compute, settle, whatif


def tariff(product, day, fronting="GM0193"):
    return load_catalogue().tariff_segments(fronting, product, day, day)[0][2].cents_per_day


def _det(env, fronting, bearer, client, flags=()):
    r = env.store.append(*__import__("ledger.service", fromlist=["sign_statement"]).sign_statement(
        env.signer_for(fronting), "determination",
        {"determination_id": f"det-{client}", "determination_digest": "a" * 64, "input_digest": "b" * 64,
         "ruleset_version": "r", "context_version": "c", "reference_date": "2025-01-01",
         "outcome": {"cost_bearer": bearer, "budget": "woonplaats", "client_class": "NEW", "new_client": True,
                     "statutory_college": bearer, "entry_kind": "inter_regional"},
         "flags": list(flags), "provisional": bool(flags), "addressee": bearer},
        idempotency_key=f"det-{client}-{bearer}", client=client).as_item())
    return {"seq": r.seq, "entry_hash": r.entry_hash.hex()}


def test_book_rebook_settle_seal(env):
    e = env
    det = _det(e, "GM0193", "GM0166", "PSN-client-1")
    p = Placement("pl-1", "PSN-client-1", "GM0193", "GM0166", "15B02", date(2025, 11, 20), None, determination=det)
    first = book_placement(e.store, e.signer_for, p, until=date(2026, 3, 31))
    assert len(first) == 6  # Nov, Dec, Jan, Feb (tariff change: 2 lines), Mar
    assert book_placement(e.store, e.signer_for, p, until=date(2026, 3, 31)) == []  # idempotent
    own = Placement("pl-own", "PSN-client-own", "GM0193", "GM0193", "15A01", date(2026, 1, 1), date(2026, 1, 31),
                    historical_budget=True)
    assert len(book_placement(e.store, e.signer_for, e.based(own), until=date(2026, 3, 31))) == 1  # fronting == bearer
    k4 = settle(e.store, "2025K4")
    assert [(f.creditor, f.debtor, f.total_cents) for f in k4.flows] == [("GM0193", "GM0166", 42 * tariff("15B02", date(2025, 12, 1)))]
    k1 = settle(e.store, "2026K1")
    assert k1.own_costs == {"GM0193": 31 * tariff("15A01", date(2026, 1, 1))}
    assert sum(p.net_cents for p in k1.positions) == 0
    # seal K4; then the committee decides Hardenberg pays from 10 December to 31 January
    seal = close_quarter(e.store, "2025K4", today=date(2026, 1, 10))
    assert close_quarter(e.store, "2025K4", today=date(2026, 1, 11)).duplicate
    with pytest.raises(LedgerError) as exc:
        close_quarter(e.store, "2026K1", today=date(2026, 3, 31))
    assert exc.value.code == "QUARTER_NOT_ENDED"
    periods = [(date(2025, 12, 10), date(2026, 1, 31), "GM0160", False)]
    redet = e.redetermine(det, "GM0193", "PSN-client-1", "GM0160", date(2025, 12, 10))
    res = rebook(e.store, e.signer_for, client="PSN-client-1", periods=periods, reason="besluit commissie",
                 today=date(2026, 2, 2), ref=redet)
    assert len(res) == 5  # 2 reversals, Dec 1-9 (old bearer), Dec 10-31 and Jan (new bearer)
    assert rebook(e.store, e.signer_for, client="PSN-client-1", periods=periods, reason="besluit commissie",
                  today=date(2026, 2, 2), ref=redet) == []
    rows = sstore.client_lines(e.store, "PSN-client-1")
    new = [r for r in rows if r.seq in {x.seq for x in res}]
    assert all(r.booking_quarter == "2026K1" for r in new)
    assert {r.corrects for r in new} == {"correctie op 2025-K4", "correctie op 2026-K1"}
    # a reversal and its original net to zero
    by_seq = {r.seq: r for r in rows}
    for r in new:
        if r.kind == "reversal":
            assert r.amount_cents + by_seq[r.reverses_seq].amount_cents == 0
    # the sealed quarter does not change; the correction lands in the open quarter
    assert settle(e.store, "2025K4").digest == seal.digest
    k1b = settle(e.store, "2026K1")
    assert k1b.position("GM0160").net_cents == -(22 * tariff("15B02", date(2025, 12, 1)) + 31 * tariff("15B02", date(2026, 1, 1)))
    assert sum(p.net_cents for p in k1b.positions) == 0
    # totals over both quarters are unchanged for Zwolle (it fronts either way)
    assert k1b.position("GM0193").net_cents == k1.position("GM0193").net_cents


def test_late_line_for_a_sealed_quarter_goes_to_the_next_open_one(env):
    e = env
    close_quarter(e.store, "2026K1", today=date(2026, 4, 2))
    p = Placement("pl-late", "PSN-client-7", "GM0193", "GM0148", "15C01", date(2026, 3, 20), date(2026, 3, 25))
    (r,) = book_placement(e.store, e.signer_for, e.based(p), until=date(2026, 3, 31))
    row = sstore.lines_where(e.store, sstore.lines.c.seq == r.seq)[0]
    assert (row.booking_quarter, row.corrects) == ("2026K2", "correctie op 2026-K1")
    assert settle(e.store, "2026K1").flows == ()
    assert settle(e.store, "2026K2").position("GM0148").net_cents == -6 * row.tariff_cents


def test_disputed_and_provisional_apart_payable_excludes_disputed(env):
    e = env
    d1 = _det(e, "GM0193", "GM0166", "PSN-client-1")
    d2 = _det(e, "GM0193", "GM0148", "PSN-client-2", flags=["T0_STRADDLE"])
    book_placement(e.store, e.signer_for, Placement("a", "PSN-client-1", "GM0193", "GM0166", "15B01",
                                                    date(2026, 1, 1), date(2026, 1, 10), determination=d1),
                   until=date(2026, 3, 31))
    book_placement(e.store, e.signer_for, Placement("b", "PSN-client-2", "GM0193", "GM0148", "15B01",
                                                    date(2026, 1, 1), date(2026, 1, 10), determination=d2,
                                                    status="provisional"), until=date(2026, 3, 31))
    from ledger.service import sign_statement
    case = {"dispute_id": "g-1", "determination": d1, "participants": ["GM0193", "GM0166", "COMMITTEE"]}
    e.store.append(*sign_statement(e.signer_for("GM0166"), "dispute_event", dict(case, status="DETERMINED"),
                                   idempotency_key="g-1-0", client="PSN-client-1").as_item())
    e.store.append(*sign_statement(e.signer_for("GM0166"), "dispute_event",
                                   dict(case, status="OBJECTED", previous_status="DETERMINED"),
                                   idempotency_key="g-1-1", client="PSN-client-1").as_item())
    s = settle(e.store, "2026K1")
    t = 10 * tariff("15B01", date(2026, 1, 1))
    z = s.position("GM0193")
    assert z.receivable == {"definitive": 0, "provisional": t, "disputed": t}
    assert z.net_payable_cents == t and z.net_cents == 2 * t
    assert s.position("GM0166").net_payable_cents == 0
    # the dispute is settled: the amount becomes payable
    e.store.append(*sign_statement(e.signer_for("GM0166"), "dispute_event",
                                   dict(case, status="SETTLED", previous_status="OBJECTED"),
                                   idempotency_key="g-1-2", client="PSN-client-1").as_item())
    assert settle(e.store, "2026K1").position("GM0166").net_payable_cents == -t
    # what-if: another reading of d2's flag moves its cost to Kampen; nothing is booked
    size = e.store.size()
    w = whatif(e.store, "2026K1", reading={d2["seq"]: "GM0166"})
    assert e.store.size() == size
    diff = {d.party: d.difference_cents for d in w.differences}
    assert diff == {"GM0148": t, "GM0166": -t, "GM0193": 0}


def test_solidarity_pool_and_whatif_verdeelsleutel(env):
    e = env
    # historical cohort: Zwolle's historical budget, fronted by Zwolle and by Kampen
    for i, fronting in enumerate(["GM0193", "GM0166", "GM0193"]):
        book_placement(e.store, e.signer_for, e.based(Placement(f"h{i}", f"PSN-hist-{i}", fronting, "GM0193", "15A02",
                                                        date(2025, 10, 1), date(2025, 12, 31), historical_budget=True)),
                       until=date(2025, 12, 31))
    s = settle(e.store, "2025K4")
    pooled = 3 * 92 * tariff("15A02", date(2025, 10, 1))
    shares = [x for x in s.pool_shares if x.klass == "definitive"]
    assert sum(x.share_cents for x in shares) == pooled and len(shares) == 8 and s.keys == {
        "ijv-historisch-2023-2025": "population"}
    assert sum(p.net_cents for p in s.positions) == 0
    assert s.position("GM0148").net_cents == -next(x.share_cents for x in shares if x.member == "GM0148")
    w = whatif(e.store, "2025K4", keys={"ijv-historisch-2023-2025": "fixed"})
    assert sum(d.difference_cents for d in w.differences) == 0
    assert any(d.difference_cents for d in w.differences)
    with pytest.raises(LedgerError) as exc:
        settle(e.store, "2025K4", keys={"ijv-historisch-2023-2025": "nonsense"})
    assert exc.value.code == "VERDEELSLEUTEL_UNKNOWN"
    assert settle(e.store, "2026K1").pool_shares == ()  # the pool ran 2023-2025


def test_random_placements_net_to_zero_every_quarter(sqlite_env):
    e = sqlite_env
    rnd = random.Random(7)
    parties = ["GM0166", "GM0193", "GM0148", "GM0160", "GM0505", "GM0228", "GM0718"]
    ps = []
    for i in range(25):
        start = date(2025, 1, 1) + timedelta(days=rnd.randrange(500))
        stop = start + timedelta(days=rnd.randrange(1, 300)) if rnd.random() < 0.5 else None
        ps.append(Placement(f"r{i}", f"PSN-rand-{i:03d}", rnd.choice(["GM0193", "GM0505", "GM0228", "GM0718"]),
                            rnd.choice(parties), rnd.choice(sorted(load_catalogue().products)), start, stop,
                            historical_budget=rnd.random() < 0.2, status=rnd.choice(["provisional", "definitive"])))
        book_placement(e.store, e.signer_for, e.based(ps[-1]), until=date(2026, 6, 30))
    def per_client():
        out = {}
        for r in sstore.lines_where(e.store, sstore.lines.c.seq >= 0):
            out[r.client] = out.get(r.client, 0) + r.amount_cents
        return out
    before = per_client()
    for i in range(0, 25, 4):
        a = ps[i].start + timedelta(days=10)
        based = e.based(ps[i])
        redet = e.redetermine(based.determination, based.fronting_party, based.client, "GM0160", a)
        rebook(e.store, e.signer_for, client=ps[i].client, periods=[(a, a + timedelta(days=45), "GM0160", False)],
               reason="correctie", today=date(2026, 7, 1), ref=redet)
    assert per_client() == before  # a change of cost bearer moves costs, it never changes a client's total
    live = {r.seq: r for r in sstore.lines_where(e.store, sstore.lines.c.kind == "cost_line")}
    for r in sstore.lines_where(e.store, sstore.lines.c.kind == "reversal"):
        assert r.amount_cents + live[r.reverses_seq].amount_cents == 0  # a reversal and its original net to zero
    q = Quarter(2025, 1)
    grand = 0
    while q <= Quarter(2026, 3):
        s = settle(e.store, q)
        assert sum(p.net_cents for p in s.positions) == 0, q
        assert sum(p.net_payable_cents for p in s.positions) == 0, q
        grand += sum(f.total_cents for f in s.flows if f.kind == "kosten") + sum(s.own_costs.values())
        q = q.next()
    # every cent booked is settled in exactly one quarter
    rows = sstore.lines_where(e.store, sstore.lines.c.seq >= 0)
    assert grand == sum(r.amount_cents for r in rows)


def test_compute_is_pure_and_balanced():
    groups = [("GM0193", "GM0166", "definitive", False, False, 1000, 2),
              ("GM0166", "GM0193", "provisional", False, True, 300, 1),
              ("GM0193", "GM0193", "definitive", True, False, 700, 1)]
    s = compute(Quarter(2024, 2), groups, load_catalogue())
    assert sum(p.net_cents for p in s.positions) == 0
    assert sum(x.share_cents for x in s.pool_shares) == 700
    assert compute(Quarter(2024, 2), groups, load_catalogue()).digest == s.digest


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st

_PARTY = st.sampled_from(["GM0193", "GM0166", "GM0148", "GM0160", "GM0505", "GM0228"])
_GROUP = st.tuples(_PARTY, _PARTY, st.sampled_from(["provisional", "definitive"]), st.booleans(), st.booleans(),
                   st.integers(-10**9, 10**9), st.integers(1, 50))


@settings(max_examples=150)
@given(groups=st.lists(_GROUP, max_size=30), q=st.sampled_from([Quarter(2024, 3), Quarter(2025, 4), Quarter(2026, 1)]),
       key=st.sampled_from(["fixed", "population", "objective_budget"]))
def test_net_positions_sum_to_zero_and_payable_leaves_out_disputed(groups, q, key):
    s = compute(q, groups, load_catalogue(), keys={"ijv-historisch-2023-2025": key})
    assert sum(p.net_cents for p in s.positions) == 0
    assert sum(p.net_payable_cents for p in s.positions) == 0
    disputed = sum(c for f, b, _s, _h, d, c, _n in groups if d and f != b)
    assert sum(p.receivable["disputed"] for p in s.positions) == disputed
    for pool in {x.pool for x in s.pool_shares}:
        for klass in ("definitive", "provisional"):
            sh = [x for x in s.pool_shares if x.pool == pool and x.klass == klass]
            if sh:
                assert sum(x.share_cents for x in sh) == sh[0].pooled_cents


def test_new_determination_books_reversals_and_new_lines(env):
    e = env
    p = Placement("pl-9", "PSN-client-9", "GM0193", "GM0166", "15C02", date(2026, 1, 10), date(2026, 3, 5),
                  status="provisional", determination=_det(e, "GM0193", "GM0166", "PSN-client-9", ["T0_STRADDLE"]))
    first = book_placement(e.store, e.signer_for, p, until=date(2026, 3, 31))
    before = settle(e.store, "2026K1")
    # the re-determination: Hardenberg bears the cost, definitively
    p2 = Placement(**{**p.__dict__, "cost_bearer": "GM0160", "status": "definitive",
                      "determination": _det(e, "GM0193", "GM0160", "PSN-client-9")})
    second = book_placement(e.store, e.signer_for, p2, until=date(2026, 3, 31), today=date(2026, 3, 20))
    assert len(second) == 2 * len(first)
    rows = {r.seq: r for r in sstore.client_lines(e.store, "PSN-client-9")}
    assert sorted(rows[r.seq].kind for r in second) == ["cost_line"] * len(first) + ["reversal"] * len(first)
    assert all(rows[r.seq].booking_quarter == "2026K1" for r in second)
    after = settle(e.store, "2026K1")
    assert after.position("GM0166").net_cents == 0
    assert after.position("GM0160").net_cents == before.position("GM0166").net_cents
    assert book_placement(e.store, e.signer_for, p2, until=date(2026, 3, 31), today=date(2026, 3, 20)) == []
