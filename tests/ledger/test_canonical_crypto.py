import json
import os
import stat

import pytest
import rfc8785
from hypothesis import given, strategies as st

from ledger.canonical import CanonicalError, canonical_json, parse_canonical
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
