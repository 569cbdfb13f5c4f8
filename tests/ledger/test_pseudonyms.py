"""The pseudonymisation of a client (ledger/pseudonyms.py): the 11-proef, the keyed pseudonym and its encoding."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.entries import make_statement
from ledger.errors import BSN_INVALID, LedgerError
from ledger.privacy import elfproef, find, personal_data_problem
from ledger.pseudonyms import encode, normalise_bsn, pseudonym

SECRET = b"test-secret-of-this-deployment"
VALID = "111222333"  # 9*1+8*1+7*1+6*2+5*2+4*2+3*3+2*3-3 = 66, divisible by 11
SHAPE = re.compile(r"^PSN-[A-Z2-7]{4}(?:-[A-Z2-7]{4}){7}$")


def _valid_bsns():
    """Nine digits that pass the 11-proef (the last digit completes the sum)."""
    def complete(first8: str):
        s = sum(w * int(d) for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2), first8)) % 11
        return first8 + str(s) if s <= 9 else None
    return st.text("0123456789", min_size=8, max_size=8).map(complete).filter(
        lambda b: b is not None and b != "000000000")


def test_a_valid_bsn_gives_a_stable_keyed_pseudonym():
    assert elfproef(VALID)
    p = pseudonym(VALID, SECRET)
    assert SHAPE.match(p) and len(p) == 43
    assert pseudonym(VALID, SECRET) == p  # deterministic
    assert pseudonym("1112.22.333", SECRET) == pseudonym(" 111 222 333 ", SECRET) == p  # written forms
    assert pseudonym(VALID, SECRET + b"x") != p  # keyed: another deployment, another pseudonym
    assert pseudonym("123456782", SECRET) != p
    assert VALID not in p


@pytest.mark.parametrize("bad, word", [
    ("123456789", "elfproef"), ("111222334", "elfproef"), ("000000000", "elfproef"),
    ("12345678", "negen cijfers"), ("1234567890", "negen cijfers"), ("", "negen cijfers"),
    ("abcdefghi", "negen cijfers"), ("١١١٢٢٢٣٣٣", "negen cijfers"),  # Arabic-Indic digits are not a BSN
])
def test_an_invalid_bsn_is_refused_in_dutch_without_repeating_it(bad, word):
    with pytest.raises(LedgerError) as exc:
        pseudonym(bad, SECRET)
    assert exc.value.code == BSN_INVALID == "BSN_INVALID"
    assert word in exc.value.message and "burgerservicenummer" in exc.value.message
    assert not bad or bad not in exc.value.message


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError):
        pseudonym(VALID, b"short")


@settings(max_examples=300, deadline=None)
@given(bsn=_valid_bsns(), secret=st.binary(min_size=16, max_size=64))
def test_a_pseudonym_never_holds_a_run_of_nine_digits(bsn, secret):
    p = pseudonym(bsn, secret)
    assert SHAPE.match(p)
    assert not re.search(r"[0-9]{9}", p) and not re.search(r"[0-9]{5}", p.replace("-", ""))
    assert find(p) is None  # the ledger's privacy check never mistakes a pseudonym for a BSN
    assert normalise_bsn(bsn) == bsn


@settings(max_examples=300, deadline=None)
@given(digest=st.binary(min_size=20, max_size=32))
def test_the_encoding_has_no_digit_run_whatever_the_bytes(digest):
    p = encode(digest)
    assert SHAPE.match(p) and not re.search(r"[0-9]{9}", p.replace("-", ""))


def test_a_pseudonym_is_accepted_as_the_client_of_a_statement():
    from datetime import datetime, timezone

    from pydantic import TypeAdapter

    from ledger.entries import Pseudonym

    p = pseudonym(VALID, SECRET)
    assert TypeAdapter(Pseudonym).validate_python(p) == p  # the envelope's client field
    raw = make_statement(kind="determination", author="GM0166", key_id="a" * 64, payload={"note": "x"},
                         idempotency_key="k", authored_at=datetime(2026, 12, 1, tzinfo=timezone.utc), client=p)
    assert personal_data_problem(raw) is None  # the admission's privacy rule lets it through
