"""Snapshots of the leaderboard (ctrl+k) at 160x48 and 80x24, fixed data and clock (Lisbon):
the week for everyone with my row marked, a queue's month, and the screen turned off."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from pytake_tui.screens.challenge_dialog import ChallengeDialog
from pytake_tui.screens.challenge_manager import ChallengeManager
from pytake_tui.screens.leaderboard import LeaderboardScreen

from .chat_support import still_cursors
from .helpers import wait_until
from .leaderboard_support import SUPPORT, board_shown, leaderboard_app, leaderboard_ready

WIDE = (160, 48)
NARROW = (80, 24)


async def _week(pilot: Pilot[Any]) -> None:
    # Straight from the chat (the first screen): no other screen's reads in the picture.
    await leaderboard_ready(pilot, key=False)


def _keys(*keys: str, until: Callable[[LeaderboardScreen], bool]) -> Callable[
    [Pilot[Any]], Awaitable[None]
]:  # fmt: skip
    async def ready(pilot: Pilot[Any]) -> None:
        await _week(pilot)
        await pilot.press(*keys)
        await board_shown(pilot, until)

    return ready


def test_leaderboard_week_wide(snap_compare: Any, tmp_path: Path) -> None:
    """Everyone this week: my row marked and under the cursor, badges, challenges."""
    assert snap_compare(leaderboard_app(tmp_path), run_before=_week, terminal_size=WIDE)


def test_leaderboard_week_narrow(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(leaderboard_app(tmp_path), run_before=_week, terminal_size=NARROW)


def test_leaderboard_queue_month_wide(snap_compare: Any, tmp_path: Path) -> None:
    """The month, for the Support queue."""
    ready = _keys("p", "t", until=lambda s: s.team.queue_id == SUPPORT and s.period == "month")
    assert snap_compare(leaderboard_app(tmp_path), run_before=ready, terminal_size=WIDE)


def test_leaderboard_off_narrow(snap_compare: Any, tmp_path: Path) -> None:
    """Turned off by an admin: the screen says so."""
    app = leaderboard_app(tmp_path, enabled=False)
    assert snap_compare(app, run_before=_week, terminal_size=NARROW)


async def _dialog_with_error(pilot: Pilot[Any]) -> None:
    await _week(pilot)
    await pilot.press("c")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChallengeDialog), "the dialog")
    dialog = pilot.app.screen
    dialog.query_one("#challenge-title", Input).value = "Fast week"
    threshold = dialog.query_one("#challenge-threshold", Input)
    threshold.value = "0"
    threshold.focus()
    # Enter, not a click: a pressed button's effect and the mouse's hover depend on timing.
    await pilot.press("enter")
    error = dialog.query_one(".dialog-error", Static)
    await wait_until(pilot, lambda: "threshold" in str(error.render()), "the error")
    still_cursors(pilot)


def test_new_challenge_dialog_wide(snap_compare: Any, tmp_path: Path) -> None:
    """A supervisor's new challenge, the week's days by default, an error under the fields."""
    app = leaderboard_app(tmp_path)
    assert snap_compare(app, run_before=_dialog_with_error, terminal_size=WIDE)


def test_new_challenge_dialog_narrow(snap_compare: Any, tmp_path: Path) -> None:
    app = leaderboard_app(tmp_path)
    assert snap_compare(app, run_before=_dialog_with_error, terminal_size=NARROW)


async def _manager(pilot: Pilot[Any]) -> None:
    await _week(pilot)
    await pilot.press("m")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChallengeManager), "manager")
    manager = pilot.app.screen
    assert isinstance(manager, ChallengeManager)
    await wait_until(pilot, lambda: manager.loads > 0, "the challenges")
    await pilot.pause()


def test_challenge_manager_wide(snap_compare: Any, tmp_path: Path) -> None:
    """The supervisor's challenges with their goal, days and team, and the keys to change them."""
    app = leaderboard_app(tmp_path)
    assert snap_compare(app, run_before=_manager, terminal_size=WIDE)


def test_challenge_manager_narrow(snap_compare: Any, tmp_path: Path) -> None:
    app = leaderboard_app(tmp_path)
    assert snap_compare(app, run_before=_manager, terminal_size=NARROW)


async def _change_dialog(pilot: Pilot[Any]) -> None:
    await _manager(pilot)
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChallengeDialog), "the dialog")
    still_cursors(pilot)
    await pilot.pause()


def test_change_challenge_dialog_narrow(snap_compare: Any, tmp_path: Path) -> None:
    """The first challenge's fields, to change."""
    app = leaderboard_app(tmp_path)
    assert snap_compare(app, run_before=_change_dialog, terminal_size=NARROW)


def test_change_challenge_dialog_wide(snap_compare: Any, tmp_path: Path) -> None:
    app = leaderboard_app(tmp_path)
    assert snap_compare(app, run_before=_change_dialog, terminal_size=WIDE)
