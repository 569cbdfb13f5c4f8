"""Casebooks: rules test cases as data (casebook-format.md). Pure: takes a file's text, returns lines."""
from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from . import day_range
from .brp_historie import BrpMapping, map_history
from .context import Context, ParameterTable, RegionVersion
from .engine import CLASSES, ENTRY_KINDS, Determination, FactsError, determine
from .facts import CaseFacts
from .flags import FLAG_NAMES
from .municipalities import MunicipalityRegister

CONTEXT_KEYS = {"t0", "law_in_force_from", "window_days", "gap_tolerance_days", "short_interim_days",
                "short_registration_days", "short_episode_days", "regions"}
#: `illustrative`: a region of demo data, not a verified membership (shown as such; not in the context digest)
REGION_KEYS = {"name", "centrumgemeente", "members", "t0", "valid_from", "valid_to", "settled_flags", "illustrative"}
CASE_KEYS = {"id", "title", "melding", "person", "addresses", "stays", "bw_episodes", "applications",
             "eligibility_open", "placement", "expect"}
EXPECT_KEYS = {"cost_bearer", "budget", "class", "new_client", "legal_college", "flags", "not_flags",
               "provisional", "entry", "alternatives"}


class Malformed(ValueError):
    pass


#: nesting of arrays and tables beyond the parser's recursion limit (about 1,000 levels)
TOO_DEEP = "de invoer is te diep genest (arrays of tabellen in elkaar)"
#: Python refuses to read an integer of more than 4,300 digits
TOO_LONG_NUMBER = "de invoer bevat een getal van meer dan 4.300 cijfers"
_DAY_COUNTS = CONTEXT_KEYS - {"t0", "law_in_force_from", "regions"}


def _check_day(where: str, value) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise Malformed(f"{where}: een datum (JJJJ-MM-DD) verwacht, niet {type(value).__name__}")
    reason = day_range.out_of_range(value)
    if reason:
        raise Malformed(f"{where}: {reason}")


def _check_context_value(key: str, value) -> None:
    """The types and range of `[context]`'s own keys (the regions are checked one by one)."""
    where = f"context.{key}"
    if key == "t0" or (key == "law_in_force_from" and value != "unset"):
        _check_day(where, value)
    elif key in _DAY_COUNTS and (not isinstance(value, int) or isinstance(value, bool)
                                 or not 0 <= value <= day_range.MAX_SPAN_DAYS):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise Malformed(f"{where}: een aantal dagen van 0 tot en met {day_range.MAX_SPAN_DAYS} verwacht, niet {shown}")


def _check_region_types(rid, r) -> None:
    """A region table holds texts where texts belong, lists of texts and dates (or it is refused by name)."""
    where = f"context.regions.{rid}"
    if not isinstance(r, dict):
        raise Malformed(f"{where}: een tabel verwacht (name, centrumgemeente, members), niet {type(r).__name__}")
    for k in ("name", "centrumgemeente"):
        if k in r and not isinstance(r[k], str):
            raise Malformed(f"{where}.{k}: een tekst verwacht, niet {type(r[k]).__name__}")
    for k in ("members", "settled_flags"):
        if k in r and (not isinstance(r[k], list) or not all(isinstance(x, str) for x in r[k])):
            raise Malformed(f"{where}.{k}: een lijst van teksten verwacht")
    for k in ("t0", "valid_from", "valid_to"):
        if r.get(k) is not None:
            _check_day(f"{where}.{k}", r[k])
    if "illustrative" in r and not isinstance(r["illustrative"], bool):
        raise Malformed(f"{where}.illustrative: true of false verwacht")


@dataclass
class FileResult:
    lines: list[str]
    passed: int
    failed: int


