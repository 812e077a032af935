"""Typing ahead on the login form: keys land where they were typed, whatever the timing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Input

from pytake_daemon.protocol import Me
from pytake_tui import build_app
from pytake_tui.client import DaemonClient
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens import ChatScreen, LoginScreen, SplashScreen

from .fake_daemon import ALICE_EMAIL, ALICE_PASSWORD, FAR_FUTURE, FakeDaemon
from .helpers import FAST, fast_client, wait_until


async def test_email_tab_password_typed_at_once_log_in(
    daemon: FakeDaemon, credentials_path: Path
) -> None:
    app = build_app(
        server=daemon.url, credentials_path=credentials_path, client_factory=fast_client
    )
    async with app.run_test() as pilot:
        await pilot.press(*ALICE_EMAIL, "tab", *ALICE_PASSWORD)
        assert app.screen.query_one("#email", Input).value == ALICE_EMAIL
        assert app.screen.query_one("#password", Input).value == ALICE_PASSWORD
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")


class _HeldResume(DaemonClient):
    """Answers ``/auth/me`` only once the test lets it: the splash stays up meanwhile."""

    gate: asyncio.Event

    async def me(self) -> Me:
        await self.gate.wait()
        return await super().me()


async def test_keys_typed_while_the_saved_session_is_checked_reach_the_form(
    daemon: FakeDaemon, credentials_path: Path
) -> None:
    # An expired session: the e-mail it remembers is not the one being typed.
    old = SavedSession(server=daemon.url, token="gone", expires_at=FAR_FUTURE, email="old@x.io")
    CredentialStore(credentials_path).save(old)
    gate = asyncio.Event()

    def held(server: str) -> DaemonClient:
        client = _HeldResume(server, reconnect=FAST)
        client.gate = gate
        return client

    app = build_app(server=daemon.url, credentials_path=credentials_path, client_factory=held)
    async with app.run_test() as pilot:
        assert isinstance(app.screen, SplashScreen)
        await pilot.press(*ALICE_EMAIL, "tab", *ALICE_PASSWORD)
        gate.set()
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), "the form")
        await pilot.pause()
        assert app.screen.query_one("#email", Input).value == ALICE_EMAIL
        assert app.screen.query_one("#password", Input).value == ALICE_PASSWORD
        assert app.screen.focused is app.screen.query_one("#password", Input)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")
