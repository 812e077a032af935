"""Snapshots of Admin → API tokens at 160x48 and 80x24 (fixed data and clock), and the new
token dialog with its errors under the fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, SelectionList

from pytake_tui.screens.api_token_dialogs import NewTokenDialog
from pytake_tui.screens.api_tokens import ApiTokensScreen

from .admin_support import admin_ready, session_of, shown
from .api_tokens_support import tokens_app
from .helpers import wait_until

SIZES = [pytest.param((160, 48), id="160x48"), pytest.param((80, 24), id="80x24")]


async def _page(pilot: Pilot[Any]) -> ApiTokensScreen:
    await admin_ready(pilot)
    screen = ApiTokensScreen(client=session_of(pilot.app).client)
    await shown(pilot, screen)
    return screen


@pytest.mark.parametrize("size", SIZES)
def test_api_tokens_page(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """Three API tokens with owner, scopes, created, last used and expiry; no session."""

    async def ready(pilot: Pilot[Any]) -> None:
        await _page(pilot)

    assert snap_compare(tokens_app(tmp_path), run_before=ready, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_new_token_dialog_errors(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """n, then Create with no name, no scope and 0 days: each error under its field."""

    async def ready(pilot: Pilot[Any]) -> None:
        await _page(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NewTokenDialog), "dialog")
        dialog = pilot.app.screen
        assert isinstance(dialog, NewTokenDialog)
        dialog.query_one("#token-scopes", SelectionList).deselect_all()
        dialog.query_one("#token-ttl", Input).value = "0"
        # A blinking cursor would make the picture depend on timing: keep it steady.
        dialog.query_one("#token-name", Input).cursor_blink = False
        assert dialog.request() is None
        await pilot.pause()

    assert snap_compare(tokens_app(tmp_path), run_before=ready, terminal_size=size)
