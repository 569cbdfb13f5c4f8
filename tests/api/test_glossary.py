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


def _offered_steps(wf) -> set[str]:
    """The steps a page can offer (cases/steps.py): every edge's target but those left to the operator's
    tools (by time, booking), and the two actions without a target."""
    return {e.target for e in wf.edges.values() if not (e.after_deadline or e.requires_booking)} | {"submit", "attempt"}


def _mailbox_fields() -> set[str]:
    """The fields the mailbox and key pages name in a refusal: the field argument of RequestInvalid (first) and
    of _day (second) in api/compose_notices.py, and the party the pages read."""
    import ast
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "api" / "compose_notices.py").read_text(encoding="utf-8")
    fields = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            where = {"RequestInvalid": 0, "_day": 1}.get(node.func.id)
            if where is not None and len(node.args) > where and isinstance(node.args[where], ast.Constant):
                fields.add(node.args[where].value)
    assert {"map", "soort", "van", "tot"} <= fields
    return fields | {"partij"}


@functools.lru_cache(maxsize=1)
def _expected() -> dict[str, set[str]]:
    from api.access import audit
    from api.access.identity import ROLES as ACCOUNT_ROLES
    from cases.service import CASE_GROUPS
    from cases.workflow import load_workflow
    from ledger import entries as E
    from ledger import inbox
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
        "case_step": _offered_steps(wf),
        "case_group": set(CASE_GROUPS),
        "mailbox": set(inbox.BOXES),
        "notice_action": {inbox.ACKNOWLEDGE, inbox.RESPOND},
        "form_field": _mailbox_fields(),
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


def _label_tables() -> list[str]:
    """Dicts of Dutch labels outside the glossary, in rules/, ledger/, cases/ and api/: a name ending in `_NL`
    bound to a dict literal of texts, or any dict literal of texts whose keys are all codes of one glossary
    section (a copy of part of it). Tables of sentences (refusals with a field and a hint) are messages, not
    labels; rules/flags.py FLAG_KIND_NL is the flag table's own, which the glossary reads."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sections = [set(codes) for codes in glossary.sections().values()]
    labels = {text for codes in glossary.sections().values() for text in codes.values()}
    found = []
    for layer in ("rules", "ledger", "cases", "api"):
        for f in sorted((root / layer).rglob("*.py")):
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                    named = any(isinstance(t, ast.Name) and t.id.endswith("_NL") for t in node.targets)
                    texts = all(isinstance(v, ast.Constant) and isinstance(v.value, str) and not v.value.endswith(".")
                                for v in node.value.values)
                    if named and texts:
                        found.append(f"{f.relative_to(root)}:{node.lineno}")
                if isinstance(node, ast.Dict) and len(node.keys) >= 2:
                    keys = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
                    texts = all(isinstance(v, ast.Constant) and isinstance(v.value, str)
                                and (" " in v.value or v.value in labels) for v in node.values)
                    if texts and len(keys) == len(node.keys) and any(keys <= codes for codes in sections):
                        found.append(f"{f.relative_to(root)}:{node.lineno}")
    return sorted({x for x in found if not x.startswith("rules/flags.py")})


def test_one_label_table():
    """Pages, the CLI, the XLSX statements and the dossier read their labels from the glossary: no other
    module keeps a table of Dutch labels of its own (issue 14, "one glossary table")."""
    assert _label_tables() == []


def test_the_edges_read_the_glossary():
    """The shared names and labels are the glossary's: a party's name, a notice's kind, a case step."""
    from api import compose, compose_cases, compose_notices
    from cases import steps
    from ledger.reports import statements
    from ledger.settlement import catalogue

    assert compose.municipality_name is glossary.party_name
    assert not hasattr(compose_notices, "party_name") or compose_notices.party_name is glossary.party_name
    assert not hasattr(catalogue, "party_name")
    assert glossary.party_name("GM0166") == "Kampen" and glossary.party_name("COMMITTEE") == "geschillencommissie"
    assert glossary.party_name("RG:ijssel-vecht") == "regio IJssel-Vecht"
    assert dict(steps.STEP_NL) == dict(glossary.section("case_step"))
    assert dict(compose_cases.ATTEMPT_NL) == dict(glossary.section("attempt"))
    assert dict(statements.KIND_NL) == dict(glossary.section("line_kind"))
    assert compose_notices.notice_codes()["N1"] == glossary.label("notice", "N1")
