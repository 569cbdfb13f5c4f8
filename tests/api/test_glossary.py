"""Every code a person can meet has a Dutch label in the one glossary (rules/data/glossary.toml).

The codes are enumerated from where they are defined (the flag table, the payload schemas, the workflow,
the error modules), not copied: a new flag, status, entry kind or error code without a label fails here.
"""
from __future__ import annotations

import functools
import re
import typing

import pytest

from rules import glossary
from rules.flags import FLAG_KIND_NL, FLAG_NAMES


def _literal(model, field: str) -> set[str]:
    """The values a payload field's Literal (or Optional Literal) allows."""
    ann = model.model_fields[field].annotation
    out: set[str] = set()
    stack = [ann]
    while stack:
        t = stack.pop()
        if typing.get_origin(t) is typing.Literal:
            out |= {a for a in typing.get_args(t) if isinstance(a, str)}
        else:
            stack.extend(typing.get_args(t))
    assert out, f"{model.__name__}.{field} has no Literal values"
    return out


def _error_codes() -> set[str]:
    """Every module-level code constant (`NAME = "SOME_CODE"`) of rules/, ledger/, cases/ and api/, found by
    reading the sources (a new module's codes are found too), plus the codes the edges raise inline.
    The flag names a module repeats (ledger/confidential_locations.py FLAG) are flags, labelled as such."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    codes = set()
    for layer in ("rules", "ledger", "cases", "api"):
        for f in (root / layer).rglob("*.py"):
            for node in ast.parse(f.read_text(encoding="utf-8")).body:
                if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                        and node.targets[0].id.isupper() and isinstance(node.value, ast.Constant)
                        and isinstance(node.value.value, str)
                        and re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", node.value.value)):
                    codes.add(node.value.value)
    from api.http import problems
    from rules.engine import FactsError

    codes |= set(problems._HTTP_CODES.values()) | {FactsError.code, "CASEBOOK_MALFORMED", "HTTP_ERROR",
                                                  "DATABASE_UNAVAILABLE", "AUDIT_UNAVAILABLE",
                                                  "INPUT_INVALID", "KEY_REQUIRED", "RESPONSE_INVALID"}  # inline
    return codes - set(FLAG_NAMES)


def _arrangements() -> dict:
    import tomllib
    from importlib import resources

    return tomllib.loads((resources.files("ledger") / "data" / "arrangements.toml").read_text(encoding="utf-8"))


def _verdeelsleutels() -> set[str]:
    pools = _arrangements()["solidarity_pool"]
    keys = {k for pool in (pools if isinstance(pools, list) else [pools]) for k in pool.get("keys", {})}
    assert keys
    return keys


@functools.lru_cache(maxsize=1)
def _expected() -> dict[str, set[str]]:
    from api.access import audit
    from api.access.identity import ROLES as ACCOUNT_ROLES
    from cases.workflow import load_workflow
    from ledger import entries as E
    from ledger.reports import reconcile
    from rules import facts as F

    wf = load_workflow()
    statuses = set(E.DISPUTE_STATUSES) | {s for edge in wf.edges.values() for s in (edge.source, edge.target)}
    roles = {r for edge in wf.edges.values() for r in edge.by} | {"provider"}
    return {
        "flag": set(FLAG_NAMES),
        "flag_kind": set(FLAG_KIND_NL),
        "class": _literal(E.Outcome, "client_class"),
        "budget": _literal(E.Outcome, "budget"),
        "booking": _literal(E.Outcome, "entry_kind"),
        "entry_kind": set(E.PAYLOADS),
        "notice": {f"N{i}" for i in range(1, 9)},
        "dispute_status": statuses,
        "case_role": roles,
        "account_role": set(ACCOUNT_ROLES),
        "decision_nature": _literal(E.DisputeDecision, "nature"),
        "attempt": _literal(E.SettlementAttempt, "kind"),
        "line_status": _literal(E.CostLine, "status") | {"disputed"},
        "line_status_adjective": _literal(E.CostLine, "status") | {"disputed"},
        "line_kind": {"cost_line", "reversal", "pool"},
        "flow_kind": {"kosten", "solidariteit"},
        "reconcile_outcome": set(reconcile.OUTCOMES),
        "regime": {"A", "B"},
        "party": {E.OPERATOR, E.COMMITTEE},
        "audit_log": set(audit._LOG_ORDER),
        "audit_result": set(audit.RESULTS),
        "verdeelsleutel": _verdeelsleutels(),
        "ingroeipad_status": {g["status"] for g in _arrangements()["ingroeipad"]},
        "institution_type": {v.value for v in F.InstitutionType},
        "address_status": {v.value for v in F.AddressStatus},
        "address_function": {v.value for v in F.AddressFunction},
        "product": {v.value for v in F.Product},
        "application_kind": {v.value for v in F.ApplicationKind},
        "application_outcome": {v.value for v in F.Outcome},
        "error": _error_codes(),
    }


@pytest.mark.parametrize("section", sorted(_expected()))
def test_every_code_has_a_dutch_label(section):
    labels = glossary.section(section)
    missing = sorted(_expected()[section] - set(labels))
    assert not missing, f"glossary section [{section}] has no label for {missing}"
    for code, text in labels.items():
        assert isinstance(text, str) and text.strip(), f"[{section}] {code}: empty label"
        if code.isupper() and len(code) > 2:  # an English code; a Dutch one (regio, kosten) may be its own label
            assert text != code, f"[{section}] {code}: the label is the code itself"


def test_no_section_without_its_codes():
    """A section of the glossary that nothing enumerates would escape the check above."""
    assert set(glossary.sections()) == set(_expected())


def test_labels_and_error_text():
    assert glossary.label("flag", "NO_WOONADRES") == "geen woonadres op de meldingsdatum"
    assert glossary.label("class", None) == "-"
    assert glossary.label("class", None, "nog niet bepaald") == "nog niet bepaald"
    assert glossary.label("dispute_status", "DECIDED") == "uitspraak gedaan"
    assert glossary.label("flag_kind", "O") == FLAG_KIND_NL["O"]
    assert glossary.error_text("PARTY_UNKNOWN", "GM9999 bestaat niet") == \
        "onbekende gemeente of regio: GM9999 bestaat niet (PARTY_UNKNOWN)"


def test_in_words_and_the_dutch_forms():
    from datetime import UTC, date, datetime

    from api import format_nl

    assert glossary.in_words("klasse NOT_NEW; kostendrager GM0193 (historical)") == \
        "klasse geen nieuwe cliënt (historisch contact); kostendrager GM0193 (historisch budget)"
    assert glossary.in_words("venster 2025-03-02..2026-03-02; signaleringen: BOUNDARY_365") == \
        "venster 02-03-2025..02-03-2026; signaleringen: grens van het venster van 365 dagen"
    assert glossary.in_words("GM0166 en RG:ijssel-vecht blijven") == "GM0166 en RG:ijssel-vecht blijven"
    assert format_nl.date_nl(date(2026, 12, 2)) == "2 december 2026"
    assert format_nl.date_table_nl("2026-12-02") == "02-12-2026"
    # a timestamp is its day and time in Amsterdam: 23:30 UTC on 31 December is 1 January there
    assert format_nl.date_nl("2026-12-31T23:30:00Z") == "1 januari 2027"
    assert format_nl.datetime_nl(datetime(2026, 7, 1, 10, 0, tzinfo=UTC)) == "1 juli 2026 12:00"
    assert format_nl.quarter_nl("2026K1") == "2026-K1" and format_nl.quarter_nl("2026-k4") == "2026-K4"
    assert format_nl.quarter_nl("volgend jaar") == "volgend jaar"  # not a quarter: shown as given
