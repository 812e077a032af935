"""Snapshots of the notification center (f11), with fixed data and clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from .notifications_support import NotificationsClient, inbox, notifications_app, open_center


def test_notification_center(snap_compare: Any, tmp_path: Path) -> None:
    """Unread rows bold, severities coloured, yesterday's row dated; the bell counts 4."""
    client = NotificationsClient(inbox())

    async def ready(pilot: Pilot[Any]) -> None:
        await open_center(pilot, 5)

    app = notifications_app(tmp_path, client)
    assert snap_compare(app, run_before=ready, terminal_size=(80, 24))


def test_notification_center_selection(snap_compare: Any, tmp_path: Path) -> None:
    """Two rows marked with a dot (space), the filter line counts them, the footer's keys."""
    client = NotificationsClient(inbox())

    async def ready(pilot: Pilot[Any]) -> None:
        screen = await open_center(pilot, 5)
        screen.query_one("#notification-list").focus()
        await pilot.press("space", "down", "down", "space")
        await pilot.pause()

    app = notifications_app(tmp_path, client)
    assert snap_compare(app, run_before=ready, terminal_size=(120, 24))
