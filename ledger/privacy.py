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
#: the pass over the raw statement bytes (speed: these patterns, tried at every byte of a statement,
#: cost as much as its signature check; so each is tried only where it can start): a postcode; an
#: e-mail address only where there is an "@"; nine digits only inside a run of digits and separators
#: long enough to hold them (_NUMBER_RUN starts with a digit, which the regex engine scans for fast)
_POSTCODE_BYTES = re.compile(rb"[1-9](?<![0-9A-Za-z][1-9])[0-9]{3} ?[A-Z]{2} ?[0-9]{1,5}(?![0-9])")  # _POSTCODE
_EMAIL_BYTES = re.compile(_EMAIL.encode())
_NINE_BYTES = re.compile(_NINE.encode())
#: a run of digits, spaces and dots from a digit to a digit, nine characters or more (a BSN in any of its
#: written forms lies inside one); shorter runs, the many in hex digests, are never matched at all
_NUMBER_RUN = re.compile(rb"[0-9][0-9 .]{7,}[0-9]")
_HEX_BYTES = re.compile(_HEX_DIGEST.encode())

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


def _nine_in_runs(raw: bytes) -> Iterator[re.Match]:
    """The matches of _NINE in `raw`: searched only in the number runs of nine or more characters
    (a match lies inside one; the search starts at the run, so the look-behind still sees the bytes
    before it, and ends two bytes after it, all the look-ahead needs)."""
    for run in _NUMBER_RUN.finditer(raw):
        start, end = run.span()
        yield from _NINE_BYTES.finditer(raw, start, end + 2)


def _suspect(raw: bytes) -> bool:
    """The cheap pass: may the statement bytes hold personal data? (False for nearly every statement.)"""
    if b"@" in raw and _EMAIL_BYTES.search(raw):
        return True  # an e-mail address: walk to name the field
    if _POSTCODE_BYTES.search(raw):
        return True  # a postcode: walk to name the field
    hexes = None
    for m in _nine_in_runs(raw):
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
