"""The input digest (rules/input_digest.py, spec 8.9) through the one RFC 8785 serialiser.

The pinned SHA-256 values were taken before the input digest moved from a hand-written encoder per
fact model to ``canonical_json`` (ruleset 1.0.0): every input digest, context digest and
determination digest of the 123 casebook cases stayed the same. A deliberate change of the input
digest comes with a new RULESET_VERSION and updates the pins once, in its own commit.
"""
import hashlib
import tomllib
from pathlib import Path

import rfc8785

from rules import loader
from rules.casebook import case_facts, load_context
from rules.engine import determine
from rules.input_digest import facts_document, input_digest

ROOT = Path(__file__).resolve().parents[2]
#: casebook files written after these pins were taken (spec 8.12); their cases are pinned one by one,
#: with every other case, in data/determination_pins.json (test_determination_pins.py)
ADDED_AFTER_THE_PINS = {"p_brp_codes_dates.toml", "p_brp_adapter.toml"}
BOOKS = [b for b in sorted((ROOT.parent / "shared" / "casebook").glob("*.toml"))
         + sorted((ROOT / "rules" / "casebook").glob("*.toml")) if b.name not in ADDED_AFTER_THE_PINS]
REG, TABLE = loader.municipality_register(), loader.parameter_table()

#: SHA-256 over the lines "FILE:CASE INPUT_DIGEST CONTEXT_DIGEST", sorted, of every casebook case
INPUT_PIN = "84da2d68160be0c32be9dafd378c26c1be6826a496bb3a3bf213bea2a22b7aa0"
#: the same over "FILE:CASE DETERMINATION_DIGEST"
DETERMINATION_PIN = "754980426b7581eab875e004bb985babab785d107b25f54c58782aa76af4c69c"


def _determinations():
    for book in BOOKS:
        raw = tomllib.loads(book.read_text())
        ctx = load_context(raw, TABLE, REG, book.name)
        for case in raw["case"]:
            facts = case_facts(case, REG)
            yield f"{book.name}:{case['id']}", facts, ctx, determine(facts, ctx)


DETERMINATIONS = list(_determinations())


def _pin(lines) -> str:
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def test_the_casebooks_have_123_cases():
    assert len(DETERMINATIONS) == 123


def test_input_and_context_digests_of_the_casebooks_are_unchanged():
    assert _pin(f"{name} {d.input_digest} {d.context_digest}" for name, _, _, d in DETERMINATIONS) == INPUT_PIN


def test_determination_digests_of_the_casebooks_are_unchanged():
    assert _pin(f"{name} {d.digest}" for name, _, _, d in DETERMINATIONS) == DETERMINATION_PIN


def test_input_digest_is_sha256_of_the_rfc8785_form_of_context_and_sorted_facts():
    for _, facts, ctx, det in DETERMINATIONS:
        text = rfc8785.dumps({"context": ctx.digest, "facts": facts_document(facts)})
        assert det.input_digest == input_digest(facts, ctx.digest) == hashlib.sha256(text).hexdigest()


def test_the_facts_document_leaves_out_the_case_id_and_defaults_and_sorts_lists():
    facts = case_facts({"id": "C-1", "melding": {"date": "2026-03-02", "gemeente": "GM0166"},
                        "addresses": [{"gemeente": "GM0193", "function": "W", "from": "2020-01-01"},
                                      {"gemeente": "GM0166", "function": "W", "from": "2010-01-01", "to": "2019-12-31"}],
                        "bw_episodes": [{"legal_college": "GM0193", "cost_bearer": "GM0193", "location": "GM0166",
                                         "from": "2024-01-01", "to": "2024-06-30", "budget": "historical"}]}, REG)
    assert facts_document(facts) == {
        "melding": {"date": "2026-03-02", "gemeente": "GM0166"},
        "addresses": [{"from": "2010-01-01", "function": "W", "gemeente": "GM0166", "to": "2019-12-31"},
                      {"from": "2020-01-01", "function": "W", "gemeente": "GM0193"}],
        "bw_episodes": [{"budget": "historical", "cost_bearer": "GM0193", "from": "2024-01-01",
                         "legal_college": "GM0193", "location": "GM0166", "to": "2024-06-30"}]}
    swapped = facts.model_copy(update={"addresses": facts.addresses[::-1], "id": "C-2"})
    assert input_digest(swapped, "x") == input_digest(facts, "x") != input_digest(facts, "y")
