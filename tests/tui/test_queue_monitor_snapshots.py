"""Snapshots of the queue monitor with fixed data and clock: loaded on a wide terminal, narrow
(80x24, one column at a time), with no queues yet, and with the event stream down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_tui.connection import LinkState
from pytake_tui.queue_board import Column
from pytake_tui.screens.queue_monitor import QueueMonitorScreen

from .helpers import wait_until
from .queue_monitor_support import QueueWorld, demo_queues, queue_app

NARROW = (80, 24)
WIDE = (190, 30)


def _ready(waiting: int, queues: bool = True) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.id != "_default", "the session")
        await pilot.press("f4")

        def loaded() -> bool:
            screen = pilot.app.screen
            return (
                isinstance(screen, QueueMonitorScreen)
                and screen.loaded
                and screen.table(Column.WAITING).row_count == waiting
            )

        await wait_until(pilot, loaded, f"{waiting} waiting rows")
        await pilot.pause()

    return run_before


def test_queue_monitor_wide(snap_compare: Any, tmp_path: Path) -> None:
    """Three columns side by side; the angry customer and the alerted attendance in red."""
    app = queue_app(tmp_path, demo_queues())
    assert snap_compare(app, run_before=_ready(7), terminal_size=WIDE)


def test_queue_monitor_narrow(snap_compare: Any, tmp_path: Path) -> None:
    """80x24: the waiting column alone, the others behind the 1/2/3 tabs."""
    app = queue_app(tmp_path, demo_queues())
    assert snap_compare(app, run_before=_ready(7), terminal_size=NARROW)


def test_queue_monitor_narrow_in_progress(snap_compare: Any, tmp_path: Path) -> None:
    """80x24 after pressing 2: the attendances with their latest messages."""
    app = queue_app(tmp_path, demo_queues())

    async def run_before(pilot: Pilot[Any]) -> None:
        await _ready(7)(pilot)
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=NARROW)


def test_queue_monitor_empty(snap_compare: Any, tmp_path: Path) -> None:
    """No queues yet: empty columns and a hint."""
    app = queue_app(tmp_path, QueueWorld())
    assert snap_compare(app, run_before=_ready(0), terminal_size=NARROW)


def test_queue_monitor_disconnected(snap_compare: Any, tmp_path: Path) -> None:
    """The stream is down: the header says so (REST still filled the board)."""
    app = queue_app(tmp_path, demo_queues(), unreachable=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _ready(7)(pilot)
        await wait_until(
            pilot, lambda: app.connection.state is LinkState.DISCONNECTED, "disconnected"
        )
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=NARROW)