def load_context(raw: dict, table: ParameterTable, register: MunicipalityRegister, name: str) -> Context:
    ctx = raw.get("context")
    if not isinstance(ctx, dict):
        raise Malformed("missing [context]")
    unknown = set(ctx) - CONTEXT_KEYS
    if unknown:
        raise Malformed(f"context: unknown key {sorted(unknown)[0]}")
    if "t0" not in ctx or not isinstance(ctx["t0"], date):
        raise Malformed("context.t0: required date")
    for k, v in ctx.items():
        _check_context_value(k, v)
    overrides = {k: v for k, v in ctx.items() if k != "regions"}
    overrides.setdefault("law_in_force_from", "unset")
    regions_raw = ctx.get("regions")
    if not isinstance(regions_raw, dict) or not regions_raw:
        raise Malformed("context.regions: at least one region required")
    regions = []
    for rid, r in regions_raw.items():
        _check_region_types(rid, r)
        unknown = set(r) - REGION_KEYS
        if unknown:
            raise Malformed(f"context.regions.{rid}: unknown key {sorted(unknown)[0]}")
        for k in ("name", "centrumgemeente", "members"):
            if k not in r:
                raise Malformed(f"context.regions.{rid}.{k}: required")
        codes = [r["centrumgemeente"], *r["members"]]
        for c in codes:
            if c not in register:
                raise Malformed(f"context.regions.{rid}: statcode {c} not in the municipality list")
        settled = r.get("settled_flags", [])
        for f in settled:
            if f not in FLAG_NAMES:
                raise Malformed(f"context.regions.{rid}.settled_flags: unknown flag {f!r}")
        regions.append(RegionVersion(id=rid, name=r["name"], centrumgemeente=r["centrumgemeente"],
                                     members=frozenset(r["members"]), t0=r.get("t0"),
                                     valid_from=r.get("valid_from"), valid_to=r.get("valid_to"),
                                     settled_flags=frozenset(settled), illustrative=r.get("illustrative") is True))
    try:
        return Context.build(table, tuple(regions), register, overrides=overrides, label=name)
    except ValueError as exc:
        raise Malformed(f"context.regions: {exc}") from exc


def case_facts(case: dict, register: MunicipalityRegister) -> CaseFacts:
    """One `[[case]]` table (without its title and expectations) as validated facts."""
    data = {k: v for k, v in case.items() if k not in ("title", "expect")}
    try:
        return CaseFacts.model_validate(data, context={"municipalities": register})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "case"
        raise Malformed(f"{loc}: {err['msg']}") from None


def _check_expect(expect: dict, has_placement: bool, register: MunicipalityRegister) -> None:
    if not isinstance(expect, dict) or not expect:
        raise Malformed("expect: at least one key required")
    unknown = set(expect) - EXPECT_KEYS
    if unknown:
        raise Malformed(f"expect: unknown key {sorted(unknown)[0]}")
    for key in ("cost_bearer", "legal_college"):
        v = expect.get(key)
        if v is not None and v != "none" and v not in register:
            raise Malformed(f"expect.{key}: statcode {v} not in the municipality list")
    if "budget" in expect and expect["budget"] not in ("woonplaats", "historical"):
        raise Malformed(f"expect.budget: unknown value {expect['budget']!r}")
    if "class" in expect and expect["class"] not in CLASSES:
        raise Malformed(f"expect.class: unknown value {expect['class']!r}")
    if "entry" in expect:
        if expect["entry"] not in ENTRY_KINDS:
            raise Malformed(f"expect.entry: unknown value {expect['entry']!r}")
        if not has_placement:
            raise Malformed("expect.entry: given without a placement")
    for key in ("flags", "not_flags"):
        for f in expect.get(key, []):
            if f not in FLAG_NAMES:
                raise Malformed(f"expect.{key}: unknown flag {f!r}")
    for f, alt in expect.get("alternatives", {}).items():
        if f not in FLAG_NAMES:
            raise Malformed(f"expect.alternatives: unknown flag {f!r}")
        if not isinstance(alt, dict) or set(alt) - {"cost_bearer", "budget", "class", "legal_college"}:
            raise Malformed(f"expect.alternatives.{f}: only cost_bearer, budget, class, legal_college")
    for key in ("new_client", "provisional"):
        if key in expect and not isinstance(expect[key], bool):
            raise Malformed(f"expect.{key}: expected true or false")


def _show(v) -> str:
    return "none" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))


