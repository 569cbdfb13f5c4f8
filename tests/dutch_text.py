"""What a person reads must be Dutch (issue 14): a check over the visible text of a page or document.

`problems(text)` lists what should not be there: a raw code of the glossary (a flag, class, status, entry
kind, ... as the ledger spells it), a known English word, an ISO date (`2026-12-02`, not `2 december 2026`
or `02-12-2026`), a quarter in its URL form (`2026K1`, not `2026-K1`), "UTC". `visible_text(html)` is the
text of an HTML page without what is meant to be a code: <code>, <pre> (signed JSON, source), <textarea>
(what the user typed), <script>, <style> and attribute values.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

from rules import glossary

#: sections whose codes are English identifiers (the others are Dutch words, letters or shown as codes:
#: error codes stand next to "Foutcode")
CODE_SECTIONS = ("flag", "party", "class", "budget", "booking", "entry_kind", "dispute_status", "case_role", "decision_nature",
                 "line_status", "line_kind", "reconcile_outcome", "institution_type", "address_status",
                 "application_outcome", "product")
#: English words that turned up in pages, the CLI and the dossier before (whole words, case-insensitive)
ENGLISH = ("the", "provisional", "definitive", "disputed", "determination", "redetermination", "objection",
           "acceptance", "outcome", "required", "expected", "before", "not", "none", "null", "true", "false",
           "party", "quarter", "statement", "entry", "entries", "ledger", "seq", "digest", "budget budget",
           "failed", "validation", "found", "invalid", "missing", "unknown", "error")
ISO_DATE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")
QUARTER_CODE = re.compile(r"(?<![\w-])\d{4}K[1-4](?!\w)")


def _codes() -> set[str]:
    out = set()
    for name in CODE_SECTIONS:
        for code, text in glossary.section(name).items():
            if len(code) > 3 and code != text and code.lower() not in ("woonplaats", "melding", "aanvraag"):
                out.add(code)
    return out


def problems(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """What in `text` is not Dutch for a person; `allowed`: words that may stand (a name the test chose)."""
    found = []
    for code in sorted(_codes()):
        if code in allowed:
            continue
        if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
            found.append(f"raw code {code}")
    for word in ENGLISH:
        if word not in allowed and re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.IGNORECASE):
            found.append(f"English word {word!r}")
    found += [f"ISO date {m}" for m in ISO_DATE.findall(text) if m not in allowed]
    found += [f"quarter code {m}" for m in QUARTER_CODE.findall(text) if m not in allowed]
    if re.search(r"\bUTC\b", text):
        found.append("UTC")
    return found


class _Visible(HTMLParser):
    SKIP = frozenset({"code", "pre", "textarea", "script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = _Visible()
    p.feed(html)
    return re.sub(r"\s+", " ", " ".join(p.parts))
