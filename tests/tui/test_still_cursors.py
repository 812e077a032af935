"""``still_cursors`` leaves a focused TextArea's cursor drawn, whatever the blink was doing.

Textual's TextArea caches its lines under a key that includes the cursor only while it blinks:
after a blink tick hid it, turning the blink off reused the cursor-less line, and a chat
snapshot under load lacked the draft's cursor. Here the tick is made to happen first.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import TextArea

from .chat_support import still_cursors

_CURSOR = "#e0e0e0"  # the cursor cell's colour in the default theme's snapshots


class _Draft(App[None]):
    def compose(self) -> ComposeResult:
        yield TextArea("olá", id="draft")


async def _cursor_cells(blink_tick_first: bool, *, focused: bool = True) -> int:
    app = _Draft()
    async with app.run_test(size=(40, 5)) as pilot:
        area = app.query_one(TextArea)
        if focused:
            area.focus()
        else:
            area.blur()
        await pilot.pause()
        if blink_tick_first:
            area._toggle_cursor_blink_visible()  # what the blink timer does: hide the cursor
            await pilot.pause()
        still_cursors(pilot)
        await pilot.pause()
        assert area.has_focus is focused
        svg: Any = app.export_screenshot()
        return str(svg).count(_CURSOR)


async def test_a_steady_cursor_is_drawn_even_after_a_blink_hid_it() -> None:
    drawn = await _cursor_cells(blink_tick_first=False)
    assert drawn > await _cursor_cells(blink_tick_first=False, focused=False)
    assert await _cursor_cells(blink_tick_first=True) == drawn
