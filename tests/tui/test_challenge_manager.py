"""The leaderboard's challenges for supervisors (``m``): change one in the challenge dialog (its
team kept), end one today and remove one after a question, a refusal said as the daemon says
it; and the same calls against the real daemon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.gamification import ChallengeCreate, Metric
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.challenge_dialog import ChallengeDialog
from pytake_tui.screens.challenge_manager import ChallengeManager
from pytake_tui.widgets.challenge_board import ChallengeBoard
from tests.conftest import ApiClient, MakeTenant

from .helpers import wait_until
from .leaderboard_support import TODAY, LeaderboardClient, leaderboard_app, leaderboard_ready


async def _manager(pilot: Pilot[Any]) -> ChallengeManager:
    await leaderboard_ready(pilot, key=False)
    await pilot.press("m")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChallengeManager), "manager")
    manager = pilot.app.screen
    assert isinstance(manager, ChallengeManager)
    await wait_until(pilot, lambda: manager.loads > 0, "the challenges")
    return manager


async def test_change_end_and_remove_challenges(tmp_path: Path) -> None:
    app = leaderboard_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        manager = await _manager(pilot)
        client = app.client
        assert isinstance(client, LeaderboardClient)
        assert [c.title for c in manager.challenges] == ["Ten resolved this week", "Fast replies"]

        # Enter on "Fast replies" (department care): its fields in the dialog; the team stays.
        manager.query_one("#challenge-table", DataTable).move_cursor(row=1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChallengeDialog), "the dialog")
        dialog = app.screen
        assert dialog.query_one("#challenge-title", Input).value == "Fast replies"
        threshold = dialog.query_one("#challenge-threshold", Input)
        assert threshold.value == "20"
        threshold.value = "25"
        threshold.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: client.items[1].threshold == 25, "changed")
        assert (client.items[1].metric, client.items[1].department) == (
            Metric.FIRST_RESPONSE, "care",
        )  # fmt: skip
        await wait_until(pilot, lambda: app.screen is manager, "back on the list")

        # x ends the first one today, after a question ("n" keeps it as it was).
        manager.query_one("#challenge-table", DataTable).move_cursor(row=0)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is manager, "kept")
        assert client.items[0].last_day != TODAY
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: client.items[0].last_day == TODAY, "ended")

        # Ended today: ending again is refused with the daemon's sentence.
        status = manager.query_one("#challenges-status", Static)
        await wait_until(pilot, lambda: "ends" in str(status.render()), "the ended line")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: "already" in str(status.render()), "the refusal")

        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: len(client.items) == 1, "removed")
        await wait_until(pilot, lambda: len(manager.challenges) == 1, "the list read again")

        # Closed: the board reads the challenges again.
        await pilot.press("escape")
        board = await leaderboard_ready(pilot, key=False)
        side = board.query_one(ChallengeBoard)
        await wait_until(pilot, lambda: "Ten resolved" not in str(side.render()), "the board")
        assert "Fast replies" in str(side.render())


async def test_client_changes_ends_and_removes(
    proxied_api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    server = str(proxied_api.make_url("")).rstrip("/")
    today = datetime.now(UTC).date()  # the daemon's "today" is the wall clock's (UTC tenant)
    body = ChallengeCreate(
        title="Ten resolved",
        metric=Metric.RESOLVED,
        threshold=10,
        first_day=today - timedelta(2),
        last_day=today + timedelta(4),
    )
    async with DaemonClient(server, token=tenant[Role.SUPERVISOR].token) as supervisor:
        made = await supervisor.create_challenge(body)
        changed = await supervisor.change_challenge(
            made.id, body.model_copy(update={"threshold": 12})
        )
        assert changed.threshold == 12
        ended = await supervisor.end_challenge(made.id)
        assert (ended.last_day, ended.threshold) == (today, 12)
        with pytest.raises(DaemonError) as over:
            await supervisor.end_challenge(made.id)
        assert over.value.status == 409
        await supervisor.remove_challenge(made.id)
        assert (await supervisor.challenges()).items == []
    async with DaemonClient(server, token=tenant[Role.AGENT].token) as agent:
        with pytest.raises(DaemonError) as forbidden:
            await agent.end_challenge(made.id)
        assert forbidden.value.status == 403
