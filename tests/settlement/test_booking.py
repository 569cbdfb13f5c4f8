"""Booking a month's cost lines from the recorded placements (issue 14): `book_month` over `placement`
entries (ledger/placements.py) x the contract tariffs; idempotent on both backends."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from ledger.errors import LedgerError
from ledger.settlement import service as settlement
from ledger.settlement import store as sstore
from ledger.settlement.booking import MONTH_KEY_PREFIX, parse_month
from ledger.settlement.catalogue import load_catalogue
from ledger.settlement.costlines import Placement
from ledger.store import entries
from ledger.verify import verify_store

ZWOLLE, KAMPEN, DALFSEN, APELDOORN_LESS = "GM0193", "GM0166", "GM0148", "GM0505"
CAT = load_catalogue()


def tariff(fronting: str, product: str, day: date) -> int:
    [(_a, _b, t)] = CAT.tariff_segments(fronting, product, day, day)
    return t.cents_per_day


def record(env, client: str, start: date, end: date | None = None, *, pid: str | None = None, fronting=ZWOLLE,
           bearer=KAMPEN, product="15B02", provisional=False, **kw):
    """A determination naming `bearer` (env.based) and the fronting party's placement record on it."""
    base = env.based(Placement(pid or f"pl-{client}", client, fronting, bearer, product, start, None,
                               status="provisional" if provisional else "definitive"))
    r = settlement.record_placement(env.store, env.signers[fronting], client, placement_id=base.placement_id,
                                    cost_bearer=bearer, provider="Zorgaanbieder De Brug", product=product,
                                    start=start, end=end, determination=base.determination, **kw)
    return r, base.determination


def month_lines(env, month: str, party=ZWOLLE):
    """The live cost lines with a period in `month` fronted by `party`, as (client, from, to, units, tariff)."""
    start, stop = parse_month(month)
    sstore.sync_index(env.store)
    rows = sstore.lines_where(env.store, sstore.lines.c.fronting == party)
    gone = {r.reverses_seq for r in rows if r.kind == "reversal"}
    return sorted((r.client, r.period_from, r.period_to, r.units, r.tariff_cents) for r in rows
                  if r.kind == "cost_line" and r.seq not in gone and start <= r.period_from <= stop)


def test_a_month_is_booked_pro_rata_from_the_placements_and_twice_books_nothing(env):
    """Each placement running in March gives its days of March at the contract tariff (both ends inclusive);
    a placement of another month or another fronting party gives nothing; the second run stores nothing."""
    record(env, "PSN-bm-0001", date(2026, 3, 10))  # starts in the month, running
    record(env, "PSN-bm-0002", date(2026, 1, 5), date(2026, 3, 20))  # ends in the month
    record(env, "PSN-bm-0003", date(2025, 11, 1), product="15A01")  # the whole month
    record(env, "PSN-bm-0004", date(2026, 4, 1))  # not yet
    record(env, "PSN-bm-0005", date(2026, 1, 1), date(2026, 2, 28))  # ended before
    record(env, "PSN-bm-0006", date(2026, 3, 1), fronting=APELDOORN_LESS, bearer=KAMPEN)  # another fronting party
    seen = []
    r = settlement.book_month(env.store, "2026-03", env.signers[ZWOLLE], today=date(2026, 4, 2),
                              progress=lambda done, total: seen.append((done, total)))
    assert (r.placements, r.booked, r.reversed, r.already) == (3, 3, 0, 0)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    march = date(2026, 3, 1)
    assert month_lines(env, "2026-03") == [
        ("PSN-bm-0001", date(2026, 3, 10), date(2026, 3, 31), 22, tariff(ZWOLLE, "15B02", march)),
        ("PSN-bm-0002", date(2026, 3, 1), date(2026, 3, 20), 20, tariff(ZWOLLE, "15B02", march)),
        ("PSN-bm-0003", date(2026, 3, 1), date(2026, 3, 31), 31, tariff(ZWOLLE, "15A01", march))]
    # every line names its placement record and rests on its determination; its key is the month's
    rows = env.store.rows_where(entries.c.kind == "cost_line")
    for row in rows:
        st = json.loads(row.statement)
        placement = env.store.get_rows([st["payload"]["placement"]["seq"]])[st["payload"]["placement"]["seq"]]
        assert placement.kind == "placement" and placement.client == row.client
        assert row.idempotency_key.startswith(f"{MONTH_KEY_PREFIX}2026-03-")
        assert st["payload"]["booking_quarter"] == "2026K1" and st["payload"]["status"] == "definitive"
    size = env.store.size()
    again = settlement.book_month(env.store, "2026-03", env.signers[ZWOLLE], today=date(2026, 4, 2))
    assert (again.booked, again.reversed, again.already, again.results) == (0, 0, 3, ())
    assert env.store.size() == size  # nothing booked twice
    assert verify_store(env.store).ok


