"""Snapshot of Settings → Server at 80x24, fixed data and clock (the Admin tab's is
``test_insights_snapshots.py::test_ai_settings_page``, whose fake answers the AI settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_tui.screens import SettingsScreen

from .chat_support import chat_ready, scripted_app
from .fake_world import demo_world
from .helpers import wait_until

SIZE = (80, 24)


def _on_tab(tab: str) -> Any:
    async def ready(pilot: Pilot[Any]) -> None:
        await chat_ready(pilot, 4)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen), "settings")
        await pilot.click(f"#--content-tab-{tab}")
        await pilot.pause()

    return ready


def test_settings_server(snap_compare: Any, tmp_path: Path) -> None:
    """The server's address and the link's state on its own line (it had no room before)."""
    assert snap_compare(
        scripted_app(tmp_path, demo_world()), run_before=_on_tab("server"), terminal_size=SIZE
    )
