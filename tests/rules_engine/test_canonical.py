"""The project's one RFC 8785 serialiser (rules/canonical.py): the cyberphone test vectors, the
rfc8785 package on arbitrary JSON values (floats and keys beyond the Basic Multilingual Plane
included), refusals, and the ledger writing with the same function."""
import json
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from rules.canonical import CanonicalError, canonical_json, sha256_canonical

VECTORS = Path(__file__).parent / "data" / "rfc8785"
NAMES = sorted(p.stem for p in (VECTORS / "input").glob("*.json"))


def test_all_six_vectors_are_there():
    assert NAMES == ["arrays", "french", "structures", "unicode", "values", "weird"]


@pytest.mark.parametrize("name", NAMES)
def test_cyberphone_vector(name):
    value = json.loads((VECTORS / "input" / f"{name}.json").read_bytes())
    expected = (VECTORS / "output" / f"{name}.json").read_bytes()
    assert canonical_json(value) == expected


def test_the_two_vectors_a_plain_sorted_dump_gets_wrong():
    # 56.0 is the number 56 (RFC 8785 3.2.2.3); U+1F602 is the surrogate pair D83D DE02, before FB33
    assert canonical_json({"\n": 56.0}) == b'{"\\n":56}'
    assert canonical_json({"\ufb33": 1, "\U0001f602": 2}) == '{"\U0001f602":2,"\ufb33":1}'.encode()
    assert json.dumps({"\n": 56.0}, sort_keys=True, separators=(",", ":")) == '{"\\n":56.0}'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12)


@given(json_values)
def test_equals_the_rfc8785_package(value):
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):  # lone surrogates
        with pytest.raises(CanonicalError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2**53, -(2**53), {"a": {1, 2}},
                                   {"d": b"bytes"}, "\ud800", {1: "integer key"}])
def test_refuses_what_has_no_canonical_form(value):
    with pytest.raises(CanonicalError):
        canonical_json(value)


@pytest.mark.parametrize("value", [[1, 2], (1, 2), {"k": (True, None)}, 2**53 - 1, 10**15, "1234567890123456"])
def test_values_off_the_fast_road_are_still_canonical(value):
    assert canonical_json(value) == rfc8785.dumps(value)


def test_sha256_canonical_hashes_the_canonical_bytes():
    import hashlib
    assert sha256_canonical({"b": 1.0, "a": "x"}) == hashlib.sha256(b'{"a":"x","b":1}').hexdigest()


def test_the_ledger_writes_with_the_same_function():
    import ledger.canonical
    import rules.canonical
    assert ledger.canonical.canonical_json is rules.canonical.canonical_json
    assert ledger.canonical.CanonicalError is rules.canonical.CanonicalError