def test_a_tariff_change_in_the_month_cuts_the_line_and_a_provisional_determination_books_provisional(sqlite_env):
    env = sqlite_env
    record(env, "PSN-bm-0010", date(2026, 1, 20), provisional=True)  # IJssel-Vecht changes tariffs on 16 February
    r = settlement.book_month(env.store, "2026-02", env.signers[ZWOLLE])
    assert r.booked == 2
    assert [(a.day, b.day, units) for _c, a, b, units, _t in month_lines(env, "2026-02")] == [(1, 15, 15), (16, 28, 13)]
    statuses = {json.loads(row.statement)["payload"]["status"]
                for row in env.store.rows_where(entries.c.kind == "cost_line")}
    assert statuses == {"provisional"}


def test_a_changed_placement_reverses_its_line_and_books_the_new_days(sqlite_env):
    """The fronting party records the end of a placement after March was booked: booking March again
    reverses the whole month's line and books its 15 days; a third run books nothing."""
    env = sqlite_env
    _first, det = record(env, "PSN-bm-0020", date(2026, 2, 1))
    assert settlement.book_month(env.store, "2026-03", env.signers[ZWOLLE]).booked == 1
    settlement.record_placement(env.store, env.signers[ZWOLLE], "PSN-bm-0020", placement_id="pl-PSN-bm-0020",
                                cost_bearer=KAMPEN, provider="Zorgaanbieder De Brug", product="15B02",
                                start=date(2026, 2, 1), end=date(2026, 3, 15), determination=det)
    r = settlement.book_month(env.store, "2026-03", env.signers[ZWOLLE])
    assert (r.booked, r.reversed, r.already) == (1, 1, 0)
    assert [(a.day, b.day, units) for _c, a, b, units, _t in month_lines(env, "2026-03")] == [(1, 15, 15)]
    size = env.store.size()
    assert settlement.book_month(env.store, "2026-03", env.signers[ZWOLLE]).results == ()
    assert env.store.size() == size
    assert verify_store(env.store).ok


def test_two_runs_at_once_book_each_line_once(env):
    """Both runs draft before either appends: the same idempotency keys, so the second is a replay."""
    record(env, "PSN-bm-0030", date(2026, 3, 3))
    a = settlement.draft_month(env.store, "2026-03", ZWOLLE)
    b = settlement.draft_month(env.store, "2026-03", ZWOLLE)
    assert [d.idempotency_key for d in a.drafts] == [d.idempotency_key for d in b.drafts] and a.lines == 1
    now = env.store.clock()
    env.store.append_batch([d.signed(env.signers[ZWOLLE], now).as_item() for d in a.drafts])
    size = env.store.size()
    replay = env.store.append_batch([d.signed(env.signers[ZWOLLE], env.store.clock()).as_item() for d in b.drafts])
    assert all(r.duplicate for r in replay) and env.store.size() == size
    assert len(month_lines(env, "2026-03")) == 1


def test_a_correction_after_a_redetermination_is_left_as_it_is(sqlite_env):
    """Lines book_month did not book (the correction a re-determination orders) are not reversed, and
    their days are not booked again."""
    env = sqlite_env
    _r, det = record(env, "PSN-bm-0040", date(2026, 1, 10))
    settlement.book_month(env.store, "2026-02", env.signers[ZWOLLE])
    redet = env.redetermine(det, ZWOLLE, "PSN-bm-0040", DALFSEN, date(2026, 2, 1))
    fixed = settlement.rebook(env.store, env.signer_for, client="PSN-bm-0040",
                              periods=[(date(2026, 2, 1), date(2026, 2, 28), DALFSEN, False)],
                              reason="herbeoordeling", today=date(2026, 3, 2), ref=redet)
    assert fixed
    size = env.store.size()
    again = settlement.book_month(env.store, "2026-02", env.signers[ZWOLLE], today=date(2026, 3, 2))
    assert (again.booked, again.reversed) == (0, 0) and env.store.size() == size
    bearers = {r.bearer for r in sstore.client_lines(env.store, "PSN-bm-0040") if r.kind == "cost_line"}
    assert DALFSEN in bearers


