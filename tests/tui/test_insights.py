"""The insights screen (f6) and the AI settings page, driven through the app on a scripted
client; the wording helpers without Textual."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static, Switch, TabbedContent

from pytake_daemon.protocol import EventEnvelope, Role
from pytake_daemon.protocol.ai import (
    AlertOut,
    AlertRaised,
    AlertRule,
    ConversationMoodOut,
    LabelCounts,
    MessageAnalysisOut,
    MessageAnalyzed,
)
from pytake_tui.client import DaemonError
from pytake_tui.insights_view import (
    bar,
    distribution,
    next_period,
    since_text,
    tick_positions,
)
from pytake_tui.messages import EventReceived
from pytake_tui.screens import ChatScreen, SettingsScreen

from .fake_daemon import alice
from .helpers import MessageLog, wait_until
from .identities import FIXED_AT, TENANT_ID
from .insights_support import ANA_CONVERSATION, ai_app, ai_client, insights_ready, signed_in

# --- wording -------------------------------------------------------------------------------------


def test_periods_cycle_and_bars_scale() -> None:
    assert [next_period(d) for d in (1, 7, 30, 90, 5)] == [7, 30, 90, 1, 1]
    assert bar(10, 10, 8) == "█" * 8
    assert bar(1, 100, 8) == "█"  # a non-zero value stays visible
    assert bar(0, 10, 8) == ""
    assert bar(3, 0, 8) == ""


def test_chart_labels_are_spread_and_end_on_the_last_day() -> None:
    assert tick_positions(0) == []
    assert tick_positions(3) == [0, 1, 2]
    assert tick_positions(7) == [0, 2, 4, 6]
    assert tick_positions(8) == [0, 3, 7]
    assert tick_positions(30) == [0, 10, 20, 29]


def test_distribution_line_and_dates() -> None:
    line = distribution(LabelCounts(positive=2, neutral=1, negative=1), width=8)
    assert line.plain == "████████  positive 2 (50%)  neutral 1 (25%)  negative 1 (25%)"
    assert "No analysed" in distribution(LabelCounts()).plain
    now = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
    assert since_text(datetime(2025, 3, 14, 9, 5, tzinfo=UTC), now) == "09:05"
    assert since_text(datetime(2025, 3, 2, 9, 5, tzinfo=UTC), now) == "02 Mar"


# --- the screen ----------------------------------------------------------------------------------


def _analyzed(seq: int) -> EventEnvelope:
    conversation = uuid.UUID(int=seq)
    event = MessageAnalyzed(
        analysis=MessageAnalysisOut(
            message_id=uuid.UUID(int=1000 + seq),
            conversation_id=conversation,
            language="pt",
            sentiment=-0.7,
            sentiment_label="negative",
            intent="complaint",
            intent_confidence=0.8,
            analyzed_at=FIXED_AT,
        ),
        mood=ConversationMoodOut(
            conversation_id=conversation,
            language="pt",
            score=-0.7,
            label="negative",
            trend=-0.2,
            messages=2,
        ),
    )
    return EventEnvelope(seq=seq, tenant_id=TENANT_ID, at=FIXED_AT, event=event)


def _alert(seq: int) -> EventEnvelope:
    alert = AlertOut(
        id=uuid.UUID(int=2000 + seq),
        conversation_id=uuid.UUID(int=seq),
        rule=AlertRule.STRONGLY_NEGATIVE,
        message_id=None,
        detail="score -0.70",
        created_at=FIXED_AT,
    )
    return EventEnvelope(seq=seq, tenant_id=TENANT_ID, at=FIXED_AT, event=AlertRaised(alert=alert))


async def test_insights_fill_every_part_and_the_period_cycles(tmp_path: Path) -> None:
    app = ai_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await insights_ready(pilot)
        client = ai_client(pilot)
        assert client.insight_requests == [7]
        assert "positive 59 (40%)" in str(screen.query_one("#distribution", Static).render())
        agents: DataTable[object] = screen.query_one("#by-agent", DataTable)
        assert [str(agents.get_row_at(i)[0]) for i in range(agents.row_count)] == [
            "Bruno Agent",
            "Carla Lead",
            "unassigned",
        ]
        queues: DataTable[object] = screen.query_one("#by-queue", DataTable)
        assert queues.row_count == 2
        alerts: DataTable[object] = screen.query_one("#alerts", DataTable)
        assert str(alerts.get_row_at(0)[0]) == "strongly negative"
        assert screen.query_one("#top-intents", DataTable).row_count == 5

        await pilot.press("p")
        await wait_until(
            pilot, lambda: screen.insights is not None and screen.insights.days == 30, "30 days"
        )
        assert "last 30 days" in str(screen.query_one("#period", Static).render())
        assert client.insight_requests == [7, 30]


async def test_brackets_move_between_the_tabs(tmp_path: Path) -> None:
    app = ai_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await insights_ready(pilot)
        tabs = screen.query_one(TabbedContent)
        assert tabs.active == "trend"
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert tabs.active == "intents"
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert tabs.active == "trend"  # wraps around
        await pilot.press("left_square_bracket")
        assert tabs.active == "negative"


async def test_a_failure_is_a_toast_and_the_last_figures_stay(tmp_path: Path) -> None:
    log = MessageLog()
    app = ai_app(tmp_path)
    async with app.run_test(size=(100, 30), message_hook=log) as pilot:
        screen = await insights_ready(pilot)
        ai_client(pilot).fail_insights = DaemonError(503, "Service Unavailable", "database down")
        await pilot.press("r")
        await wait_until(pilot, lambda: len(ai_client(pilot).insight_requests) == 2, "a reload")
        await wait_until(
            pilot,
            lambda: (
                "Could not read the insights: Service Unavailable: database down"
                in log.notifications()
            ),
            "the toast",
        )
        assert screen.insights is not None
        assert screen.insights.days == 7


async def test_analysis_and_alert_events_refresh_once(tmp_path: Path) -> None:
    app = ai_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await insights_ready(pilot)
        client = ai_client(pilot)
        assert client.insight_requests == [7]
        for envelope in (_analyzed(5), _alert(6), _analyzed(7)):
            screen.post_message(EventReceived(envelope))
        await wait_until(pilot, lambda: len(client.insight_requests) == 2, "a refresh")
        # One read for the burst, and none left pending.
        assert screen._refresh_timer is None
        assert client.insight_requests == [7, 7]


async def test_enter_on_a_conversation_that_turned_negative_opens_it_in_the_chat(
    tmp_path: Path,
) -> None:
    app = ai_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await insights_ready(pilot)
        screen.query_one(TabbedContent).active = "negative"
        await pilot.pause()
        table = screen.query_one("#turned-negative", DataTable)
        table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatScreen), "the chat")
        chat = pilot.app.screen
        assert isinstance(chat, ChatScreen)
        await wait_until(
            pilot,
            lambda: chat.pane.open is not None and chat.pane.open.id == ANA_CONVERSATION,
            "Ana's thread",
        )


async def test_agents_do_not_get_insights(tmp_path: Path) -> None:
    agent = alice().model_copy(update={"role": Role.AGENT})
    app = ai_app(tmp_path, me=agent)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatScreen), "the chat")
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ChatScreen)
        assert ai_client(pilot).insight_requests == []


# --- the AI settings page ------------------------------------------------------------------------


async def _ai_page(pilot: Pilot[Any]) -> SettingsScreen:
    await signed_in(pilot)
    await pilot.press("f10")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen), "settings")
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    screen.query_one("#settings", TabbedContent).active = "admin"
    await wait_until(
        pilot, lambda: screen.query_one("#ai-threshold", Input).value == "0.3", "the AI settings"
    )
    return screen


async def test_ai_settings_are_read_validated_and_saved(tmp_path: Path) -> None:
    log = MessageLog()
    app = ai_app(tmp_path)
    async with app.run_test(size=(100, 40), message_hook=log) as pilot:
        screen = await _ai_page(pilot)
        client = ai_client(pilot)
        assert screen.query_one("#ai-rule-worsening_trend", Switch).value is True

        # A bad value is named inline and nothing is sent.
        screen.query_one("#ai-threshold", Input).value = "1.5"
        await pilot.pause()
        screen.query_one("#ai-save", Button).press()
        await pilot.pause()
        assert client.updates == []
        assert "between 0 and 1" in str(screen.query_one("#ai-problem", Static).render())

        screen.query_one("#ai-threshold", Input).value = "0.45"
        screen.query_one("#ai-strongly-negative", Input).value = "-0.7"
        screen.query_one("#ai-lang-en", Switch).value = False
        screen.query_one("#ai-rule-worsening_trend", Switch).value = False
        screen.query_one("#ai-source-builtin", Switch).value = False
        await pilot.pause()
        screen.query_one("#ai-save", Button).press()
        await wait_until(pilot, lambda: len(client.updates) == 1, "the PATCH")
        update = client.updates[0]
        assert update.intent_threshold == 0.45
        assert update.strongly_negative == -0.7
        assert update.languages == ["pt"]
        assert update.alert_rules is not None
        assert AlertRule.WORSENING_TREND not in update.alert_rules
        assert update.suggestion_sources == ["canned", "snippet"]
        await wait_until(
            pilot, lambda: "AI settings saved" in " ".join(log.notifications()), "toast"
        )
        assert client.settings.languages == ["pt"]


async def test_ai_settings_need_one_language(tmp_path: Path) -> None:
    app = ai_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _ai_page(pilot)
        screen.query_one("#ai-lang-pt", Switch).value = False
        screen.query_one("#ai-lang-en", Switch).value = False
        await pilot.pause()
        screen.query_one("#ai-save", Button).press()
        await pilot.pause()
        assert ai_client(pilot).updates == []
        assert "language" in str(screen.query_one("#ai-problem", Static).render())


async def test_the_ai_page_is_for_admins_only(tmp_path: Path) -> None:
    supervisor = alice().model_copy(update={"role": Role.SUPERVISOR})
    app = ai_app(tmp_path, me=supervisor)
    async with app.run_test(size=(100, 40)) as pilot:
        await signed_in(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen), "settings")
        assert not pilot.app.screen.query("#ai-threshold")
