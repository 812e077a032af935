"""Snapshots of the login and home screens, with no network and fixed data."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from pytake_tui import build_app
from pytake_tui.connection import LinkState
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens import HomeScreen, LoginScreen

from .fake_daemon import (
    ALICE_EMAIL,
    FAR_FUTURE,
    FIXED_AT,
    ScriptedClient,
    hello_envelope,
    user_changed_envelope,
)
from .helpers import wait_until

# Nothing listens there, and nothing tries: without a saved session the app makes no request.
SERVER = "http://pytake.invalid:8420"


async def _still_cursor(pilot: Pilot[Any]) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


def test_login_screen(snap_compare: Any, credentials_path: Path) -> None:
    """The login form for a server with no saved session."""
    app = build_app(server=SERVER, credentials_path=credentials_path)

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LoginScreen), "login")
        await _still_cursor(pilot)

    assert snap_compare(app, run_before=ready)


def test_home_screen(snap_compare: Any, credentials_path: Path) -> None:
    """Home after resuming a saved session: identity, connection and two events."""
    CredentialStore(credentials_path).save(
        SavedSession(server=SERVER, token="saved-token", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    envelopes = [hello_envelope(41), user_changed_envelope(42, FIXED_AT + timedelta(seconds=5))]
    app = build_app(
        server=SERVER,
        credentials_path=credentials_path,
        client_factory=lambda server: ScriptedClient(server, envelopes),
        clock=lambda: FIXED_AT,
    )

    def shown() -> bool:
        if not isinstance(app.screen, HomeScreen):
            return False
        table = app.screen.query_one("#activity", DataTable)
        return table.row_count == 2 and app.connection.state is LinkState.CONNECTED

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: app.connection.state is LinkState.CONNECTED, "stream")
        await pilot.press("f3")
        await wait_until(pilot, shown, "home screen with two events")

    assert snap_compare(app, run_before=ready)
