"""A refusal longer than the login form is wide is wrapped under the form, not cut, against the
real daemon (issue 19's walkthrough: "Check the form: email: String should have at least 3"
lost its last word). The console words the refusals itself now, shorter than pydantic did, so
two fields are refused."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from pytake_tui import build_app
from pytake_tui.screens import LoginScreen
from tests.conftest import ApiClient

from .helpers import wait_until


async def test_a_long_refusal_is_wrapped_not_cut(api: ApiClient, tmp_path: Path) -> None:
    server = str(api.make_url("")).rstrip("/")
    app = build_app(server=server, credentials_path=tmp_path / "credentials.json")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), "login screen")
        screen = app.screen
        screen.query_one("#email", Input).value = "a"  # the daemon's 422: too short
        password = screen.query_one("#password", Input)
        password.value = "x" * 1100  # too long as well: both refusals are listed
        password.focus()
        await pilot.press("enter")
        status = screen.query_one("#status", Static)
        await wait_until(pilot, lambda: status.has_class("-error"), "the refusal")
        await pilot.pause()
        text = str(status.render())
        assert "email" in text
        assert "password" in text
        assert len(text) > status.size.width  # longer than one line of the form
        lines = -(-len(text) // status.size.width)
        assert status.size.height >= lines
