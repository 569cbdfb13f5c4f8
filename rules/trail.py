"""The trail of a determination: the rules applied, with their findings in Dutch for a policy
officer. A run records each step as a ``TrailRecord`` (the rule, the function that writes its Dutch
finding, which lives next to the provision, and the values it writes it from); the texts are made
when the trail is first read."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .citations import RULES


@dataclass(frozen=True, slots=True)
class TrailStep:
    rule: str
    finding: str
    facts: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        r = RULES[self.rule]
        return {"rule": self.rule, "title": r.title_nl, "finding": self.finding, "facts": list(self.facts),
                "citations": list(r.citations)}


class TrailRecord(NamedTuple):
    """One step as a run records it: the rule, the function that writes its finding and the values.

    ``text(*values)`` returns the finding, or the finding and the facts it used (references such as
    ``addresses[2]``); ``text`` None means the one value is the finding itself. The values are
    immutable (strings, numbers, booleans, None, dates, fact models), so the step is the same
    whenever it is made."""

    rule: str
    text: Callable[..., str | tuple[str, tuple[str, ...]]] | None
    values: tuple = ()

    def step(self) -> TrailStep:
        if self.text is None:
            return TrailStep(self.rule, self.values[0])
        made = self.text(*self.values)
        return TrailStep(self.rule, made) if isinstance(made, str) else TrailStep(self.rule, *made)


class Trail(Sequence):
    """The rules applied, in order: a sequence of ``TrailStep``.

    A run records each step as a ``TrailRecord`` and the steps (with their Dutch findings) are
    made the first time the trail is read: most determinations are settled and stored without
    anyone reading their trail."""

    __slots__ = ("_records", "_steps")

    def __init__(self, records: tuple[TrailRecord, ...] = (), steps: tuple[TrailStep, ...] | None = None):
        self._records, self._steps = records, steps

    @property
    def steps(self) -> tuple[TrailStep, ...]:
        if self._steps is None:
            self._steps = tuple(r.step() for r in self._records)
            self._records = ()
        return self._steps

    def __getitem__(self, i):
        return self.steps[i]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __add__(self, other) -> Trail:
        return Trail(steps=self.steps + tuple(other))

    def __eq__(self, other) -> bool:
        if isinstance(other, Trail):
            return self.steps == other.steps
        return isinstance(other, tuple) and self.steps == other

    def __hash__(self) -> int:
        return hash(self.steps)

    def __repr__(self) -> str:
        return f"Trail({self.steps!r})"


def flags_text(provisional: bool, *names: str) -> str:
    """8.7: the flags raised and whether the outcome is provisional."""
    return "signaleringen: " + ", ".join(names) + ("; uitkomst voorlopig" if provisional else "; uitkomst definitief")
