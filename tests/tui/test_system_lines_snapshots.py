"""Snapshots of a conversation's life in the thread (issue 17), with fixed data and clock: the
system lines among Ana's messages, who attends each conversation on the list rows (``→ Alice
Example · Support``) and in the header, at 160x48 and at 80x24."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_tui.widgets.system_line import SystemLine

from .chat_actions_support import actions_app
from .chat_support import open_first, still_cursors
from .helpers import wait_until
from .system_lines_support import life_world


async def _open_ana(pilot: Pilot[Any], first_shown: int) -> None:
    """Ana's thread scrolled so the ``first_shown``-th system line is at the top."""
    app = pilot.app
    chat = await open_first(pilot, bubbles=10)
    await wait_until(pilot, lambda: len(chat.query(SystemLine)) == 7, "her system lines")
    await wait_until(pilot, lambda: app.title == "PyTake (1)", "the unread count")
    line = list(chat.query(SystemLine))[first_shown]
    chat.query_one("#thread").scroll_to_widget(line, animate=False, top=True)
    await pilot.pause()
    still_cursors(pilot)


def test_thread_system_lines_wide(snap_compare: Any, tmp_path: Path) -> None:
    """Queued, taken, closed, rated, reopened, assigned past capacity, among the bubbles."""
    app, _ = actions_app(tmp_path, life_world())

    async def ready(pilot: Pilot[Any]) -> None:
        await _open_ana(pilot, 0)

    assert snap_compare(app, run_before=ready, terminal_size=(160, 48))


def test_thread_system_lines_narrow(snap_compare: Any, tmp_path: Path) -> None:
    """At 80x24: the rating, the reopening and the override's line, wrapped where it must."""
    app, _ = actions_app(tmp_path, life_world())

    async def ready(pilot: Pilot[Any]) -> None:
        await _open_ana(pilot, 3)

    assert snap_compare(app, run_before=ready, terminal_size=(80, 24))
