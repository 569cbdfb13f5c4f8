"""Reading canonical JSON (RFC 8785): ``parse_canonical`` accepts only bytes that are the canonical
form of a JSON object.

Writing it is ``rules/canonical.py``'s ``canonical_json``, the project's one serialiser (re-exported
here with ``CanonicalError``): the ledger hashes and signs with the same function the rules engine
uses for its digests. Parsing re-serialises the parsed value with it and compares the bytes.
"""
from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from rules.canonical import CanonicalError, canonical_json, has_long_number, sorted_compact_json

__all__ = ["CanonicalError", "canonical_json", "parse_canonical"]

_SAFE_INT = 2**53 - 1


def _no_float(text: str) -> float:
    raise CanonicalError(f"number {text} is not an integer: statements carry integers only (money in cents)")


def _safe_int(text: str) -> int:
    value = int(text)
    if not -_SAFE_INT <= value <= _SAFE_INT:
        raise CanonicalError(f"integer {text} is outside the I-JSON safe range (RFC 7493 2.2)")
    return value


# UTF-8 lead bytes of U+D000..U+10FFFF: keys there sort differently under RFC 8785 3.2.3.
_NEEDS_FULL = re.compile(rb"[\xed-\xf4]")
def _msgspec_float(text: str) -> Any:
    raise ValueError(f"number {text} is not an integer: statements carry integers only (money in cents)")


_DECODER = msgspec.json.Decoder(float_hook=_msgspec_float)
#: a statement nested beyond the parser's recursion limit (about 1,000 levels)
TOO_DEEP = "de statement is te diep genest (arrays of objecten in elkaar)"


def _parse_fast(data: bytes) -> dict[str, Any]:
    """parse_canonical for bytes with no backslash (so no escapes: every string is literal UTF-8), no
    character at or above U+D000 and no long number: msgspec parses them (faster than json), and the
    serialiser's sorted compact form of the value must give the same bytes back. For such a value
    that form is its RFC 8785 form (``rules.canonical.sorted_compact_json``), so ``canonical_json``'s
    own check that the value holds nothing else can be skipped; tests/ledger/test_canonical_crypto.py
    checks both paths accept and refuse exactly the same inputs with the same value.
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
    if sorted_compact_json(value) != data:
        raise CanonicalError("not in RFC 8785 canonical form")
    return value


def parse_canonical(data: bytes) -> dict[str, Any]:
    """Parse bytes that must be the canonical form of a JSON object; raise CanonicalError if not.

    Numbers must be integers in the I-JSON safe range.  Duplicate keys are refused because the
    re-serialised form of the parsed object would then differ from the bytes.
    """
    if (type(data) is bytes and b"\\" not in data and (data.isascii() or _NEEDS_FULL.search(data) is None)
            and not has_long_number(data)):
        return _parse_fast(data)
    return parse_canonical_slow(data)


def parse_canonical_slow(data: bytes) -> dict[str, Any]:
    """The reference implementation of parse_canonical (json + canonical_json), for any input."""
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
    if canonical_json(value) != data:  # a lone surrogate escape is refused there (RFC 7493 2.1)
        raise CanonicalError("not in RFC 8785 canonical form")
    return value
