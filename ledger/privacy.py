"""Personal data never enters the ledger: the detection of a BSN, an e-mail address and a Dutch
postcode with house number in a signed statement, and the masking of BSN-like numbers in text.

What counts (issue 12):
  * a BSN-like number: a run of exactly nine digits (or the written forms `1234.56.782`,
    `1234 56 782` and `123 456 782`) that passes the 11-proef, also inside a longer value
    (`PSN-123456782`, a location, a position text). Digits that are part of a hex digest (a run of 32
    or more lowercase hex characters: the entry hashes, key ids and digests a statement carries, and
    idempotency keys made from them) are not a number anyone wrote, and do not count;
  * an e-mail address;
  * a Dutch postcode with a house number (`1234 AB 12`, `1234AB 5a`): four digits (not starting with
    0), two capital letters, a house number.
Numbers (amounts in cents, sequence numbers) and dates are not strings and are never checked.

`personal_data_problem(raw)` is the admission rule (family `privacy` in ledger/data/admission.toml): one
compiled regex over the exact statement bytes decides whether anything needs a closer look (almost
never); only then is the statement parsed and walked to name the field, every string of the envelope
(`client`, `idempotency_key`) and of the payload, nested ones as `attempts[0].summary`.

`elfproef` is the one 11-proef (the pseudonymisation service checks a BSN with it), `mask` the one
masking (the log filter of api/ uses it).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator

from .errors import PERSONAL_DATA, LedgerError

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)

# nine digits not preceded or followed by a digit; or the written forms 1234.56.782, 1234 56 782 and
# 123 456 782 (not 123.456.782: that is how an amount is written), then also not next to a digit
# across a separator
_NINE = (r"(?<![0-9])[0-9]{9}(?![0-9])"
         r"|(?<![0-9])(?<![0-9][ .])(?:[0-9]{4}(?P<s1>[ .])[0-9]{2}(?P=s1)[0-9]{3}|[0-9]{3} [0-9]{3} [0-9]{3})(?![0-9])(?![ .][0-9])")
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_POSTCODE = r"(?<![0-9A-Za-z])[1-9][0-9]{3} ?[A-Z]{2} ?[0-9]{1,5}(?![0-9])"
_HEX_DIGEST = r"(?<![0-9a-f])[0-9a-f]{32,}(?![0-9a-f])"

_NINE_STR = re.compile(_NINE)
_EMAIL_STR = re.compile(_EMAIL)
_POSTCODE_STR = re.compile(_POSTCODE)
_HEX_STR = re.compile(_HEX_DIGEST)
#: the pass over the raw statement bytes (each pattern tried only where it can match: see _SHAPE): a
#: postcode; an e-mail address only where there is an "@"; nine digits only where their shape begins
_POSTCODE_BYTES = re.compile(rb"[1-9](?<![0-9A-Za-z][1-9])[0-9]{3} ?[A-Z]{2} ?[0-9]{1,5}(?![0-9])")  # _POSTCODE
_EMAIL_BYTES = re.compile(_EMAIL.encode())
_NINE_BYTES = re.compile(_NINE.encode())
_HEX_BYTES = re.compile(_HEX_DIGEST.encode())
#: The shape of the statement bytes, searched with plain substring searches before any pattern is tried
#: (speed: tried at every digit of a statement's hex digests, the patterns cost about 10 us per
#: statement, a sixth of its signature check): every digit becomes "0", every capital "A",
#: a space and a dot ".", every other byte "x". What the patterns find has one of a few fixed shapes:
#: a postcode begins with "0000AA" or "0000.AA"; nine digits are "000000000", "0000.00.000" or
#: "000.000.000" (a dot in the shape stands for a space too). So a postcode is looked for only in
#: bytes whose shape holds its shape, and nine digits only where their shape begins (the same idea as
#: rules/canonical's search for long numbers; tests/ledger/test_privacy.py checks both against the
#: patterns tried everywhere).
_SHAPE = bytes(0x30 if 0x30 <= i <= 0x39 else 0x41 if 0x41 <= i <= 0x5A else 0x2E if i in (0x20, 0x2E) else 0x78
               for i in range(256))
_NINE_SHAPES = (b"000000000", b"0000.00.000", b"000.000.000")  # the alternatives of _NINE, in that order

#: what each finding is called in a refusal (Dutch: people read it)
WHAT = {"bsn": "een burgerservicenummer (BSN)", "email": "een e-mailadres",
        "postcode": "een postcode met huisnummer"}


def elfproef(digits: str) -> bool:
    """The 11-proef of a BSN: nine digits d1..d9 with 9*d1 + 8*d2 + ... + 2*d8 - d9 divisible by 11
    (all zeros is no number)."""
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit() or digits == "000000000":
        return False
    return sum(w * int(d) for w, d in zip(_WEIGHTS, digits)) % 11 == 0


def _digits(run: str | bytes) -> str:
    s = run.decode("ascii") if isinstance(run, bytes) else run
    return s.replace(" ", "").replace(".", "")


def _in_spans(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def _bsn_spans(text: str) -> Iterator[tuple[int, int]]:
    """The spans of the BSN-like numbers in `text` (not inside a hex digest)."""
    hexes = None
    for m in _NINE_STR.finditer(text):
        if not elfproef(_digits(m.group())):
            continue
        if hexes is None:
            hexes = [x.span() for x in _HEX_STR.finditer(text)]
        if not _in_spans(m.start(), m.end(), hexes):
            yield m.span()


def find(text: str) -> str | None:
    """What personal data `text` holds first ("bsn", "email", "postcode"), or None."""
    for _span in _bsn_spans(text):
        return "bsn"
    if "@" in text and _EMAIL_STR.search(text):
        return "email"
    if _POSTCODE_STR.search(text):
        return "postcode"
    return None


def mask(text: str) -> str:
    """`text` with every BSN-like number replaced by `*********` (for logs)."""
    spans = list(_bsn_spans(text))
    if not spans:
        return text
    out, at = [], 0
    for a, b in spans:
        out.append(text[at:a])
        out.append("*********")
        at = b
    out.append(text[at:])
    return "".join(out)


def _nine_digit_matches(raw: bytes, shape: bytes) -> Iterator[re.Match]:
    """The matches of _NINE in `raw` (in no particular order), given its shape (_SHAPE): each match
    begins where its own shape (one of _NINE_SHAPES) begins in `shape`, so the pattern is tried only
    there, on the shape's length and the two bytes after it that its look-ahead reads (its look-behind
    sees the bytes before). A run of digits in a hex digest is one such place; most statements have
    none."""
    for s in _NINE_SHAPES:
        at = shape.find(s)
        while at != -1:
            m = _NINE_BYTES.match(raw, at, at + len(s) + 2)
            if m:
                yield m
            at = shape.find(s, at + 1)


def _suspect(raw: bytes) -> bool:
    """The cheap pass: may the statement bytes hold personal data? (False for nearly every statement.)
    A pattern is tried only where the shape of the bytes (_SHAPE) shows what it finds."""
    if b"@" in raw and _EMAIL_BYTES.search(raw):
        return True  # an e-mail address: walk to name the field
    shape = raw.translate(_SHAPE)
    if (b"0000AA" in shape or b"0000.AA" in shape) and _POSTCODE_BYTES.search(raw):
        return True  # a postcode: walk to name the field
    hexes = None
    for m in _nine_digit_matches(raw, shape):
        if not elfproef(_digits(m.group(0))):
            continue
        if hexes is None:
            hexes = [x.span() for x in _HEX_BYTES.finditer(raw)]
        if not _in_spans(m.start(), m.end(), hexes):
            return True
    return False


def _strings(value, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def statement_fields(obj: dict) -> Iterator[tuple[str, str]]:
    """Every string of a statement as (field, value): the envelope's by name, the payload's by their
    path inside the payload (`position`, `attempts[0].summary`)."""
    for name, value in obj.items():
        if name == "payload":
            yield from _strings(value, "")
        else:
            yield from _strings(value, name)


def personal_data_problem(raw: bytes) -> LedgerError | None:
    """PERSONAL_DATA naming the first field of the statement bytes that holds a BSN, an e-mail address
    or a postcode with house number; None when there is none. The value itself is never repeated."""
    if not _suspect(raw):
        return None
    try:
        obj = json.loads(raw)
    except ValueError:  # pragma: no cover - admission parsed these bytes before
        return None
    if not isinstance(obj, dict):  # pragma: no cover
        return None
    for name, value in statement_fields(obj):
        what = find(value)
        if what:
            return LedgerError(PERSONAL_DATA, f"het veld {name} bevat {WHAT[what]}; persoonsgegevens komen niet "
                                              f"in het grootboek (gebruik het pseudoniem van de cliënt)")
    return None
