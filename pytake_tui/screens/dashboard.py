"""The agent dashboard: figures for today, the week and the month, goals with progress, charts,
the activity timeline and the status switcher.

Agents see their own; supervisors pick any agent (``g``). REST fills it (on open, on picking an
agent, after a resync); the stream keeps it current: a status change shows at once (from any
console), and what moves the figures (a status, a goal reached, a rating, an assignment, a
message sent by the agent) makes it read them again, at most once a second — and only once
shown again when another screen is on top (:mod:`pytake_tui.screens.refreshing`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Select, Static, TabbedContent, TabPane

from pytake_daemon.protocol import Me, MessageSent, Role
from pytake_daemon.protocol.agents import (
    ActivityList,
    AgentMetrics,
    AgentOut,
    AgentStatus,
    AgentStatusChanged,
    GoalList,
    GoalReached,
    RealTime,
    SatisfactionReceived,
)
from pytake_daemon.protocol.queues import QueueItemChanged
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.dashboard_view import goal_title, real_time_line
from pytake_tui.i18n import _
from pytake_tui.messages import EventReceived, ResyncNeeded, SessionExpired
from pytake_tui.navigation import SessionContext
from pytake_tui.screens.dashboard_keys import DASHBOARD_BINDINGS
from pytake_tui.screens.goal_editor import GoalEditor
from pytake_tui.screens.refreshing import RefreshingScreen
from pytake_tui.widgets.charts import AgentCharts
from pytake_tui.widgets.footer import Footer
from pytake_tui.widgets.goal_bars import GoalBars
from pytake_tui.widgets.onboarding_progress import OnboardingProgress, may_onboard
from pytake_tui.widgets.points_panel import PointsPanel
from pytake_tui.widgets.stat_cards import StatCards
from pytake_tui.widgets.status_switcher import StatusSwitcher
from pytake_tui.widgets.timeline import Timeline

Clock = Callable[[], datetime]
PAGE = 30  # timeline entries per page


class DashboardScreen(RefreshingScreen):
    """Keys: ``o`` ``b`` ``a`` ``k`` ``x`` set the status (online, busy, away, break, offline),
    ``1`` ``2`` ``3`` the tabs, ``m`` older timeline entries, ``r`` reload, ``g`` pick an agent
    (supervisors)."""

    CSS_PATH = "dashboard.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = DASHBOARD_BINDINGS

    class Loaded(Message):
        """An agent's figures, goals and newest timeline page; ``fresh`` on a re-read."""

        def __init__(
            self,
            agent_id: uuid.UUID,
            metrics: AgentMetrics,
            goals: GoalList,
            page: ActivityList,
            *,
            fresh: bool,
        ) -> None:
            super().__init__()
            self.agent_id = agent_id
            self.metrics = metrics
            self.goals = goals
            self.page = page
            self.fresh = fresh

    class OlderLoaded(Message):
        def __init__(self, agent_id: uuid.UUID, page: ActivityList) -> None:
            super().__init__()
            self.agent_id = agent_id
            self.page = page

    class AgentsLoaded(Message):
        def __init__(self, agents: list[AgentOut]) -> None:
            super().__init__()
            self.agents = agents

    class StatusSet(Message):
        def __init__(self, agent: AgentOut) -> None:
            super().__init__()
            self.agent = agent

    class StatusRefused(Message):
        def __init__(self, agent_id: uuid.UUID) -> None:
            super().__init__()
            self.agent_id = agent_id

    def __init__(self, *, client: DaemonClient, me: Me, clock: Clock) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self._clock = clock
        self.agent_id = me.user_id  # whose dashboard is shown
        self.metrics: AgentMetrics | None = None
        self.real_time: RealTime | None = None
        """The live part: the metrics' own, then moved by events and status changes."""
        self.goals: GoalList | None = None
        self._names: dict[uuid.UUID, str] = {me.user_id: me.name}

    @property
    def supervising(self) -> bool:
        return self._me.role.at_least(Role.SUPERVISOR)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="dashboard"):
            with Horizontal(id="agent-bar"):
                if self.supervising:
                    yield Select(
                        [(self._me.name, self._me.user_id)],
                        value=self._me.user_id,
                        allow_blank=False,
                        compact=True,
                        id="agent-picker",
                    )
                else:
                    yield Static(Text(self._me.name, style="bold"), id="agent-name")
                yield Static("…", id="real-time")
            yield StatusSwitcher(id="status")
            if may_onboard(self._me):
                yield OnboardingProgress(self._client, id="onboarding-progress")
            yield PointsPanel(self._client, id="points-panel")
            with TabbedContent(id="dashboard-tabs"):
                with TabPane(_("Overview"), id="overview"), VerticalScroll(id="overview-scroll"):
                    yield StatCards(id="cards")
                    yield Static(_("Goals"), id="goals-title")
                    yield GoalBars("…", editable=self.supervising, id="goals")
                with TabPane(_("Charts"), id="charts"), VerticalScroll(id="charts-scroll"):
                    yield AgentCharts(id="charts-grid")
                with TabPane(_("Timeline"), id="timeline"):
                    yield Timeline(self._clock, id="timeline-list")
        yield Footer()

    def on_mount(self) -> None:
        self._load(self.agent_id, fresh=False)
        if self.supervising:
            self._load_agents()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("pick_agent", "edit_goals"):
            return self.supervising
        return True

    # Reading

    @work(exclusive=True, exit_on_error=False, group="dashboard")
    async def _load(self, agent_id: uuid.UUID, *, fresh: bool) -> None:
        try:
            metrics, goals, page = await asyncio.gather(
                self._client.agent_metrics(agent_id),
                self._client.agent_goals(agent_id),
                self._client.agent_activities(agent_id, limit=PAGE),
            )
        except DaemonError as error:
            self._failed(error, _("Could not read the dashboard"))
            return
        self.post_message(self.Loaded(agent_id, metrics, goals, page, fresh=fresh))

    @work(exclusive=True, exit_on_error=False, group="agents")
    async def _load_agents(self) -> None:
        try:
            agents = await self._client.agents()
        except DaemonError as error:
            self._failed(error, _("Could not list the agents"))
            return
        self.post_message(self.AgentsLoaded(agents.items))

    @work(exclusive=True, exit_on_error=False, group="older")
    async def _load_older(self, agent_id: uuid.UUID, before: int) -> None:
        try:
            page = await self._client.agent_activities(agent_id, before=before, limit=PAGE)
        except DaemonError as error:
            self.query_one(Timeline).loading = False
            self._failed(error, _("Could not read the timeline"))
            return
        self.post_message(self.OlderLoaded(agent_id, page))

    @work(exclusive=True, exit_on_error=False, group="status")
    async def _set_status(self, agent_id: uuid.UUID, status: AgentStatus) -> None:
        try:
            agent = await self._client.set_agent_status(agent_id, status)
        except DaemonError as error:
            self.post_message(self.StatusRefused(agent_id))
            self._failed(error, _("Status not changed"))
            return
        self.post_message(self.StatusSet(agent))

    def _failed(self, error: DaemonError, title: str) -> None:
        if error.unauthorized:
            self.post_message(SessionExpired(_("your session has ended")))
        else:
            self.notify(error.message, title=title, severity="error")

    def on_dashboard_screen_loaded(self, message: Loaded) -> None:
        if message.agent_id != self.agent_id:
            return  # an answer about an agent no longer shown
        self.metrics, self.goals = message.metrics, message.goals
        self.real_time = message.metrics.real_time
        self.query_one(StatCards).show(message.metrics)
        self.query_one(GoalBars).show(message.goals.items, message.metrics.month.achievements)
        self.query_one(AgentCharts).show(message.metrics)
        timeline = self.query_one(Timeline)
        if message.fresh:
            timeline.merge_newest(message.page)
        else:
            timeline.reset(message.page)
        self._show_real_time()

    def on_dashboard_screen_older_loaded(self, message: OlderLoaded) -> None:
        if message.agent_id == self.agent_id:
            self.query_one(Timeline).append(message.page)

    def on_dashboard_screen_agents_loaded(self, message: AgentsLoaded) -> None:
        self._names.update({a.id: a.name for a in message.agents})
        if self.agent_id not in self._names:
            self._names[self.agent_id] = str(self.agent_id)
        picker: Select[uuid.UUID] = self.query_one("#agent-picker", Select)
        with picker.prevent(Select.Changed):
            by_name = sorted(self._names.items(), key=lambda item: item[1].casefold())
            picker.set_options([(name, agent_id) for agent_id, name in by_name])
            picker.value = self.agent_id

    def on_dashboard_screen_status_set(self, message: StatusSet) -> None:
        agent = message.agent
        if agent.id != self.agent_id:
            return
        self.query_one(StatusSwitcher).pending = None
        self.real_time = RealTime(
            status=agent.status,
            active=agent.active,
            capacity=agent.capacity,
            load=agent.active / agent.capacity if agent.capacity else 1.0,
            last_activity_at=agent.last_activity_at,
        )
        self._show_real_time()

    def on_dashboard_screen_status_refused(self, message: StatusRefused) -> None:
        if message.agent_id == self.agent_id:
            self.query_one(StatusSwitcher).pending = None

    def _show_real_time(self) -> None:
        real_time = self.real_time
        if real_time is None:
            return
        self.query_one("#real-time", Static).update(real_time_line(real_time, self._clock()))
        self.query_one(StatusSwitcher).current = real_time.status

    # Actions

    def action_status(self, status: str) -> None:
        """Set the shown agent's status."""
        self._choose(AgentStatus(status))

    @on(StatusSwitcher.Chosen)
    def _chip_clicked(self, message: StatusSwitcher.Chosen) -> None:
        self._choose(message.status)

    def _choose(self, status: AgentStatus) -> None:
        self.query_one(StatusSwitcher).pending = status
        self._set_status(self.agent_id, status)

    def action_tab(self, tab: str) -> None:
        """Show a tab: overview, charts or timeline."""
        self.query_one(TabbedContent).active = tab

    def action_more(self) -> None:
        """Read the next (older) page of the timeline."""
        timeline = self.query_one(Timeline)
        self.query_one(TabbedContent).active = "timeline"
        before = timeline.next_before
        if before is not None and timeline.request_more():
            self._load_older(self.agent_id, before)

    @on(Timeline.MoreRequested)
    def _more_clicked(self) -> None:
        self.action_more()

    def action_edit_goals(self) -> None:
        """Set, change or remove the shown agent's goals (supervisors)."""
        name = self._names.get(self.agent_id, _("this agent"))
        goals = self.goals.items if self.goals is not None else []
        editor = GoalEditor(self._client, self.agent_id, name, goals)
        self.app.push_screen(editor, self._goals_edited)

    def _goals_edited(self, changed: bool | None) -> None:
        if changed:
            self._load(self.agent_id, fresh=True)

    def action_reload(self) -> None:
        """Read everything again."""
        self._load(self.agent_id, fresh=True)
        if self.supervising:
            self._load_agents()

    def action_pick_agent(self) -> None:
        """Choose whose dashboard to show (supervisors)."""
        picker = self.query_one("#agent-picker", Select)
        picker.focus()
        picker.expanded = True

    @on(Select.Changed, "#agent-picker")
    def _agent_picked(self, event: Select.Changed) -> None:
        if not isinstance(event.value, uuid.UUID) or event.value == self.agent_id:
            return
        self.show_agent(event.value)

    def show_agent(self, agent_id: uuid.UUID) -> None:
        """Switch to another agent's dashboard: what is shown now is theirs no more."""
        self.agent_id = agent_id
        self.metrics = self.goals = self.real_time = None
        self.query_one(StatusSwitcher).pending = None
        self.query_one("#real-time", Static).update("…")
        self._load(agent_id, fresh=False)

    # The stream

    def on_event_received(self, message: EventReceived) -> None:
        event = message.envelope.event
        shown = self.agent_id
        match event:
            case AgentStatusChanged() if event.agent_id == shown:
                self._status_changed(event)
                self._schedule_refresh()
            case GoalReached():
                self._goal_reached(event)
                if event.agent_id == shown:
                    self._schedule_refresh()
            case SatisfactionReceived() if event.agent_id == shown:
                self._schedule_refresh()
            case QueueItemChanged() if event.item.agent_id == shown:
                self._schedule_refresh()
            case MessageSent() if event.message.sent_by == shown:
                self._schedule_refresh()
            case _:
                pass

    def _status_changed(self, event: AgentStatusChanged) -> None:
        """Another console (or the daemon: presence, capacity) changed the status: show it now."""
        self.query_one(StatusSwitcher).pending = None
        if self.real_time is None:
            return
        self.real_time = self.real_time.model_copy(
            update={
                "status": event.status,
                "active": event.active,
                "capacity": event.capacity,
                "load": event.active / event.capacity if event.capacity else 1.0,
            }
        )
        self._show_real_time()

    def _goal_reached(self, event: GoalReached) -> None:
        title = goal_title(event.goal)
        if event.agent_id == self._me.user_id:
            self.notify(title, title=_("Goal reached"))
        elif event.agent_id == self.agent_id:
            who = self._names.get(event.agent_id, _("The agent"))
            self.notify(f"{who}: {title}", title=_("Goal reached"))

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        self._schedule_refresh()

    def _reload(self) -> None:
        self._load(self.agent_id, fresh=True)


def build_dashboard(context: SessionContext) -> Screen[None]:
    return DashboardScreen(client=context.client, me=context.me, clock=context.clock)
