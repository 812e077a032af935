"""Snapshots of the backups screen (f8) and the Activity screen's backup widget, with fixed
data and clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_daemon.protocol import Role
from pytake_tui.screens import HomeScreen
from pytake_tui.widgets.backup_status import BackupStatus

from .backups_support import (
    BackupsClient,
    backups_app,
    empty,
    healthy,
    open_backups,
    overdue,
    person,
)
from .helpers import wait_until

SIZE = (120, 30)


def test_backups_healthy(snap_compare: Any, tmp_path: Path) -> None:
    """Daily backups, the latest drilled, an older one verified, a tenant backup; admin keys."""
    client = BackupsClient("x", healthy(), me=person(Role.ADMIN))

    async def ready(pilot: Pilot[Any]) -> None:
        await open_backups(pilot, 6)

    assert snap_compare(backups_app(tmp_path, client), run_before=ready, terminal_size=SIZE)


def test_backups_overdue_and_failed(snap_compare: Any, tmp_path: Path) -> None:
    """Overdue after two failed runs with their reason, a failed drill; a supervisor's keys."""
    client = BackupsClient("x", overdue(), me=person(Role.SUPERVISOR))

    async def ready(pilot: Pilot[Any]) -> None:
        await open_backups(pilot, 2)

    assert snap_compare(backups_app(tmp_path, client), run_before=ready, terminal_size=SIZE)


def test_backups_empty(snap_compare: Any, tmp_path: Path) -> None:
    """Nothing backed up yet, at 80x24."""
    client = BackupsClient("x", empty(), me=person(Role.ADMIN))

    async def ready(pilot: Pilot[Any]) -> None:
        await open_backups(pilot, 0)

    assert snap_compare(backups_app(tmp_path, client), run_before=ready, terminal_size=(80, 24))


def test_home_backup_widget(snap_compare: Any, tmp_path: Path) -> None:
    """The widget on the Activity screen of a supervisor, overdue."""
    client = BackupsClient("x", overdue(), me=person(Role.SUPERVISOR))
    app = backups_app(tmp_path, client)

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: app.client is not None, "session")
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
        widget = app.screen.query_one(BackupStatus)
        await wait_until(pilot, lambda: widget.health is not None, "the widget's health")
        await pilot.pause()

    assert snap_compare(app, run_before=ready, terminal_size=(80, 24))