@pytest.mark.parametrize("month", ["2026-13", "maart", "2026-3-1", "", "1899-01"])
def test_a_month_that_is_no_month_is_refused_in_dutch(sqlite_env, month):
    with pytest.raises(LedgerError) as e:
        settlement.book_month(sqlite_env.store, month, sqlite_env.signers[ZWOLLE])
    assert e.value.code == "MONTH_INVALID" and ("geen maand" in e.value.message or "buiten" in e.value.message)


def test_an_unknown_municipality_books_nothing(sqlite_env):
    env = sqlite_env
    size = env.store.size()
    for party in ("GM9999", "RG:ijssel-vecht", "COMMITTEE"):
        with pytest.raises(LedgerError) as e:
            settlement.draft_month(env.store, "2026-03", party)
        assert e.value.code == "PARTY_UNKNOWN" and "geen gemeente" in e.value.message
    assert env.store.size() == size


def test_recording_a_placement_again_stores_it_once_and_a_change_replaces_the_newest(sqlite_env):
    env = sqlite_env
    first, det = record(env, "PSN-bm-0050", date(2026, 3, 1))
    again = settlement.record_placement(env.store, env.signers[ZWOLLE], "PSN-bm-0050", placement_id="pl-PSN-bm-0050",
                                        cost_bearer=KAMPEN, provider="Zorgaanbieder De Brug", product="15B02",
                                        start=date(2026, 3, 1), determination=det)
    assert again.duplicate and again.seq == first.seq
    changed = settlement.record_placement(env.store, env.signers[ZWOLLE], "PSN-bm-0050",
                                          placement_id="pl-PSN-bm-0050", cost_bearer=KAMPEN,
                                          provider="Zorgaanbieder De Brug", product="15B03",
                                          start=date(2026, 3, 1), determination=det)
    [rec] = settlement.recorded_placements(env.store, ZWOLLE)
    assert rec.seq == changed.seq and rec.payload["previous"]["seq"] == first.seq
    assert rec.placement() == replace(rec.placement(), product="15B03", stop=None)


def test_a_redetermination_ends_the_placement_and_a_new_record_rests_on_it(sqlite_env):
    """An N8 names Dalfsen from 1 March: Zwolle ends the record on 28 February and records the placement
    from 1 March on the N8; booking March reverses the line for Kampen and books the month for Dalfsen,
    February stays as it was."""
    env = sqlite_env
    _r, det = record(env, "PSN-bm-0060", date(2026, 1, 10))
    for month in ("2026-02", "2026-03"):
        settlement.book_month(env.store, month, env.signers[ZWOLLE])
    redet = env.redetermine(det, ZWOLLE, "PSN-bm-0060", DALFSEN, date(2026, 3, 1))
    common = {"provider": "Zorgaanbieder De Brug", "product": "15B02"}
    settlement.record_placement(env.store, env.signers[ZWOLLE], "PSN-bm-0060", placement_id="pl-PSN-bm-0060",
                                cost_bearer=KAMPEN, start=date(2026, 1, 10), end=date(2026, 2, 28),
                                determination=det, **common)
    settlement.record_placement(env.store, env.signers[ZWOLLE], "PSN-bm-0060", placement_id="pl-PSN-bm-0060-n8",
                                cost_bearer=DALFSEN, start=date(2026, 3, 1), determination=redet, **common)
    assert settlement.book_month(env.store, "2026-02", env.signers[ZWOLLE]).results == ()  # February stands
    r = settlement.book_month(env.store, "2026-03", env.signers[ZWOLLE])
    assert (r.booked, r.reversed) == (1, 1)
    rows = sstore.client_lines(env.store, "PSN-bm-0060")
    gone = {x.reverses_seq for x in rows if x.kind == "reversal"}
    live = sorted((x.period_from, x.period_to, x.bearer) for x in rows if x.kind == "cost_line" and x.seq not in gone)
    assert live == [(date(2026, 2, 1), date(2026, 2, 15), KAMPEN), (date(2026, 2, 16), date(2026, 2, 28), KAMPEN),
                    (date(2026, 3, 1), date(2026, 3, 31), DALFSEN)]  # February cut where the tariff changes
    assert verify_store(env.store).ok
