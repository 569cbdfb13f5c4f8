"""Python's cyclic garbage collector paused around a batch: the one place batch drivers do it.

A batch (an append batch, a bundle verification, a stretch of the cryptographic pass of verify)
allocates several tracked objects per entry: models, tuples, dicts, results. Each few hundred of them
trigger a collection, and as the batch's objects survive, whole-heap collections that traverse
everything the batch keeps, costing about 5-10 us per entry. Nothing a batch allocates needs the
collector: reference counting frees it as before, and a cycle (e.g. from a refusal's traceback)
waits for the first collection after the batch. The rules and checks themselves are never shaped
around the collector; only their drivers pause it, here.
"""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["collector_paused"]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off during the block, and on again afterwards if it was on (a process-wide
    switch: of two concurrent batches in threads, the first to end switches it on again)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
