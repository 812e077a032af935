"""Snapshots of the invitation form (``pytake tui --invite CODE``) at 80x24 and 160x48, with no
network: nothing is sent until the form is submitted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from pytake_tui import build_app
from pytake_tui.screens.invitation import InvitationScreen

from .helpers import wait_until

SERVER = "http://pytake.invalid:8420"
CODE = "pti_Qm9vdHN0cmFwLWludml0YXRpb24tY29kZQ"
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


@pytest.mark.parametrize("size", SIZES)
def test_invitation_form(snap_compare: Any, credentials_path: Path, size: tuple[int, int]) -> None:
    """The code given on the command line, the name being typed, the passwords still empty."""
    app = build_app(server=SERVER, credentials_path=credentials_path, invite=CODE)

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: isinstance(app.screen, InvitationScreen), "the form")
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.press(*"Carla Dias")
        await pilot.pause()

    assert snap_compare(app, run_before=ready, terminal_size=size)


def test_invitation_form_refuses_a_short_password(
    snap_compare: Any, credentials_path: Path
) -> None:
    """A password under the rule's length: said under the form, before any request."""
    app = build_app(server=SERVER, credentials_path=credentials_path, invite=CODE)

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: isinstance(app.screen, InvitationScreen), "the form")
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.press(*"Carla Dias", "tab", *"short", "enter")
        await pilot.pause()

    assert snap_compare(app, run_before=ready, terminal_size=(80, 24))
