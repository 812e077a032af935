"""An agent's figures, measured from what happened (items, messages, ratings), never counters.

Days start at midnight, weeks on Monday and months on the 1st, in the agent's own time zone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from pytake_daemon.attendance import agents_db, goal_titles
from pytake_daemon.attendance.hours import zone
from pytake_daemon.attendance.views import optional_float
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import NotFound
from pytake_daemon.protocol.agents import (
    SERIES_DAYS,
    AgentMetrics,
    DayCount,
    DayPoint,
    GoalKind,
    HourPoint,
    MonthMetrics,
    Period,
    RealTime,
    WeekMetrics,
)


@dataclass(frozen=True)
class Stats:
    conversations: int
    left: int
    messages_answered: int
    avg_first_response_seconds: float | None
    avg_handling_seconds: float | None
    avg_satisfaction: float | None
    ratings: int
    good_ratings: int

    @property
    def resolution_rate(self) -> float | None:
        return self.conversations / self.left if self.left else None

    @property
    def quality(self) -> float | None:
        return 100.0 * self.good_ratings / self.ratings if self.ratings else None


_STATS = """
SELECT
  (SELECT count(*) FROM queue_items i
    WHERE i.tenant_id = current_tenant_id() AND i.agent_id = ANY($1::uuid[])
      AND i.status = 'completed' AND i.ended_at >= $2 AND i.ended_at < $3) AS conversations,
  (SELECT count(*) FROM queue_items i
    WHERE i.tenant_id = current_tenant_id() AND i.agent_id = ANY($1::uuid[])
      AND i.assigned_at IS NOT NULL AND i.ended_at >= $2 AND i.ended_at < $3) AS left_total,
  (SELECT avg(extract(epoch FROM i.ended_at - i.assigned_at)) FROM queue_items i
    WHERE i.tenant_id = current_tenant_id() AND i.agent_id = ANY($1::uuid[])
      AND i.status = 'completed' AND i.ended_at >= $2 AND i.ended_at < $3) AS avg_handling,
  (SELECT count(*) FROM messages m
    WHERE m.tenant_id = current_tenant_id() AND m.direction = 'out'
      AND m.sent_by = ANY($1::uuid[]) AND m.created_at >= $2 AND m.created_at < $3)
      AS messages_answered,
  (SELECT avg(extract(epoch FROM fr.first_at - i.assigned_at))
     FROM queue_items i
     CROSS JOIN LATERAL (
         SELECT min(m.created_at) AS first_at FROM messages m
          WHERE m.tenant_id = i.tenant_id AND m.conversation_id = i.conversation_id
            AND m.direction = 'out' AND m.sent_by = i.agent_id AND m.created_at >= i.assigned_at
            AND (i.ended_at IS NULL OR m.created_at <= i.ended_at)) fr
    WHERE i.tenant_id = current_tenant_id() AND i.agent_id = ANY($1::uuid[])
      AND i.assigned_at >= $2 AND i.assigned_at < $3 AND fr.first_at IS NOT NULL)
      AS avg_first_response,
  (SELECT avg(f.rating)::float8 FROM conversation_feedback f
    WHERE f.tenant_id = current_tenant_id() AND f.agent_id = ANY($1::uuid[])
      AND f.answered_at >= $2 AND f.answered_at < $3) AS avg_satisfaction,
  (SELECT count(*) FROM conversation_feedback f
    WHERE f.tenant_id = current_tenant_id() AND f.agent_id = ANY($1::uuid[])
      AND f.answered_at >= $2 AND f.answered_at < $3) AS ratings,
  (SELECT count(*) FROM conversation_feedback f
    WHERE f.tenant_id = current_tenant_id() AND f.agent_id = ANY($1::uuid[])
      AND f.answered_at >= $2 AND f.answered_at < $3 AND f.rating >= 4) AS good_ratings
"""


async def stats(
    conn: Connection, agent_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> Stats:
    """The figures of some agents together between ``start`` and ``end``."""
    row = await conn.fetchrow(_STATS, list(agent_ids), start, end)
    assert row is not None
    return rows.of(
        Stats,
        row,
        left=row["left_total"],
        avg_first_response_seconds=optional_float(row["avg_first_response"]),
        avg_handling_seconds=optional_float(row["avg_handling"]),
    )


_BEST_DAY = """
SELECT (i.ended_at AT TIME ZONE $4)::date AS day, count(*) AS conversations
  FROM queue_items i
 WHERE i.tenant_id = current_tenant_id() AND i.agent_id = $1 AND i.status = 'completed'
   AND i.ended_at >= $2 AND i.ended_at < $3
 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1
"""


# The charts' series: grouped by the local hour / day, gaps filled in Python (an hour without
# messages is a zero, not a missing point).
_HOURLY_MESSAGES = """
SELECT extract(hour FROM m.created_at AT TIME ZONE $4)::int AS hour, count(*) AS messages
  FROM messages m
 WHERE m.tenant_id = current_tenant_id() AND m.direction = 'out' AND m.sent_by = $1
   AND m.created_at >= $2 AND m.created_at < $3
 GROUP BY 1
