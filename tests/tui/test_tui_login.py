"""Logging in, resuming a saved session and logging out, against a fake daemon."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from textual.widgets import Input

from pytake_tui import build_app
from pytake_tui.connection import LinkState
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens import ChatScreen, HomeScreen, LoginScreen

from .fake_daemon import ALICE_EMAIL, ALICE_PASSWORD, FAR_FUTURE, FakeDaemon
from .helpers import MessageLog, fast_client, wait_until


def _fill(screen: LoginScreen, **values: str) -> None:
    for field_id, value in values.items():
        screen.query_one(f"#{field_id}", Input).value = value


async def test_login_shows_home_and_saves_a_private_token(
    daemon: FakeDaemon, credentials_path: Path
) -> None:
    app = build_app(
        server=daemon.url, credentials_path=credentials_path, client_factory=fast_client
    )
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), "login screen")
        assert isinstance(app.screen, LoginScreen)
        _fill(app.screen, email=ALICE_EMAIL, password=ALICE_PASSWORD)
        app.screen.query_one("#password", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "chat screen")
        await wait_until(
            pilot, lambda: app.connection.state is LinkState.CONNECTED, "the event stream"
        )
        assert app.sub_title == "connected"
        assert app.me is not None
        assert app.me.email == ALICE_EMAIL

    assert stat.S_IMODE(credentials_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials_path.parent.stat().st_mode) == 0o700
    saved = json.loads(credentials_path.read_text())["sessions"][daemon.url]
    assert saved["token"] in daemon.tokens
    assert saved["email"] == ALICE_EMAIL


async def test_wrong_password_toasts_the_problem_and_stays(
    daemon: FakeDaemon, credentials_path: Path
) -> None:
    log = MessageLog()
    app = build_app(
        server=daemon.url, credentials_path=credentials_path, client_factory=fast_client
    )
    async with app.run_test(message_hook=log) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), "login screen")
        assert isinstance(app.screen, LoginScreen)
        _fill(app.screen, email=ALICE_EMAIL, password="pw-wrong")
        await pilot.click("#login")
        await wait_until(pilot, lambda: bool(log.notifications()), "a notification")

        assert log.notifications() == [
            "Login failed: Invalid credentials: wrong e-mail or password"
        ]
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#password", Input).value == ""
    assert not credentials_path.exists()


async def test_unreachable_server_is_one_line_not_a_traceback(credentials_path: Path) -> None:
    log = MessageLog()
    # Port 9 (discard) on loopback: nothing listens there in the test environment.
    app = build_app(
        server="http://127.0.0.1:9", credentials_path=credentials_path, client_factory=fast_client
    )
    async with app.run_test(message_hook=log) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), "login screen")
        assert isinstance(app.screen, LoginScreen)
        _fill(app.screen, email=ALICE_EMAIL, password=ALICE_PASSWORD)
        await pilot.click("#login")
        await wait_until(pilot, lambda: bool(log.notifications()), "a notification")

        (toast,) = log.notifications()
        assert toast.startswith("Login failed: cannot reach http://127.0.0.1:9")
        assert "\n" not in toast
        assert isinstance(app.screen, LoginScreen)


async def test_saved_session_resumes_and_logout_forgets_it(
    daemon: FakeDaemon, credentials_path: Path
) -> None:
    store = CredentialStore(credentials_path)
    token = daemon.issue_token()
    store.save(
        SavedSession(server=daemon.url, token=token, expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    app = build_app(server=None, credentials_path=credentials_path, client_factory=fast_client)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "chat screen")
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), "activity screen")
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), "login screen")
        assert app.connection.state is LinkState.OFFLINE

    assert daemon.logouts == 1
    assert token not in daemon.tokens
    assert store.load(daemon.url) is None


async def test_revoked_saved_token_goes_to_login_with_a_toast(
    daemon: FakeDaemon, credentials_path: Path
) -> None:
    store = CredentialStore(credentials_path)
    store.save(
        SavedSession(server=daemon.url, token="revoked", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    log = MessageLog()
    app = build_app(
        server=daemon.url, credentials_path=credentials_path, client_factory=fast_client
    )
    async with app.run_test(message_hook=log) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), "login screen")
        await wait_until(pilot, lambda: bool(log.notifications()), "a notification")
        assert "please log in again" in log.notifications()[0]
        # The e-mail is remembered for the form even though the session is not.
        assert app.screen.query_one("#email", Input).value == ALICE_EMAIL
    assert store.load(daemon.url) is None


async def test_keys_typed_in_a_field_do_not_trigger_app_bindings(credentials_path: Path) -> None:
    app = build_app(server="http://127.0.0.1:9", credentials_path=credentials_path)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), "login screen")
        await pilot.press("q", "question_mark")
        assert app.screen.query_one("#email", Input).value == "q?"
        assert isinstance(app.screen, LoginScreen)