def compare(expect: dict, det: Determination) -> list[str]:
    got = {"cost_bearer": det.cost_bearer, "budget": det.budget, "class": det.klass,
           "new_client": det.new_client, "legal_college": det.legal_college, "provisional": det.provisional,
           "entry": det.entry}
    out = []
    for key, value in got.items():
        if key in expect:
            want = None if expect[key] == "none" and key == "cost_bearer" else expect[key]
            if want != value:
                out.append(f"{key} expected {_show(expect[key])}, got {_show(value)}")
    names = set(det.flag_names)
    missing = [f for f in expect.get("flags", []) if f not in names]
    if missing:
        out.append(f"flags expected {missing}, got {sorted(names)}")
    extra = [f for f in expect.get("not_flags", []) if f in names]
    if extra:
        out.append(f"not_flags expected none of {extra}, got {sorted(names)}")
    for fname, alt in expect.get("alternatives", {}).items():
        flag = det.flag(fname)
        if flag is None:
            out.append(f"alternatives.{fname} expected the flag raised, got not raised")
            continue
        ok = any(all((a.as_dict()[k] if k != "class" else a.klass) == v for k, v in alt.items())
                 for a in flag.alternatives)
        if not ok:
            shown = "; ".join(f"{a.cost_bearer}/{a.budget}/{a.klass}" for a in flag.alternatives) or "none"
            out.append(f"alternatives.{fname} expected {alt}, got {shown}")
    return out


def run_text(name: str, text: str, table: ParameterTable, register: MunicipalityRegister) -> FileResult:
    """Run one casebook file; never raises for bad input."""
    try:
        raw = _toml(text)
    except Malformed as exc:
        return FileResult([f"FAIL {name}: {exc}"], 0, 1)
    try:
        ctx = load_context(raw, table, register, name)
    except Malformed as exc:
        return FileResult([f"FAIL {name}: malformed: {exc}"], 0, 1)
    cases = raw.get("case")
    if not isinstance(cases, list) or not cases:
        return FileResult([f"FAIL {name}: no [[case]]"], 0, 1)
    lines, passed, failed, seen = [], 0, 0, set()
    for i, case in enumerate(cases):
        cid = case.get("id", f"#{i + 1}")
        title = case.get("title", "")
        head = f"{name}:{cid} {title}".rstrip()
        try:
            unknown = set(case) - CASE_KEYS
            if unknown:
                raise Malformed(f"unknown key {sorted(unknown)[0]}")
            for k in ("id", "melding", "expect"):
                if k not in case:
                    raise Malformed(f"{k}: required")
            if cid in seen:
                raise Malformed(f"id: duplicate {cid}")
            seen.add(cid)
            _check_expect(case["expect"], "placement" in case, register)
            facts = case_facts(case, register)
            det = determine(facts, ctx)
            problems = compare(case["expect"], det)
        except (Malformed, FactsError) as exc:
            problems = [f"malformed: {exc}"]
        except Exception as exc:  # a bug in the engine must not hide the other cases
            problems = [f"error: {type(exc).__name__}: {exc}"]
        if problems:
            failed += 1
            lines.append(f"FAIL {head}: " + "; ".join(problems))
        else:
            passed += 1
            lines.append(f"PASS {head}")
    return FileResult(lines, passed, failed)


def find_case(text: str, case_id: str, table: ParameterTable, register: MunicipalityRegister):
    raw = _toml(text)
    ctx = load_context(raw, table, register, "casebook")
    for case in raw.get("case", []):
        if case.get("id") == case_id:
            return case_facts(case, register), ctx
    raise Malformed(f"no case with id {case_id}")


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTEXT_DATES = ("t0", "law_in_force_from")
_REGION_DATES = ("t0", "valid_from", "valid_to")


def _json_day(value, where: str):
    if isinstance(value, str) and _ISO_DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Malformed(f"{where}: not a calendar date: {value!r}") from None
    return value


