"""A Determination as a value: immutable, comparable, copyable, and light on the garbage collector.

A determination keeps its flags and trail as rows and records of atomic values until they are read
(rules/engine.py, Determination). These tests hold the properties that depend on that: the rows
and records never contain a nested container (else the collector keeps tracking them), and the
materialised flags and trail are the same whenever and however often they are read.
"""
import copy
import gc
import pickle
import tomllib
from datetime import date
from pathlib import Path

import pytest

from rules import loader
from rules.casebook import case_facts, load_context
from rules.engine import Determination, Flag, Outcome, determine
from rules.trail import Trail

ROOT = Path(__file__).resolve().parents[2]
REG = loader.municipality_register()
TABLE = loader.parameter_table()
ATOMIC = (str, int, bool, type(None), date)


def casebook_determinations():
    files = sorted((ROOT.parent / "shared" / "casebook").glob("*.toml")) + sorted((ROOT / "rules" / "casebook").glob("*.toml"))
    out = []
    for f in files:
        raw = tomllib.loads(f.read_text())
        ctx = load_context(raw, TABLE, REG, f.name)
        for case in raw["case"]:
            facts = case_facts(case, REG)
            out.append((f"{f.name}:{case['id']}", facts, ctx))
    return out


CASES = casebook_determinations()


def test_the_casebooks_are_there():
    assert len(CASES) >= 100


def test_stored_rows_and_records_hold_only_atomic_values():
    """Every flag row and trail record of every casebook determination is a flat tuple of atomic
    values, before anything has been read from the determination."""
    for name, facts, ctx in CASES:
        det = determine(facts, ctx)
        rows, records = object.__getattribute__(det, "_flags"), object.__getattribute__(det, "_trail")
        assert type(rows) is tuple and type(records) is tuple, name
        for item in rows + records:
            assert type(item) is tuple, name
            bad = [v for v in item if not isinstance(v, ATOMIC)]
            assert not bad, f"{name}: {item[:2]} holds {bad!r}"


def test_after_two_collections_nothing_of_flags_or_trail_is_tracked():
    name, facts, ctx = next(c for c in CASES if determine(c[1], c[2]).flags and len(determine(c[1], c[2]).flags) > 1)
    det = determine(facts, ctx)
    gc.collect()
    gc.collect()
    assert gc.is_tracked(det)
    for slot in ("_flags", "_trail"):
        value = object.__getattribute__(det, slot)
        assert not gc.is_tracked(value), f"{name}: {slot}"
        assert not any(gc.is_tracked(x) for x in value), f"{name}: {slot}"


def test_flags_and_trail_are_made_once_and_are_the_same_as_a_fresh_determination():
    for name, facts, ctx in CASES:
        det = determine(facts, ctx)
        flags, trail = det.flags, det.trail
        assert det.flags is flags and det.trail is trail, name
        assert all(type(f) is Flag and all(type(a) is Outcome for a in f.alternatives) for f in flags), name
        assert isinstance(trail, Trail)
        again = determine(facts, ctx)
        assert again == det and hash(again) == hash(det), name
        assert again.to_dict() == det.to_dict(), name


def test_a_determination_is_immutable():
    _, facts, ctx = CASES[0]
    det = determine(facts, ctx)
    for name in ("case_id", "outcome", "flags", "trail", "provisional", "_flags", "new"):
        with pytest.raises(AttributeError):
            setattr(det, name, None)
        with pytest.raises(AttributeError):
            delattr(det, name)
    assert det == determine(facts, ctx)


def test_replace_makes_a_changed_copy_and_refuses_unknown_fields():
    _, facts, ctx = CASES[0]
    det = determine(facts, ctx)
    other = det._replace(trigger="new_stay", previous="ab" * 32)
    assert (other.trigger, other.previous) == ("new_stay", "ab" * 32)
    assert (det.trigger, det.previous) == (None, None)
    assert other != det and other.flags == det.flags and other.trail == det.trail
    assert other._replace(trigger=None, previous=None) == det
    with pytest.raises(ValueError, match="not a field"):
        det._replace(cost=1)


def test_pickle_and_copy_give_an_equal_determination():
    for name, facts, ctx in CASES[:20]:
        det = determine(facts, ctx)
        for made in (pickle.loads(pickle.dumps(det)), copy.copy(det), copy.deepcopy(det)):
            assert type(made) is Determination and made == det and made.to_dict() == det.to_dict(), name


def test_the_public_constructor_accepts_flags_and_a_trail():
    _, facts, ctx = CASES[0]
    det = determine(facts, ctx)
    made = Determination(*[getattr(det, f) for f in ("case_id", "outcome", "new_client", "entry", "flags",
                                                      "provisional", "trail", "regime", "meldregio", "woonplaats",
                                                      "ruleset_version", "context_digest", "input_digest")])
    assert made == det and made.digest == det.digest
    assert "case_id=" in repr(made)
