"""Snapshots of the agent dashboard with fixed data and clock: a worked morning at 80x24 (each
tab), a new agent's first day, and a supervisor's wide terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_daemon.protocol import Role
from pytake_tui.screens.dashboard import PAGE

from .dashboard_support import busy_world, dashboard_app, dashboard_ready, me_as, new_world

SIZE = (80, 24)


def _on_tab(tab: str, entries: int = PAGE) -> Any:
    async def ready(pilot: Pilot[Any]) -> None:
        await dashboard_ready(pilot, entries)
        if tab:
            await pilot.press(tab)
        await pilot.pause()

    return ready


def test_dashboard_loaded(snap_compare: Any, tmp_path: Path) -> None:
    """Today, week and month cards, goals (one reached, one with a deadline), achievements."""
    app = dashboard_app(tmp_path, busy_world())
    assert snap_compare(app, run_before=_on_tab(""), terminal_size=SIZE)


def test_dashboard_charts(snap_compare: Any, tmp_path: Path) -> None:
    """Messages per hour on top; the other charts below it (scrolling) at 80x24."""
    app = dashboard_app(tmp_path, busy_world())
    assert snap_compare(app, run_before=_on_tab("2"), terminal_size=SIZE)


def test_dashboard_timeline(snap_compare: Any, tmp_path: Path) -> None:
    """Every kind of entry, with customers' names, and the line that loads older ones."""
    app = dashboard_app(tmp_path, busy_world())
    assert snap_compare(app, run_before=_on_tab("3"), terminal_size=SIZE)


def test_dashboard_new_agent(snap_compare: Any, tmp_path: Path) -> None:
    """Nothing yet: zeros and dashes, no goals, an empty timeline; offline."""
    app = dashboard_app(tmp_path, new_world())
    assert snap_compare(app, run_before=_on_tab("", 0), terminal_size=SIZE)


def test_dashboard_supervisor_wide(snap_compare: Any, tmp_path: Path) -> None:
    """A supervisor (the agent picker) on a wide terminal: the three charts side by side."""
    app = dashboard_app(tmp_path, busy_world(), me=me_as(Role.SUPERVISOR))
    assert snap_compare(app, run_before=_on_tab("2"), terminal_size=(120, 35))
