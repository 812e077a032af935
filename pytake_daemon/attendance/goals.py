"""Goals: progress measured from real data for the current period, and "goal reached" once per
period (the database decides "once": ``agent_goals.reached_for`` moves in one UPDATE)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import asyncpg

from pytake_daemon.attendance import agent_metrics, agents_db, goal_titles, goals_db
from pytake_daemon.attendance.hours import zone
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import NotFound, UnprocessableEntity
from pytake_daemon.protocol import ServerEvent
from pytake_daemon.protocol.agents import (
    GoalCreate,
    GoalKind,
    GoalOut,
    GoalPeriod,
    GoalReached,
    GoalUpdate,
)
from pytake_i18n import DEFAULT_LANGUAGE


def title(kind: GoalKind, target: float, period: str) -> str:
    """The goal in English, as the "goal reached" timeline entry stores it (what a reader sees
    is worded again in their language where it can be: goal_titles)."""
    return goal_titles.title(kind, target, period, language=DEFAULT_LANGUAGE)


def _current(kind: GoalKind, s: agent_metrics.Stats) -> float | None:
    match kind:
        case GoalKind.DAILY_CONVERSATIONS:
            return float(s.conversations)
        case GoalKind.SATISFACTION:
            return s.avg_satisfaction
        case GoalKind.RESPONSE_TIME:
            return s.avg_first_response_seconds
        case GoalKind.EFFICIENCY:
            rate = s.resolution_rate
            return None if rate is None else 100.0 * rate
        case GoalKind.QUALITY:
            return s.quality


def _progress(kind: GoalKind, current: float | None, target: float) -> float:
    if current is None:
        return 0.0
    if kind is GoalKind.RESPONSE_TIME:  # lower is better
        return 1.0 if current <= target else target / current
    return min(1.0, current / target)


async def evaluate(
    conn: Connection, agent: asyncpg.Record, goal: asyncpg.Record, now: datetime
) -> GoalOut:
    kind = GoalKind(goal["kind"])
    start = agent_metrics.period_start(goal["period"], agent["timezone"], now)
    if goal["agent_id"] is not None:
        members = [goal["agent_id"]]
    else:
        members = await agents_db.department_agents(conn, goal["department"])
    s = await agent_metrics.stats(conn, members, start, now + timedelta(seconds=1))
    current = _current(kind, s)
    progress = _progress(kind, current, goal["target"])
    return rows.of(
        GoalOut,
        goal,
        scope="agent" if goal["agent_id"] is not None else "team",
        current=current,
        progress=progress,
        reached=progress >= 1.0,
        period_start=start,
    )


async def goals_of(conn: Connection, agent_id: uuid.UUID, now: datetime) -> list[GoalOut]:
    agent = await agents_db.get_agent(conn, agent_id)
    if agent is None:
        raise NotFound("no such agent")
    return [await evaluate(conn, agent, g, now) for g in await goals_db.goals_of(conn, agent_id)]


async def create(conn: Connection, agent_id: uuid.UUID, body: GoalCreate) -> asyncpg.Record:
    agent = await agents_db.get_agent(conn, agent_id)
    if agent is None:
        raise NotFound("no such agent")
    department = None
    if body.team:
        department = body.department or (agent["departments"][0] if agent["departments"] else None)
        if department is None:
            raise UnprocessableEntity("a team goal needs a department (the agent has none)")
    return await goals_db.insert_goal(
        conn,
        agent_id=None if body.team else agent_id,
        department=department,
        kind=body.kind.value,
        target=body.target,
        period=body.period.value,
        deadline=body.deadline,
    )


async def change(
    conn: Connection, agent_id: uuid.UUID, goal_id: uuid.UUID, body: GoalUpdate
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """Change one of the agent's goals (theirs or their team's); the goal before and after."""
    before = await goals_db.goal_of(conn, agent_id, goal_id)
    if before is None:
        raise NotFound("no such goal for this agent")
    # A field left out keeps its value; ``"deadline": null`` removes the deadline.
    deadline = body.deadline if "deadline" in body.model_fields_set else before["deadline"]
    after = await goals_db.update_goal(
        conn,
        goal_id,
        target=body.target if body.target is not None else before["target"],
        period=(body.period or GoalPeriod(before["period"])).value,
        deadline=deadline,
    )
    return before, after


async def remove(conn: Connection, agent_id: uuid.UUID, goal_id: uuid.UUID) -> asyncpg.Record:
    """Delete one of the agent's goals; the goal as it was."""
    goal = await goals_db.goal_of(conn, agent_id, goal_id)
    if goal is None:
        raise NotFound("no such goal for this agent")
    await goals_db.delete_goal(conn, goal_id)
    return goal


async def check(conn: Connection, agent_id: uuid.UUID, now: datetime) -> list[ServerEvent]:
    """Goals newly reached by what just happened: a timeline entry and an event each."""
    agent = await agents_db.get_agent(conn, agent_id)
    if agent is None:
        return []
    today: date = now.astimezone(zone(agent["timezone"])).date()
    events: list[ServerEvent] = []
    for goal in await goals_db.goals_of(conn, agent_id):
        if goal["deadline"] is not None and goal["deadline"] < today:
            continue
        out = await evaluate(conn, agent, goal, now)
        if not out.reached or not await goals_db.mark_reached(conn, goal["id"], out.period_start):
            continue
        name = title(out.kind, out.target, out.period.value)
        await agents_db.add_activities(
            conn,
            [(agent_id, "goal_reached", None, {"goal_id": str(goal["id"]), "title": name})],
            now,
        )
        events.append(GoalReached(agent_id=agent_id, goal=out))
    return events
