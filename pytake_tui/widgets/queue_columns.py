"""The queue monitor's three tables — waiting, in progress, history — keyed by item id.

Rows are put and dropped one by one, never rebuilt, each in its column's order. Wait times,
durations and positions are :class:`LiveCell` objects computed when a row is drawn, so the
once-a-second tick rewrites no cell: each table's ``row_state`` names those values (and what a
row looks up on the board), and the tick repaints only the visible rows whose text changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from pytake_daemon.protocol.queues import Priority, QueueItemOut
from pytake_i18n import format_number
from pytake_tui.i18n import N_, _
from pytake_tui.preview_words import preview_line
from pytake_tui.queue_board import Column, QueueBoard, duration, serving_key
from pytake_tui.widgets.live_table import LiveTable

Clock = Callable[[], datetime]

ALERT_STYLE = "bold red"
"""A conversation the AI finds angry (or alerted about) turns red."""
MOOD_BADGES = {
    "negative": ("▼ neg", "bold red"),
    "neutral": ("● neu", "dim"),
    "positive": ("▲ pos", "green"),
}
PRIORITY_LABELS = {
    Priority.NORMAL: (N_("normal"), ""),
    Priority.HIGH: (N_("high"), "yellow"),
    Priority.URGENT: (N_("URGENT"), "bold magenta"),
}
ENDINGS = {
    "completed": (N_("done"), "green"),
    "abandoned": (N_("abandoned"), "red"),
    "timed_out": (N_("timed out"), "yellow"),
    "transferred": (N_("moved"), "cyan"),
}


class LiveCell:
    """A cell whose text is computed when drawn (and by ``str()``, for tests and sorting)."""

    __slots__ = ("_style", "_text", "sort_key")

    def __init__(self, text: Callable[[], str], style: str = "", sort_key: Any = None) -> None:
        self._text = text
        self._style = style
        self.sort_key = sort_key

    def __rich__(self) -> Text:
        return Text(self._text(), style=self._style, no_wrap=True, end="")

    def __str__(self) -> str:
        return self._text()


class TextLine(Widget):
    """One line of text that repaints without a layout pass (a Static's update reflows the
    screen, which at 30 frames a second costs more than the tables)."""

    DEFAULT_CSS = """
    TextLine { height: 1; }
    """

    text: reactive[Content] = reactive(Content(""), layout=False)

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.set_reactive(TextLine.text, Content(text))

    def render(self) -> Content:
        return self.text

    def update(self, text: Content | str) -> None:
        self.text = Content(text) if isinstance(text, str) else text


def contact_label(item: QueueItemOut) -> str:
    """@username, profile name, phone, or (for a hidden phone) the BSUID the daemon sent."""
    if item.contact_name:
        return item.contact_name
    return f"+{item.contact_wa_id}" if item.contact_wa_id else _("a customer")


_TITLES = {
    Column.WAITING: N_("Waiting"),
    Column.ACTIVE: N_("In progress"),
    Column.HISTORY: N_("History"),
}


def column_name(column: Column) -> str:
    """``Waiting`` / ``Aguardando``."""
    return _(_TITLES[column])


def column_title(column: Column, count: int) -> str:
    """``Waiting (1,234)`` / ``Aguardando (1.234)``."""
    return f"{column_name(column)} ({format_number(count)})"


class QueueTable(LiveTable):
    """One column of the monitor; subclasses say which cells a row has and its sort key."""

    COLUMNS: ClassVar[list[tuple[str, str, int]]] = []

    def __init__(self, board: QueueBoard, clock: Clock, **kwargs: Any) -> None:
        super().__init__(self.COLUMNS, **kwargs)
        self.board = board
        self.clock = clock

    def cells(self, item: QueueItemOut) -> list[object]:
        raise NotImplementedError

    def sort_key(self, item: QueueItemOut) -> Any:
        raise NotImplementedError

    def row_state(self, item: QueueItemOut) -> Hashable:
        # Each column says (LiveTable's default, None, would never cache a queue row: every
        # column's rows depend on the board and the clock, so each must name what they read).
        raise NotImplementedError

    def looks(self, item: QueueItemOut) -> tuple[object, ...]:
        """The board's say in every column's row: the mood and whether an alert is raised."""
        conversation = item.conversation_id
        return self.board.moods.get(conversation), conversation in self.board.alerts

    def since(self, moment: datetime) -> str:
        return duration((self.clock() - moment).total_seconds())

    def style_of(self, item: QueueItemOut) -> str:
        """Red when the AI says the customer is angry or raised an alert."""
        conversation = item.conversation_id
        if self.board.moods.get(conversation) == "negative" or conversation in self.board.alerts:
            return ALERT_STYLE
        return ""

    def mood_cell(self, item: QueueItemOut) -> Text:
        mood = self.board.moods.get(item.conversation_id)
        if item.conversation_id in self.board.alerts:
            return Text(f"⚠ {(mood or 'alert')[:3]}", style=ALERT_STYLE)
        if mood is None:
            return Text("—", style="dim")
        label, style = MOOD_BADGES[mood]
        return Text(label, style=style)

    def put(self, item: QueueItemOut) -> bool:
        """Add the item's row, or update it in place (moving it if its order changed)."""
        return self.upsert(str(item.id), self.sort_key(item), item)

    def drop(self, item_id: uuid.UUID) -> None:
        self.remove_row(str(item_id))

    def item_ids(self) -> list[uuid.UUID]:
        return [uuid.UUID(key) for key in self.row_keys()]

    def selected_id(self) -> uuid.UUID | None:
        """The item under the cursor."""
        key = self.selected_key()
        return None if key is None else uuid.UUID(key)

    def tick(self) -> None:
        """Repaint the visible rows whose wait time or duration reads differently now."""
        if self.row_count:
            self.recheck()
            self.settle()  # in the frame that follows, not after another message


