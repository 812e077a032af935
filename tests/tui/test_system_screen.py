"""Admin → System: opened from the hub, refreshed (ctrl+r and its poll), the figures derived
between two readings, the thresholds' colours, a server that didn't answer, and a snapshot at
160x48 with pinned readings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Sparkline, Static

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.system_figures import ALERT_THRESHOLDS, SCREEN_THRESHOLDS, THRESHOLDS
from pytake_daemon.system.alerts import Level as AlertLevel
from pytake_daemon.system.alerts import level_of
from pytake_tui.client import DaemonError
from pytake_tui.screens.admin import ADMIN_PAGES, AdminScreen
from pytake_tui.screens.system import SystemScreen
from pytake_tui.system_view import FIGURES, FigureHistory, Level, formatted, reading
from pytake_tui.widgets.admin_pages import AdminPageList
from pytake_tui.widgets.system_daemon import SystemDaemonPanel
from pytake_tui.widgets.system_host import SystemHostPanel
from pytake_tui.widgets.system_panel import FigureRow
from pytake_tui.widgets.system_postgres import SystemPostgresPanel

from .admin_support import session_of
from .helpers import wait_until
from .system_support import SystemClient, figures, readings, signed_in, system_app


def test_rates_and_means_are_between_two_readings() -> None:
    first, second = figures(0), figures(1)
    alone = reading(None, first)
    assert alone["daemon.webhooks"].value is None  # nothing to compare with yet
    assert alone["host.cpu"].value is None  # psutil's first reading
    points = reading(first, second)
    # 33 webhooks accepted in the 3 s between the readings (1 % 4 = 1 → 30 + 3).
    assert points["daemon.webhooks"].value == pytest.approx(11.0)
    assert points["daemon.refused"].value == 0
    assert points["daemon.sends"].value == pytest.approx(5.0)
    assert points["lag.ingest"].value == pytest.approx(4.0)  # ms, 0.003 + 0.001
    assert points["lag.status"].value == pytest.approx(3.0)  # s, 2 + 1 % 3
    assert points["daemon.loop_lag"].value == pytest.approx(4.0)
    assert points["daemon.cpu"].value == pytest.approx(15.0)  # 0.45 s of CPU in 3 s
    assert points["daemon.job_age"].value == pytest.approx(14.0)
    assert points["lag.flow"].value == pytest.approx(2.0)
    assert points["pg.connections"].value == pytest.approx(23.0)
    assert points["pg.dead.queue_items"].value == pytest.approx(80 / 130 * 100)
    # A counter that went down is a restarted daemon: no rate rather than a negative one.
    assert reading(figures(5), second)["daemon.webhooks"].value is None


def test_levels_and_formats() -> None:
    disk, ping = FIGURES["host.disk"], FIGURES["redis.ping"]
    assert [disk.level(v) for v in (84.9, 85.0, 95.0, None)] == [
        Level.OK, Level.WARN, Level.ERROR, Level.OK,
    ]  # fmt: skip
    assert ping.level(50) is Level.ERROR
    assert FIGURES["pg.size"].level(1e15) is Level.OK  # informative only
    assert formatted(FIGURES["daemon.rss"], 180 * 1024**2) == "180.0 MiB"
    assert formatted(FIGURES["pg.longest"], 125) == "2 min 05 s"
    assert formatted(FIGURES["lag.ingest"], None) == "—"


def test_one_table_of_thresholds_for_the_screen_and_the_alerts() -> None:
    """The screen colours a figure where the daemon's alert fires: both read THRESHOLDS."""
    assert set(THRESHOLDS) <= set(FIGURES)  # no line drawn for a figure nobody shows
    assert set(ALERT_THRESHOLDS) & set(SCREEN_THRESHOLDS) == set()
    for key, (warn, error) in ALERT_THRESHOLDS.items():
        assert (FIGURES[key].warn, FIGURES[key].error) == (warn, error)
        assert warn < error
        assert FIGURES[key].level(warn) is Level.WARN
        assert FIGURES[key].level(error) is Level.ERROR
        assert level_of(key, warn, AlertLevel.OK) is AlertLevel.WARN
        assert level_of(key, error, AlertLevel.OK) is AlertLevel.ERROR
    assert FIGURES["daemon.loop_lag"].level(100) is Level.ERROR  # a mean: the screen's only