"""

_HOURLY_FIRST_RESPONSE = """
SELECT extract(hour FROM i.assigned_at AT TIME ZONE $4)::int AS hour,
       avg(extract(epoch FROM fr.first_at - i.assigned_at))::float8 AS avg_first_response
  FROM queue_items i
  CROSS JOIN LATERAL (
      SELECT min(m.created_at) AS first_at FROM messages m
       WHERE m.tenant_id = i.tenant_id AND m.conversation_id = i.conversation_id
         AND m.direction = 'out' AND m.sent_by = i.agent_id AND m.created_at >= i.assigned_at
         AND (i.ended_at IS NULL OR m.created_at <= i.ended_at)) fr
 WHERE i.tenant_id = current_tenant_id() AND i.agent_id = $1
   AND i.assigned_at >= $2 AND i.assigned_at < $3 AND fr.first_at IS NOT NULL
 GROUP BY 1
"""

_DAILY_CONVERSATIONS = """
SELECT (i.ended_at AT TIME ZONE $4)::date AS day, count(*) AS conversations
  FROM queue_items i
 WHERE i.tenant_id = current_tenant_id() AND i.agent_id = $1 AND i.status = 'completed'
   AND i.ended_at >= $2 AND i.ended_at < $3
 GROUP BY 1
"""

_DAILY_RATINGS = """
SELECT (f.answered_at AT TIME ZONE $4)::date AS day, avg(f.rating)::float8 AS avg_rating,
       count(*) AS ratings
  FROM conversation_feedback f
 WHERE f.tenant_id = current_tenant_id() AND f.agent_id = $1
   AND f.answered_at >= $2 AND f.answered_at < $3
 GROUP BY 1
"""


async def hourly(conn: Connection, agent_id: uuid.UUID, tz: str, now: datetime) -> list[HourPoint]:
    """Today's hours, from midnight to the current one (local time)."""
    start, end = period_start("day", tz, now), now + timedelta(seconds=1)
    messages = {
        r["hour"]: r["messages"]
        for r in await conn.fetch(_HOURLY_MESSAGES, agent_id, start, end, tz)
    }
    first = {
        r["hour"]: r["avg_first_response"]
        for r in await conn.fetch(_HOURLY_FIRST_RESPONSE, agent_id, start, end, tz)
    }
    return [
        HourPoint(
            hour=h,
            messages_answered=messages.get(h, 0),
            avg_first_response_seconds=first.get(h),
        )
        for h in range(now.astimezone(zone(tz)).hour + 1)
    ]


async def daily(
    conn: Connection, agent_id: uuid.UUID, tz: str, now: datetime, days: int = SERIES_DAYS
) -> list[DayPoint]:
    """The last ``days`` local days, today last."""
    today = now.astimezone(zone(tz)).date()
    first_day = today - timedelta(days=days - 1)
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=zone(tz))
    end = now + timedelta(seconds=1)
    finished = {
        r["day"]: r["conversations"]
        for r in await conn.fetch(_DAILY_CONVERSATIONS, agent_id, start, end, tz)
    }
    rated = {r["day"]: r for r in await conn.fetch(_DAILY_RATINGS, agent_id, start, end, tz)}
    points = []
    for n in range(days):
        day = first_day + timedelta(days=n)
        rating = rated.get(day)
        points.append(
            DayPoint(
                day=day,
                conversations=finished.get(day, 0),
                avg_satisfaction=rating["avg_rating"] if rating else None,
                ratings=rating["ratings"] if rating else 0,
            )
        )
    return points


def period_start(kind: str, tz: str, now: datetime) -> datetime:
    """Start of the day, week (Monday) or month containing ``now`` in ``tz``."""
    local = now.astimezone(zone(tz))
    day = local.date()
    if kind == "week":
        day -= timedelta(days=day.weekday())
    elif kind == "month":
        day = day.replace(day=1)
    return datetime(day.year, day.month, day.day, tzinfo=zone(tz))


def _period(s: Stats) -> Period:
    return Period(
        conversations=s.conversations,
        messages_answered=s.messages_answered,
        avg_first_response_seconds=s.avg_first_response_seconds,
        avg_handling_seconds=s.avg_handling_seconds,
    )


def _week(s: Stats) -> WeekMetrics:
    return WeekMetrics(
        **_period(s).model_dump(),
        avg_satisfaction=s.avg_satisfaction,
        ratings=s.ratings,
        resolution_rate=s.resolution_rate,
    )


async def agent_metrics(conn: Connection, agent_id: uuid.UUID, now: datetime) -> AgentMetrics:
    agent = await agents_db.get_agent(conn, agent_id)
    if agent is None:
        raise NotFound("no such agent")
    tz = agent["timezone"]
    day, week, month = (period_start(k, tz, now) for k in ("day", "week", "month"))
    today = await stats(conn, [agent_id], day, now + timedelta(seconds=1))
    this_week = await stats(conn, [agent_id], week, now + timedelta(seconds=1))
    this_month = await stats(conn, [agent_id], month, now + timedelta(seconds=1))
    best: asyncpg.Record | None = await conn.fetchrow(_BEST_DAY, agent_id, month, now, tz)
    return AgentMetrics(
        agent_id=agent_id,
        timezone=tz,
        today=_period(today),
        week=_week(this_week),
        month=MonthMetrics(
            **_week(this_month).model_dump(),
            best_day=rows.one(DayCount, best),
            achievements=[
                r["title"]
                if r["kind"] is None
                else goal_titles.title(GoalKind(r["kind"]), r["target"], r["period"])
                for r in await agents_db.achievements(conn, agent_id, month)
            ],
        ),
        real_time=rows.of(
            RealTime,
            agent,
            active=agent["active_count"],
            load=agent["active_count"] / agent["capacity"] if agent["capacity"] else 1.0,
        ),
        hourly=await hourly(conn, agent_id, tz, now),
        daily=await daily(conn, agent_id, tz, now),
    )
