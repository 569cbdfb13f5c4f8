"""Canonical JSON per RFC 8785 (JSON Canonicalization Scheme): the project's one serialiser.

``canonical_json`` writes everything that is hashed or signed: the input digest and the digest of a
determination here in ``rules/``, and every ledger entry, checkpoint and audit record
(``ledger/canonical.py`` imports it from here, since ``rules/`` may not import ``ledger/``).

The reference is the ``rfc8785`` package. The common value (strings, integers within the I-JSON
safe range, booleans, null, arrays and objects with string keys) takes a faster road: msgspec's
compact encoding with sorted keys, accepted only when

- it reads back (parsed with floats refused) as a value equal to the one given, so the value held
  nothing but those JSON types: no float (RFC 8785 writes ``56.0`` as ``56``), no tuple, date or
  other object that a plain encoder would write in a way of its own;
- it has no character at or above U+D000 (the UTF-8 lead bytes 0xED-0xF4), so ordering the keys
  by code point is ordering them by UTF-16 code unit (RFC 8785 section 3.2.3: an emoji key sorts
  before U+FB33);
- no number in it begins with 16 digits, so no integer is beyond the I-JSON safe range (2**53 - 1)
  (``has_long_number``; runs of digits inside strings, as in hex digests, do not count).

Every other value goes to ``rfc8785``, or is refused with ``CanonicalError``. The escapes of
msgspec's strings are those of RFC 8785 (section 3.2.2.2). ``tests/rules_engine/test_canonical.py``
checks the cyberphone test vectors and the two roads against each other on arbitrary JSON values.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

import msgspec
import rfc8785

__all__ = ["CanonicalError", "canonical_json", "has_long_number", "sha256_canonical", "sorted_compact_json"]


class CanonicalError(ValueError):
    """The value has no RFC 8785 canonical form (a lone surrogate, NaN, an integer beyond the
    I-JSON range, a type JSON does not have), or bytes are not the canonical form of a JSON object."""


_ENCODER = msgspec.json.Encoder(order="sorted")


def _refuse_float(text: str) -> Any:
    raise ValueError(f"number {text} is not an integer")


_READ_BACK = msgspec.json.Decoder(float_hook=_refuse_float)
# UTF-8 lead bytes of U+D000..U+10FFFF: keys there may sort differently under RFC 8785 3.2.3.
_BEYOND_BMP_ORDER = re.compile(rb"[\xed-\xf4]")
# A JSON number begins at the start of the text or after ":", ",", "[" or whitespace, with an optional
# "-". Digits become "0", those three and whitespace ":", "-" stays and everything else becomes "x", so
# plain substring searches find where a number may begin with 16 digits.
_NUMBER_MAP = bytes(0x30 if 0x30 <= i <= 0x39 else 0x3A if i in b":,[ \t\n\r" else 0x2D if i == 0x2D else 0x78
                    for i in range(256))
_SIXTEEN_DIGITS = b"0" * 16


def has_long_number(data: bytes) -> bool:
    """Whether a number of 16 digits or more may begin somewhere in the JSON text `data` (so may be
    an integer beyond the I-JSON safe range, 2**53 - 1). A run of digits inside a string (a hex
    digest holds one of 16 about once in a hundred) does not count, unless one of those characters
    is just before it in the string: then True, which only sends the text the slower road."""
    shape = data.translate(_NUMBER_MAP)
    return (b":" + _SIXTEEN_DIGITS in shape or b":-" + _SIXTEEN_DIGITS in shape
            or shape.startswith(_SIXTEEN_DIGITS) or shape.startswith(b"-" + _SIXTEEN_DIGITS))


def sorted_compact_json(value: Any) -> bytes:
    """The faster road itself: compact JSON with keys sorted by code point. It is the RFC 8785 form
    of a value that holds only strings, integers in the I-JSON range, booleans, null, lists and
    dicts, and no character at or above U+D000. ``canonical_json`` checks that; a caller that knows
    it already (``ledger.canonical.parse_canonical``, for a value it has just parsed from such
    bytes with floats refused) may use this directly."""
    return _ENCODER.encode(value)


def _sorted_compact(value: Any) -> bytes | None:
    """``sorted_compact_json(value)`` when it is the RFC 8785 form of ``value`` (see the module
    docstring), else None."""
    try:
        out = sorted_compact_json(value)
    except (TypeError, ValueError, OverflowError):  # non-string keys, lone surrogates, huge integers
        return None
    if not out.isascii() and _BEYOND_BMP_ORDER.search(out) is not None:
        return None
    if has_long_number(out):
        return None
    try:
        same = _READ_BACK.decode(out) == value
    except (ValueError, msgspec.DecodeError):  # a float
        return None
    return out if same else None


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON value (dict, list, str, int, float, bool, None)."""
    out = _sorted_compact(value)
    if out is not None:
        return out
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CanonicalError(str(exc)) from exc


def sha256_canonical(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
