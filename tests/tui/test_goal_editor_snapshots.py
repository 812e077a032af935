"""Snapshots of the supervisor's goal editor (``e`` on the dashboard), fixed data and clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from pytake_daemon.protocol import Role
from pytake_tui.screens.dashboard import PAGE
from pytake_tui.screens.goal_editor import GoalEditor

from .chat_support import still_cursors
from .dashboard_support import busy_world, dashboard_app, dashboard_ready, me_as
from .helpers import wait_until


def _editing(first_goal: bool) -> Any:
    async def ready(pilot: Pilot[Any]) -> None:
        await dashboard_ready(pilot, PAGE)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, GoalEditor), "the editor")
        if first_goal:
            pilot.app.screen.query_one("#goal-list", DataTable).focus()
            await pilot.press("enter")
        await pilot.pause()
        still_cursors(pilot)

    return ready


def test_goal_editor_new(snap_compare: Any, tmp_path: Path) -> None:
    """The agent's goals listed, the form empty for a new one."""
    app = dashboard_app(tmp_path, busy_world(), me=me_as(Role.SUPERVISOR))
    assert snap_compare(app, run_before=_editing(False), terminal_size=(100, 32))


def test_goal_editor_change_at_80x24(snap_compare: Any, tmp_path: Path) -> None:
    """Enter on a goal: its target, period and deadline in the form; kind and scope fixed."""
    app = dashboard_app(tmp_path, busy_world(), me=me_as(Role.SUPERVISOR))
    assert snap_compare(app, run_before=_editing(True), terminal_size=(80, 24))
