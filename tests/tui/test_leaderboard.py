"""The leaderboard screen (ctrl+k) with the pilot: my row marked and under the cursor, the
period and team switches asking the daemon the right question, previous and next periods,
challenges with my progress, the switch turned off; and the dashboard's points panel."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.widgets import Input, Static

from pytake_daemon.protocol.gamification import Metric, Period
from pytake_tui.gamification_view import OFF
from pytake_tui.screens.challenge_dialog import ChallengeDialog
from pytake_tui.screens.dashboard import DashboardScreen
from pytake_tui.widgets.challenge_board import ChallengeBoard
from pytake_tui.widgets.leaderboard_table import LeaderboardTable
from pytake_tui.widgets.points_panel import PointsPanel

from .helpers import wait_until
from .identities import USER_ID
from .leaderboard_support import (
    SUPPORT,
    LeaderboardClient,
    board_shown,
    leaderboard_app,
    leaderboard_ready,
)


async def test_my_row_is_marked_and_the_switches_ask_the_daemon(tmp_path: Path) -> None:
    app = leaderboard_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.client is not None, "the session")
        await pilot.press("f5")  # from the dashboard, whose keys don't take ctrl+k
        screen = await leaderboard_ready(pilot)
        table = screen.query_one(LeaderboardTable)
        assert table.row_count == 4
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == str(USER_ID)
        name = table.get_row(str(USER_ID))[1]
        assert (name.plain, name.style) == ("▶ Alice Owner", "bold yellow")
        where = screen.query_one("#board-where", Static).render()
        assert str(where) == "Week Mar 10 to Mar 16, 2025 · everyone · Europe/Lisbon"
        challenges = str(screen.query_one(ChallengeBoard).render())
        assert "you ██████░░░░ 6/10 · leader Bruno Agent 12" in challenges
        assert "you ██████████ 21/20 ✓" in challenges

        await pilot.press("p")  # week -> month
        screen = await board_shown(pilot, lambda s: s.period is Period.MONTH)
        assert screen.board is not None
        assert (screen.board.first_day, screen.board.last_day) == (
            date(2025, 3, 1), date(2025, 3, 31),
        )  # fmt: skip
        await pilot.press("b")  # the month before
        screen = await board_shown(pilot, lambda s: s.day == date(2025, 2, 28))
        assert screen.board is not None
        assert screen.board.first_day == date(2025, 2, 1)
        await pilot.press("t")  # everyone -> queue Support
        screen = await board_shown(pilot, lambda s: s.team.queue_id == SUPPORT)
        assert screen.board is not None
        assert screen.board.team == "Support"
        assert screen.query_one(LeaderboardTable).row_count == 2
        client = app.client
        assert client is not None
        # The scripted client records its queries; DaemonClient has no such attribute.
        last = client.queries[-1]  # type: ignore[attr-defined]
        assert (last.period, last.day, last.queue_id) == (Period.MONTH, date(2025, 2, 28), SUPPORT)


async def test_turned_off_the_screen_and_the_panel_say_so(tmp_path: Path) -> None:
    app = leaderboard_app(tmp_path, enabled=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.client is not None, "the session")
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
        panel = app.screen.query_one(PointsPanel)
        await wait_until(pilot, lambda: panel.mine is not None, "my points")
        assert str(panel.render()) == OFF
        screen = await leaderboard_ready(pilot)
        assert screen.query_one("#board-off").display
        assert not screen.query_one("#board-body").display


async def test_the_dashboard_panel_shows_my_points_rank_and_badges(tmp_path: Path) -> None:
    app = leaderboard_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.client is not None, "the session")
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
        panel = app.screen.query_one(PointsPanel)
        await wait_until(pilot, lambda: panel.mine is not None, "my points")
        assert panel.display
        assert str(panel.render()) == (
            "Points this week: 95 · rank 2 of 4 · On target · ctrl+k leaderboard"
        )
        await pilot.click(PointsPanel)
        await leaderboard_ready(pilot)


async def test_a_supervisor_creates_a_challenge_for_the_period_shown(tmp_path: Path) -> None:
    app = leaderboard_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await leaderboard_ready(pilot, key=False)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ChallengeDialog), "the dialog")
        dialog = app.screen
        dialog.query_one("#challenge-title", Input).value = "Fast week"
        dialog.query_one("#challenge-last", Input).value = "2025-03-01"
        await pilot.click("#dialog-ok")
        error = dialog.query_one(".dialog-error", Static)
        await wait_until(pilot, lambda: "before first_day" in str(error.render()), "the error")
        assert app.screen is dialog  # still open
        last = dialog.query_one("#challenge-last", Input)
        last.value = "2025-03-16"
        last.focus()
        await pilot.press("enter")  # Enter in a field submits too
        client = app.client
        assert isinstance(client, LeaderboardClient)
        await wait_until(pilot, lambda: bool(client.created), "the challenge created")
        (body,) = client.created
        assert (body.title, body.metric, body.threshold, body.first_day, body.last_day) == (
            "Fast week", Metric.RESOLVED, 10, date(2025, 3, 10), date(2025, 3, 16),
        )  # fmt: skip
        await board_shown(pilot)
