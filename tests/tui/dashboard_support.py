"""A fake daemon for the agent dashboard: agents, figures, goals and timelines in memory, served
to the app in-process (a :class:`ScriptedClient` with the dashboard's calls), plus the fixed data
of the dashboard's tests and snapshots."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_daemon.attendance import goal_titles
from pytake_daemon.protocol import EventEnvelope, Me, Role
from pytake_daemon.protocol.agents import (
    SERIES_DAYS,
    ActivityKind,
    ActivityList,
    ActivityOut,
    AgentList,
    AgentMetrics,
    AgentOut,
    AgentStatus,
    DayCount,
    DayPoint,
    GoalKind,
    GoalList,
    GoalOut,
    GoalPeriod,
    HourPoint,
    MonthMetrics,
    Period,
    RealTime,
    WeekMetrics,
)
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens import ChatScreen
from pytake_tui.screens.dashboard import DashboardScreen
from pytake_tui.widgets.timeline import Timeline

from .fake_daemon import ScriptedClient, hello_envelope
from .fake_world import FakeWorld
from .helpers import wait_until
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT, TENANT_ID, TOKEN_ID, USER_ID

SERVER = "http://pytake.invalid:8420"
BRUNO_ID = uuid.UUID("00000000-0000-4000-8000-0000000000b2")
TODAY = FIXED_AT.date()


def me_as(role: Role) -> Me:
    return Me(
        user_id=USER_ID,
        email=ALICE_EMAIL,
        name="Alice Example",
        role=role,
        tenant_id=TENANT_ID,
        tenant_slug="acme",
        tenant_name="Acme Support",
        token_id=TOKEN_ID,
        token_expires_at=FAR_FUTURE,
    )


def agent(
    agent_id: uuid.UUID, name: str, status: AgentStatus, active: int, capacity: int
) -> AgentOut:
    return AgentOut(
        id=agent_id,
        name=name,
        email=f"{name.split(maxsplit=1)[0].lower()}@example.com",
        role="agent",
        status=status,
        status_changed_at=FIXED_AT - timedelta(hours=1),
        capacity=capacity,
        active=active,
        skills=["pt"],
        departments=["care"],
        working_hours=None,
        timezone="UTC",
        busy_at_capacity=False,
        last_activity_at=FIXED_AT - timedelta(minutes=6),
    )


def _period(
    conversations: int, messages: int, first: float | None, handling: float | None
) -> Period:
    return Period(
        conversations=conversations,
        messages_answered=messages,
        avg_first_response_seconds=first,
        avg_handling_seconds=handling,
    )


def _week(
    period: Period, satisfaction: float | None, ratings: int, rate: float | None
) -> WeekMetrics:
    return WeekMetrics(
        **period.model_dump(), avg_satisfaction=satisfaction, ratings=ratings, resolution_rate=rate
    )


ACHIEVED = ((GoalKind.DAILY_CONVERSATIONS, 5.0, "day"), (GoalKind.SATISFACTION, 4.5, "week"))
"""The busy world's goals reached this month (kind, target, period)."""


def busy_metrics(who: AgentOut) -> AgentMetrics:
    """A worked morning: messages from 8h, ratings on most of the last two weeks."""
    hourly = [
        HourPoint(
            hour=h,
            messages_answered={7: 2, 8: 14, 9: 6}.get(h, 0),
            avg_first_response_seconds={7: 45.0, 8: 80.0, 9: 150.0}.get(h),
        )
        for h in range(FIXED_AT.hour + 1)
    ]
    daily = [
        DayPoint(
            day=TODAY - timedelta(days=SERIES_DAYS - 1 - n),
            conversations=0 if n % 7 in (1, 2) else 6 + n % 4,
            avg_satisfaction=None if n % 7 in (1, 2) else 3.5 + (n % 4) * 0.4,
            ratings=0 if n % 7 in (1, 2) else 3 + n % 3,
        )
        for n in range(SERIES_DAYS)
    ]
    week = _week(_period(31, 152, 71.0, 462.0), 4.4, 19, 0.94)
    return AgentMetrics(
        agent_id=who.id,
        timezone="UTC",
        today=_period(7, 22, 80.0, 505.0),
        week=week,
        month=MonthMetrics(
            **_week(_period(118, 590, 75.0, 480.0), 4.3, 71, 0.91).model_dump(),
            best_day=DayCount(day=date(2025, 3, 6), conversations=15),
            achievements=[goal_titles.title(*goal, language="en") for goal in ACHIEVED],
        ),
        real_time=RealTime(
            status=who.status,
            active=who.active,
            capacity=who.capacity,
            load=who.active / who.capacity,
            last_activity_at=who.last_activity_at,
        ),
        hourly=hourly,
        daily=daily,
    )