class WaitingTable(QueueTable):
    """Position in its queue, contact, queue, priority, wait so far, mood; serving order."""

    COLUMNS: ClassVar[list[tuple[str, str, int]]] = [
        ("position", "#", 3),
        ("contact", N_("contact"), 14),
        ("queue", N_("queue"), 8),
        ("priority", N_("prio"), 6),
        ("wait", N_("wait"), 6),
        ("mood", N_("mood"), 6),
    ]

    def sort_key(self, item: QueueItemOut) -> Any:
        return serving_key(item)

    def row_state(self, item: QueueItemOut) -> Hashable:
        board = self.board
        return (
            board.position(item),
            self.since(item.entered_at),
            board.queue_name(item.queue_id),
            *self.looks(item),
        )

    def cells(self, item: QueueItemOut) -> list[object]:
        style = self.style_of(item)
        board = self.board

        def position() -> str:
            place = board.position(item)
            return "" if place is None else str(place)

        label, priority_style = PRIORITY_LABELS[item.priority]
        return [
            LiveCell(position, style),
            Text(contact_label(item), style=style),
            Text(board.queue_name(item.queue_id), style=style),
            Text(_(label), style=priority_style),
            LiveCell(lambda: self.since(item.entered_at), style),
            self.mood_cell(item),
        ]


class ActiveTable(QueueTable):
    """Agent, contact, time since assigned, latest message, mood; longest in progress first."""

    COLUMNS: ClassVar[list[tuple[str, str, int]]] = [
        ("agent", N_("agent"), 10),
        ("contact", N_("contact"), 12),
        ("duration", N_("for"), 6),
        ("last", N_("last message"), 16),
        ("mood", N_("mood"), 6),
    ]

    def sort_key(self, item: QueueItemOut) -> Any:
        return (item.assigned_at or item.entered_at, str(item.id))

    def row_state(self, item: QueueItemOut) -> Hashable:
        board = self.board
        return (
            board.agent_name(item.agent_id),
            self.since(item.assigned_at or item.entered_at),
            board.last_messages.get(item.conversation_id, ""),
            *self.looks(item),
        )

    def cells(self, item: QueueItemOut) -> list[object]:
        style = self.style_of(item)
        since = item.assigned_at or item.entered_at
        last = self.board.last_messages.get(item.conversation_id, "")
        return [
            Text(self.board.agent_name(item.agent_id)),
            Text(contact_label(item), style=style),
            LiveCell(lambda: self.since(since), style),
            Text(" ".join(preview_line(last).split()), style=style or "dim"),
            self.mood_cell(item),
        ]


class HistoryTable(QueueTable):
    """How it ended, contact, queue, wait, handling time, rating; newest first."""

    COLUMNS: ClassVar[list[tuple[str, str, int]]] = [
        ("ended", N_("ended"), 9),
        ("contact", N_("contact"), 12),
        ("queue", N_("queue"), 8),
        ("wait", N_("wait"), 6),
        ("handled", N_("handled"), 7),
        ("rating", N_("rating"), 6),
    ]

    def sort_key(self, item: QueueItemOut) -> Any:
        ended = item.ended_at or item.entered_at
        return (-ended.timestamp(), str(item.id))

    def row_state(self, item: QueueItemOut) -> Hashable:
        board = self.board
        return board.queue_name(item.queue_id), board.ratings.get(item.id), *self.looks(item)

    def cells(self, item: QueueItemOut) -> list[object]:
        label, style = ENDINGS.get(item.status.value, (item.status.value, ""))
        handled = (
            duration((item.ended_at - item.assigned_at).total_seconds())
            if item.ended_at is not None and item.assigned_at is not None
            else "—"
        )
        rating = self.board.ratings.get(item.id)
        return [
            Text(_(label), style=style),
            Text(contact_label(item), style=self.style_of(item)),
            Text(self.board.queue_name(item.queue_id)),
            Text(duration(item.wait_seconds)),
            Text(handled),
            Text("★" * rating if rating else "—", style="yellow" if rating else "dim"),
        ]
