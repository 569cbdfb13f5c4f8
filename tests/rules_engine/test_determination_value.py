"""A Determination as a value: a frozen, slotted dataclass, comparable and copyable.

Its trail makes the Dutch texts when first read (rules/trail.py); these tests hold that the flags
and trail are the same whenever and however often they are read.
"""
import copy
import dataclasses
import pickle
import tomllib
from pathlib import Path

import pytest

from rules import loader
from rules.casebook import case_facts, load_context
from rules.engine import Determination, Flag, Outcome, determine
from rules.trail import Trail

ROOT = Path(__file__).resolve().parents[2]
REG = loader.municipality_register()
TABLE = loader.parameter_table()


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


def test_a_determination_is_a_frozen_slotted_dataclass():
    _, facts, ctx = CASES[0]
    det = determine(facts, ctx)
    assert dataclasses.is_dataclass(det) and not hasattr(det, "__dict__")
    assert [f.name for f in dataclasses.fields(det)][:4] == ["case_id", "outcome", "new_client", "entry"]


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
    for name in ("case_id", "outcome", "flags", "trail", "provisional"):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(det, name, None)
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(det, name)
    # a name that is no field: refused too (CPython 3.11's frozen slotted dataclass raises TypeError
    # from its super() call instead of AttributeError)
    with pytest.raises((AttributeError, TypeError)):
        det.new = None
    assert not hasattr(det, "new")
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
