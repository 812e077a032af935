"""The queue monitor driven through the app: columns, actions, filters, coalesced live updates
and the read-only conversation, on an in-memory tenant (:mod:`.queue_monitor_support`)."""

from __future__ import annotations

import gc
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, TextArea

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.ai import (
    AlertOut,
    AlertRaised,
    AlertRule,
    ConversationMoodOut,
    MessageAnalysisOut,
    MessageAnalyzed,
)
from pytake_daemon.protocol.queues import ItemStatus, Priority, QueueItemChanged, Transition
from pytake_tui import PyTakeApp
from pytake_tui.messages import EventReceived
from pytake_tui.queue_board import Column
from pytake_tui.screens.capacity_override import ConfirmOverride
from pytake_tui.screens.queue_dialogs import ChoicePicker, ConversationViewer
from pytake_tui.screens.queue_monitor import Pending, QueueMonitorScreen
from pytake_tui.widgets.queue_columns import QueueTable
from pytake_tui.widgets.thread import MessageBubble

from .helpers import MessageLog, wait_until
from .queue_monitor_support import (
    BILLING,
    SUPPORT,
    QueueWorld,
    conversation_id,
    demo_queues,
    envelope,
    item_id,
    queue_app,
    supervisor,
)

SIZE = (180, 40)


async def monitor(pilot: Pilot[Any], waiting: int = 7) -> QueueMonitorScreen:
    """Open the monitor (f4) and wait for its first picture."""
    await wait_until(pilot, lambda: pilot.app.screen.id != "_default", "the session")
    await pilot.press("f4")

    def ready() -> bool:
        screen = pilot.app.screen
        return (
            isinstance(screen, QueueMonitorScreen)
            and screen.loaded
            and screen.table(Column.WAITING).row_count == waiting
        )

    await wait_until(pilot, ready, f"{waiting} waiting rows")
    screen = pilot.app.screen
    assert isinstance(screen, QueueMonitorScreen)
    return screen


def keys(table: QueueTable) -> list[uuid.UUID]:
    return table.item_ids()


def cell(table: QueueTable, item: uuid.UUID, column: str) -> str:
    return str(table.get_cell(str(item), column))


def waiting(screen: QueueMonitorScreen) -> QueueTable:
    return screen.table(Column.WAITING)