def new_metrics(who: AgentOut) -> AgentMetrics:
    """An agent who has done nothing yet."""
    empty = _period(0, 0, None, None)
    return AgentMetrics(
        agent_id=who.id,
        timezone="UTC",
        today=empty,
        week=_week(empty, None, 0, None),
        month=MonthMetrics(
            **_week(empty, None, 0, None).model_dump(), best_day=None, achievements=[]
        ),
        real_time=RealTime(
            status=who.status,
            active=0,
            capacity=who.capacity,
            load=0.0,
            last_activity_at=None,
        ),
        hourly=[
            HourPoint(hour=h, messages_answered=0, avg_first_response_seconds=None)
            for h in range(FIXED_AT.hour + 1)
        ],
        daily=[
            DayPoint(
                day=TODAY - timedelta(days=SERIES_DAYS - 1 - n),
                conversations=0,
                avg_satisfaction=None,
                ratings=0,
            )
            for n in range(SERIES_DAYS)
        ],
    )


def goal(
    kind: GoalKind,
    target: float,
    current: float | None,
    progress: float,
    *,
    period: GoalPeriod = GoalPeriod.DAY,
    team: bool = False,
    deadline: date | None = None,
) -> GoalOut:
    return GoalOut(
        id=uuid.uuid5(uuid.NAMESPACE_OID, f"{kind}-{target}"),
        kind=kind,
        target=target,
        period=period,
        deadline=deadline,
        scope="team" if team else "agent",
        department="care" if team else None,
        current=current,
        progress=progress,
        reached=progress >= 1.0,
        period_start=datetime(2025, 3, 14, tzinfo=FIXED_AT.tzinfo),
    )


def busy_goals() -> list[GoalOut]:
    return [
        goal(GoalKind.DAILY_CONVERSATIONS, 12, 7, 7 / 12, deadline=date(2025, 3, 31)),
        goal(GoalKind.SATISFACTION, 4.5, 4.4, 4.4 / 4.5, period=GoalPeriod.WEEK, team=True),
        goal(GoalKind.RESPONSE_TIME, 60, 80, 60 / 80),
        goal(GoalKind.QUALITY, 80, 84.2, 1.0, period=GoalPeriod.WEEK),
    ]


CUSTOMERS = ("Ana Souza", "Bruno Lima", "Carla Dias", "+447700900123")


def timeline(n: int) -> list[ActivityOut]:
    """``n`` entries, newest first, every kind in turn, one every seven minutes."""
    kinds = [
        (ActivityKind.FEEDBACK_RECEIVED, {"rating": 5}),
        (ActivityKind.CONVERSATION_FINISHED, {"handling_seconds": 412.0}),
        (ActivityKind.GOAL_REACHED, {"title": "5 conversations per day"}),
        (ActivityKind.CONVERSATION_STARTED, {"queue_id": str(uuid.UUID(int=7))}),
        (ActivityKind.STATUS_CHANGED, {"from": "busy", "to": "online"}),
        (ActivityKind.CONVERSATION_FINISHED, {"reason": "transferred"}),
    ]
    entries = []
    for i in range(n):
        kind, detail = kinds[i % len(kinds)]
        with_customer = kind not in (ActivityKind.GOAL_REACHED, ActivityKind.STATUS_CHANGED)
        entries.append(
            ActivityOut(
                id=1000 - i,
                kind=kind,
                conversation_id=uuid.UUID(int=100 + i) if with_customer else None,
                contact=CUSTOMERS[i % len(CUSTOMERS)] if with_customer else None,
                detail=detail,
                at=FIXED_AT - timedelta(minutes=3 + 7 * i),
            )
        )
    return entries


@dataclass
class DashboardWorld:
    """What the fake daemon knows; it records the calls the app makes."""

    agents: dict[uuid.UUID, AgentOut] = field(default_factory=dict)
    metrics: dict[uuid.UUID, AgentMetrics] = field(default_factory=dict)
    goals: dict[uuid.UUID, list[GoalOut]] = field(default_factory=dict)
    activities: dict[uuid.UUID, list[ActivityOut]] = field(default_factory=dict)
    status_puts: list[tuple[uuid.UUID, AgentStatus]] = field(default_factory=list)
    activity_reads: list[tuple[uuid.UUID, int | None]] = field(default_factory=list)
    metric_reads: list[uuid.UUID] = field(default_factory=list)
    refuse_status: DaemonError | None = None

    def add(
        self,
        who: AgentOut,
        metrics: AgentMetrics,
        goals: list[GoalOut],
        activities: list[ActivityOut],
    ) -> None:
        self.agents[who.id] = who
        self.metrics[who.id] = metrics
        self.goals[who.id] = goals
        self.activities[who.id] = activities

    def known(self, agent_id: uuid.UUID) -> None:
        if agent_id not in self.agents:
            raise DaemonError(404, "Not Found", "no such agent")


