import json
import os
import stat

import pytest
import rfc8785
from hypothesis import given, settings, strategies as st

from ledger.canonical import CanonicalError, canonical_json, parse_canonical, parse_canonical_slow
from ledger.crypto import key_id_of, load_signer, new_signer, save_signer, verify_signature

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12)


@given(json_values)
def test_fast_path_equals_rfc8785(value):
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        with pytest.raises(CanonicalError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


def test_rfc8785_key_order_and_escapes():
    # UTF-16 code unit order (RFC 8785 3.2.3): U+1F600 sorts before U+E000.
    assert canonical_json({"\ue000": 1, "\U0001f600": 2}) == rfc8785.dumps({"\ue000": 1, "\U0001f600": 2})
    assert canonical_json({"b": [1, "\n\u001f\u2028é"], "a": None}) == \
        b'{"a":null,"b":[1,"\\n\\u001f\xe2\x80\xa8\xc3\xa9"]}'


@given(json_values)
def test_parse_canonical_accepts_exactly_the_canonical_form(value):
    if not isinstance(value, dict):
        value = {"v": value}
    try:
        raw = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        return
    assert parse_canonical(raw) == value
    loose = json.dumps(value, ensure_ascii=True).encode()
    if loose != raw:
        with pytest.raises(CanonicalError):
            parse_canonical(loose)


def _outcome(fn, data):
    try:
        return ("ok", fn(data))
    except CanonicalError:
        return ("refused", None)


wide_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12)


@st.composite
def candidate_bytes(draw):
    """Canonical bytes, near-canonical variants and byte-level mutations of them."""
    value = draw(wide_values)
    if not isinstance(value, dict):
        value = {"v": value}
    form = draw(st.sampled_from(["rfc8785", "sorted", "ascii", "spaced", "unsorted"]))
    try:
        if form == "rfc8785":
            raw = rfc8785.dumps(value)
        else:
            raw = json.dumps(value, sort_keys=form != "unsorted", ensure_ascii=form == "ascii",
                             separators=(", ", ": ") if form == "spaced" else (",", ":")).encode("utf-8", "surrogatepass")
    except (rfc8785.CanonicalizationError, UnicodeEncodeError, ValueError, TypeError):
        raw = b"{}"
    if draw(st.booleans()):  # mutate a few bytes
        buf = bytearray(raw)
        for _ in range(draw(st.integers(1, 3))):
            if buf:
                buf[draw(st.integers(0, len(buf) - 1))] = draw(st.integers(0, 255))
        raw = bytes(buf)
    return raw


@settings(max_examples=600)
@given(candidate_bytes())
def test_parse_canonical_fast_path_equals_reference(raw):
    """The msgspec fast path accepts and refuses exactly what the json/rfc8785 reference does."""
    assert _outcome(parse_canonical, raw) == _outcome(parse_canonical_slow, raw)


def test_parse_canonical_fast_path_edge_cases():
    for raw in [b'{"a":1e2}', b'{"a":-0}', b'{"a":1.0}', b'{"a":900719925474099}', b'{"a":-900719925474099}',
                b'{"a":[9007199254740991]}', b'{"a":9007199254740992}', b'{"a":"\\ud800"}', b'{"a":"\\u001f"}',
                b'{"a":"\\u001F"}', b'{"a":"\\/"}', b'{"a":"\x7f"}', b'{"a":"\xe2\x80\xa8"}', b'{"a":1}\n',
                b' {"a":1}', b'{"a":true,"b":false,"c":null}', b'{"a":tru}', b'{"a":{"c":1,"b":2}}',
                b'{"a":"x:1234567890123456"}', b'{"\xe2\x82\xac":1}', b'{"a":"\xc0\xaf"}', b'{}', b'[]',
                b'{"a":"\x01"}', b'{"a":"\xf0\x9f\x98\x80"}',
                # long runs of digits: in a string (a hex digest), and as numbers wherever a number begins
                b'{"a":"ab12345678901234567cd"}', b'{"a":"12345678901234567"}', b'{"a": 12345678901234567}',
                b'{"a":[1,12345678901234567]}', b'{"a":-12345678901234567}', b'{"a":1234567890123456}',
                b'{"a":\n9007199254740993}', b'12345678901234567', b' -12345678901234567',
                b'{"a":1,"b":99999999999999999999999}']:
        assert _outcome(parse_canonical, raw) == _outcome(parse_canonical_slow, raw), raw
    assert _outcome(parse_canonical, b'{"a":"\\ud800"}')[0] == "refused"  # a lone surrogate, no traceback


def test_only_a_number_of_16_digits_sends_bytes_the_slow_way():
    """A run of 16 digits inside a string (about one hex digest in a hundred, so at times every
    statement of a key whose id holds one) keeps the fast path; where a number may begin, it does not."""
    from rules.canonical import has_long_number

    digest = "9e21c0e66f3412415490727281b538" + "a" * 34
    assert not has_long_number(canonical_json({"key_id": digest, "n": 123456789012345}))
    for raw in [b'{"a":1234567890123456}', b'{"a":-1234567890123456}', b'[1,1234567890123456]',
                b'{"a": 1234567890123456}', b'{"a":\t1234567890123456}', b"1234567890123456", b"-1234567890123456",
                b'{"a":"x:1234567890123456"}']:  # the last inside a string: the slow path, which is always right
        assert has_long_number(raw), raw


def test_parse_canonical_refuses_variants():
    good = canonical_json({"a": 1, "b": "x"})
    assert parse_canonical(good) == {"a": 1, "b": "x"}
    for bad in [b'{"b":"x","a":1}', b'{"a": 1,"b":"x"}', b'{"a":1,"a":2}', b"[1]", b"{", b'\xff',
                b'{"a":1.5}', b'{"a":NaN}', b'{"a":9007199254740993}', b'{"a":"\\u0041"}',
                '{"\ue000":2,"\U0001f600":1}'.encode()]:
        with pytest.raises(CanonicalError):
            parse_canonical(bad)
    with pytest.raises(CanonicalError):
        canonical_json({"x": 1.5e400 if False else float("nan")})


def test_sign_verify_and_key_id(tmp_path):
    s = new_signer("GM0166")
    assert s.key_id == key_id_of(s.public_key) and len(s.key_id) == 64
    sig = s.sign(b"hello")
    assert verify_signature(s.public_key, sig, b"hello")
    assert not verify_signature(s.public_key, sig, b"hellO")
    assert not verify_signature(s.public_key, sig[:-1] + bytes([sig[-1] ^ 1]), b"hello")
    assert not verify_signature(new_signer("X").public_key, sig, b"hello")
    assert not verify_signature(s.public_key, sig[:10], b"hello")
    assert not verify_signature(b"\x00" * 31, sig, b"hello")
    path = save_signer(tmp_path / "keys", s)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_signer(path, "GM0166").key_id == s.key_id
    with pytest.raises(FileExistsError):
        save_signer(tmp_path / "keys", s)
    assert json.loads(canonical_json({"k": s.key_id}))["k"] == s.key_id
