"""Canonical JSON per RFC 8785 (JSON Canonicalization Scheme).

`canonical_json` is the one serialiser for everything that is signed or hashed.  The reference is
the `rfc8785` package; for the common case (no floats, keys in the Basic Multilingual Plane below
the surrogates, integers within the I-JSON safe range) `json.dumps` with sorted keys produces the
same bytes four times faster, which matters on the append path.  `tests/ledger/test_canonical.py`
checks the two agree on arbitrary JSON values.
"""
from __future__ import annotations

import json
import re
from typing import Any

import msgspec
import rfc8785

__all__ = ["CanonicalError", "canonical_json", "parse_canonical"]

_SAFE_INT = 2**53 - 1


class CanonicalError(ValueError):
    """The bytes are not the RFC 8785 canonical form of a JSON object."""


def _plain(value: Any) -> bool:
    """True when json.dumps(sort_keys=True) is already RFC 8785 canonical for this value."""
    if isinstance(value, str) or value is None or value is True or value is False:
        return True
    if isinstance(value, int):
        return -_SAFE_INT <= value <= _SAFE_INT
    if isinstance(value, dict):
        for key, item in value.items():
            # Python sorts by code point, RFC 8785 section 3.2.3 by UTF-16 code unit: the two
            # orders agree for keys below U+D800.
            if not isinstance(key, str) or (key and max(key) >= "\ud800"):
                return False
            if not _plain(item):
                return False
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(item) for item in value)
    return False  # floats and anything else: let rfc8785 decide or refuse


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON value (dict, list, str, int, bool, None)."""
    if _plain(value):
        try:
            return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              allow_nan=False).encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates are not valid I-JSON (RFC 7493 2.1)
            raise CanonicalError(f"string is not valid Unicode: {exc}") from exc
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CanonicalError(str(exc)) from exc


def _no_float(text: str) -> float:
    raise CanonicalError(f"number {text} is not an integer: statements carry integers only (money in cents)")


def _safe_int(text: str) -> int:
    value = int(text)
    if not -_SAFE_INT <= value <= _SAFE_INT:
        raise CanonicalError(f"integer {text} is outside the I-JSON safe range (RFC 7493 2.2)")
    return value


# UTF-8 lead bytes of U+D000..U+10FFFF: keys there sort differently under RFC 8785 3.2.3.
_NEEDS_FULL = re.compile(rb"[\xed-\xf4]")
# A number of 16 or more digits may exceed the I-JSON safe range: bytes with any run of 16 digits
# (in a number or in a string) take the slow path.  Digits become '0' and everything else ' ', so a
# plain substring search finds such a run quickly.
_DIGIT_MAP = bytes(0x30 if 0x30 <= i <= 0x39 else 0x20 for i in range(256))
_SIXTEEN_DIGITS = b"0" * 16


def _has_long_number(data: bytes) -> bool:
    return _SIXTEEN_DIGITS in data.translate(_DIGIT_MAP)


def _msgspec_float(text: str) -> Any:
    raise ValueError(f"number {text} is not an integer: statements carry integers only (money in cents)")


_DECODER = msgspec.json.Decoder(float_hook=_msgspec_float)
#: a statement nested beyond the parser's recursion limit (about 1,000 levels)
TOO_DEEP = "de statement is te diep genest (arrays of objecten in elkaar)"
_ENCODER = msgspec.json.Encoder(order="sorted")


def _parse_fast(data: bytes) -> dict[str, Any]:
    """parse_canonical for bytes with no backslash (so no escapes: every string is literal UTF-8), no
    character at or above U+D000 (so code point order is RFC 8785 key order) and no long number.

    For such bytes msgspec's sorted compact encoding of the parsed value is the RFC 8785 form, the
    same as the slow path computes; tests/ledger/test_canonical_crypto.py checks both paths accept
    and refuse exactly the same inputs with the same value.
    """
    try:
        value = _DECODER.decode(data)
    except msgspec.ValidationError as exc:  # the float hook
        raise CanonicalError(str(exc).split(" - at ")[0]) from None
    except msgspec.DecodeError as exc:
        raise CanonicalError(f"not JSON: {exc}") from None
    except RecursionError:
        raise CanonicalError(TOO_DEEP) from None
    if not isinstance(value, dict):
        raise CanonicalError("not a JSON object")
    try:
        again = _ENCODER.encode(value)
    except (TypeError, ValueError, OverflowError) as exc:  # pragma: no cover - guarded by _has_long_number
        raise CanonicalError(str(exc)) from None
    if again != data:
        raise CanonicalError("not in RFC 8785 canonical form")
    return value


def parse_canonical(data: bytes) -> dict[str, Any]:
    """Parse bytes that must be the canonical form of a JSON object; raise CanonicalError if not.

    Numbers must be integers in the I-JSON safe range.  Duplicate keys are refused because the
    re-serialised form of the parsed object would then differ from the bytes.
    """
    if (type(data) is bytes and b"\\" not in data and (data.isascii() or _NEEDS_FULL.search(data) is None)
            and not _has_long_number(data)):
        return _parse_fast(data)
    return parse_canonical_slow(data)


def parse_canonical_slow(data: bytes) -> dict[str, Any]:
    """The reference implementation of parse_canonical (json + rfc8785), for any input."""
    try:
        value = json.loads(data, parse_float=_no_float, parse_int=_safe_int, parse_constant=_no_float)
    except CanonicalError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise CanonicalError(f"not JSON: {exc}") from exc
    except RecursionError:
        raise CanonicalError(TOO_DEEP) from None
    if not isinstance(value, dict):
        raise CanonicalError("not a JSON object")
    if isinstance(data, (bytes, bytearray)) and _NEEDS_FULL.search(data):
        again = canonical_json(value)
    else:  # only ASCII-range keys, strings, integers, booleans and null: json.dumps is RFC 8785
        try:
            again = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate escape: not valid I-JSON (RFC 7493 2.1)
            raise CanonicalError(f"string is not valid Unicode: {exc}") from None
    if again != data:
        raise CanonicalError("not in RFC 8785 canonical form")
    return value
