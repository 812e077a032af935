"""The agent's activity timeline, newest first, a page at a time (``m`` or the last line loads
older entries); newer entries are put on top as they are read again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from pytake_daemon.protocol.agents import ActivityList, ActivityOut
from pytake_tui.dashboard_view import ACTIVITY_ICONS, activity_text, clock_time
from pytake_tui.i18n import _, ngettext


class MoreLine(Static):
    """``m older entries``, or the end of the timeline."""

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(Timeline.MoreRequested())


class Timeline(Vertical):
    """A table of entries; ``next_before`` is the daemon's cursor for the older page."""

    class MoreRequested(Message):
        """The user wants the next (older) page."""

    def __init__(self, clock: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self.entries: list[ActivityOut] = []
        self.next_before: int | None = None
        self.loading = False

    def compose(self) -> ComposeResult:
        yield DataTable(id="timeline-table", cursor_type="row", zebra_stripes=True)
        yield MoreLine(id="timeline-more")

    def on_mount(self) -> None:
        table = self._table()
        table.add_column(_("when"), key="when")
        table.add_column("", width=1, key="icon")
        table.add_column(_("what"), key="what")
        self._show_more()

    def _table(self) -> DataTable[str | Text]:
        table: DataTable[str | Text] = self.query_one("#timeline-table", DataTable)
        return table

    def reset(self, page: ActivityList) -> None:
        """Show the first page (a new agent, or too much news to merge)."""
        self.entries = []
        self.loading = False
        self._table().clear()
        self.next_before = page.next_before
        self._add(page.items)

    def append(self, page: ActivityList) -> None:
        """An older page, below what is shown."""
        self.loading = False
        known = {e.id for e in self.entries}
        self._add([a for a in page.items if a.id not in known])
        self.next_before = page.next_before
        self._show_more()

    def merge_newest(self, page: ActivityList) -> None:
        """The first page read again: entries newer than the shown ones go on top. When the
        page holds nothing already shown, entries may be missing in between: start over."""
        if not self.entries:
            self.reset(page)
            return
        newest = self.entries[0].id
        if page.items and page.items[-1].id > newest and page.next_before is not None:
            self.reset(page)
            return
        fresh = [a for a in page.items if a.id > newest]
        if not fresh:
            return
        self.entries = fresh + self.entries
        rows = [(self._cells(a), str(a.id)) for a in self.entries]
        # DataTable appends only: rebuild it (a page is small). A cursor at the top stays there,
        # showing the news; one further down stays on its entry.
        table = self._table()
        at_top = table.cursor_row <= 0
        keep = 0 if at_top else table.cursor_row + len(fresh)
        table.clear()
        for cells, key in rows:
            table.add_row(*cells, key=key)
        # No scrolling from here: in a hidden tab the table has no height to scroll in.
        table.move_cursor(row=keep, animate=False, scroll=not at_top and table.size.height > 0)
        self._show_more()

    def _cells(self, activity: ActivityOut) -> tuple[str | Text, ...]:
        return (
            Text(clock_time(activity.at, self._clock()), style="dim"),
            ACTIVITY_ICONS[activity.kind],
            activity_text(activity),
        )

    def _add(self, items: list[ActivityOut]) -> None:
        table = self._table()
        for activity in items:
            table.add_row(*self._cells(activity), key=str(activity.id))
        self.entries += items
        self._show_more()

    def _show_more(self) -> None:
        more = self.query_one(MoreLine)
        if not self.entries:
            more.update(Text(_("Nothing in the timeline yet."), style="dim"))
        elif self.next_before is not None:
            more.update(
                Text.assemble(
                    ("m", "bold underline"),
                    " " + _("older entries ({count} shown)").format(count=len(self.entries)),
                )
            )
        else:
            count = len(self.entries)
            beginning = ngettext(
                "The beginning ({count} entry).", "The beginning ({count} entries).", count
            )
            more.update(Text(beginning.format(count=count), style="dim"))

    def request_more(self) -> bool:
        """Whether an older page should be read now (one at a time)."""
        if self.next_before is None or self.loading:
            return False
        self.loading = True
        return True
