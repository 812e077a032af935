"""The leaderboard reads again by itself while shown, against the real daemon (issue 21's
walkthrough: points moved with the scoring pass but the board only on ``r``). What another
supervisor changes meanwhile (a challenge) shows without a key; the interval is the screen's
own setting, shortened here so the test waits well under a second per read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.gamification import ChallengeCreate, Metric
from pytake_tui.client import DaemonClient
from pytake_tui.screens.leaderboard import REFRESH_SECONDS, LeaderboardScreen
from tests.conftest import ApiClient, MakeTenant

from .admin_support import real_app, session_of, signed_in
from .helpers import wait_until

DEADLINE = 30.0


async def test_the_board_follows_changes_while_shown(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    assert REFRESH_SECONDS <= 60  # the pass runs every 120 s: at least one read per pass
    tenant = await make_tenant()
    supervisor, owner = tenant[Role.SUPERVISOR], tenant[Role.OWNER]
    server = str(api.make_url("")).rstrip("/")
    app = real_app(tmp_path, server, supervisor.token, supervisor.email)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        context = session_of(app)
        screen = LeaderboardScreen(client=context.client, me=context.me, refresh_seconds=0.3)
        await pilot.app.push_screen(screen)
        await wait_until(pilot, lambda: screen.challenges is not None, "the board", DEADLINE)
        assert screen.challenges is not None
        assert screen.challenges.items == []

        challenge = ChallengeCreate(
            title="Spring cleaning", metric=Metric.RESOLVED, threshold=5,
            first_day=date(2100, 3, 1), last_day=date(2100, 3, 31),
        )  # fmt: skip
        async with DaemonClient(server, token=owner.token) as other:
            await other.create_challenge(challenge)

        def titles() -> list[str]:
            return [] if screen.challenges is None else [c.title for c in screen.challenges.items]

        await wait_until(pilot, lambda: titles() == ["Spring cleaning"], "the challenge", DEADLINE)
