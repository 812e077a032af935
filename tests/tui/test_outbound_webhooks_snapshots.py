"""Snapshots of the outbound webhooks screen, fixed data and clock, at 160x48 and 80x24."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_daemon.protocol import Role

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
