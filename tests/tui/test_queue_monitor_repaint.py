"""The monitor's tables keep each row's drawing between frames and repaint only the lines that
look different: an event that changes one row shows in the next frame and repaints that line
alone, a clock tick rewrites the wait times, the cursor repaints the two lines it left and
reached. Lines are read as Textual holds them for the screen (its per-line cache included), so
a line that should have been repainted and was not reads stale here."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip

from pytake_daemon.protocol.queues import QueueItemChanged, Transition
from pytake_tui.messages import EventReceived
from pytake_tui.queue_board import Column
from pytake_tui.screens.queue_monitor import Pending, QueueMonitorScreen
from pytake_tui.widgets.queue_columns import QueueTable

from .queue_monitor_support import conversation_id, demo_queues, envelope, item_id, queue_app
from .test_queue_monitor import SIZE, _analysed, monitor

Drawn = list[tuple[str, int]]


def spy_on_lines(screen: QueueMonitorScreen, monkeypatch: pytest.MonkeyPatch) -> Drawn:
    """Every (table, line) drawn from now on."""
    drawn: Drawn = []
    for table in screen.query(QueueTable):

        def render_line(y: int, table: QueueTable = table, draw: Any = table.render_line) -> Strip:
            drawn.append((str(table.id), y))
            strip: Strip = draw(y)
            return strip

        monkeypatch.setattr(table, "render_line", render_line)
    return drawn


async def next_frame(screen: QueueMonitorScreen) -> None:
    """Resolves after the screen's next refresh (at once if nothing needs one)."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    screen.call_after_refresh(lambda: None if done.done() else done.set_result(None))
    await done


async def shown_batch(pilot: Pilot[Any], screen: QueueMonitorScreen, event: object) -> None:
    """Post a stream event and wait for the frame that shows it."""
    batches: list[Pending] = []
    screen.paint_listener = batches.append
    pilot.app.post_message(EventReceived(envelope(50, event)))
    deadline = asyncio.get_running_loop().time() + 10
    while not batches:
        assert asyncio.get_running_loop().time() < deadline, "the event was never drawn"
        await asyncio.sleep(0.01)


def on_screen(table: QueueTable) -> list[str]:
    """The table's lines as the compositor gets them (cached lines as they were cached)."""
    return [strip.text for strip in table.render_lines(Region(0, 0, *table.size))]


def line_of(table: QueueTable, n: int) -> int:
    return table.row_keys().index(str(item_id(n))) - int(table.scroll_y) + 1


async def settled(pilot: Pilot[Any], screen: QueueMonitorScreen) -> None:
    await pilot.pause()
    await next_frame(screen)


async def test_an_event_repaints_its_row_and_only_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = queue_app(tmp_path, demo_queues())
    async with app.run_test(size=SIZE) as pilot:
        screen = await monitor(pilot)
        table = screen.table(Column.WAITING)
        await settled(pilot, screen)
        assert "● neu" in on_screen(table)[line_of(table, 1)]
        drawn = spy_on_lines(screen, monkeypatch)

        # Ana's mood turns: a change of the row's state (the board's mood), not of its data.
        await shown_batch(pilot, screen, _analysed(conversation_id(1), "negative"))
        assert drawn == [("waiting", line_of(table, 1))]
        assert "▼ neg" in on_screen(table)[line_of(table, 1)]

        # Gil's item comes again with a new name, same place in line: the row's own data.
        renamed = screen.board.waiting[item_id(6)].model_copy(
            update={"contact_name": "Gilberto Moura"}
        )
        drawn.clear()
        await shown_batch(
            pilot, screen, QueueItemChanged(transition=Transition.REPRIORITIZED, item=renamed)
        )
        assert drawn == [("waiting", line_of(table, 6))]
        assert "Gilberto Moura" in on_screen(table)[line_of(table, 6)]


async def test_a_clock_tick_rewrites_the_wait_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = demo_queues()
    app = queue_app(tmp_path, world)
    async with app.run_test(size=SIZE) as pilot:
        screen = await monitor(pilot)
        table = screen.table(Column.WAITING)
        await settled(pilot, screen)
        assert "12m00s" in on_screen(table)[line_of(table, 1)]
        drawn = spy_on_lines(screen, monkeypatch)

        screen._tick()  # the clock stood still: nothing reads differently
        await next_frame(screen)
        assert drawn == []

        world.now += timedelta(seconds=75)
        screen._tick()
        await next_frame(screen)
        assert "13m15s" in on_screen(table)[line_of(table, 1)]
        assert "10m15s" in on_screen(table)[line_of(table, 2)]
        # Every waiting row and attendance ticked; the history has no clock in it.
        assert {y for name, y in drawn if name == "waiting"} == set(range(1, 8))
        assert {y for name, y in drawn if name == "active"} == {1, 2}
        assert not [y for name, y in drawn if name == "history"]


async def test_the_cursor_repaints_the_two_lines_it_moves_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = queue_app(tmp_path, demo_queues())
    async with app.run_test(size=SIZE) as pilot:
        screen = await monitor(pilot)
        await settled(pilot, screen)
        drawn = spy_on_lines(screen, monkeypatch)
        await pilot.press("down")
        await next_frame(screen)
        assert sorted(drawn) == [("waiting", 1), ("waiting", 2)]
        assert screen.table(Column.WAITING).cursor_row == 1
