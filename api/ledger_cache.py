"""A cache at the boundary for what is made from the ledger: a value is kept under a key that holds the
ledger's size (the tree size: an entry never changes once stored, so the same size means the same ledger)
and whatever else it depends on (the reader, the day), and made once when several threads ask for it at
the same moment (single flight). Per process; a process made its own values, so nothing is shared or
invalidated across workers: a new entry, anywhere, makes a new key."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LedgerCache(Generic[V]):
    """At most `kept` values, the oldest dropped first."""

    def __init__(self, kept: int = 64) -> None:
        self.kept = kept
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self.hits += 1
            return value

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value of `key`, made by `make()` when missing; the other threads asking meanwhile wait for it."""
        value = self.get(key)
        if value is not None:
            return value
        with self._lock:
            flight = self._making.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                value = self._values.get(key)
            if value is None:
                value = make()
                with self._lock:
                    self.misses += 1
                    self._values[key] = value
                    while len(self._values) > self.kept:
                        self._values.popitem(last=False)
            with self._lock:
                self._making.pop(key, None)
        return value
