"""The municipality register: CBS statcodes with their validity dates and successors.

Municipal mergers take effect on 1 January. A merged code stays valid for history (an address in
2015 under a pre-merger code is a real BRP fact) and maps to its successor after the merger for
region look-ups (spec 8.6).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Municipality:
    statcode: str
    name: str
    valid_from: date | None = None  # None: before the register's earliest year
    valid_to: date | None = None  # last valid day; None: still valid
    successors: tuple[str, ...] = ()

    def valid_on(self, d: date) -> bool:
        return (self.valid_from is None or self.valid_from <= d) and (self.valid_to is None or d <= self.valid_to)


class MunicipalityRegister:
    def __init__(self, municipalities: list[Municipality]):
        self._by_code = {m.statcode: m for m in municipalities}

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: str) -> bool:
        return code in self._by_code

    def codes(self) -> list[str]:
        return list(self._by_code)

    def known(self, code: str) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Municipality | None:
        return self._by_code.get(code)

    def name(self, code: str | None) -> str:
        m = self._by_code.get(code) if code else None
        return m.name if m else (code or "-")

    def overlaps(self, code: str, start: date, end: date | None) -> bool:
        """Whether the code was valid on some day of ``[start, end]`` (``end`` None: open)."""
        m = self._by_code.get(code)
        if m is None:
            return False
        if m.valid_to is not None and start > m.valid_to:
            return False
        if m.valid_from is not None and end is not None and end < m.valid_from:
            return False
        return True

    def current(self, code: str, d: date) -> str:
        """The code that stands for ``code`` on ``d``: itself while valid, else its successor."""
        seen = 0
        m = self._by_code.get(code)
        while m is not None and m.valid_to is not None and d > m.valid_to and len(m.successors) == 1 and seen < 20:
            code = m.successors[0]
            m = self._by_code.get(code)
            seen += 1
        return code

    def describe(self, code: str) -> str:
        m = self._by_code.get(code)
        if m is None:
            return "unknown"
        span = f"valid {m.valid_from or '...'} to {m.valid_to or 'now'}"
        if m.successors:
            span += ", succeeded by " + ", ".join(m.successors)
        return f"{m.name}, {span}"
