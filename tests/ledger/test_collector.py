"""ledger/collector.py: the cyclic collector is off inside a batch and as it was afterwards."""
from __future__ import annotations

import gc

import pytest

from ledger.collector import collector_paused


def test_the_collector_is_paused_inside_and_restored_after_even_on_an_error():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a refusal")
    assert gc.isenabled()


def test_a_batch_inside_a_batch_leaves_it_to_the_outer_one():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()  # the inner batch does not switch it on under the outer one
    assert gc.isenabled()
