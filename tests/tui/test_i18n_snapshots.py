"""The main screens in Portuguese at 160x48 (the user's profile language is pt_BR; the login
form takes PYTAKE_LANG): login, chat, queue monitor, dashboard, settings, reports. Their English
snapshots are the screens' own tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from pytake_daemon.protocol import Me, Role
from pytake_tui import build_app
from pytake_tui.queue_board import Column
from pytake_tui.screens import LoginScreen, SettingsScreen
from pytake_tui.screens.admin_users import AdminUsersScreen
from pytake_tui.screens.dashboard import PAGE
from pytake_tui.screens.queue_monitor import QueueMonitorScreen

from .admin_support import admin_app, admin_ready, session_of, shown
from .chat_support import (
    chat_ready,
    open_first,
    scripted_app,
    still_cursors,
    thread_settled,
    unread_settled,
)
from .dashboard_support import busy_world, dashboard_app, dashboard_ready, me_as
from .fake_daemon import alice
from .fake_world import demo_world
from .helpers import wait_until
from .leaderboard_support import leaderboard_app, leaderboard_ready
from .queue_monitor_support import demo_queues, queue_app, supervisor
from .reports_support import reports_app, reports_ready

SIZE = (160, 48)
SERVER = "http://pytake.invalid:8420"


def _portuguese(me: Me) -> Me:
    return me.model_copy(update={"language": "pt_BR"})


def test_login_pt_br(
    snap_compare: Any, credentials_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before login there is no profile: PYTAKE_LANG (or --lang, or the locale) decides."""
    monkeypatch.setenv("PYTAKE_LANG", "pt_BR")
    app = build_app(server=SERVER, credentials_path=credentials_path)

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LoginScreen), "login")
        still_cursors(pilot)
        await pilot.pause()

    assert snap_compare(app, run_before=ready, terminal_size=SIZE)


def test_chat_pt_br(snap_compare: Any, tmp_path: Path) -> None:
    """Ana's thread open: the list, its filters, the thread, delivery states, the composer."""

    async def ready(pilot: Pilot[Any]) -> None:
        await open_first(pilot, bubbles=9)
        await thread_settled(pilot)
        await unread_settled(pilot)
        still_cursors(pilot)

    app = scripted_app(tmp_path, demo_world(), me=_portuguese(alice()))
    assert snap_compare(app, run_before=ready, terminal_size=SIZE)


def test_settings_pt_br(snap_compare: Any, tmp_path: Path) -> None:
    """Settings → Profile: the card, the language picker, the password form."""

    async def ready(pilot: Pilot[Any]) -> None:
        await chat_ready(pilot, 4)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen), "settings")
        still_cursors(pilot)
        await pilot.pause()

    app = scripted_app(tmp_path, demo_world(), me=_portuguese(alice()))
    assert snap_compare(app, run_before=ready, terminal_size=SIZE)


def test_queue_monitor_pt_br(snap_compare: Any, tmp_path: Path) -> None:
    """The three columns (Aguardando, Em atendimento, Histórico), the figures and the alert."""

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.id != "_default", "the session")
        await pilot.press("f4")

        def loaded() -> bool:
            screen = pilot.app.screen
            return (
                isinstance(screen, QueueMonitorScreen)
                and screen.loaded
                and screen.table(Column.WAITING).row_count == 7
            )

        await wait_until(pilot, loaded, "7 waiting rows")
        await pilot.pause()

    app = queue_app(tmp_path, demo_queues(), me=_portuguese(supervisor()))
    assert snap_compare(app, run_before=ready, terminal_size=SIZE)


def test_dashboard_pt_br(snap_compare: Any, tmp_path: Path) -> None:
    """A supervisor's dashboard: the cards, goals, achievements, status and agent picker."""

    async def ready(pilot: Pilot[Any]) -> None:
        await dashboard_ready(pilot, PAGE)
        await pilot.pause()

    app = dashboard_app(tmp_path, busy_world(), me=_portuguese(me_as(Role.SUPERVISOR)))
    assert snap_compare(app, run_before=ready, terminal_size=SIZE)


def test_admin_users_pt_br(snap_compare: Any, tmp_path: Path) -> None:
    """Admin → Users: the columns, roles and states, the sessions' dates in Brazilian order."""

    async def ready(pilot: Pilot[Any]) -> None:
        await admin_ready(pilot)
        context = session_of(pilot.app)
        await shown(pilot, AdminUsersScreen(client=context.client, me=context.me))

    app = admin_app(tmp_path, language="pt_BR")
    assert snap_compare(app, run_before=ready, terminal_size=SIZE)


def test_leaderboard_pt_br(snap_compare: Any, tmp_path: Path) -> None:
    """The leaderboard's week: the period title and days by CLDR, badges, challenges."""

    async def ready(pilot: Pilot[Any]) -> None:
        # Straight from the chat, as the English snapshot: no other screen's reads in the picture.
        await leaderboard_ready(pilot, key=False)

    app = leaderboard_app(tmp_path, me=_portuguese(alice()))
    assert snap_compare(app, run_before=ready, terminal_size=SIZE)


def _reports_on(tab: str) -> Any:
    async def ready(pilot: Pilot[Any]) -> None:
        screen = await reports_ready(pilot)
        screen.query_one(TabbedContent).active = tab
        await pilot.pause()
        still_cursors(pilot)

    return ready


def test_reports_pt_br(snap_compare: Any, tmp_path: Path) -> None:
    """Reports (f1), the last 7 days in Lisbon: the headline figures, the queues one level down,
    the tabs and the hint; durations and shares with the Brazilian decimal comma."""
    app = reports_app(tmp_path, me=_portuguese(alice()))
    assert snap_compare(app, run_before=_reports_on("report-drill"), terminal_size=SIZE)


def test_reports_figures_pt_br(snap_compare: Any, tmp_path: Path) -> None:
    """Every figure of the period, named and counted in Portuguese (plural forms included)."""
    app = reports_app(tmp_path, me=_portuguese(alice()))
    assert snap_compare(app, run_before=_reports_on("report-figures"), terminal_size=SIZE)


def test_reports_heat_map_pt_br(snap_compare: Any, tmp_path: Path) -> None:
    """The heat map's weekdays by CLDR (seg., ter., …), not English abbreviations."""
    app = reports_app(tmp_path, me=_portuguese(alice()))
    assert snap_compare(app, run_before=_reports_on("report-heat"), terminal_size=SIZE)
