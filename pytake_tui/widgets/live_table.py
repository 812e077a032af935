"""A keyed, always-sorted table that draws only the rows on screen (Textual's line API).

Textual's DataTable re-renders every visible cell through Rich after any change and removes a
row in O(rows); with 10,000 live rows and a few hundred changes a second that is seconds of
lag. Here a row is a list of cells kept in a dict by key, the display order is a sorted list of
``(sort_key, key)`` (an insert or a removal is one bisection and a memmove), and a frame draws
one strip per visible line. Cells are ``str``, Rich ``Text`` or anything with ``__rich__``
returning ``Text`` (computed when drawn, e.g. a ticking wait time).

Between frames each row's strip is kept (:meth:`LiveTable.row_state` says what else it depends
on), and after a change only the screen lines that would now look different are repainted: a
frame costs the rows that changed, not every visible one through Rich and Textual's styling.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable
from typing import Any, ClassVar

from rich.style import Style
from textual import messages
from textual.binding import Binding, BindingType
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from pytake_tui.i18n import N_, _
from pytake_tui.widgets.live_rows import (
    CACHE_SLACK,
    PADDING,
    Column,
    Line,
    StripCache,
    changed_lines,
    row_strip,
    runs,
    thumb_moved,
    thumb_span,
)


class LiveTable(ScrollView, can_focus=True):
    """Rows by key in sort-key order; ``upsert`` and ``remove_row`` touch one row each."""

    DEFAULT_CSS = """
    LiveTable {
        background: $surface;
        height: 1fr;
    }
    LiveTable > .live-table--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    LiveTable > .live-table--even {
        background: $surface-lighten-1 30%;
    }
    LiveTable > .live-table--cursor {
        background: $panel-lighten-1;
    }
    LiveTable:focus > .live-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "live-table--header",
        "live-table--even",
        "live-table--cursor",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", N_("Up"), show=False),
        Binding("down", "cursor(1)", N_("Down"), show=False),
        Binding("pageup", "page(-1)", N_("Page up"), show=False),
        Binding("pagedown", "page(1)", N_("Page down"), show=False),
        Binding("home", "first", N_("First"), show=False),
        Binding("end", "last", N_("Last"), show=False),
        Binding("enter", "select", N_("Select"), show=False),
    ]

    cursor_row: reactive[int] = reactive(0, repaint=False, always_update=True)

    class RowHighlighted(Message):
        """The cursor moved onto ``key``."""

        def __init__(self, table: LiveTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> LiveTable:
            return self.table

    class RowSelected(Message):
        """Enter (or a click) on ``key``."""

        def __init__(self, table: LiveTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> LiveTable:
            return self.table

    def __init__(self, columns: list[Column], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.columns = columns
        self._rows: dict[str, Any] = {}
        """What each row shows, turned into cells only when drawn (:meth:`cells`)."""
        self._sort_keys: dict[str, Any] = {}
        self._order: list[tuple[Any, str]] = []
        self._width = sum(width + 2 * PADDING for _, _, width in columns)
        self._column_index = {key: n for n, (key, _, _) in enumerate(columns)}
        self._settle_pending = False
        self._thumb_shown: tuple[int, int] | None = None  # as last drawn; None: no scrollbar
        self._repaint, self._exact_thumb = True, False
        self._frame: tuple[int, Style, Style, Style, Style] | None = None
        """Per render pass: content width and the header, base, cursor and zebra styles."""
        self._strips = StripCache()
        """Drawn rows' recent strips; ``upsert`` and ``remove_row`` drop a row's."""
        self._header: tuple[Hashable, Strip] | None = None
        self._drawn: dict[int, Line] = {}
        """By screen line: what Textual holds from our last ``render_line`` for it."""
        self._touched: set[str] = set()
        """Rows given new data (or removed, maybe to come back) since the last settle: their
        lines repaint even if alike. New rows can't have been drawn: not here."""
        self._settle()

    # Data

    @property
    def row_count(self) -> int:
        return len(self._order)

    def row_keys(self) -> list[str]:
        """Keys in display order."""
        return [key for _, key in self._order]

    def __contains__(self, key: str) -> bool:
        return key in self._rows

    def cells(self, row: Any) -> list[object]:
        """A row's cells, one per column; subclasses format their rows."""
        return list(row)

    def row_state(self, row: Any) -> Hashable:
        """What a row's cells depend on besides the row (which only ``upsert`` replaces): text
        computed when drawn (a position, a wait at the current clock), what is looked up
        elsewhere (a name, a mood). The row is drawn again when it changes. ``None`` (default,
        for live cells it can't describe): never cached, redrawn on any visible change."""
        return None

    def row(self, key: str) -> Any:
        return self._rows[key]

    def get_cell(self, key: str, column: str) -> object:
        return self.cells(self._rows[key])[self._column_index[column]]

    def upsert(self, key: str, sort_key: Any, row: Any) -> bool:
        """Show a row (replaced if it is there, moved if its sort key changed); True when new.

        Cells are made from ``row`` when it is drawn, so 10,000 rows cost 10,000 references,
        not 60,000 formatted cells."""
        new = key not in self._rows
        selected = self.selected_key()
        if new:
            index = None
        else:
            index = bisect_left(self._order, (self._sort_keys[key], key))
            if self._sort_keys[key] != sort_key:
                self._take_out(key)
        self._rows[key] = row
        self._strips.drop(key)
        if not new:
            self._touched.add(key)
        if index is None or self._sort_keys.get(key) != sort_key:
            self._sort_keys[key] = sort_key
            entry = (sort_key, key)
            place = bisect_left(self._order, entry)
            self._order.insert(place, entry)
            index = place if index is None else min(index, place)
            self._keep_cursor_on(selected)
        self._changed(index)
        return new

    def remove_row(self, key: str) -> None:
        if key not in self._rows:
            return
        selected = self.selected_key()
        index = self._take_out(key)
        del self._rows[key]
        self._strips.drop(key)
        self._touched.add(key)
        self._keep_cursor_on(selected)
        self._changed(index)

    def clear(self) -> None:
        self._rows.clear()
        self._sort_keys.clear()
        self._order.clear()
        self._strips.clear()
        self._touched.clear()
        self.cursor_row = 0
        self._changed(0)

    def _take_out(self, key: str) -> int:
        sort_key = self._sort_keys.pop(key)
        index = bisect_left(self._order, (sort_key, key))
        del self._order[index]
        return index

    def _changed(self, index: int) -> None:
        """Row ``index`` changed (or rows from it on moved): repaint unless it is below the
        visible rows — most of a long line's comings and goings are."""
        if index <= int(self.scroll_y) + self.size.height:
            self._repaint = True
        self._schedule_settle()

    def recheck(self) -> None:
        """Repaint the visible lines whose rows would now be drawn differently (e.g. once a
        second, for wait times): rows whose state did not change cost nothing."""
        self._repaint = self._exact_thumb = True
        self._schedule_settle()

    def _schedule_settle(self) -> None:
        # A burst of changes (one frame's events) costs one resize and at most one repaint.
        if not self._settle_pending:
            self._settle_pending = True
            self.call_next(self.settle)

    def settle(self) -> None:
        """Resize and repaint for the changes so far now and tell the screen at once (a widget
        tells it when next idle, maybe after the screen ran its ``call_after_refresh``
        callbacks): a callback registered after this runs after the frame that shows them."""
        if self._settle_pending and self._settle() and self.is_attached:
            self.screen.post_message(messages.Update(self))

    def _settle(self) -> bool:  # True when lines were repainted
        self._settle_pending = False
        size = Size(self._width, len(self._order) + 1)
        if self.virtual_size != size:
            # Not through the reactive: a virtual size change would lay the whole screen out
            # again, every frame; only the scrollbar depends on it.
            self.set_reactive(ScrollView.virtual_size, size)
        exact, self._exact_thumb = self._exact_thumb, False
        if self.is_mounted:
            # Redrawing the scrollbar costs more than the rows: at once when it appears, goes
            # or its thumb moves a whole cell, to the eighth of a cell on the next recheck
            # (the once-a-second tick, a cursor move).
            window = self.container_size.height - self.scrollbar_size_horizontal
            thumb = thumb_span(window, size.height, self.scroll_y)
            if thumb_moved(self._thumb_shown, thumb, exact=exact):
                self._thumb_shown = thumb
                self._scroll_update(size)
        # Without a change at or above the last visible row, no touched row is on screen.
        repainted, self._repaint = self._repaint and self._repaint_changed_lines(), False
        self._touched.clear()
        return repainted

    def _line(self, row: int) -> Line:
        if row >= len(self._order):
            return None
        key = self._order[row][1]
        variant = 2 if row == self.cursor_row else row % 2
        return key, variant, self.row_state(self._rows[key])

    def _repaint_changed_lines(self) -> bool:
        """Refresh only the lines that would look different; Textual keeps the others'."""
        top, width = int(self.scroll_y), self.size.width
        now = ((y, self._line(top + y - 1)) for y in range(1, self.size.height))
        dirty = changed_lines(self._drawn, now, self._touched)
        # One region per run of consecutive lines: the compositor repaints just those.
        for first, count in runs(dirty):
            self.refresh(Region(0, first, width, count))
        return bool(dirty)

    # The cursor

    def selected_key(self) -> str | None:
        if not self._order:
            return None
        return self._order[min(self.cursor_row, len(self._order) - 1)][1]

    def select_key(self, key: str) -> None:
        if key in self._sort_keys:
            self.cursor_row = bisect_left(self._order, (self._sort_keys[key], key))
            self._scroll_to_cursor()

    def _keep_cursor_on(self, key: str | None) -> None:
        """Rows above the cursor came or went: stay on the same row, not the same index."""
        if key is not None and key in self._sort_keys:
            row = bisect_left(self._order, (self._sort_keys[key], key))
            if row != self.cursor_row:
                self.set_reactive(LiveTable.cursor_row, row)
        elif self.cursor_row >= len(self._order):
            self.set_reactive(LiveTable.cursor_row, max(0, len(self._order) - 1))

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self._order) - 1))

    def watch_cursor_row(self) -> None:
        self.recheck()  # the two lines the cursor left and reached
        self.post_message(self.RowHighlighted(self, self.selected_key()))

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        self.cursor_row += step
        self._scroll_to_cursor()

    def action_page(self, step: int) -> None:
        self.cursor_row += step * max(1, self.scrollable_content_region.height - 1)
        self._scroll_to_cursor()

    def action_first(self) -> None:
        self.cursor_row = 0
        self._scroll_to_cursor()

    def action_last(self) -> None:
        self.cursor_row = len(self._order) - 1
        self._scroll_to_cursor()

    def action_select(self) -> None:
        key = self.selected_key()
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def on_click(self, event: Click) -> None:
        if event.y == 0:
            return
        row = int(self.scroll_y) + event.y - 1
        if row < len(self._order):
            self.cursor_row = row
            if event.chain > 1:
                self.action_select()

    # Drawing

    def render_lines(self, crop: Region) -> list[Strip]:
        self._frame = (
            self.scrollable_content_region.width,
            self.get_component_rich_style("live-table--header"),
            self.rich_style,
            self.rich_style + self.get_component_rich_style("live-table--cursor"),
            self.rich_style + self.get_component_rich_style("live-table--even"),
        )
        strips = super().render_lines(crop)
        if len(self._strips) > 2 * self.size.height + CACHE_SLACK:
            # Keep the rows on screen; those scrolled past or moved away are drawn afresh.
            top = int(self.scroll_y)
            self._strips.keep_only({key for _, key in self._order[top : top + self.size.height]})
        return strips

    def render_line(self, y: int) -> Strip:
        frame = self._frame
        if frame is None:
            return Strip.blank(self.size.width)
        width, header, base, cursor, even = frame
        scroll_x = int(self.scroll_x)
        if y == 0:
            signature: Hashable = (header, scroll_x, width)
            if self._header is None or self._header[0] != signature:
                labels: list[object] = [_(label) for _key, label, _width in self.columns]
                self._header = (
                    signature,
                    self._fit(row_strip(self.columns, labels, header, self._width)),
                )
            return self._header[1]
        line = self._line(int(self.scroll_y) + y - 1)
        self._drawn[y] = line
        if line is None:
            return Strip.blank(width, base)
        key, variant, state = line
        style = (base, even, cursor)[variant]
        signature = (style, state, scroll_x, width)
        if state is not None and (strip := self._strips.get(key, signature)) is not None:
            return strip
        strip = self._fit(row_strip(self.columns, self.cells(self._rows[key]), style, self._width))
        if state is not None:
            self._strips.put(key, signature, strip)
        return strip

    def _fit(self, strip: Strip) -> Strip:
        """The part of a row's strip that the horizontal scroll shows, padded to the width."""
        assert self._frame is not None
        width, base, scroll_x = self._frame[0], self._frame[2], int(self.scroll_x)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, base)
