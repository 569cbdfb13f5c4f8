"""SQLite and PostgreSQL give the same settlement and byte-identical statement files."""
import hashlib
from datetime import date

import pytest
from settlement_helpers import PG_URL, Env

from ledger.settlement import service
from ledger.settlement.costlines import Placement

PLACEMENTS = [
    Placement("p1", "PSN-client-1", "GM0193", "GM0166", "15B02", date(2025, 10, 5), None),
    Placement("p2", "PSN-client-2", "GM0505", "GM0193", "15C02", date(2025, 11, 1), date(2026, 2, 20),
              status="provisional"),
    Placement("p3", "PSN-client-3", "GM0193", "GM0193", "15A03", date(2025, 10, 1), None, historical_budget=True),
    Placement("p4", "PSN-client-4", "GM0228", "GM0148", "15D01", date(2025, 12, 1), None),
]


def _build(env: Env):
    service.book_placements(env.store, env.signer_for, [env.based(p) for p in PLACEMENTS], until=date(2026, 3, 31))
    service.rebook(env.store, env.signer_for, client="PSN-client-1",
                   periods=[(date(2025, 12, 1), date(2026, 1, 15), "GM0160", False)], reason="besluit",
                   today=date(2026, 2, 1),
                   ref=env.redetermine(env.based(PLACEMENTS[0]).determination, "GM0193", "PSN-client-1", "GM0160",
                                       date(2025, 12, 1)))
    service.seal_quarter(env.store, "2025K4", today=date(2026, 1, 2))


def _files(env: Env, out):
    got = {}
    for q in ("2025K4", "2026K1"):
        res = service.write_statements(env.store, q, out)
        got[q] = res.settlement.digest
    return got, {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.postgres
def test_same_settlement_and_bytes_on_both_backends(tmp_path, pg_schema):
    a = Env(f"sqlite:///{tmp_path / 'a.db'}", None, tmp_path / "ka")
    b = Env(PG_URL, pg_schema, tmp_path / "kb")
    try:
        _build(a)
        _build(b)
        da, fa = _files(a, tmp_path / "a")
        db, fb = _files(b, tmp_path / "b")
        assert da == db
        assert fa == fb and len(fa) > 10
    finally:
        a.store.dispose()
        b.store.dispose()
