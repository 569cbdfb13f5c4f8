"""The one glossary: the Dutch label of every code a person can meet (issue 14, "Dutch, everywhere a
person reads").

The labels are package data (rules/data/glossary.toml, read by rules/loader.py), one section per kind
of code: ``flag`` (the flag table of rules/flags.py), ``class``, ``budget``, ``booking``, ``regime``,
the facts' enums (``institution_type``, ``address_status``, ``address_function``, ``product``,
``application_kind``, ``application_outcome``), ``entry_kind`` (ledger/entries.py), ``notice`` (N1-N8),
``party`` (the operator, the committee), ``dispute_status`` and ``case_role`` (the workflow of
ledger/data/workflow.toml), ``account_role``, ``decision_nature``, ``attempt``, ``line_status`` (and its
inflected ``line_status_adjective``), ``line_kind``, ``flow_kind``, ``verdeelsleutel``,
``ingroeipad_status``, ``reconcile_outcome`` and ``error``. The kind of a flag (O / I) in words is the
flag table's own (rules/flags.py FLAG_KIND_NL), offered here as section ``flag_kind``.

Pages (the Jinja filter ``nl``), the CLI, the XLSX/CSV statements, the reports and the dossier call
``label``; the codes themselves stay in JSON, in the ledger and in the files a program reads.
tests/api/test_glossary.py checks that every code that can occur has a label (it enumerates them from
where they are defined).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from . import loader
from .flags import FLAG_KIND_NL


@lru_cache(maxsize=1)
def sections() -> Mapping[str, Mapping[str, str]]:
    """Section -> (code -> Dutch label), read-only."""
    table = {name: MappingProxyType(dict(rows)) for name, rows in loader.glossary_table().items()}
    table["flag_kind"] = MappingProxyType(dict(FLAG_KIND_NL))
    return MappingProxyType(table)


def section(name: str) -> Mapping[str, str]:
    """One section (KeyError for a section that does not exist: a programming error)."""
    return sections()[name]


def label(name: str, code: str | None, default: str | None = None) -> str:
    """The Dutch label of `code` in section `name`. An empty code is `default` (or "-"); a code the
    glossary does not know is shown as itself (the completeness test keeps that from happening)."""
    if code is None or code == "":
        return "-" if default is None else default
    return section(name).get(code, code if default is None else default)


def party_name(code: str | None) -> str:
    """A party as a person reads it: a municipality's name (`Kampen`), `regio IJssel-Vecht`,
    `geschillencommissie`; a code no register knows is shown as itself."""
    if not code:
        return "-"
    if code.startswith("GM"):
        return loader.municipality_register().name(code)
    if code.startswith("RG:"):
        regions = {r.id: r.name for r in loader.verified_regions()}
        return f"regio {regions[code[3:]]}" if code[3:] in regions else code
    return label("party", code)


def error_text(code: str, message: str | None = None) -> str:
    """An error as a person reads it: its label, then the detail (if any), then the stable code:
    `onbekende gemeente of regio: GM9999 bestaat niet (PARTY_UNKNOWN)`."""
    head = section("error").get(code)
    parts = [p for p in (head, message) if p]
    text = ": ".join(parts) if parts else code
    return f"{text} ({code})"


_ISO_DAY = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
#: the sections whose codes occur inside the engine's own texts (trail findings, flag notes)
_IN_TEXT = ("flag", "class", "budget", "booking")


@lru_cache(maxsize=1)
def _text_codes() -> tuple[re.Pattern, dict[str, str]]:
    codes = {code: text for name in _IN_TEXT for code, text in section(name).items()
             if code != text and code not in ("woonplaats", "none")}
    pattern = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, codes), key=len, reverse=True)) + r")(?![\w-])")
    return pattern, codes


def in_words(text: str) -> str:
    """An engine text (a trail finding, a flag's note) as a person reads it: its codes as their labels and its
    ISO dates as `02-12-2026`. The engine's texts themselves are part of a determination's digest (the
    signed trail), so they keep their form; this is how an edge shows them."""
    if not text:
        return text
    pattern, codes = _text_codes()
    text = pattern.sub(lambda m: codes[m.group(1)], text)
    return _ISO_DAY.sub(lambda m: f"{m.group(3)}-{m.group(2)}-{m.group(1)}", text)
