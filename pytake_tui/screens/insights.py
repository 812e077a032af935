"""Insights (supervisors): customer sentiment by day, queue and agent, top intents, alerts by
rule and the conversations that turned negative, from ``GET /api/v1/ai/insights``.

It follows the stream: ``message_analyzed`` and ``ai_alert`` events make it read the insights
again, at most once a second however many arrive; while another screen is shown it only notes
that it is stale and reads them when it is shown again (:mod:`pytake_tui.screens.refreshing`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import date, datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from pytake_daemon.protocol.ai import AlertRaised, Insights, MessageAnalyzed
from pytake_i18n import format_skeleton
from pytake_tui.chart_axis import value_ticks
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, pgettext
from pytake_tui.insights_view import (
    DEFAULT_PERIOD,
    RULE_TITLES,
    bar,
    distribution,
    next_period,
    period_label,
    score_text,
    since_text,
    tick_positions,
)
from pytake_tui.messages import EventReceived, ResyncNeeded, SessionExpired
from pytake_tui.navigation import SessionContext
from pytake_tui.screens.chat import ChatScreen
from pytake_tui.screens.refreshing import RefreshingScreen
from pytake_tui.widgets.footer import Footer

SMALL_BAR = 8
MIN_DAY_SLOTS = 7
LEGEND_HEADROOM = 1.4


def _moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


class InsightsScreen(RefreshingScreen):
    """Read-only aggregates; enter on a conversation that turned negative opens it in the chat."""

    CSS_PATH = "insights.tcss"
    BINDINGS = [
        Binding("p", "period", N_("Period")),
        Binding("r", "reload", N_("Reload")),
        Binding("right_square_bracket", "next_tab", N_("Next tab"), key_display="]"),
        Binding("left_square_bracket", "previous_tab", N_("Previous tab"), key_display="["),
    ]

    class Loaded(Message):
        def __init__(self, insights: Insights) -> None:
            super().__init__()
            self.insights = insights

    def __init__(
        self, *, client: DaemonClient, clock: Callable[[], datetime], days: int = DEFAULT_PERIOD
    ) -> None:
        super().__init__()
        self._client = client
        self._clock = clock
        self.days = days
        self.insights: Insights | None = None
        """What is shown (None until the first answer)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="insights"):
            yield Static(id="period")
            yield Static(id="distribution")
            with TabbedContent(id="insights-tabs"):
                with TabPane(_("Trend"), id="trend"), Horizontal():
                    yield PlotextPlot(id="by-day-counts")
                    yield PlotextPlot(id="by-day-average")
                with TabPane(_("Queues & agents"), id="people"), Horizontal():
                    yield DataTable(id="by-queue", cursor_type="row", zebra_stripes=True)
                    yield DataTable(id="by-agent", cursor_type="row", zebra_stripes=True)
                with TabPane(_("Intents & alerts"), id="intents"), Horizontal():
                    yield DataTable(id="top-intents", cursor_type="row", zebra_stripes=True)
                    yield DataTable(id="alerts", cursor_type="row", zebra_stripes=True)
                with TabPane(_("Turned negative"), id="negative"):
                    yield Static(_("enter: open the conversation in the chat"), classes="hint")
                    yield DataTable(id="turned-negative", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self._table("#by-queue").add_columns(_("queue"), _("msgs"), _("avg"), "")
        self._table("#by-agent").add_columns(_("agent"), _("msgs"), _("avg"), "")
        self._table("#top-intents").add_columns(_("intent"), _("msgs"), "")
        self._table("#alerts").add_columns(_("alert rule"), "n", "")
        self._table("#turned-negative").add_columns(_("contact"), _("mood"), _("negative since"))
        self._show_period()
        self._load()

    def _table(self, selector: str) -> DataTable[str | Text]:
        table: DataTable[str | Text] = self.query_one(selector, DataTable)
        return table

    # Loading

    @work(exclusive=True, exit_on_error=False, group="insights")
    async def _load(self) -> None:
        try:
            insights = await self._client.ai_insights(self.days)
        except DaemonError as error:
            if error.unauthorized:
                self.post_message(SessionExpired(_("your session has ended")))
            else:
                self.notify(error.message, title=_("Could not read the insights"), severity="error")
            return
        self.post_message(self.Loaded(insights))

    def on_insights_screen_loaded(self, message: Loaded) -> None:
        if message.insights.days != self.days:
            return  # an answer for a period the user already left
        self.insights = message.insights
        self._show(message.insights)

    def action_period(self) -> None:
        """Cycle the period: 1, 7, 30, 90 days."""
        self.days = next_period(self.days)
        self._show_period()
        self._load()

    def action_next_tab(self) -> None:
        self._move_tab(1)

    def action_previous_tab(self) -> None:
        self._move_tab(-1)

    def _move_tab(self, step: int) -> None:
        tabs = self.query_one("#insights-tabs", TabbedContent)
        ids = [pane.id for pane in tabs.query(TabPane) if pane.id is not None]
        if tabs.active in ids:
            tabs.active = ids[(ids.index(tabs.active) + step) % len(ids)]

    def action_reload(self) -> None:
        """Read the insights again."""
        self._load()

    def on_event_received(self, message: EventReceived) -> None:
        if isinstance(message.envelope.event, MessageAnalyzed | AlertRaised):
            self._schedule_refresh()

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        self._schedule_refresh()

    def _reload(self) -> None:
        self._load()

    # Showing

    def _show_period(self) -> None:
        self.query_one("#period", Static).update(
            Text.assemble(
                (_("Period") + " ", "dim"),
                (period_label(self.days), "bold"),
                ("  " + _("(p: change)"), "dim"),
            )
        )

    def _show(self, insights: Insights) -> None:
        self.query_one("#distribution", Static).update(distribution(insights.distribution, 20))
        self._show_trend(insights)
        self._fill_moods(insights)
        self._fill_counts(insights)
        table = self._table("#turned-negative")
        table.clear()
        now = self._clock()
        for item in insights.turned_negative:
            table.add_row(
                item.contact_name or _("(no name)"),
                score_text(item.score),
                since_text(item.since, now),
                key=str(item.conversation_id),
            )

    def _show_trend(self, insights: Insights) -> None:
        # Numeric positions with our own labels: plotext would read "14/03" as a date in its own
        # format, and picks which labels to keep by the width at each draw (not repeatable).
        positions = list(range(len(insights.by_day)))
        ticks = tick_positions(len(positions))
        labels = [format_skeleton("dM", _moment(insights.by_day[i].day)) for i in ticks]
        tick_xs = [float(i) for i in ticks]
        counts = self.query_one("#by-day-counts", PlotextPlot)
        plt = counts.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(_("Messages per day"))
        if positions:
            # plotext takes one colour and label per stacked series; its stub says one in all.
            plt.stacked_bar(  # type: ignore[call-arg]
                positions,
                [
                    [d.counts.negative for d in insights.by_day],
                    [d.counts.neutral for d in insights.by_day],
                    [d.counts.positive for d in insights.by_day],
                ],
                labels=[
                    pgettext("mood", "negative"),
                    pgettext("mood", "neutral"),
                    pgettext("mood", "positive"),
                ],
                color=["red", "yellow", "green"],  # type: ignore[arg-type]
                width=0.6,
            )
            plt.xticks(tick_xs, labels)
            # With few days plotext widens each bar to the whole plot (one day was one block), and
            # the legend sits in the top rows over the tallest bar: keep at least a week of slots
            # and leave headroom above the bars for the three legend lines.
            plt.xlim(*_day_span(len(positions)))
            tallest = max(
                (d.counts.negative + d.counts.neutral + d.counts.positive for d in insights.by_day),
                default=0,
            )
            top = math.ceil(max(tallest, 1) * LEGEND_HEADROOM)
            plt.ylim(0, top)
            plt.yticks(*value_ticks(0, top, whole=True))
        counts.refresh()
        average = self.query_one("#by-day-average", PlotextPlot)
        plt = average.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(_("Average score per day"))
        plt.ylim(-1, 1)
        plt.yticks(*value_ticks(-1, 1))
        if positions:
            plt.plot(positions, [d.average for d in insights.by_day], marker="braille")
            plt.xticks(tick_xs, labels)
            plt.xlim(*_day_span(len(positions)))
            plt.hline(0.0)
        average.refresh()

    def _fill_moods(self, insights: Insights) -> None:
        queues = self._table("#by-queue")
        queues.clear()
        largest = max((q.messages for q in insights.by_queue), default=0)
        for queue in insights.by_queue:
            queues.add_row(
                queue.queue_name,
                str(queue.messages),
                score_text(queue.average),
                bar(queue.messages, largest, SMALL_BAR),
            )
        if not insights.by_queue:
            queues.add_row(Text(_("no queued conversations"), style="dim"), "", "", "")
        agents = self._table("#by-agent")
        agents.clear()
        largest = max((a.messages for a in insights.by_agent), default=0)
        for agent in insights.by_agent:
            agents.add_row(
                agent.agent_name or Text(pgettext("whose", "unassigned"), style="dim"),
                str(agent.messages),
                score_text(agent.average),
                bar(agent.messages, largest, SMALL_BAR),
            )

    def _fill_counts(self, insights: Insights) -> None:
        intents = self._table("#top-intents")
        intents.clear()
        largest = max((i.count for i in insights.top_intents), default=0)
        for intent in insights.top_intents:
            intents.add_row(intent.name, str(intent.count), bar(intent.count, largest, SMALL_BAR))
        alerts = self._table("#alerts")
        alerts.clear()
        largest = max((a.count for a in insights.alerts_by_rule), default=0)
        for alert in insights.alerts_by_rule:
            alerts.add_row(
                _(RULE_TITLES[alert.name]) if alert.name in RULE_TITLES else alert.name,
                str(alert.count),
                bar(alert.count, largest, SMALL_BAR),
            )
        if not insights.alerts_by_rule:
            alerts.add_row(Text(_("no alerts"), style="dim"), "", "")

    # Opening a conversation

    @on(DataTable.RowSelected, "#turned-negative")
    def _open_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self._open_in_chat(uuid.UUID(event.row_key.value))

    @work(exclusive=True, exit_on_error=False, group="open")
    async def _open_in_chat(self, conversation_id: uuid.UUID) -> None:
        # Through the app's own navigation, so the chat is the one kept for the session.
        await self.app.run_action("go('chat')")
        chat = self.app.screen
        if isinstance(chat, ChatScreen):
            chat.open_conversation(conversation_id)


def build_insights(context: SessionContext) -> Screen[None]:
    """The ``f6`` destination's screen."""
    return InsightsScreen(client=context.client, clock=context.clock)


def _day_span(days: int) -> tuple[float, float]:
    """The x range that shows ``days`` bars centred in at least a week's width."""
    spare = max(days, MIN_DAY_SLOTS) - days
    return -0.5 - spare / 2, days - 0.5 + spare / 2
