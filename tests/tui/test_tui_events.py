"""The app's event stream against a fake daemon: gaps, reconnects, revoked sessions."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import WSCloseCode
from textual.widgets import DataTable

from pytake_tui import PyTakeApp, build_app
from pytake_tui.connection import LinkState
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.messages import ConnectionStateChanged, ResyncNeeded
from pytake_tui.screens import ChatScreen, HelpScreen, HomeScreen, LoginScreen

from .fake_daemon import ALICE_EMAIL, FAR_FUTURE, FakeDaemon, user_changed_envelope
from .helpers import MessageLog, fast_client, wait_until


def _signed_in_app(daemon: FakeDaemon, credentials_path: Path) -> PyTakeApp:
    token = daemon.issue_token()
    CredentialStore(credentials_path).save(
        SavedSession(server=daemon.url, token=token, expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    return build_app(
        server=daemon.url, credentials_path=credentials_path, client_factory=fast_client
    )


def _connected(app: PyTakeApp, daemon: FakeDaemon, connections: int = 1) -> bool:
    return app.connection.state is LinkState.CONNECTED and daemon.ws_accepted == connections


async def test_gap_resyncs_and_a_server_close_reconnects(
    daemon: FakeDaemon, credentials_path: Path
) -> None:
    log = MessageLog()
    app = _signed_in_app(daemon, credentials_path)
    async with app.run_test(message_hook=log) as pilot:
        await wait_until(pilot, lambda: _connected(app, daemon), "the first connection")
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), "the activity screen")

        await daemon.send(user_changed_envelope(daemon.seq + 2))  # seq 11 never comes
        await wait_until(pilot, lambda: bool(log.of(ResyncNeeded)), "a resync")
        assert log.of(ResyncNeeded)[0].reason == "gap: expected 11, got 12"
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one("#activity", DataTable)
        await wait_until(pilot, lambda: table.row_count == 3, "hello, resync and event rows")

        seen = len(log.of(ConnectionStateChanged))
        await daemon.drop_sockets(WSCloseCode.GOING_AWAY)
        await wait_until(pilot, lambda: _connected(app, daemon, 2), "the reconnection")

        states = [m.status for m in log.of(ConnectionStateChanged)[seen:]]
        assert [s.state for s in states] == [
            LinkState.DISCONNECTED,
            LinkState.CONNECTING,
            LinkState.CONNECTED,
        ]
        assert states[0].reason == "server going away"
        assert states[0].label.startswith("disconnected — retrying in ")
        assert "reconnected" in [m.reason for m in log.of(ResyncNeeded)]
        assert app.sub_title == "connected"


async def test_revoked_token_closes_the_stream_and_returns_to_login(
    daemon: FakeDaemon, credentials_path: Path
) -> None:
    log = MessageLog()
    app = _signed_in_app(daemon, credentials_path)
    async with app.run_test(message_hook=log) as pilot:
        await wait_until(pilot, lambda: _connected(app, daemon), "the first connection")
        daemon.tokens.clear()
        await daemon.drop_sockets(WSCloseCode.POLICY_VIOLATION)
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), "login screen")
        # The stream's state follows the screen (its task ends after the switch): waited for,
        # not read at once (read at once, it was still "connected" once on a loaded machine).
        await wait_until(
            pilot, lambda: app.connection.state is LinkState.OFFLINE, "the stream closed"
        )
        assert any("please log in again" in n for n in log.notifications())
    assert CredentialStore(credentials_path).load(daemon.url) is None


async def test_401_at_websocket_upgrade_returns_to_login(
    daemon: FakeDaemon, credentials_path: Path
) -> None:
    app = _signed_in_app(daemon, credentials_path)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: _connected(app, daemon), "the first connection")
        daemon.tokens.clear()
        await daemon.drop_sockets(WSCloseCode.GOING_AWAY)  # the reconnect is then refused
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), "login screen")
        # The stream's state (and the sub-title it writes) follows the screen: waited for, so
        # the app doesn't exit with a title update pending (Textual's Header then queried a
        # HeaderTitle already removed, once under -n 2).
        await wait_until(
            pilot, lambda: app.connection.state is LinkState.OFFLINE, "the stream closed"
        )
        await pilot.pause()
        assert daemon.ws_refusals == 1


async def test_help_lists_keys_and_theme_toggles(
    daemon: FakeDaemon, credentials_path: Path
) -> None:
    app = _signed_in_app(daemon, credentials_path)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "chat screen")
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"

        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help screen")
        table = app.screen.query_one(DataTable)
        actions = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        expected = {"Search", "Template", "Resolve/reopen", "Next status filter", "Theme"}
        expected |= {"Help", "Quit", "Command palette", "Chat", "Activity", "Settings"}
        assert expected <= set(actions)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "chat again")

    # The theme is remembered on this machine.
    saved = json.loads(credentials_path.with_name("preferences.json").read_text())
    assert saved["theme"] == "textual-light"


async def test_command_palette_offers_every_destination_and_action(
    daemon: FakeDaemon, credentials_path: Path
) -> None:
    app = _signed_in_app(daemon, credentials_path)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "chat screen")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Log out", "Help", "Toggle theme", "Quit"} <= titles
        assert {"Go to Chat (f2)", "Go to Activity (f3)", "Go to Settings (f10)"} <= titles
        assert {"Search", "Template", "Resolve/reopen"} <= titles