def test_the_history_keeps_the_last_samples() -> None:
    history = FigureHistory(size=4)
    for n in range(6):
        history.add(figures(n))
    assert history.readings == 4
    assert history.series("host.memory") == [62.0, 63.0, 64.0, 65.0]
    # The first reading had no rate: after six, four are kept and all four have one.
    assert len(history.series("daemon.webhooks")) == 4


def test_the_hub_lists_the_page() -> None:
    (page,) = [p for p in ADMIN_PAGES if p.name == "system"]
    assert page.build is not None
    assert page.role is Role.ADMIN


async def test_opens_from_the_hub_and_refreshes(tmp_path: Path) -> None:
    client = SystemClient("x")
    app = system_app(tmp_path, client)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        hub = AdminScreen(session_of(app))
        await app.push_screen(hub)
        pages = hub.query_one(AdminPageList)
        pages.focus()
        pages.highlighted = [p.name for p in pages.pages].index("system")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SystemScreen), "the System page")
        screen = app.screen
        assert isinstance(screen, SystemScreen)
        await readings(pilot, screen, 3)
        assert client.reads >= 3
        host = screen.query_one(SystemHostPanel)
        row = host.query_one("#figure-host-memory", FigureRow)
        assert str(row.query_one(".figure-value", Static).render()) == (
            f"{60 + client.reads - 1:.1f} %"
        )
        assert len(row.query_one(Sparkline).data or []) == client.reads
        # Rates appear from the second reading on.
        daemon = screen.query_one(SystemDaemonPanel)
        rate = daemon.query_one("#figure-daemon-webhooks .figure-value", Static)
        assert str(rate.render()).endswith("/s")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is hub, "back at the hub")


async def test_polls_while_shown(tmp_path: Path) -> None:
    client = SystemClient("x")
    app = system_app(tmp_path, client)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        screen = SystemScreen(client=client, poll_seconds=0.05)
        await app.push_screen(screen)
        await wait_until(pilot, lambda: screen.loads >= 4, "four polled readings")
        assert screen.history.readings >= 4


async def test_colours_past_thresholds_and_a_server_down(tmp_path: Path) -> None:
    client = SystemClient("x")
    app = system_app(tmp_path, client)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        screen = SystemScreen(client=client, poll_seconds=None)
        await app.push_screen(screen)
        await readings(pilot, screen, 12)
        assert screen.query_one(SystemHostPanel).levels()["host.disk"] is Level.WARN
        assert screen.query_one(SystemDaemonPanel).levels()["daemon.job_age"] is Level.WARN
        postgres = screen.query_one(SystemPostgresPanel)
        levels = postgres.levels()
        assert levels["pg.dead.queue_items"] is Level.ERROR
        assert levels["pg.dead.jobs"] is Level.WARN
        assert levels["pg.dead.outbox"] is Level.OK
        assert screen.query_one("#figure-pg-dead-queue_items").has_class("-error")

        client.postgres_down = True
        await readings(pilot, screen, 13)
        problem = postgres.query_one(".panel-problem", Static)
        assert problem.display
        assert "PostgreSQL did not answer within 3 s" in str(problem.render())
        value = postgres.query_one("#figure-pg-connections .figure-value", Static)
        assert str(value.render()) == "—"

        client.fail_with = DaemonError(503, "Service Unavailable", "the daemon is restarting")
        await pilot.press("ctrl+r")
        status = screen.query_one("#system-status", Static)
        await wait_until(pilot, lambda: "Could not read" in str(status.render()), "the error")
        assert "the daemon is restarting" in str(status.render())
        assert screen.loads == 13


def test_snapshot(snap_compare: Any, tmp_path: Path) -> None:
    """Twelve pinned readings: sparklines, a warning (disk, oldest job, dead jobs rows) and an
    error (dead queue item rows)."""
    client = SystemClient("x")
    app = system_app(tmp_path, client)

    async def ready(pilot: Pilot[Any]) -> None:
        await signed_in(pilot)
        screen = SystemScreen(client=client, poll_seconds=None)
        await app.push_screen(screen)
        await readings(pilot, screen, 12)

    assert snap_compare(app, run_before=ready, terminal_size=(160, 48))
