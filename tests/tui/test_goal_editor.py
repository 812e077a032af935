"""A supervisor sets, changes and removes goals from the dashboard (``e``), against the real
daemon (app, PostgreSQL, Redis): the console's form, the client's calls and the daemon's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import GoalOut
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens import ChatScreen
from pytake_tui.screens.dashboard import DashboardScreen
from pytake_tui.screens.goal_editor import GoalEditor, GoalFormError, read_deadline, read_target
from pytake_tui.widgets.goal_bars import GoalBars
from tests.conftest import ApiClient, MakeTenant

from .helpers import wait_until


def test_the_form_reads_targets_and_deadlines_or_says_what_is_wrong() -> None:
    assert read_target(" 4,5 ") == 4.5
    assert read_deadline("") is None
    assert str(read_deadline("2026-12-31")) == "2026-12-31"
    for bad in ("", "twelve", "0", "-3"):
        with pytest.raises(GoalFormError):
            read_target(bad)
    with pytest.raises(GoalFormError, match="YYYY-MM-DD"):
        read_deadline("31/12/2026")


async def _goals(server: str, token: str, agent: Any) -> list[GoalOut]:
    async with DaemonClient(server, token=token) as client:
        return (await client.agent_goals(agent)).items


async def test_a_supervisor_sets_changes_and_removes_a_goal(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    supervisor = tenant[Role.SUPERVISOR]
    server = str(api.make_url("")).rstrip("/")
    credentials = tmp_path / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(
            server=server,
            token=supervisor.token,
            expires_at=datetime.now(UTC) + timedelta(hours=1),
            email=supervisor.email,
        )
    )
    app = build_app(server=server, credentials_path=credentials, downloads_dir=tmp_path)

    async with app.run_test(size=(120, 40)) as pilot:
        dashboard = await _dashboard(pilot)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, GoalEditor), "the goal editor")
        editor = app.screen
        assert isinstance(editor, GoalEditor)

        # A new goal: the form starts empty, a bad target is a toast and nothing is sent.
        await pilot.press("x", "ctrl+s")
        assert await _goals(server, supervisor.token, supervisor.id) == []
        editor.query_one("#goal-target", Input).value = "12"
        editor.query_one("#goal-deadline", Input).value = "2099-01-31"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(editor.goals) == 1, "the new goal listed")
        (made,) = await _goals(server, supervisor.token, supervisor.id)
        assert (made.target, made.period, str(made.deadline)) == (12, "day", "2099-01-31")

        # Enter on it loads it; the change keeps kind and scope and can drop the deadline.
        table = editor.query_one("#goal-list", DataTable)
        table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: editor.editing is not None, "the goal in the form")
        editor.query_one("#goal-target", Input).value = "15"
        editor.query_one("#goal-deadline", Input).value = ""
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: editor.goals[0].target == 15, "the changed goal")
        (changed,) = await _goals(server, supervisor.token, supervisor.id)
        assert (changed.id, changed.target, changed.deadline) == (made.id, 15, None)

        table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: editor.editing is not None, "the goal in the form")
        await pilot.press("delete")
        await wait_until(pilot, lambda: editor.goals == [], "the goal removed")
        assert await _goals(server, supervisor.token, supervisor.id) == []

        # Closing reads the dashboard's goals again; the empty state says how to set one.
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is dashboard, "back on the dashboard")
        bars = dashboard.query_one(GoalBars)
        await wait_until(
            pilot, lambda: "press e to set one" in str(bars.render()), "the empty goals' hint"
        )


async def _dashboard(pilot: Pilot[Any]) -> DashboardScreen:
    app = pilot.app
    assert isinstance(app, PyTakeApp)
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")
    await pilot.press("f5")
    await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    await wait_until(pilot, lambda: screen.goals is not None, "the dashboard's goals")
    return screen
