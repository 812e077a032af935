"""Snapshots of Admin → E-mail (SMTP) at 160x48 and 80x24, with fixed data and no network: the
saved server (its password only as "set"), and the daemon's refusal under each field."""

from __future__ import annotations

from typing import Any, cast

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from pytake_daemon.protocol.common import ProblemField
from pytake_daemon.protocol.notifications import SmtpSettingsOut
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.screens.smtp_settings import SmtpSettingsScreen

from .chat_support import still_cursors
from .helpers import wait_until

SIZES = [pytest.param((160, 48), id="160x48"), pytest.param((80, 24), id="80x24")]
SAVED = SmtpSettingsOut(
    host="smtp.loja.test", port=587, security="starttls", username="atendimento",
    password_set=True, from_address="atendimento@loja.test",
)  # fmt: skip
# The daemon's own words for these inputs (tests/tui/test_smtp_settings.py gets them live).
REFUSED = DaemonError(
    422,
    "Unprocessable Entity",
    "the request body is not valid",
    fields=(
        ProblemField(loc="body.host", msg="String should match pattern "
                     "'^[A-Za-z0-9][A-Za-z0-9.:-]*$'", type="string_pattern_mismatch"),
        ProblemField(loc="body.port", msg="Input should be a valid integer",
                     type="int_type"),
    ),
)  # fmt: skip


class FixedSmtpClient:
    """The two calls the page makes; a save is refused as the daemon refuses it."""

    async def smtp_settings(self) -> SmtpSettingsOut:
        return SAVED

    async def put_smtp_settings(self, document: dict[str, Any]) -> SmtpSettingsOut:
        raise REFUSED


class SmtpApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.page = SmtpSettingsScreen(client=cast("DaemonClient", FixedSmtpClient()))

    def on_mount(self) -> None:
        self.push_screen(self.page)


async def _loaded(pilot: Pilot[Any]) -> SmtpSettingsScreen:
    app = pilot.app
    assert isinstance(app, SmtpApp)
    await wait_until(pilot, lambda: app.page.loaded == 1, "the settings read")
    return app.page


@pytest.mark.parametrize("size", SIZES)
def test_smtp_page(snap_compare: Any, size: tuple[int, int]) -> None:
    """The saved server; the password field empty, its placeholder saying one is set."""

    async def ready(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        await pilot.pause()
        still_cursors(pilot)

    assert snap_compare(SmtpApp(), run_before=ready, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_smtp_page_refused(snap_compare: Any, size: tuple[int, int]) -> None:
    """A save the daemon refuses: each sentence under its field."""

    async def ready(pilot: Pilot[Any]) -> None:
        page = await _loaded(pilot)
        page.query_one("#field-host", Input).value = "smtp loja"
        page.query_one("#field-port", Input).value = "tls"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: page.query_one("#error-port").display, "the refusal")
        page.query_one("#field-host", Input).focus()
        await pilot.pause()
        still_cursors(pilot)

    assert snap_compare(SmtpApp(), run_before=ready, terminal_size=size)
