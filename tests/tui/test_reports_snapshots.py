"""Snapshots of the reports screen (f1) at 160x48 and 80x24, fixed data and clock (Lisbon)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TabbedContent

from pytake_daemon.protocol.reports import Level
from pytake_tui.screens.report_dialogs import ExportDialog, SubscribeDialog
from pytake_tui.widgets.report_tables import BreakdownTable

from .chat_support import still_cursors
from .helpers import wait_until
from .reports_support import reports_app, reports_ready, shown

WIDE = (160, 48)
NARROW = (80, 24)


def _on_tab(tab: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def ready(pilot: Pilot[Any]) -> None:
        screen = await reports_ready(pilot)
        screen.query_one(TabbedContent).active = tab
        await pilot.pause()
        still_cursors(pilot)

    return ready


def test_reports_drill_down_wide(snap_compare: Any, tmp_path: Path) -> None:
    """The last 7 days in Lisbon: the headline figures and the queues one level down."""
    assert snap_compare(reports_app(tmp_path), run_before=_on_tab("report-drill"),
                        terminal_size=WIDE)  # fmt: skip


def test_reports_figures_wide(snap_compare: Any, tmp_path: Path) -> None:
    """Every figure of the period."""
    assert snap_compare(reports_app(tmp_path), run_before=_on_tab("report-figures"),
                        terminal_size=WIDE)  # fmt: skip


def test_reports_figures_narrow(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(reports_app(tmp_path), run_before=_on_tab("report-figures"),
                        terminal_size=NARROW)  # fmt: skip


def test_reports_charts_wide(snap_compare: Any, tmp_path: Path) -> None:
    """Messages per day in and out, and the CSAT trend (days without ratings left out)."""
    assert snap_compare(reports_app(tmp_path), run_before=_on_tab("report-charts"),
                        terminal_size=WIDE)  # fmt: skip


def test_reports_charts_narrow(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(reports_app(tmp_path), run_before=_on_tab("report-charts"),
                        terminal_size=NARROW)  # fmt: skip


def test_reports_heat_map_wide(snap_compare: Any, tmp_path: Path) -> None:
    """Weekday x hour, each cell shaded by its share of the busiest hour."""
    assert snap_compare(reports_app(tmp_path), run_before=_on_tab("report-heat"),
                        terminal_size=WIDE)  # fmt: skip


def test_reports_heat_map_narrow(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(reports_app(tmp_path), run_before=_on_tab("report-heat"),
                        terminal_size=NARROW)  # fmt: skip


def test_reports_mood_and_errors_wide(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(reports_app(tmp_path), run_before=_on_tab("report-mood"),
                        terminal_size=WIDE)  # fmt: skip


def test_reports_drilled_into_a_queue_narrow(snap_compare: Any, tmp_path: Path) -> None:
    """Enter on Support: the trail says where, the rows are its agents."""

    async def ready(pilot: Pilot[Any]) -> None:
        screen = await reports_ready(pilot)
        screen.query_one(BreakdownTable).focus()
        await pilot.press("enter")
        await shown(pilot, lambda s: s.report.level is Level.QUEUE)
        still_cursors(pilot)

    assert snap_compare(reports_app(tmp_path), run_before=ready, terminal_size=NARROW)


def test_reports_export_dialog_narrow(snap_compare: Any, tmp_path: Path) -> None:
    """x: the table of the current tab, CSV, a file in the downloads folder to confirm."""

    async def ready(pilot: Pilot[Any]) -> None:
        await reports_ready(pilot)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExportDialog), "dialog")
        await pilot.pause()
        still_cursors(pilot)

    # The default path holds tmp_path: a fixed folder keeps the snapshot the same every run.
    fixed = Path("/tmp/pytake-reports-snapshot")
    fixed.mkdir(exist_ok=True)
    assert snap_compare(reports_app(fixed), run_before=ready, terminal_size=NARROW)


def test_reports_email_tab_wide(snap_compare: Any, tmp_path: Path) -> None:
    """After s and Enter: a weekly e-mail at 08:00 Lisbon, next Monday in local time."""

    async def ready(pilot: Pilot[Any]) -> None:
        screen = await reports_ready(pilot)
        screen.query_one(TabbedContent).active = "report-email"
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SubscribeDialog), "dialog")
        pilot.app.screen.query_one("#subscribe-hour", Input).focus()
        await pilot.press("enter")
        table = screen.query_one("#report-schedules", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1, "the schedule")
        await pilot.pause()
        still_cursors(pilot)

    assert snap_compare(reports_app(tmp_path), run_before=ready, terminal_size=WIDE)
