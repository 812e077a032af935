"""Snapshots of the insights screen (f6) and the AI settings page at 80x24, fixed data and clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from pytake_tui.screens import SettingsScreen

from .chat_support import still_cursors
from .helpers import wait_until
from .insights_support import ai_app, demo_insights, empty_insights, insights_ready, signed_in

SIZE = (80, 24)


def _on_tab(tab: str) -> Any:
    async def ready(pilot: Pilot[Any]) -> None:
        screen = await insights_ready(pilot)
        screen.query_one(TabbedContent).active = tab
        await pilot.pause()
        still_cursors(pilot)

    return ready


def test_insights_trend(snap_compare: Any, tmp_path: Path) -> None:
    """The week's distribution, messages per day by label and the average score per day."""
    assert snap_compare(ai_app(tmp_path), run_before=_on_tab("trend"), terminal_size=SIZE)


def test_insights_queues_and_agents(snap_compare: Any, tmp_path: Path) -> None:
    """Per queue and per agent (the unassigned last): messages, average score, a bar."""
    assert snap_compare(ai_app(tmp_path), run_before=_on_tab("people"), terminal_size=SIZE)


def test_insights_intents_and_alerts(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(ai_app(tmp_path), run_before=_on_tab("intents"), terminal_size=SIZE)


def test_insights_turned_negative(snap_compare: Any, tmp_path: Path) -> None:
    """Today's shows the time, older ones the date; a contact without a name says so."""
    assert snap_compare(ai_app(tmp_path), run_before=_on_tab("negative"), terminal_size=SIZE)


def test_insights_empty(snap_compare: Any, tmp_path: Path) -> None:
    """Nothing analysed yet: the distribution says so, the charts are empty."""
    assert snap_compare(
        ai_app(tmp_path, empty_insights()), run_before=_on_tab("trend"), terminal_size=SIZE
    )


def test_ai_settings_page(snap_compare: Any, tmp_path: Path) -> None:
    """Settings → Admin → AI analysis for an admin, read from the daemon."""

    async def ready(pilot: Pilot[Any]) -> None:
        await signed_in(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen), "settings")
        screen = pilot.app.screen
        screen.query_one("#settings", TabbedContent).active = "admin"
        await wait_until(
            pilot, lambda: screen.query_one("#ai-threshold", Input).value == "0.3", "the values"
        )
        screen.query_one("#ai-settings").scroll_visible(animate=False, top=True)
        await pilot.pause()
        still_cursors(pilot)

    assert snap_compare(ai_app(tmp_path), run_before=ready, terminal_size=SIZE)


def test_insights_trend_with_one_day(snap_compare: Any, tmp_path: Path) -> None:
    """A tenant's first day: one narrow bar in a week's width, the legend above it, not over it."""
    week = demo_insights()
    one_day = week.model_copy(update={"by_day": week.by_day[-1:]})
    assert snap_compare(ai_app(tmp_path, one_day), run_before=_on_tab("trend"), terminal_size=SIZE)
