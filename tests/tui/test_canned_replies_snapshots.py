"""Snapshots of the canned responses screen (f12) with fixed replies and clock: an agent's list
at 80x24, a supervisor's at 160x48, and the editor on a narrow terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_daemon.protocol import Role
from pytake_tui.screens.canned_replies_dialogs import ReplyEditor

from .canned_replies_support import RepliesWorld, replies_app, replies_ready
from .helpers import wait_until


async def _listed(pilot: Pilot[Any]) -> None:
    await replies_ready(pilot)


async def _editing(pilot: Pilot[Any]) -> None:
    await replies_ready(pilot)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ReplyEditor), "the editor")
    await pilot.pause()


def test_canned_replies_agent(snap_compare: Any, tmp_path: Path) -> None:
    """An agent: their own two first, then the team's; the first one's text under the list."""
    app = replies_app(tmp_path, RepliesWorld())
    assert snap_compare(app, run_before=_listed, terminal_size=(80, 24))


def test_canned_replies_supervisor_wide(snap_compare: Any, tmp_path: Path) -> None:
    """A supervisor on a wide terminal: every department's replies, s (share) in the footer."""
    app = replies_app(tmp_path, RepliesWorld(), role=Role.SUPERVISOR)
    assert snap_compare(app, run_before=_listed, terminal_size=(160, 48))


def test_canned_reply_editor(snap_compare: Any, tmp_path: Path) -> None:
    """The editor on the agent's own reply at 80x24: the scope is fixed to theirs."""
    app = replies_app(tmp_path, RepliesWorld())
    assert snap_compare(app, run_before=_editing, terminal_size=(80, 24))
