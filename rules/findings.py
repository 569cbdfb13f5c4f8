"""What a provision returns: a finding, the flags it raises and its trail records.

Every provision in ``rules/provisions/`` is a pure function of the prepared facts
(``prepared.PreparedFacts``) and the part of a reading it reads (``readings.py``). It returns a
``Finding``: its value, the flags it raises (``Raised``: the flag's name, a Dutch note on the facts
that raise it and the alternative readings that the flag stands for) and the steps it adds to the
trail (``trail.TrailRecord``). The orchestrator (``orchestrator.py``) runs the provisions in the
order of spec 8.2 and collects the findings.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

from .trail import TrailRecord

if TYPE_CHECKING:
    from .readings import Readings

V = TypeVar("V")


class Outcome(NamedTuple):
    """What a determination decides: who pays, from which budget, the class and the legal college."""

    cost_bearer: str | None
    budget: str | None
    klass: str | None
    legal_college: str | None

    def as_dict(self) -> dict:
        return {"cost_bearer": self.cost_bearer, "budget": self.budget, "class": self.klass,
                "legal_college": self.legal_college}


NO_OUTCOME = Outcome(None, None, None, None)


class Raised(NamedTuple):
    """A flag raised by a provision. ``readings``: the alternative readings to run (for an O flag);
    ``alternative``: an outcome given as it is (8.6: the cost bearer as if its region were known),
    which replaces what the flag stood for before."""

    name: str
    note: str
    readings: tuple[Readings, ...] = ()
    alternative: Outcome | None = None


class Finding(NamedTuple, Generic[V]):
    value: V
    flags: tuple[Raised, ...] = ()
    trail: tuple[TrailRecord, ...] = ()


class FactsError(ValueError):
    """Facts that the rules cannot accept, with the case and field at fault."""

    code = "FACTS_INVALID"

    def __init__(self, case_id: str, field_: str, message: str):
        super().__init__(f"case {case_id}: {field_}: {message}")
        self.case_id, self.field, self.message = case_id, field_, message
