"""The supervisors' live queue monitor: waiting, in progress and recent history side by side
(or one at a time on a narrow terminal), the dashboard's figures and the AI's alerts on top.

REST fills the board on open and after a resync. Stream events are buffered and applied once
per frame (:data:`FLUSH_SECONDS`): a burst of events costs one table pass, each item's row is
updated in place by its id, and nothing is rebuilt. Wait times tick once a second by repainting
only the visible rows (see :class:`~pytake_tui.widgets.queue_columns.LiveCell`).
"""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static

from pytake_daemon.protocol import Me, MessageReceived, MessageSent, ServerEvent
from pytake_daemon.protocol.agents import AgentStatusChanged, SatisfactionReceived
from pytake_daemon.protocol.ai import AlertOut, AlertQuery, AlertRaised, MessageAnalyzed
from pytake_daemon.protocol.queues import (
    Dashboard,
    ItemQuery,
    ItemStatus,
    Priority,
    QueueItemChanged,
    QueueItemOut,
    QueueOut,
    Transition,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.messages import EventReceived, ResyncNeeded, SessionExpired
from pytake_tui.navigation import SessionContext
from pytake_tui.queue_board import HISTORY_ROWS, Column, QueueBoard, duration
from pytake_tui.screens.queue_dialogs import ChoicePicker, ConversationViewer
from pytake_tui.widgets.connection_indicator import ConnectionIndicator
from pytake_tui.widgets.live_table import LiveTable
from pytake_tui.widgets.queue_columns import (
    ActiveTable,
    HistoryTable,
    QueueTable,
    TextLine,
    WaitingTable,
    contact_label,
)

Clock = Callable[[], datetime]
Pending = list[tuple[float, ServerEvent]]
"""Events waiting for the next frame, with when each arrived (``time.perf_counter``)."""
PaintListener = Callable[[Pending], None]

FLUSH_SECONDS = 1 / 30
"""Buffered events are applied at most this often (one frame)."""
TICK_SECONDS = 1.0
DASHBOARD_DEBOUNCE_SECONDS = 2.0
NARROW_WIDTH = 150
"""Below this many columns the three columns become tabs (keys 1, 2, 3)."""
ACTIVE_LIMIT = 10_000
PRIORITY_NAMES = {Priority.NORMAL: "Normal", Priority.HIGH: "High", Priority.URGENT: "Urgent"}
_ALL = "all"
_TITLES = {Column.WAITING: "Waiting", Column.ACTIVE: "In progress", Column.HISTORY: "History"}


@dataclass(frozen=True, slots=True)
class _Snapshot:
    queues: list[QueueOut]
    dashboard: Dashboard
    items: list[QueueItemOut]
    alerts: list[AlertOut]


def queue_monitor(context: SessionContext) -> Screen[None]:
    """The destination's builder (``f4``, supervisors and above)."""
    return QueueMonitorScreen(client=context.client, me=context.me, clock=context.clock)


class QueueMonitorScreen(Screen[None]):
    """Keys: ``a`` assign, ``t`` transfer, ``p`` priority, ``enter``/``o`` open read-only,
    ``f`` filter by queue, ``1``/``2``/``3`` waiting, in progress, history."""

    CSS_PATH = "queue_monitor.tcss"
    AUTO_FOCUS = "#waiting"
    BINDINGS = [
        Binding("a", "assign", "Assign"),
        Binding("t", "transfer", "Transfer"),
        Binding("p", "priority", "Priority"),
        Binding("o", "open", "Open"),
        Binding("f", "filter", "Filter"),
        Binding("1", "show('waiting')", "Waiting column", show=False),
        Binding("2", "show('active')", "In progress column", show=False),
        Binding("3", "show('history')", "History column", show=False),
    ]

    class Loaded(Message):
        def __init__(self, snapshot: _Snapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

    class DashboardLoaded(Message):
        def __init__(self, dashboard: Dashboard) -> None:
            super().__init__()
            self.dashboard = dashboard

    def __init__(self, *, client: DaemonClient, me: Me, clock: Clock) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self._clock = clock
        self.board = QueueBoard()
        self.queue_filter: uuid.UUID | None = None
        self.current = Column.WAITING
        """The column shown on a narrow terminal (and focused by 1/2/3)."""
        self.loaded = False
        self.paint_listener: PaintListener | None = None
        """Called after the frame that shows a batch, with the batch (benches, tests)."""
        self._pending: Pending = []
        self._dashboard_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield TextLine(id="metrics")
        yield TextLine(id="alerts")
        with Horizontal(id="status-bar"):
            yield TextLine(id="tabs")
            yield ConnectionIndicator(id="connection")
        yield Static("Loading the queues…", id="notice")
        with Horizontal(id="columns"):
            for column, table in (
                (Column.WAITING, WaitingTable),
                (Column.ACTIVE, ActiveTable),
                (Column.HISTORY, HistoryTable),
            ):
                with Vertical(id=f"pane-{column.value}", classes="pane"):
                    yield TextLine(_TITLES[column], classes="pane-title")
                    yield table(self.board, self._clock, id=column.value)
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(FLUSH_SECONDS, self._flush, name="flush")
        self.set_interval(TICK_SECONDS, self._tick, name="tick")
        self._show_current()
        self._show_header()
        self._load()

    # Layout

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")

    def _tables(self) -> dict[Column, QueueTable]:
        return {column: self.query_one(f"#{column.value}", QueueTable) for column in Column}

    def table(self, column: Column) -> QueueTable:
        return self.query_one(f"#{column.value}", QueueTable)

    def action_show(self, name: str) -> None:
        """Show (narrow) and focus one column."""
        self.current = Column(name)
        self._show_current()
        self.table(self.current).focus()

    @on(LiveTable.RowHighlighted)
    def _follow_focus(self, event: LiveTable.RowHighlighted) -> None:
        table = event.table
        if isinstance(table, QueueTable) and table.has_focus:
            self._set_current(Column(str(table.id)))

    def on_descendant_focus(self) -> None:
        focused = self.focused
        if isinstance(focused, QueueTable):
            self._set_current(Column(str(focused.id)))

    def _set_current(self, column: Column) -> None:
        if column is not self.current:
            self.current = column
            self._show_current()

    def _show_current(self) -> None:
        for column in Column:
            self.query_one(f"#pane-{column.value}").set_class(column is self.current, "-current")
        self._show_titles()

    def _show_titles(self) -> None:
        counts = {column: self.table(column).row_count for column in Column}
        tabs: list[Content | tuple[str, str] | str] = []
        for n, column in enumerate(Column, start=1):
            label = f" {n} {_TITLES[column]} ({counts[column]:,}) "
            style = "reverse bold" if column is self.current else ""
            tabs += [(label, style), " "]
            title = f"{_TITLES[column]} ({counts[column]:,})"
            pane = self.query_one(f"#pane-{column.value}")
            pane.query_one(".pane-title", TextLine).update(title)
        self.query_one("#tabs", TextLine).update(Content.assemble(*tabs))

    # Loading

    @work(exclusive=True, exit_on_error=False, group="load")
    async def _load(self) -> None:
        client = self._client
        try:
            queues = (await client.queues()).items
            dashboard = await client.queue_dashboard()
            pages = await asyncio.gather(
                *(
                    client.queue_items(q.id, ItemQuery(status=status, limit=limit))
                    for q in queues
                    for status, limit in (("active", ACTIVE_LIMIT), ("ended", HISTORY_ROWS))
                )
            )
            alerts = await self._alerts()
        except DaemonError as error:
            if error.unauthorized:
                self.post_message(SessionExpired("your session has ended"))
                return
            self.query_one("#notice", Static).update(f"Could not load the queues: {error.message}")
            self.notify(error.message, title="Could not load the queues", severity="error")
            return
        items = [item for page in pages for item in page.items]
        self.post_message(self.Loaded(_Snapshot(queues, dashboard, items, alerts)))

    async def _alerts(self) -> list[AlertOut]:
        try:
            return (await self._client.ai_alerts(AlertQuery(limit=50))).items
        except DaemonError as error:
            if error.status in (403, 404):  # AI features off, or a role that may not read them
                return []
            raise

    def on_queue_monitor_screen_loaded(self, message: Loaded) -> None:
        snapshot = message.snapshot
        self.board.load(snapshot.queues, snapshot.dashboard, snapshot.items, snapshot.alerts)
        self.loaded = True
        self._fill()
        # The board's items live as long as the screen: move them (and the rest of the app's
        # long-lived objects) out of the collector's sight. With 10,000 items, each full
        # collection otherwise rescanned them all and froze a frame for 100-200 ms. A reload
        # first lets the previous board be collected; unmounting gives everything back.
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        notice = self.query_one("#notice", Static)
        notice.update("No queues yet: an admin creates them (pytake queues create).")
        notice.display = not snapshot.queues
        self._show_header()

    def on_unmount(self) -> None:
        gc.unfreeze()

    def _visible(self, item: QueueItemOut) -> bool:
        return self.queue_filter is None or item.queue_id == self.queue_filter

    def _fill(self) -> None:
        """Show the board from scratch (after a load or a new filter)."""
        board = self.board
        sources = {
            Column.WAITING: board.waiting.values(),
            Column.ACTIVE: board.active.values(),
            Column.HISTORY: board.history.values(),
        }
        for column, table in self._tables().items():
            selected = table.selected_key()
            table.clear()
            for item in sources[column]:
                if self._visible(item):
                    table.put(item)
            table.cursor_row = 0  # the cursor followed the first row put; start at the top
            if selected is not None:
                table.select_key(selected)
        self._show_titles()

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        self._load()

    @work(exclusive=True, exit_on_error=False, group="dashboard")
    async def _refresh_dashboard(self) -> None:
        self._dashboard_timer = None
        try:
            dashboard = await self._client.queue_dashboard()
        except DaemonError:
            return  # the header keeps its figures; the stream's state says what is wrong
        self.post_message(self.DashboardLoaded(dashboard))

    def on_queue_monitor_screen_dashboard_loaded(self, message: DashboardLoaded) -> None:
        self.board.set_dashboard(message.dashboard)
        self._show_header()

    def _schedule_dashboard(self) -> None:
        # A burst of queue events costs one dashboard read, not one each.
        if self._dashboard_timer is None:
            self._dashboard_timer = self.set_timer(
                DASHBOARD_DEBOUNCE_SECONDS, self._refresh_dashboard
            )

    # Live updates

    def on_event_received(self, message: EventReceived) -> None:
        event = message.envelope.event
        if isinstance(
            event,
            QueueItemChanged
            | MessageAnalyzed
            | AlertRaised
            | AgentStatusChanged
            | SatisfactionReceived
            | MessageReceived
            | MessageSent,
        ):
            self._pending.append((time.perf_counter(), event))

    def _buffer(self, event: ServerEvent) -> None:
        self._pending.append((time.perf_counter(), event))

    def _flush(self) -> None:
        """Apply what arrived since the last frame, touching only the rows it changed."""
        if not self._pending or not self.loaded:
            return
        batch, self._pending = self._pending, []
        board = self.board
        moved: dict[uuid.UUID, tuple[Column | None, Column | None, QueueItemOut]] = {}
        restyle: set[uuid.UUID] = set()
        header = False
        for _, event in batch:
            match event:
                case QueueItemChanged(item=item):
                    for change in board.apply(item):
                        first = moved.get(change.item.id)
                        before = first[0] if first is not None else change.before
                        moved[change.item.id] = (before, change.after, change.item)
                    header = True
                case MessageAnalyzed(mood=mood):
                    if board.set_mood(mood.conversation_id, mood.label):
                        restyle.add(mood.conversation_id)
                case AlertRaised(alert=alert):
                    board.add_alert(alert)
                    restyle.add(alert.conversation_id)
                    header = True
                case MessageReceived(message=sent) | MessageSent(message=sent):
                    board.last_messages[sent.conversation_id] = sent.text
                    restyle.add(sent.conversation_id)
                case AgentStatusChanged(agent_id=agent_id, active=active, capacity=capacity):
                    board.set_agent(agent_id, event.status.value, active, capacity)
                    header = True
                case SatisfactionReceived():
                    shown = board.item_of(event.conversation_id)
                    if shown is not None:
                        board.ratings[shown.id] = event.rating
                        restyle.add(event.conversation_id)
        self._apply(moved, restyle)
        if header:
            self._show_header()
            self._schedule_dashboard()
        if self.paint_listener is not None:
            self.call_after_refresh(self.paint_listener, batch)

    def _apply(
        self,
        moved: dict[uuid.UUID, tuple[Column | None, Column | None, QueueItemOut]],
        restyle: set[uuid.UUID],
    ) -> None:
        tables = self._tables()
        for item_id, (before, after, item) in moved.items():
            shown = after if after is not None and self._visible(item) else None
            if before is not None and before is not shown:
                tables[before].drop(item_id)
            if shown is not None:
                tables[shown].put(item)
        for conversation_id in restyle:
            latest = self.board.item_of(conversation_id)
            column = None if latest is None else self.board.where(latest.id)
            if latest is not None and column is not None and self._visible(latest):
                tables[column].put(latest)
        if moved:
            self._show_titles()

    def _tick(self) -> None:
        for table in self._tables().values():
            if table.parent is not None and table.parent.display:
                table.tick()

    def _show_header(self) -> None:
        metrics = self.board.metrics(self.queue_filter)
        scope: list[tuple[str, str] | str] = []
        if self.queue_filter is not None:
            scope = [(self.board.queue_name(self.queue_filter), "bold $text-accent"), ": "]
        avg = "—" if metrics.avg_wait_seconds is None else duration(metrics.avg_wait_seconds)
        abandoned = "—" if metrics.abandonment is None else f"{metrics.abandonment:.0%}"
        self.query_one("#metrics", TextLine).update(
            Content.assemble(
                *scope,
                (str(metrics.waiting), "bold"),
                " waiting · avg wait ",
                (avg, "bold"),
                " · ",
                (str(metrics.agents_online), "bold"),
                " online, ",
                (str(metrics.agents_busy), "bold"),
                " busy · ",
                (abandoned, "bold"),
                " abandoned",
            )
        )
        alerts = self.query_one("#alerts", TextLine)
        latest = next(reversed(self.board.alerts.values()), None)
        if alerts.display != (latest is not None):
            alerts.display = latest is not None
        if latest is not None:
            shown = self.board.item_of(latest.conversation_id)
            who = contact_label(shown) if shown is not None else "a conversation"
            count = len(self.board.alerts)
            alerts.update(
                Content.assemble(
                    (f"⚠ {count} alert{'s' if count != 1 else ''}", "bold"),
                    f" · latest: {who}: {latest.rule.value.replace('_', ' ')} — {latest.detail}",
                )
            )

    # Actions

    def _selected(self) -> QueueItemOut | None:
        item_id = self.table(self.current).selected_id()
        item = None if item_id is None else self.board.item(item_id)
        if item is None:
            self.notify("Select an item first", severity="warning")
        return item

    def _selected_active(self) -> QueueItemOut | None:
        item = self._selected()
        if item is not None and item.status not in (ItemStatus.WAITING, ItemStatus.ASSIGNED):
            self.notify("This attendance has ended; nothing to change", severity="warning")
            return None
        return item

    def action_assign(self) -> None:
        """Assign the selected item to an online agent (or reassign it)."""
        item = self._selected_active()
        if item is None:
            return
        agents = sorted(
            (a for a in self.board.agents.values() if a.status != "offline"),
            key=lambda a: a.name.lower(),
        )
        choices = [
            (str(a.agent_id), f"{a.name} — {a.status}, {a.active}/{a.capacity}")
            for a in agents
            if a.agent_id != item.agent_id
        ]

        def chosen(agent: str | None) -> None:
            if agent is not None:
                self._assign(item, uuid.UUID(agent))

        self.app.push_screen(ChoicePicker(f"Assign {contact_label(item)} to…", choices), chosen)

    @work(exit_on_error=False, group="actions")
    async def _assign(self, item: QueueItemOut, agent_id: uuid.UUID) -> None:
        try:
            result = await self._client.assign_item(item.queue_id, item.id, agent_id)
        except DaemonError as error:
            self.notify(error.message, title="Not assigned", severity="error")
            return
        for changed in result.items:
            self._buffer(QueueItemChanged(transition=Transition.ASSIGNED, item=changed))
        name = self.board.agent_name(agent_id)
        self.notify(f"{contact_label(item)} assigned to {name}")

    def action_transfer(self) -> None:
        """Move the selected item to another queue."""
        item = self._selected_active()
        if item is None:
            return
        choices = [
            (str(queue_id), name)
            for queue_id, name in sorted(self.board.queues.items(), key=lambda q: q[1].lower())
            if queue_id != item.queue_id
        ]

        def chosen(queue: str | None) -> None:
            if queue is not None:
                self._transfer(item, uuid.UUID(queue))

        self.app.push_screen(ChoicePicker(f"Transfer {contact_label(item)} to…", choices), chosen)

    @work(exit_on_error=False, group="actions")
    async def _transfer(self, item: QueueItemOut, to_queue: uuid.UUID) -> None:
        try:
            result = await self._client.transfer_item(item.queue_id, item.id, to_queue)
        except DaemonError as error:
            self.notify(error.message, title="Not transferred", severity="error")
            return
        # The old item ends as transferred (its event follows; show it now).
        ended = item.model_copy(
            update={"status": ItemStatus.TRANSFERRED, "ended_at": self._clock(), "position": None}
        )
        self._buffer(QueueItemChanged(transition=Transition.TRANSFERRED, item=ended))
        for changed in result.items:
            self._buffer(QueueItemChanged(transition=Transition.ENTERED, item=changed))
        self.notify(f"{contact_label(item)} moved to {self.board.queue_name(to_queue)}")

    def action_priority(self) -> None:
        """Change the selected waiting item's priority."""
        item = self._selected_active()
        if item is None:
            return
        if item.status is not ItemStatus.WAITING:
            self.notify("Only a waiting item's priority can change", severity="warning")
            return
        choices = [
            (str(int(p)), f"{name}{' (now)' if p == item.priority else ''}")
            for p, name in PRIORITY_NAMES.items()
        ]

        def chosen(priority: str | None) -> None:
            if priority is not None and int(priority) != item.priority:
                self._set_priority(item, Priority(int(priority)))

        self.app.push_screen(ChoicePicker(f"Priority of {contact_label(item)}", choices), chosen)

    @work(exit_on_error=False, group="actions")
    async def _set_priority(self, item: QueueItemOut, priority: Priority) -> None:
        try:
            changed = await self._client.set_item_priority(item.queue_id, item.id, priority)
        except DaemonError as error:
            self.notify(error.message, title="Priority not changed", severity="error")
            return
        self._buffer(QueueItemChanged(transition=Transition.REPRIORITIZED, item=changed))
        self.notify(f"{contact_label(item)}: {PRIORITY_NAMES[priority].lower()} priority")

    def action_open(self) -> None:
        """Open the selected item's conversation, read-only."""
        item = self._selected()
        if item is not None:
            self.app.push_screen(
                ConversationViewer(self._client, item.conversation_id, contact_label(item))
            )

    @on(LiveTable.RowSelected)
    def _open_selected(self, event: LiveTable.RowSelected) -> None:
        if isinstance(event.table, QueueTable):
            self.action_open()

    def action_filter(self) -> None:
        """Show one queue, or all of them."""
        choices = [(_ALL, "All queues")] + [
            (str(queue_id), name)
            for queue_id, name in sorted(self.board.queues.items(), key=lambda q: q[1].lower())
        ]

        def chosen(queue: str | None) -> None:
            if queue is not None:
                self.set_filter(None if queue == _ALL else uuid.UUID(queue))

        self.app.push_screen(ChoicePicker("Show the queue…", choices), chosen)

    def set_filter(self, queue_id: uuid.UUID | None) -> None:
        self.queue_filter = queue_id
        self._fill()
        self._show_header()
