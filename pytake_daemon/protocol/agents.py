"""Agents: status, settings, metrics, goals, timeline and satisfaction (``/api/v1/agents``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from pytake_daemon.protocol.common import WireModel
from pytake_daemon.protocol.queues import Label, TimeZoneName, WeeklyHours

SERIES_DAYS = 14
"""How many days ``AgentMetrics.daily`` covers."""


class AgentStatus(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    BUSY = "busy"
    AWAY = "away"
    BREAK = "break"


class AgentOut(WireModel):
    id: uuid.UUID = Field(description="the agent's user id")
    name: str
    email: str
    role: str
    status: AgentStatus
    status_changed_at: datetime
    capacity: int
    active: int = Field(description="conversations assigned now")
    skills: list[str]
    departments: list[str]
    working_hours: dict[str, list[tuple[str, str]]] | None
    timezone: str
    busy_at_capacity: bool
    last_activity_at: datetime | None


class AgentList(WireModel):
    items: list[AgentOut]


class AgentStatusUpdate(WireModel):
    """``PUT /api/v1/agents/{id}/status``: an agent sets their own; supervisors anyone's.

    The other fields change the agent's settings at the same time (supervisors only)."""

    status: AgentStatus
    capacity: int | None = Field(default=None, ge=0, le=1000)
    skills: list[Label] | None = Field(default=None, max_length=50)
    departments: list[Label] | None = Field(default=None, max_length=20)
    working_hours: WeeklyHours | None = None
    timezone: TimeZoneName | None = None
    busy_at_capacity: bool | None = None


class AgentStatusChanged(WireModel):
    type: Literal["agent_status_changed"] = "agent_status_changed"
    agent_id: uuid.UUID
    status: AgentStatus
    active: int
    capacity: int
    reason: str = Field(description="'manual', 'presence' (console gone) or 'capacity'")


class Period(WireModel):
    conversations: int = Field(description="assignments finished (resolved) in the period")
    messages_answered: int
    avg_first_response_seconds: float | None
    avg_handling_seconds: float | None


class WeekMetrics(Period):
    avg_satisfaction: float | None
    ratings: int
    resolution_rate: float | None = Field(description="finished by this agent / all they left")


class DayCount(WireModel):
    day: date
    conversations: int


class MonthMetrics(WeekMetrics):
    best_day: DayCount | None
    achievements: list[str] = Field(description="goals reached this month")


class RealTime(WireModel):
    status: AgentStatus
    active: int
    capacity: int
    load: float = Field(description="active / capacity")
    last_activity_at: datetime | None


class HourPoint(WireModel):
    """One hour of today, for the dashboard's charts."""

    hour: int = Field(ge=0, le=23, description="the local hour it starts at")
    messages_answered: int
    avg_first_response_seconds: float | None = Field(
        description="of the assignments that started in this hour"
    )


class DayPoint(WireModel):
    """One day, for the dashboard's charts."""

    day: date
    conversations: int
    avg_satisfaction: float | None
    ratings: int


class AgentMetrics(WireModel):
    """Days, weeks (from Monday) and months in the agent's own time zone."""

    agent_id: uuid.UUID
    timezone: str
    today: Period
    week: WeekMetrics
    month: MonthMetrics
    real_time: RealTime
    hourly: list[HourPoint] = Field(description="today, from midnight to the current hour")
    daily: list[DayPoint] = Field(description=f"the last {SERIES_DAYS} days, today last")


class GoalKind(StrEnum):
    DAILY_CONVERSATIONS = "daily_conversations"
    """Conversations finished in the period (at least ``target``)."""
    SATISFACTION = "satisfaction"
    """Average rating, 1-5 (at least ``target``)."""
    RESPONSE_TIME = "response_time"
    """Average first response in seconds (at most ``target``)."""
    EFFICIENCY = "efficiency"
    """Resolution rate in percent (at least ``target``)."""
    QUALITY = "quality"
    """Share of ratings of 4 or 5, in percent (at least ``target``)."""


class GoalPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class GoalCreate(WireModel):
    """``POST /api/v1/agents/{id}/goals``; ``team: true`` makes it a goal of every agent of
    ``department`` together."""

    kind: GoalKind
    target: float = Field(gt=0)
    period: GoalPeriod = GoalPeriod.DAY
    deadline: date | None = None
    team: bool = False
    department: Label | None = None


class GoalUpdate(WireModel):
    """``PATCH /api/v1/agents/{id}/goals/{goal_id}``: what is sent changes; ``deadline: null``
    removes the deadline. A changed goal can be reached (and announced) again."""

    target: float | None = Field(default=None, gt=0)
    period: GoalPeriod | None = None
    deadline: date | None = None


class GoalOut(WireModel):
    id: uuid.UUID
    kind: GoalKind
    target: float
    period: GoalPeriod
    deadline: date | None
    scope: Literal["agent", "team"]
    department: str | None
    current: float | None = Field(description="measured from real data for the current period")
    progress: float = Field(description="0 to 1; 1 means reached")
    reached: bool
    period_start: datetime


class GoalList(WireModel):
    items: list[GoalOut]


class GoalReached(WireModel):
    type: Literal["goal_reached"] = "goal_reached"
    agent_id: uuid.UUID
    goal: GoalOut


class ActivityKind(StrEnum):
    CONVERSATION_STARTED = "conversation_started"
    CONVERSATION_FINISHED = "conversation_finished"
    GOAL_REACHED = "goal_reached"
    FEEDBACK_RECEIVED = "feedback_received"
    STATUS_CHANGED = "status_changed"


class ActivityOut(WireModel):
    id: int
    kind: ActivityKind
    conversation_id: uuid.UUID | None
    contact: str | None = Field(default=None, description="the customer's name, else number")
    detail: dict[str, Any]
    at: datetime


class ActivityQuery(WireModel):
    before: int | None = Field(default=None, ge=1, description="the next page: last id seen")
    limit: int = Field(default=50, ge=1, le=200)


class ActivityList(WireModel):
    items: list[ActivityOut] = Field(description="newest first")
    next_before: int | None = Field(description="pass as ?before= for older entries")


class SatisfactionReceived(WireModel):
    type: Literal["satisfaction_received"] = "satisfaction_received"
    conversation_id: uuid.UUID
    agent_id: uuid.UUID
    rating: int