async def pick(pilot: Pilot[Any], label: str) -> None:
    """Choose the picker's option whose label starts with ``label``."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChoicePicker), "the picker")
    picker = pilot.app.screen
    assert isinstance(picker, ChoicePicker)
    options = picker.query_one(OptionList)
    labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    index = next(i for i, text in enumerate(labels) if text.startswith(label))
    for _ in range(index):
        await pilot.press("down")
    await pilot.press("enter")


async def test_columns_show_the_board(tmp_path: Path) -> None:
    app = queue_app(tmp_path, demo_queues())
    async with app.run_test(size=SIZE) as pilot:
        screen = await monitor(pilot)
        table = waiting(screen)
        # Serving order: urgent, high, then the longest waiting; positions count per queue.
        assert keys(table) == [item_id(n) for n in (4, 5, 1, 2, 6, 3, 7)]
        assert [cell(table, item_id(n), "position") for n in (4, 5, 1, 2, 6, 3, 7)] == [
            "1",
            "2",
            "3",
            "4",
            "1",
            "5",
            "2",
        ]
        assert cell(table, item_id(1), "wait") == "12m00s"
        assert cell(table, item_id(2), "mood") == "▼ neg"
        assert cell(table, item_id(3), "contact") == "+5511999900003"
        active = screen.table(Column.ACTIVE)
        assert keys(active) == [item_id(9), item_id(8)]  # longest in progress first
        assert cell(active, item_id(9), "mood") == "⚠ neg"  # the alert's conversation
        assert cell(active, item_id(8), "last") == "The invoice still shows the old address"
        history = screen.table(Column.HISTORY)
        assert keys(history) == [item_id(11), item_id(10), item_id(12)]  # newest first
        assert cell(history, item_id(10), "rating") == "★★★★★"
        assert cell(history, item_id(12), "ended") == "timed out"
        metrics = str(screen.query_one("#metrics").render())
        assert "7 waiting" in metrics
        assert "2 online, 1 busy" in metrics
        assert "67% abandoned" in metrics
        assert "João Alves: strongly negative" in str(screen.query_one("#alerts").render())
        assert gc.get_freeze_count() > 0  # the loaded board is out of the collector's sight
    assert gc.get_freeze_count() == 0  # and given back when the screen goes


async def test_wait_times_tick_in_place(tmp_path: Path) -> None:
    world = demo_queues()
    app = queue_app(tmp_path, world)
    async with app.run_test(size=SIZE) as pilot:
        screen = await monitor(pilot)
        table = waiting(screen)
        row = table.row(str(item_id(1)))
        assert cell(table, item_id(1), "wait") == "12m00s"
        world.now += timedelta(seconds=75)
        screen._tick()
        assert table.row(str(item_id(1))) is row  # the same row, repainted: no data rewritten
        after = table.get_cell(str(item_id(1)), "wait")
        assert str(after) == "13m15s"


async def test_assign_to_an_online_agent(tmp_path: Path) -> None:
    world = demo_queues()
    app = queue_app(tmp_path, world)
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log) as pilot:
        screen = await monitor(pilot)
        await pilot.press("a")  # the cursor is on Eva, the urgent one
        await wait_until(pilot, lambda: isinstance(app.screen, ChoicePicker), "the picker")
        labels = _labels(app)
        assert labels == ["Bruno Lima — online, 1/3", "Carla Dias — busy, 2/2"]  # Dora is off
        await pick(pilot, "Bruno")
        active = screen.table(Column.ACTIVE)
        await wait_until(pilot, lambda: item_id(4) in keys(active), "Eva in progress")
        assert item_id(4) not in keys(waiting(screen))
        assert cell(active, item_id(4), "agent") == "Bruno Lima"
        assert cell(waiting(screen), item_id(5), "position") == "1"  # Fabio moved up
        assert world.items[item_id(4)].status is ItemStatus.ASSIGNED
        await wait_until(
            pilot, lambda: any("assigned to Bruno" in n for n in log.notifications()), "toast"
        )


async def test_a_capacity_refusal_asks_and_no_leaves_it_waiting(tmp_path: Path) -> None:
    app = queue_app(tmp_path, demo_queues())
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log) as pilot:
        screen = await monitor(pilot)
        await pilot.press("a")
        await pick(pilot, "Carla")
        # Issue 17: the daemon's 409 for an agent at capacity is a question, not a toast.
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmOverride), "the question")
        assert isinstance(app.screen, ConfirmOverride)
        assert app.screen.question.endswith("is at capacity (2/2). Assign anyway?")
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen, "back on the monitor")
        assert keys(waiting(screen))[0] == item_id(4)  # still waiting
        assert log.notifications() == []


async def test_transfer_to_another_queue(tmp_path: Path) -> None:
    world = demo_queues()
    app = queue_app(tmp_path, world)
    async with app.run_test(size=SIZE) as pilot:
        screen = await monitor(pilot)
        for _ in range(2):
            await pilot.press("down")  # Ana
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoicePicker), "the picker")
        # Not the queue it is in; then the agents not offline, as `a` lists them.
        assert _labels(app) == [
            "⇢ Billing",
            "☺ Bruno Lima — online, 1/3",
            "☺ Carla Dias — busy, 2/2",
        ]
        await pick(pilot, "⇢ Billing")
        history = screen.table(Column.HISTORY)
        await wait_until(pilot, lambda: item_id(1) in keys(history), "Ana's old item ended")
        assert cell(history, item_id(1), "ended") == "moved"
        moved = next(i for i in world.items.values() if i.source == "transfer")
        table = waiting(screen)
        assert moved.id in keys(table)
        assert cell(table, moved.id, "queue") == "Billing"
        # She keeps her place in time: first in Billing, having waited longest there.
        assert cell(table, moved.id, "position") == "1"
        assert cell(table, item_id(6), "position") == "2"


async def test_transfer_to_an_agent(tmp_path: Path) -> None:
    world = demo_queues()
    app = queue_app(tmp_path, world)
    async with app.run_test(size=SIZE) as pilot:
        screen = await monitor(pilot)
        await pilot.press("t")  # Eva, the urgent one
        await pick(pilot, "☺ Bruno")
        active = screen.table(Column.ACTIVE)
        await wait_until(pilot, lambda: item_id(4) in keys(active), "Eva in progress")
        assert cell(active, item_id(4), "agent") == "Bruno Lima"
        assert world.items[item_id(4)].status is ItemStatus.ASSIGNED


async def test_change_priority(tmp_path: Path) -> None:
    world = demo_queues()
    app = queue_app(tmp_path, world)
    async with app.run_test(size=SIZE) as pilot:
        screen = await monitor(pilot)
        for _ in range(6):
            await pilot.press("down")  # Hana, last in line
        await pilot.press("p")
        await pick(pilot, "Urgent")
        table = waiting(screen)
        await wait_until(pilot, lambda: keys(table)[0] == item_id(7), "Hana first")
        assert cell(table, item_id(7), "priority") == "URGENT"
        assert world.items[item_id(7)].priority is Priority.URGENT
        # The cursor stays on the item it was on, wherever the row went.
        assert table.selected_id() == item_id(7)


async def test_priority_of_an_attendance_is_refused_here(tmp_path: Path) -> None:
    app = queue_app(tmp_path, demo_queues())
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log) as pilot:
        await monitor(pilot)
        await pilot.press("2", "p")
        await wait_until(
            pilot,
            lambda: any("Only a waiting item" in n for n in log.notifications()),
            "the warning",
        )
        assert not isinstance(app.screen, ChoicePicker)


async def test_filter_by_queue(tmp_path: Path) -> None:
    app = queue_app(tmp_path, demo_queues())
    async with app.run_test(size=SIZE) as pilot:
        screen = await monitor(pilot)
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoicePicker), "the picker")
        assert _labels(app) == ["All queues", "Billing", "Support"]
        await pick(pilot, "Billing")
        await wait_until(pilot, lambda: screen.queue_filter == BILLING, "the filter")
        assert keys(waiting(screen)) == [item_id(6), item_id(7)]
        assert keys(screen.table(Column.ACTIVE)) == [item_id(9)]
        assert keys(screen.table(Column.HISTORY)) == [item_id(12)]
        assert str(screen.query_one("#metrics").render()).startswith("Billing: 2 waiting")
        # A Support item entering while filtered stays off the tables.
        item = demo_queues().add_item(40, SUPPORT, "Nina", waited=timedelta(0))
        app.post_message(
            EventReceived(envelope(5, QueueItemChanged(transition="entered", item=item)))
        )
        await wait_until(pilot, lambda: screen.board.item(item.id) is not None, "the event")
        assert item.id not in keys(waiting(screen))
        await pilot.press("f")
        await pick(pilot, "All")
        await wait_until(pilot, lambda: waiting(screen).row_count == 8, "every queue again")


async def test_events_are_coalesced_and_rows_updated_in_place(tmp_path: Path) -> None:
    world = demo_queues()
    app = queue_app(tmp_path, world)
    async with app.run_test(size=SIZE) as pilot:
        screen = await monitor(pilot)
        table = waiting(screen)
        calls: list[str] = []
        for spied in screen.query(QueueTable):
            _spy(spied, calls)
        batches: list[Pending] = []
        screen.paint_listener = batches.append

        extra = QueueWorld()
        newcomers = [
            extra.add_item(50 + n, SUPPORT, f"New {n}", waited=timedelta(seconds=-n))
            for n in range(20)
        ]
        assigned = world.items[item_id(1)].model_copy(
            update={"status": ItemStatus.ASSIGNED, "agent_id": None, "assigned_at": world.now}
        )
        events: list[object] = [
            QueueItemChanged(transition=Transition.ENTERED, item=i) for i in newcomers
        ]
        events.append(QueueItemChanged(transition=Transition.ASSIGNED, item=assigned))
        events.append(_analysed(conversation_id(3), "negative"))
        events.append(_alert(conversation_id(6)))
        for seq, event in enumerate(events, start=10):
            app.post_message(EventReceived(envelope(seq, event)))
        await wait_until(pilot, lambda: sum(len(b) for b in batches) == len(events), "applied")
        assert len(batches) < len(events)  # one table pass per frame, not per event

        shown = keys(table)
        assert item_id(1) not in shown
        assert shown[-20:] == [i.id for i in newcomers]  # in line, in order of arrival
        assert cell(table, newcomers[-1].id, "position") == "24"
        assert cell(table, item_id(3), "mood") == "▼ neg"
        assert cell(table, item_id(6), "mood") == "⚠ pos"
        assert item_id(1) in keys(screen.table(Column.ACTIVE))
        # Row by row: each new item put once, the assigned one moved, two restyled; no table
        # was cleared or refilled.
        assert "clear" not in calls
        assert calls.count("upsert") == len(newcomers) + 1 + 2
        assert calls.count("remove_row") == 1
        assert "2 alerts" in str(screen.query_one("#alerts").render())


async def test_open_a_conversation_read_only(tmp_path: Path) -> None:
    app = queue_app(tmp_path, demo_queues())
    async with app.run_test(size=SIZE) as pilot:
        await monitor(pilot)
        for _ in range(3):
            await pilot.press("down")  # Caio
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ConversationViewer), "the conversation"
        )
        viewer = app.screen
        await wait_until(pilot, lambda: len(viewer.query(MessageBubble)) == 2, "two messages")
        assert not viewer.query(Input)  # nothing to write with
        assert not viewer.query(TextArea)
        texts = [b.message.text for b in viewer.query(MessageBubble)]
        assert texts == ["My order never arrived", "Hello?? Anyone there? This is ridiculous"]
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, QueueMonitorScreen), "closed")


async def test_agents_have_no_monitor(tmp_path: Path) -> None:
    agent = supervisor().model_copy(update={"role": Role.AGENT})
    app = queue_app(tmp_path, demo_queues(), me=agent)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.client is not None, "the session")
        await pilot.press("f4")
        await pilot.pause()
        assert not isinstance(app.screen, QueueMonitorScreen)


def _spy(table: QueueTable, calls: list[str]) -> None:
    """Record the table's row operations (instance attributes shadow the methods)."""
    for name in ("upsert", "remove_row", "clear"):
        method = getattr(table, name)

        def recorded(*args: Any, _name: str = name, _method: Any = method) -> Any:
            calls.append(_name)
            return _method(*args)

        setattr(table, name, recorded)


