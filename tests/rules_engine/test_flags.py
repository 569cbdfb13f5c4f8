"""The one table of flags (rules/flags.py) against the table of spec 8.7, and the engine against it."""
import re
import tomllib
from dataclasses import fields
from pathlib import Path

from rules import loader
from rules.casebook import case_facts, load_context
from rules.engine import FLAG_READINGS, determine
from rules.readings import DEFAULT, Readings
from rules.flags import FLAG, FLAG_NAMES, FLAGS, INFORMATIONAL_FLAGS, OPEN_WITHOUT_ALTERNATIVE

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "domain" / "woonplaatsbeginsel.md"
BOOKS = sorted((ROOT.parent / "shared" / "casebook").glob("*.toml")) + sorted((ROOT / "rules" / "casebook").glob("*.toml"))


def _section(text: str, number: str) -> str:
    start = text.index(f"\n### {number} ")
    end = text.find("\n### ", start + 1)
    return text[start:end if end != -1 else len(text)]


def spec_table() -> list[tuple[str, str]]:
    """(name, kind) of every row of the table in spec 8.7, in its order (a row may name two flags)."""
    rows = []
    for line in _section(SPEC.read_text(), "8.7").splitlines():
        m = re.fullmatch(r"\| ([A-Z0-9_, ]+) \| ([OI]) \|.*\|", line.strip())
        if m:
            rows += [(name.strip(), m.group(2)) for name in m.group(1).split(",")]
    return rows


def test_the_spec_table_is_read():
    rows = spec_table()
    assert len(rows) == 34 and rows[0] == ("REGION_UNKNOWN", "O") and rows[-1] == ("RETRO_BRP", "O")


def test_the_table_matches_spec_8_7_name_by_name_and_kind_by_kind():
    ours = [(f.name, f.kind) for f in FLAGS if f.section != "8.12"]
    assert ours == spec_table()


def test_flags_added_later_are_stated_with_their_kind_in_8_12():
    text = _section(SPEC.read_text(), "8.12")
    for f in FLAGS:
        if f.section == "8.12":
            assert f"`{f.name}` (kind {f.kind}" in text, f.name


def test_every_row_is_complete():
    reading_fields = {f.name: part.name for part in fields(Readings) for f in fields(part.default_factory)}
    assert len(FLAG_NAMES) == len(set(FLAG_NAMES)) == len(FLAG)
    for f in FLAGS:
        assert f.kind in ("O", "I"), f.name
        assert re.fullmatch(r"R\d{1,2}|8\.\d{1,2}", f.section), f.name
        if f.kind == "I":
            assert f.alternative == "" and f.readings == () and not f.open_without_alternative, f.name
        else:
            assert f.alternative, f.name
        for changes in f.readings:
            assert changes, f.name
            for field_name, value in changes:
                assert field_name in reading_fields, (f.name, field_name)
                default = getattr(getattr(DEFAULT, reading_fields[field_name]), field_name)
                assert value != default, (f.name, field_name)  # a change of the default
    assert OPEN_WITHOUT_ALTERNATIVE == {"REGION_UNKNOWN", "NO_WOONADRES", "CHAIN_END_NO_WOONADRES"}
    assert INFORMATIONAL_FLAGS == {"YOUTH_TRANSITION", "SAFETY_CONFIDENTIAL", "SHORT_REGISTRATION", "LT_CHECK",
                                   "SAME_DAY_EVENTS", "AGREED_TRANSFER"}


def test_the_engine_runs_the_tables_readings_one_per_distinct_reading():
    for f in FLAGS:
        assert FLAG_READINGS[f.name] == tuple(DEFAULT.changed(**dict(c)) for c in f.readings), f.name
    # the same reading for two flags is one reading (an equal value), so a case runs it once
    assert FLAG_READINGS["CLOCK_DIVERGENCE"][0] == FLAG_READINGS["CROSS_REGION_LAST_PROVIDER"][0]
    assert len({FLAG_READINGS["CLOCK_DIVERGENCE"][0], FLAG_READINGS["CROSS_REGION_LAST_PROVIDER"][0]}) == 1
    assert FLAG_READINGS["NO_WOONADRES"] == FLAG_READINGS["CHAIN_END_NO_WOONADRES"]


def test_the_casebooks_raise_flags_as_the_table_says():
    register, table, raised = loader.municipality_register(), loader.parameter_table(), set()
    for book in BOOKS:
        raw = tomllib.loads(book.read_text())
        ctx = load_context(raw, table, register, book.name)
        for case in raw["case"]:
            for flag in determine(case_facts(case, register), ctx).flags:
                row = FLAG[flag.name]
                assert flag.kind == row.kind, (book.name, case["id"], flag.name)
                if row.kind == "I":
                    assert flag.alternatives == ()
                elif not flag.alternatives:
                    assert row.open_without_alternative, (book.name, case["id"], flag.name)
                raised.add(flag.name)
    # every flag but RETRO_BRP (a re-determination's, tests/rules_engine/test_redetermine.py) occurs
    assert set(FLAG_NAMES) - raised <= {"RETRO_BRP"}, set(FLAG_NAMES) - raised - {"RETRO_BRP"}
