"""The supervisors' live queue monitor: waiting, in progress and recent history side by side
(or one at a time on a narrow terminal), the dashboard's figures and the AI's alerts on top.

REST fills the board on open and after a resync. Stream events are applied once the screen has
taken every event already waiting for it: a burst costs one table pass, rows are updated in
place by id, nothing is rebuilt, and the next frame (at most 60 a second) draws only the lines
that look different; wait times are checked once a second (``LiveTable.row_state``).
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Callable
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Static

from pytake_daemon.protocol import Me, ServerEvent
from pytake_daemon.protocol.queues import (
    Dashboard,
    ItemStatus,
    QueueItemOut,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import _
from pytake_tui.messages import EventReceived, ResyncNeeded, SessionExpired
from pytake_tui.navigation import SessionContext
from pytake_tui.queue_board import Column, QueueBoard
from pytake_tui.queue_feed import LIVE_EVENTS, BoardSnapshot, Moved, absorb, read_snapshot
from pytake_tui.screens.opaque import OpaqueScreen
from pytake_tui.screens.queue_dialogs import ChoicePicker, ConversationViewer
from pytake_tui.screens.queue_keys import QUEUE_MONITOR_BINDINGS
from pytake_tui.widgets.connection_indicator import ConnectionIndicator
from pytake_tui.widgets.footer import Footer
from pytake_tui.widgets.live_table import LiveTable
from pytake_tui.widgets.queue_actions import QueueItemActions
from pytake_tui.widgets.queue_columns import (
    ActiveTable,
    HistoryTable,
    QueueTable,
    TextLine,
    WaitingTable,
    column_name,
    column_title,
    contact_label,
)
from pytake_tui.widgets.queue_header import QueueHeader

Clock = Callable[[], datetime]
Pending = list[tuple[float, ServerEvent]]
"""Events not applied yet, with when each arrived (``time.perf_counter``)."""
PaintListener = Callable[[Pending], None]

TICK_SECONDS = 1.0
DASHBOARD_DEBOUNCE_SECONDS = 2.0
NARROW_WIDTH = 150
"""Below this many columns the three columns become tabs (keys 1, 2, 3)."""
_ALL = "all"
_TABLES = {Column.WAITING: WaitingTable, Column.ACTIVE: ActiveTable, Column.HISTORY: HistoryTable}


def queue_monitor(context: SessionContext) -> Screen[None]:
    """The destination's builder (``f4``, supervisors and above)."""
    return QueueMonitorScreen(client=context.client, me=context.me, clock=context.clock)