def busy_world() -> DashboardWorld:
    """Alice mid-morning with goals and a long timeline; Bruno with a quieter one."""
    world = DashboardWorld()
    alice = agent(USER_ID, "Alice Example", AgentStatus.ONLINE, 2, 3)
    world.add(alice, busy_metrics(alice), busy_goals(), timeline(70))
    bruno = agent(BRUNO_ID, "Bruno Lima", AgentStatus.BREAK, 0, 4)
    world.add(bruno, new_metrics(bruno), [], timeline(3))
    return world


def new_world() -> DashboardWorld:
    """Alice's first day: nothing done, no goals, an empty timeline."""
    world = DashboardWorld()
    alice = agent(USER_ID, "Alice Example", AgentStatus.OFFLINE, 0, 3)
    world.add(alice, new_metrics(alice), [], [])
    return world


class DashboardClient(ScriptedClient):
    """The chat's scripted client with the dashboard's calls answered from a world."""

    def __init__(
        self, server: str, dashboard: DashboardWorld, me: Me, envelopes: list[EventEnvelope]
    ) -> None:
        super().__init__(server, envelopes, FakeWorld(), me)
        self.dashboard = dashboard

    async def agents(self) -> AgentList:
        return AgentList(items=sorted(self.dashboard.agents.values(), key=lambda a: a.name))

    async def set_agent_status(self, agent_id: uuid.UUID, status: AgentStatus) -> AgentOut:
        self.dashboard.status_puts.append((agent_id, status))
        if self.dashboard.refuse_status is not None:
            raise self.dashboard.refuse_status
        self.dashboard.known(agent_id)
        changed = self.dashboard.agents[agent_id].model_copy(update={"status": status})
        self.dashboard.agents[agent_id] = changed
        return changed

    async def agent_metrics(self, agent_id: uuid.UUID) -> AgentMetrics:
        self.dashboard.metric_reads.append(agent_id)
        self.dashboard.known(agent_id)
        metrics = self.dashboard.metrics[agent_id]
        status = self.dashboard.agents[agent_id].status
        month = metrics.month
        if month.achievements:
            # As the daemon does: the goals worded in the language the console asks in.
            achieved = [goal_titles.title(*goal) for goal in ACHIEVED]
            month = month.model_copy(update={"achievements": achieved})
        return metrics.model_copy(
            update={
                "real_time": metrics.real_time.model_copy(update={"status": status}),
                "month": month,
            }
        )

    async def agent_goals(self, agent_id: uuid.UUID) -> GoalList:
        self.dashboard.known(agent_id)
        return GoalList(items=self.dashboard.goals[agent_id])

    async def agent_activities(
        self, agent_id: uuid.UUID, *, before: int | None = None, limit: int = 50
    ) -> ActivityList:
        """Pages as the daemon cuts them: ids below ``before``, newest first."""
        self.dashboard.activity_reads.append((agent_id, before))
        self.dashboard.known(agent_id)
        rows = [a for a in self.dashboard.activities[agent_id] if before is None or a.id < before]
        page = rows[:limit]
        return ActivityList(items=page, next_before=page[-1].id if len(rows) > limit else None)


def dashboard_app(
    tmp: Path,
    dashboard: DashboardWorld,
    *,
    me: Me | None = None,
    envelopes: list[EventEnvelope] | None = None,
) -> PyTakeApp:
    """An app resumed from a saved session, its clock at ``FIXED_AT`` (an agent by default)."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    who = me or me_as(Role.AGENT)
    stream = envelopes or [hello_envelope(1)]

    def client(server: str) -> DaemonClient:
        return DashboardClient(server, dashboard, who, stream)

    return build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=client,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )


async def dashboard_ready(pilot: Pilot[Any], entries: int) -> DashboardScreen:
    """Open the dashboard (f5) and wait for it to show ``entries`` timeline entries."""
    app = pilot.app
    assert isinstance(app, PyTakeApp)
    # The session opens on the chat; going elsewhere before that, the chat would win.
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")
    await pilot.press("f5")
    await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
    screen = app.screen
    assert isinstance(screen, DashboardScreen)

    def loaded() -> bool:
        timeline_shown = screen.query_one(Timeline)
        return screen.metrics is not None and len(timeline_shown.entries) == entries

    await wait_until(pilot, loaded, f"the dashboard with {entries} timeline entries")
    await pilot.pause()
    return screen


def envelope(seq: int, event: Any) -> EventEnvelope:
    return EventEnvelope(seq=seq, tenant_id=TENANT_ID, at=FIXED_AT, event=event)


__all__ = ["BRUNO_ID", "FIXED_AT", "USER_ID"]
