"""The admission rules are dated (ledger/data/admission.toml): a ledger written before the rules of
2026-12 took effect still verifies, entry by entry under the rules of its time, although what it
holds would be refused today. tests/data/ledger_before_2026_12.db was written by the code before
them (tests/data/make_ledger_before_2026_12.py) with received_at in June 2026."""
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

from ledger.admission import ruleset_at, rulesets
from ledger.store import Store
from ledger.verify import verify_store

OLD = Path(__file__).resolve().parents[1] / "data" / "ledger_before_2026_12.db"


def test_rule_sets_are_dated_and_ordered():
    sets = rulesets()
    assert [r.version for r in sets] == ["1", "2026-12", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-04b"]
    assert ruleset_at(datetime(2026, 6, 1, tzinfo=timezone.utc)).rules == frozenset()
    new = ruleset_at(datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert {"disputes", "cost_lines", "notices", "keys", "seals"} <= new.rules and "episodes" not in new.rules
    assert new.entitlements["key_registration"].authors == ("OPERATOR",)
    # a later set extends an earlier one: its rules and tables, plus what it adds
    later = ruleset_at(datetime(2026, 12, 2, tzinfo=timezone.utc))
    assert later.version == "2026-12-02" and later.rules == new.rules | {"episodes", "privacy"}
    assert later.entitlements == new.entitlements and later.legal_bases == new.legal_bases
    # issue 12 (spec 8.7): no clear location of a SAFETY_CONFIDENTIAL client from 3 December 2026 on
    latest = ruleset_at(datetime(2026, 12, 3, tzinfo=timezone.utc))
    assert latest.version == "2026-12-03" and latest.rules == later.rules | {"confidential_locations"}
    # issue 14: placement records, and the cost lines booked from them, from 4 December 2026 on
    placements = ruleset_at(datetime(2026, 12, 4, tzinfo=timezone.utc))
    assert placements.version == "2026-12-04" and placements.rules == latest.rules | {"placements"}
    assert "placements" not in ruleset_at(datetime(2026, 12, 3, 23, 59, tzinfo=timezone.utc)).rules


def test_a_ledger_written_before_the_rules_verifies_clean(tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(OLD, db)
    store = Store(f"sqlite:///{db}")
    try:
        rows = store.rows_where()
        kinds = [json.loads(r.statement)["kind"] for r in rows]
        assert kinds.count("cost_line") == 1 and "dispute_event" in kinds and "placement_notice" in kinds
        assert all(r.received_at < datetime(2026, 12, 1, tzinfo=timezone.utc) for r in rows)
        report = verify_store(store)
        assert report.ok, report.problems
        assert report.entries == 10
    finally:
        store.dispose()
