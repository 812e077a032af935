"""Snapshots of the notification preferences form (``p`` in the center), with fixed data and
clock: the owner's form (with the tenant-defaults switch) at 160x48 and 80x24."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from .helpers import wait_until
from .notifications_support import NotificationsClient, inbox, notifications_app, open_center


async def open_preferences(pilot: Pilot[Any]) -> None:
    from pytake_tui.screens.notification_preferences import NotificationPreferencesScreen

    await open_center(pilot, 5)
    await pilot.press("p")
    app = pilot.app
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, NotificationPreferencesScreen) and app.screen.loaded,
        "the form filled",
    )
    await pilot.pause()


def test_notification_preferences_wide(snap_compare: Any, tmp_path: Path) -> None:
    """Every category's four switches, the zone and its clock, quiet hours, do-not-disturb in
    São Paulo time, the cap, the daily digest, Save / Reset."""
    app = notifications_app(tmp_path, NotificationsClient(inbox()))
    assert snap_compare(app, run_before=open_preferences, terminal_size=(160, 48))


def test_notification_preferences_narrow(snap_compare: Any, tmp_path: Path) -> None:
    """The same form in a small terminal: it scrolls, nothing overlaps."""
    app = notifications_app(tmp_path, NotificationsClient(inbox()))
    assert snap_compare(app, run_before=open_preferences, terminal_size=(80, 24))
