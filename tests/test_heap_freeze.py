"""The daemon takes its start-up heap out of the collector's reach once it is ready, and
collects its young objects less often than Python's defaults."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from pytake_daemon.daemon import COLLECTOR_THRESHOLDS, tune_collector


@pytest.fixture
def untuned() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()  # the rest of the test process collects as usual
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("untuned")
def test_start_up_objects_leave_every_later_collection() -> None:
    kept = [[i] for i in range(1000)]  # containers, so the collector tracks them
    assert gc.is_tracked(kept)
    before = gc.get_freeze_count()
    tune_collector()
    assert gc.get_freeze_count() >= before + len(kept)
    assert gc.isenabled()
    # Frozen objects are in no generation: a full collection no longer walks them.
    assert not any(obj is kept for obj in gc.get_objects())
    later = [[1]]
    assert any(obj is later for obj in gc.get_objects())


@pytest.mark.usefixtures("untuned")
def test_the_young_generation_is_collected_less_often() -> None:
    gc.set_threshold(700, 10, 10)
    tune_collector()
    assert gc.get_threshold() == COLLECTOR_THRESHOLDS
    assert COLLECTOR_THRESHOLDS[0] > 700
