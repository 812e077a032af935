"""Snapshots of the outbound webhooks screen, fixed data and clock, at 160x48 and 80x24."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from pytake_daemon.protocol import Role
from pytake_tui.screens.outbound_webhooks_form import EndpointFormDialog, WebhookSecretDialog

from .helpers import wait_until
from .outbound_webhooks_support import WebhooksClient, open_webhooks, person, webhooks_app


def test_outbound_webhooks_wide(snap_compare: Any, tmp_path: Path) -> None:
    """Two endpoints (one disabled by a 410), the CRM's deliveries: delivered, retrying, dead."""
    app = webhooks_app(tmp_path, WebhooksClient("x", me=person(Role.ADMIN)))

    async def ready(pilot: Pilot[Any]) -> None:
        await open_webhooks(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=(160, 48))


def test_outbound_webhooks_dead_letters_narrow(snap_compare: Any, tmp_path: Path) -> None:
    """The dead letters at 80x24."""
    app = webhooks_app(tmp_path, WebhooksClient("x", me=person(Role.ADMIN)))

    async def ready(pilot: Pilot[Any]) -> None:
        screen = await open_webhooks(pilot)
        loads = screen.loads
        await pilot.press("d")
        await wait_until(pilot, lambda: screen.loads > loads, "the dead letters")
        await pilot.pause()

    assert snap_compare(app, run_before=ready, terminal_size=(80, 24))


async def _steady(pilot: Pilot[Any]) -> None:
    # A blinking cursor would make the picture depend on timing.
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_endpoint_form_refused_wide(snap_compare: Any, tmp_path: Path) -> None:
    """A new endpoint with a URL the daemon's SSRF guard refuses: the reason under the URL."""
    app = webhooks_app(tmp_path, WebhooksClient("x", me=person(Role.ADMIN)))

    async def ready(pilot: Pilot[Any]) -> None:
        await open_webhooks(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, EndpointFormDialog), "form")
        dialog = app.screen
        await wait_until(pilot, lambda: bool(dialog.query("#field-url")), "the fields")
        dialog.query_one("#field-url", Input).value = "https://10.0.0.7/hooks"
        dialog.query_one("#field-description", Input).value = "the ERP"
        await pilot.press("ctrl+s")
        error = dialog.query_one("#error-url", Static)
        await wait_until(pilot, lambda: error.display, "the refusal")
        await _steady(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=(160, 48))


def test_endpoint_form_change_narrow(snap_compare: Any, tmp_path: Path) -> None:
    """The CRM's form at 80x24: its URL kept, its events ticked."""
    app = webhooks_app(tmp_path, WebhooksClient("x", me=person(Role.ADMIN)))

    async def ready(pilot: Pilot[Any]) -> None:
        await open_webhooks(pilot)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, EndpointFormDialog), "form")
        await wait_until(pilot, lambda: bool(app.screen.query("#field-url")), "the fields")
        await _steady(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=(80, 24))


def test_endpoint_secret_shown_once_narrow(snap_compare: Any, tmp_path: Path) -> None:
    """The new endpoint's secret at 80x24, selected to copy."""
    app = webhooks_app(tmp_path, WebhooksClient("x", me=person(Role.ADMIN)))

    async def ready(pilot: Pilot[Any]) -> None:
        await open_webhooks(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, EndpointFormDialog), "form")
        dialog = app.screen
        await wait_until(pilot, lambda: bool(dialog.query("#field-url")), "the fields")
        dialog.query_one("#field-url", Input).value = "https://erp.example.com/in"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, WebhookSecretDialog), "secret")
        await _steady(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=(80, 24))
