"""Canonical JSON (RFC 8785) and the input digest of a determination (spec 8.9).

The input digest is SHA-256 over the canonical JSON of ``{"context": <context digest>, "facts":
<the facts>}``, where the facts are their JSON form without the case id and without values equal
to their defaults, and the lists (addresses, stays, BW episodes, applications) are sorted, so that
the order in which facts are given never changes it.

``facts_document`` builds that form the plain way (pydantic's ``model_dump``). A determination
computes the digest for every case, so ``facts_canonical_json`` writes the same bytes directly
from the fact models, field by field; ``input_digest`` uses it while the models have exactly the
fields it knows and falls back to the plain way otherwise. A test compares both over the
casebooks and over generated facts.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from enum import StrEnum

from pydantic_core import PydanticUndefined

from .facts import (
    Address,
    AddressFunction,
    AddressStatus,
    Application,
    ApplicationKind,
    Budget,
    CaseFacts,
    Episode,
    InstitutionType,
    Melding,
    Outcome,
    Person,
    Placement,
    Product,
    Stay,
)

LIST_FIELDS = ("addresses", "stays", "bw_episodes", "applications")


def canonical_json(doc) -> bytes:
    """RFC 8785 JSON for the documents the rules produce (strings, integers, booleans, null,
    arrays, objects with ASCII keys): for these, sorted keys and minimal separators with
    non-ASCII kept as UTF-8 is exactly the RFC 8785 form (tested against the rfc8785 package)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_canonical(doc) -> str:
    return hashlib.sha256(canonical_json(doc)).hexdigest()


def facts_document(facts: CaseFacts) -> dict:
    """The facts as the input digest sees them (the reference form)."""
    doc = facts.model_dump(mode="json", by_alias=True, exclude={"id"}, exclude_defaults=True)
    for key in LIST_FIELDS:
        if len(doc.get(key, ())) > 1:
            doc[key] = sorted(doc[key], key=lambda x: json.dumps(x, sort_keys=True))
    return doc


def input_digest_reference(facts: CaseFacts, context_digest: str) -> str:
    return sha256_canonical({"facts": facts_document(facts), "context": context_digest})


# -- the same bytes, written directly ------------------------------------------------------------------
# The values are read from the models' __dict__ (where pydantic keeps the field values): much
# cheaper than attribute access on a model.
# Every string in validated facts is a statcode (GM and four digits), an ISO date or an enum value of
# lower-case ASCII letters and underscores (a StrEnum, written by an f-string as its value), so none
# needs escaping. Keys are written in sorted order;
# a value equal to the field's default is left out (``exclude_defaults``). Dates are written by ``iso``:
# ``date.isoformat`` (formatting through printf, the largest part of writing the text) or the look-up
# of an ``IsoDates`` the caller keeps per context.


#: enum member -> its value as a plain str: an f-string formats a StrEnum member through
#: ``str.__format__`` at several times the cost of a plain string (and ``Enum.MEMBER`` is a slow look-up)
_V = {m: m.value for e in (AddressFunction, AddressStatus, ApplicationKind, Budget, InstitutionType, Outcome, Product)
      for m in e}
_INTRAMURAL = Product.INTRAMURAL


class IsoDates(dict):
    """date -> its ISO text, each made once (a determination keeps one per context in Context.memo)."""

    def __missing__(self, d):
        text = self[d] = d.isoformat()
        return text


def _melding(x: Melding, iso) -> str:
    v = x.__dict__
    a = f'"aanvraag_date":"{iso(v["aanvraag_date"])}",' if v["aanvraag_date"] is not None else ""
    return f'{{{a}"date":"{iso(v["date"])}","gemeente":"{v["gemeente"]}"}}'


def _person(x: Person, iso) -> str:
    b = x.__dict__["birth_date"]
    return f'{{"birth_date":"{iso(b)}"}}' if b is not None else "{}"


def _address(x: Address, iso) -> str:
    v = x.__dict__
    s = f'{{"from":"{iso(v["from_"])}"'
    if v["function"] is not None:
        s += f',"function":"{_V[v["function"]]}"'
    if v["gemeente"] is not None:
        s += f',"gemeente":"{v["gemeente"]}"'
    if v["in_onderzoek"]:
        s += ',"in_onderzoek":true'
    if v["institution"] is not None:
        s += f',"institution":"{_V[v["institution"]]}"'
    if v["recorded"] is not None:
        s += f',"recorded":"{iso(v["recorded"])}"'
    if v["status"] is not None:
        s += f',"status":"{_V[v["status"]]}"'
    if v["to"] is not None:
        s += f',"to":"{iso(v["to"])}"'
    return s + "}"


def _stay(x: Stay, iso) -> str:
    v = x.__dict__
    to = f',"to":"{iso(v["to"])}"' if v["to"] is not None else ""
    return f'{{"from":"{iso(v["from_"])}","gemeente":"{v["gemeente"]}"{to},"type":"{_V[v["type"]]}"}}'


