"""The daemon takes its start-up heap out of the collector's reach once it is ready."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from pytake_daemon.daemon import freeze_start_up_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test process collects as usual


@pytest.mark.usefixtures("unfrozen")
def test_start_up_objects_leave_every_later_collection() -> None:
    kept = [[i] for i in range(1000)]  # containers, so the collector tracks them
    assert gc.is_tracked(kept)
    before = gc.get_freeze_count()
    freeze_start_up_heap()
    assert gc.get_freeze_count() >= before + len(kept)
    assert gc.isenabled()
    # Frozen objects are in no generation: a full collection no longer walks them.
    assert not any(obj is kept for obj in gc.get_objects())
    later = [[1]]
    assert any(obj is later for obj in gc.get_objects())