class QueueMonitorScreen(OpaqueScreen[None]):
    """Keys: ``a`` assign, ``t`` transfer, ``m`` take it yourself, ``p`` priority,
    ``enter``/``o`` open read-only, ``f`` filter by queue, ``1``/``2``/``3`` waiting, in
    progress, history."""

    CSS_PATH = "queue_monitor.tcss"
    AUTO_FOCUS = "#waiting"
    BINDINGS = QUEUE_MONITOR_BINDINGS

    class Loaded(Message):
        def __init__(self, snapshot: BoardSnapshot) -> None:
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
        self._flush_due = False
        self._dashboard_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield QueueHeader()
        with Horizontal(id="status-bar"):
            yield TextLine(id="tabs")
            yield ConnectionIndicator(id="connection")
        yield Static(_("Loading the queues…"), id="notice")
        with Horizontal(id="columns"):
            for column, table in _TABLES.items():
                with Vertical(id=f"pane-{column.value}", classes="pane"):
                    yield TextLine(column_name(column), classes="pane-title")
                    yield table(self.board, self._clock, id=column.value)
        yield QueueItemActions(client=self._client, board=self.board, clock=self._clock)
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(TICK_SECONDS, self._tick, name="tick")
        self._show_current()
        self._show_header()
        self._load()

    # Layout

    def on_resize(self, event: Resize) -> None:
        if (narrow := event.size.width < NARROW_WIDTH) != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")
            self._show_titles()

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
        # Only those on show: a hidden widget's repaint has Textual re-arrange the whole screen.
        counts = {column: self.table(column).row_count for column in Column}
        if not self.has_class("-narrow"):
            for column in Column:
                pane = self.query_one(f"#pane-{column.value}")
                title = column_title(column, counts[column])
                pane.query_one(".pane-title", TextLine).update(title)
            return
        tabs: list[Content | tuple[str, str] | str] = []
        for n, column in enumerate(Column, start=1):
            label = f" {n} {column_title(column, counts[column])} "
            tabs += [(label, "reverse bold" if column is self.current else ""), " "]
        self.query_one("#tabs", TextLine).update(Content.assemble(*tabs))

    # Loading

    @work(exclusive=True, exit_on_error=False, group="load")
    async def _load(self) -> None:
        try:
            snapshot = await read_snapshot(self._client)
        except DaemonError as error:
            if error.unauthorized:
                self.post_message(SessionExpired(_("your session has ended")))
                return
            failed = _("Could not load the queues: {reason}").format(reason=error.message)
            self.query_one("#notice", Static).update(failed)
            self.notify(error.message, title=_("Could not load the queues"), severity="error")
            return
        self.post_message(self.Loaded(snapshot))

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
        notice.update(_("No queues yet: an admin creates them (pytake queues create)."))
        notice.display = not snapshot.queues
        self._show_header()
        self._flush()  # what the stream said while the board was loading

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
        if isinstance(event := message.envelope.event, LIVE_EVENTS):
            self._buffer(event)

    def _buffer(self, event: ServerEvent) -> None:
        self._pending.append((time.perf_counter(), event))
        # After the messages already queued (more events, usually): one pass for them all.
        if not self._flush_due:
            self._flush_due = True
            self.call_later(self._flush)

    def _flush(self) -> None:
        """Apply what arrived since the last frame, touching only the rows it changed."""
        self._flush_due = False
        if not self._pending or not self.loaded:
            return  # a load in progress applies them when it is done
        batch, self._pending = self._pending, []
        absorbed = absorb(self.board, (event for _, event in batch))
        self._apply(absorbed.moved, absorbed.restyle)
        if absorbed.header:
            self._show_header()
            self._schedule_dashboard()
        if self.paint_listener is not None:
            self.call_after_refresh(self.paint_listener, batch)

    def _apply(self, moved: Moved, restyle: set[uuid.UUID]) -> None:
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
        for table in tables.values():
            table.settle()
        if moved:
            self._show_titles()

    def _tick(self) -> None:
        for table in self._tables().values():
            if table.parent is not None and table.parent.display:
                table.tick()

    def _show_header(self) -> None:
        self.query_one(QueueHeader).show(self.board, self.queue_filter)

    # Actions

    def _selected(self) -> QueueItemOut | None:
        item_id = self.table(self.current).selected_id()
        item = None if item_id is None else self.board.item(item_id)
        if item is None:
            self.notify(_("Select an item first"), severity="warning")
        return item

    def _selected_active(self) -> QueueItemOut | None:
        item = self._selected()
        if item is not None and item.status not in (ItemStatus.WAITING, ItemStatus.ASSIGNED):
            self.notify(_("This attendance has ended; nothing to change"), severity="warning")
            return None
        return item

    def action_assign(self) -> None:
        """Assign the selected item to an online agent (or reassign it)."""
        if (item := self._selected_active()) is not None:
            self.query_one(QueueItemActions).assign(item)

    def action_transfer(self) -> None:
        """Move the selected item to another queue, or hand it to an agent."""
        if (item := self._selected_active()) is not None:
            self.query_one(QueueItemActions).transfer(item)

    def action_take(self) -> None:
        """Attend the selected item's conversation yourself."""
        if (item := self._selected_active()) is not None:
            self.query_one(QueueItemActions).take(item)

    def action_priority(self) -> None:
        """Change the selected waiting item's priority."""
        if (item := self._selected_active()) is not None:
            self.query_one(QueueItemActions).change_priority(item)

    @on(QueueItemActions.ItemsChanged)
    def _items_changed(self, message: QueueItemActions.ItemsChanged) -> None:
        for change in message.changes:
            self._buffer(change)

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
        choices = [(_ALL, _("All queues"))] + [
            (str(queue_id), name)
            for queue_id, name in sorted(self.board.queues.items(), key=lambda q: q[1].lower())
        ]

        def chosen(queue: str | None) -> None:
            if queue is not None:
                self.set_filter(None if queue == _ALL else uuid.UUID(queue))

        self.app.push_screen(ChoicePicker(_("Show the queue…"), choices), chosen)

    def set_filter(self, queue_id: uuid.UUID | None) -> None:
        self.queue_filter = queue_id
        self._fill()
        self._show_header()