def _episode(x: Episode, iso) -> str:
    v = x.__dict__
    s = '{"agreed_transfer":true,' if v["agreed_transfer"] else "{"
    s += (f'"budget":"{_V[v["budget"]]}","cost_bearer":"{v["cost_bearer"]}","from":"{iso(v["from_"])}",'
          f'"legal_college":"{v["legal_college"]}","location":"{v["location"]}"')
    if v["mandator"] is not None:
        s += f',"mandator":"{v["mandator"]}"'
    if v["product"] is not _INTRAMURAL:
        s += f',"product":"{_V[v["product"]]}"'
    if v["to"] is not None:
        s += f',"to":"{iso(v["to"])}"'
    return s + "}"


def _application(x: Application, iso) -> str:
    v = x.__dict__
    return f'{{"date":"{iso(v["date"])}","gemeente":"{v["gemeente"]}","kind":"{_V[v["kind"]]}","outcome":"{_V[v["outcome"]]}"}}'


def _placement(x: Placement, iso) -> str:
    v = x.__dict__
    return f'{{"from":"{iso(v["from_"])}","fronting":"{v["fronting"]}","location":"{v["location"]}"}}'


def _sorted(encode, items: tuple, iso) -> str:
    """The items of a list of several, in order. Sorting the compact texts orders the items exactly as
    sorting their spaced json.dumps texts (the reference): both are ASCII and differ only by a space
    after each separator."""
    return ",".join(sorted([encode(x, iso) for x in items]))


def facts_canonical_json(facts: CaseFacts, iso=date.isoformat) -> str:
    """The canonical JSON text of ``facts_document(facts)``, written directly (keys in sorted order;
    the melding is always there, so the keys before it end with a comma, those after start with one).
    A list of one item (the usual case) is written without sorting."""
    v = facts.__dict__
    s = "{"
    x = v["addresses"]
    if x:
        s += '"addresses":[' + (_address(x[0], iso) if len(x) == 1 else _sorted(_address, x, iso)) + "],"
    x = v["applications"]
    if x:
        s += '"applications":[' + (_application(x[0], iso) if len(x) == 1 else _sorted(_application, x, iso)) + "],"
    x = v["bw_episodes"]
    if x:
        s += '"bw_episodes":[' + (_episode(x[0], iso) if len(x) == 1 else _sorted(_episode, x, iso)) + "],"
    if v["eligibility_open"]:
        s += '"eligibility_open":true,'
    s += '"melding":' + _melding(v["melding"], iso)
    if v["person"] is not None:
        s += ',"person":' + _person(v["person"], iso)
    if v["placement"] is not None:
        s += ',"placement":' + _placement(v["placement"], iso)
    x = v["stays"]
    if x:
        s += ',"stays":[' + (_stay(x[0], iso) if len(x) == 1 else _sorted(_stay, x, iso)) + "]"
    return s + "}"


_R = PydanticUndefined  # a required field
#: the fields (with their defaults) the direct writer knows, per model; any other shape of the
#: models makes ``input_digest`` use the reference form
_KNOWN_FIELDS = {
    CaseFacts: {"id": _R, "melding": _R, "person": None, "addresses": (), "stays": (), "bw_episodes": (),
                "applications": (), "eligibility_open": False, "placement": None},
    Melding: {"date": _R, "gemeente": _R, "aanvraag_date": None},
    Person: {"birth_date": None},
    Address: {"from_": _R, "to": None, "gemeente": None, "function": None, "status": None, "institution": None,
              "in_onderzoek": False, "recorded": None},
    Stay: {"from_": _R, "to": None, "type": _R, "gemeente": _R},
    Episode: {"from_": _R, "to": None, "legal_college": _R, "cost_bearer": _R, "location": _R, "budget": _R,
              "mandator": None, "product": Product.INTRAMURAL, "agreed_transfer": False},
    Application: {"kind": _R, "gemeente": _R, "date": _R, "outcome": _R},
    Placement: {"location": _R, "fronting": _R, "from_": _R},
}
DIRECT = all({n: f.default for n, f in cls.model_fields.items()} == known for cls, known in _KNOWN_FIELDS.items()) \
    and all(issubclass(e, StrEnum) for e in (AddressFunction, AddressStatus, ApplicationKind, Budget, InstitutionType,
                                             Outcome, Product))  # an f-string writes a StrEnum as its value


def input_digest(facts: CaseFacts, context_digest: str, iso_dates: IsoDates | None = None) -> str:
    """SHA-256 over the canonical JSON of the sorted facts (the case id left out) plus the
    context digest (spec 8.9): reordering facts never changes it."""
    if not DIRECT or type(facts) is not CaseFacts:
        return input_digest_reference(facts, context_digest)
    iso = iso_dates.__getitem__ if iso_dates is not None else date.isoformat
    text = f'{{"context":"{context_digest}","facts":{facts_canonical_json(facts, iso)}}}'
    return hashlib.sha256(text.encode()).hexdigest()
