"""The input digest of a determination (spec 8.9).

SHA-256 over the RFC 8785 JSON (``canonical.canonical_json``, the project's one serialiser) of
``{"context": <context digest>, "facts": <the facts>}``. The facts are their JSON form as the fact
models write it (``model_dump`` by alias: ``from``, dates as ISO text, enums as their values),
without the case id and without values equal to their defaults; each list (addresses, stays, BW
episodes, applications) is sorted by the canonical JSON of its items, so the order in which facts
are given never changes the digest.

Up to ruleset 1.0.0 these bytes were written by hand, one encoder per fact model. For every fact
the models accept (statcodes, ISO dates, lower-case enum values, booleans: ASCII, no numbers) that
hand-written text was already the RFC 8785 form and its lists were in the same order, so no digest
of the casebooks, the demo or the benchmark's population changed; ``tests/rules_engine/
test_input_digest.py`` pins them.
"""
from __future__ import annotations

from .canonical import canonical_json, sha256_canonical
from .facts import CaseFacts

#: the fact lists whose order carries no meaning
LIST_FIELDS = ("addresses", "stays", "bw_episodes", "applications")
_NOT_DIGESTED = frozenset({"id"})  # a case reference, not a fact


def facts_document(facts: CaseFacts) -> dict:
    """The facts as the input digest sees them: a plain JSON value, lists sorted."""
    doc = facts.model_dump(mode="json", by_alias=True, exclude=_NOT_DIGESTED, exclude_defaults=True)
    for key in LIST_FIELDS:
        items = doc.get(key)
        if items is not None and len(items) > 1:
            items.sort(key=canonical_json)
    return doc


def input_digest(facts: CaseFacts, context_digest: str) -> str:
    """SHA-256 over the canonical JSON of the sorted facts (the case id left out) plus the
    context digest (spec 8.9): reordering facts never changes it."""
    return sha256_canonical({"context": context_digest, "facts": facts_document(facts)})