def _parse(text: str, fmt: str) -> dict:
    if fmt == "json":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Malformed(f"JSON does not parse: {exc}") from None
        except RecursionError:
            raise Malformed(TOO_DEEP) from None
        except ValueError:  # a number of more than 4,300 digits
            raise Malformed(TOO_LONG_NUMBER) from None
        if not isinstance(raw, dict):
            raise Malformed("JSON: expected an object with \"case\" (and optionally \"context\")")
        ctx = raw.get("context")
        if isinstance(ctx, dict):  # TOML has dates, JSON has ISO strings: give load_context dates
            ctx = dict(ctx)
            for k in _CONTEXT_DATES:
                if k in ctx:
                    ctx[k] = _json_day(ctx[k], f"context.{k}")
            if isinstance(ctx.get("regions"), dict):
                ctx["regions"] = {rid: ({k: (_json_day(v, f"context.regions.{rid}.{k}") if k in _REGION_DATES
                                             else v) for k, v in r.items()} if isinstance(r, dict) else r)
                                  for rid, r in ctx["regions"].items()}
            raw = {**raw, "context": ctx}
        return raw
    return _toml(text)


def _toml(text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Malformed(f"TOML does not parse: {exc}") from None
    except RecursionError:
        raise Malformed(TOO_DEEP) from None
    except ValueError:  # a number of more than 4,300 digits
        raise Malformed(TOO_LONG_NUMBER) from None


def parse_case(text: str, fmt: str, case_id: str | None, table: ParameterTable, register: MunicipalityRegister,
               default_context: Context) -> tuple[CaseFacts, Context]:
    """One case of a casebook fragment (TOML, or the same structure as JSON with ISO dates) and its context.

    `[context]` is optional (`default_context` applies without it); `case_id` is needed only when the
    fragment holds more than one `[[case]]`. Raises Malformed (or FactsError from the fact models)."""
    facts, ctx, _ = read_case(text, fmt, case_id, table, register, default_context)
    return facts, ctx


def read_case(text: str, fmt: str, case_id: str | None, table: ParameterTable, register: MunicipalityRegister,
              default_context: Context, brp: Any = None,
              institutions: Mapping[Any, Any] | None = None) -> tuple[CaseFacts, Context, BrpMapping | None]:
    """`parse_case`, with the address history from a Haal Centraal BRP `verblijfplaatshistorie` response
    (`rules/brp_historie.py`): given as `brp` (parsed JSON) or as the fragment's top-level member `brp`
    (with `brp_institutions`: period start -> institution type). The case then has no `addresses` of
    its own. Returns the mapping too (its Dutch report); raises BrpError for a response it cannot map."""
    raw = _parse(text, fmt)
    if "brp" in raw or "brp_institutions" in raw:
        raw = dict(raw)
        inner, marks = raw.pop("brp", None), raw.pop("brp_institutions", None)
        if inner is not None and brp is not None:
            raise Malformed("brp: het BRP-antwoord is twee keer gegeven (in de invoer en apart)")
        brp = brp if brp is not None else inner
        if marks is not None:
            if not isinstance(marks, dict):
                raise Malformed("brp_institutions: een tabel van begindatum naar soort instelling verwacht")
            institutions = {**marks, **(institutions or {})}
    if institutions and brp is None:
        raise Malformed("brp_institutions: alleen samen met een BRP-antwoord (brp)")
    facts, ctx, mapping = _one_case(raw, case_id, table, register, default_context, brp, institutions)
    return facts, ctx, mapping


def _one_case(raw: dict, case_id, table, register, default_context, brp, institutions):
    ctx = load_context(raw, table, register, "invoer") if "context" in raw else default_context
    cases = raw.get("case")
    if isinstance(cases, dict):
        cases = [cases]
    if not isinstance(cases, list) or not cases or not all(isinstance(c, dict) for c in cases):
        raise Malformed("no [[case]] in the input")
    if case_id:
        chosen = [c for c in cases if c.get("id") == case_id]
        if not chosen:
            raise Malformed(f"no case with id {case_id}")
    elif len(cases) > 1:
        raise Malformed(f"{len(cases)} cases in the input: say which one (case id)")
    else:
        chosen = cases
    if "id" not in chosen[0]:
        raise Malformed("id: required")
    if brp is None:
        return case_facts(chosen[0], register), ctx, None
    if "addresses" in chosen[0]:
        raise Malformed("addresses: met een BRP-antwoord komt de adreshistorie uit de BRP; laat 'addresses' weg")
    mapping = map_history(brp, register, institutions)
    return case_facts({**chosen[0], "addresses": list(mapping.addresses)}, register), ctx, mapping