def _labels(app: PyTakeApp) -> list[str]:
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def _analysed(conversation: uuid.UUID, label: str) -> MessageAnalyzed:
    at = demo_queues().now
    return MessageAnalyzed(
        analysis=MessageAnalysisOut(
            message_id=uuid.uuid4(),
            conversation_id=conversation,
            language="en",
            sentiment=-0.7,
            sentiment_label=label,
            intent="complaint",
            intent_confidence=0.9,
            analyzed_at=at,
        ),
        mood=ConversationMoodOut(
            conversation_id=conversation,
            language="en",
            score=-0.7,
            label=label,
            trend=-0.1,
            messages=2,
        ),
    )


def _alert(conversation: uuid.UUID) -> AlertRaised:
    return AlertRaised(
        alert=AlertOut(
            id=uuid.uuid4(),
            conversation_id=conversation,
            rule=AlertRule.CANCEL_OR_COMPLAINT,
            message_id=None,
            detail="asked to cancel",
            created_at=demo_queues().now,
        )
    )


async def test_a_long_line_scrolls_to_its_end(tmp_path: Path) -> None:
    world = QueueWorld()
    world.add_queue(SUPPORT, "Support")
    for n in range(1, 3001):
        world.add_item(n, SUPPORT, f"Customer {n}", waited=timedelta(seconds=4000 - n))
    app = queue_app(tmp_path, world)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await monitor(pilot, waiting=3000)
        table = waiting(screen)
        await pilot.press("end")
        assert table.selected_id() == item_id(3000)
        assert cell(table, item_id(3000), "position") == "3000"
        assert table.scroll_y > 2900  # the last rows are on screen
        await pilot.press("pageup", "home")
        assert table.selected_id() == item_id(1)
        assert table.scroll_y == 0
