"""How :class:`~pytake_tui.widgets.live_table.LiveTable` draws rows and keeps them between
frames: a row's strip from its cells, a small cache of each row's recent strips, the scrollbar
thumb's geometry and runs of dirty lines. No Textual widget state here, only values."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from math import ceil

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

Column = tuple[str, str, int]
"""(key, label, width in cells)."""
Line = tuple[str, int, Hashable] | None
"""What a screen line shows: row key, variant (plain, zebra, cursor), row state; None: no row."""
PADDING = 1
CACHE_SLACK = 16
"""Rows kept beyond the visible ones before the strip cache is trimmed."""
VARIANTS_KEPT = 3
"""Strips kept per row: a row moving up one line at a time alternates between the zebra
stripes, and the cursor may sit on it."""
EIGHTHS = 8
"""Textual draws a scrollbar's thumb ends to the eighth of a cell."""


def plain_and_style(cell: object) -> tuple[str, str | Style]:
    if isinstance(cell, str):
        return cell, ""
    rich = getattr(cell, "__rich__", None)
    value = rich() if rich is not None else cell
    if isinstance(value, Text):
        return value.plain, value.style
    return str(value), ""


def row_strip(columns: list[Column], cells: list[object], base: Style, width: int) -> Strip:
    """One line: each cell padded and cut to its column, its style over the row's ``base``."""
    segments: list[Segment] = []
    pad = " " * PADDING
    for (_, _, cell_width), cell in zip(columns, cells, strict=True):
        text, style = plain_and_style(cell)
        cell_style = Style.parse(style) if isinstance(style, str) else style
        segments.append(Segment(pad + set_cell_size(text, cell_width) + pad, base + cell_style))
    return Strip(segments, width)


class StripCache:
    """Each row's latest strips by what they were drawn from (a signature: style, row state,
    scroll, width). Returning the same Strip object also lets Textual reuse what it derived
    from it (its crops, styles and divisions are cached on the strip)."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[Hashable, Strip]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: str, signature: Hashable) -> Strip | None:
        kept = self._rows.get(key)
        return None if kept is None else kept.get(signature)

    def put(self, key: str, signature: Hashable, strip: Strip) -> None:
        kept = self._rows.setdefault(key, {})
        if len(kept) >= VARIANTS_KEPT:
            del kept[next(iter(kept))]  # the oldest
        kept[signature] = strip

    def drop(self, key: str) -> None:
        self._rows.pop(key, None)

    def clear(self) -> None:
        self._rows.clear()

    def keep_only(self, keys: set[str]) -> None:
        self._rows = {key: kept for key, kept in self._rows.items() if key in keys}


def thumb_span(window: int, lines: int, position: float) -> tuple[int, int] | None:
    """The ends of a vertical scrollbar's thumb in eighths of a cell, as Textual's
    ScrollBarRender computes them for ``lines`` of content seen through ``window`` lines
    scrolled to ``position``; None when the content fits (no scrollbar)."""
    if window <= 0 or lines <= window:
        return None
    thumb = max(1.0, window * window / lines)
    start = int((window - thumb) * position / (lines - window) * EIGHTHS)
    return start, start + ceil(thumb * EIGHTHS)


def thumb_moved(shown: tuple[int, int] | None, now: tuple[int, int] | None, *, exact: bool) -> bool:
    """Whether to redraw the scrollbar: when it appears or goes, when the thumb moved a whole
    cell, or (``exact``) when it moved at all."""
    if now == shown:
        return False
    if exact or now is None or shown is None:
        return True
    return max(abs(now[0] - shown[0]), abs(now[1] - shown[1])) >= EIGHTHS


def changed_lines(
    drawn: dict[int, Line], now: Iterable[tuple[int, Line]], touched: set[str]
) -> list[int]:
    """The screen lines (``now``: each with what it would show) that differ from what was
    drawn on them: another row, variant or state, or a row given new data (``touched``). A row
    without a state (never cached) counts as changed."""
    return [
        y
        for y, line in now
        if y not in drawn
        or line != drawn[y]
        or (line is not None and (line[2] is None or line[0] in touched))
    ]


def runs(lines: list[int]) -> Iterator[tuple[int, int]]:
    """``(first, count)`` for each run of consecutive numbers in the sorted ``lines``."""
    start = 0
    for n, line in enumerate(lines):
        if n + 1 == len(lines) or lines[n + 1] != line + 1:
            yield lines[start], line - lines[start] + 1
            start = n + 1
