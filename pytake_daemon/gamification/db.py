"""SQL of gamification. Every statement runs for one tenant (row-level security and
``current_tenant_id()``); the index bounding each is named above it (migration 0039)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from pytake_daemon.db.pool import Connection

# The pass's sources over [$1, $2). Points come in as parameters (rules.py holds the values).
# An upsert keyed by the source row: a re-run writes nothing new, and rewrites a row only
# when its facts changed (the WHERE spares identical rows a dead tuple each).
_UPSERT = """
ON CONFLICT (tenant_id, reason, source_id) DO UPDATE SET
    agent_id = excluded.agent_id, points = excluded.points, at = excluded.at,
    queue_id = excluded.queue_id, detail = excluded.detail
 WHERE (gamification_points.agent_id, gamification_points.points, gamification_points.at,
        gamification_points.queue_id, gamification_points.detail)
       IS DISTINCT FROM (excluded.agent_id, excluded.points, excluded.at, excluded.queue_id,
                         excluded.detail)
"""
# Attendances that ended in the window: queue_items_ended_idx, one range per queue of the
# tenant; the first reply by a person and the agent's own reply through messages_thread_idx.
_ENDED = """
SELECT i.id, i.agent_id, i.queue_id, i.status, i.entered_at, i.ended_at,
       q.first_response_target_seconds AS target, fr.at AS answered_at, fr.sent_by,
       i.agent_id IS NOT NULL AND EXISTS (
           SELECT 1 FROM messages m
            WHERE m.tenant_id = i.tenant_id AND m.conversation_id = i.conversation_id
              AND m.created_at >= i.entered_at AND m.created_at <= i.ended_at
              AND m.direction = 'out' AND m.sent_by = i.agent_id) AS agent_replied
  FROM queues q
  JOIN queue_items i ON i.tenant_id = q.tenant_id AND i.queue_id = q.id
   AND i.ended_at >= $1 AND i.ended_at < $2
  LEFT JOIN LATERAL (
      SELECT m.created_at AS at, m.sent_by FROM messages m
       WHERE m.tenant_id = i.tenant_id AND m.conversation_id = i.conversation_id
         AND m.created_at >= i.entered_at AND m.created_at <= i.ended_at
         AND m.direction = 'out' AND m.sent_by IS NOT NULL
       ORDER BY m.created_at LIMIT 1) fr ON true
 WHERE q.tenant_id = current_tenant_id()
"""
RESOLVED = f"""
INSERT INTO gamification_points (tenant_id, agent_id, reason, points, at, source_table,
                                 source_id, queue_id, detail)
SELECT current_tenant_id(), e.agent_id, 'resolved', $3, e.ended_at, 'queue_items', e.id::text,
       e.queue_id, '{{}}'::jsonb
  FROM ({_ENDED}) e
 WHERE e.status = 'completed' AND e.agent_replied
{_UPSERT}
"""
# Whoever sent the first reply gets it, if they are an agent of the tenant (agents' key).
FIRST_RESPONSE = f"""
INSERT INTO gamification_points (tenant_id, agent_id, reason, points, at, source_table,
                                 source_id, queue_id, detail)
SELECT current_tenant_id(), e.sent_by, 'first_response',
       CASE WHEN e.answered_at - e.entered_at <= make_interval(secs => e.target) THEN $3
            ELSE 0 END,
       e.ended_at, 'queue_items', e.id::text, e.queue_id,
       jsonb_build_object('seconds', floor(extract(epoch FROM e.answered_at - e.entered_at))::int,
                          'target', e.target)
  FROM ({_ENDED}) e
  JOIN agents a ON a.tenant_id = current_tenant_id() AND a.id = e.sent_by
 WHERE e.answered_at IS NOT NULL
{_UPSERT}
"""
# Ratings answered in the window: conversation_feedback_answered_idx; the item by its key
# (queue_items_tenant_id_id_key).
CSAT = f"""
INSERT INTO gamification_points (tenant_id, agent_id, reason, points, at, source_table,
                                 source_id, queue_id, detail)
SELECT current_tenant_id(), f.agent_id, 'csat',
       CASE f.rating WHEN 5 THEN $3 WHEN 4 THEN $4 ELSE 0 END,
       f.answered_at, 'conversation_feedback', f.id::text,
       -- One lookup per rating by the item's key (a join would let the planner hash the
       -- whole of queue_items for a day's ratings).
       (SELECT i.queue_id FROM queue_items i WHERE i.tenant_id = f.tenant_id AND i.id = f.item_id),
       jsonb_build_object('rating', f.rating)
  FROM conversation_feedback f
 WHERE f.tenant_id = current_tenant_id() AND f.rating IS NOT NULL
   AND f.answered_at >= $1 AND f.answered_at < $2
{_UPSERT}
"""
# Goals reached in the window: agent_activities_goal_idx.
GOALS = f"""
INSERT INTO gamification_points (tenant_id, agent_id, reason, points, at, source_table,
                                 source_id, queue_id, detail)
SELECT current_tenant_id(), g.agent_id, 'goal_reached', $3, g.at, 'agent_activities',
       g.id::text, NULL,
       jsonb_build_object('title', g.detail->>'title', 'goal_id', g.detail->>'goal_id')
  FROM agent_activities g
 WHERE g.tenant_id = current_tenant_id() AND g.kind = 'goal_reached'
   AND g.at >= $1 AND g.at < $2
{_UPSERT}
"""

# The facts badges read, over [$1, $2): gamification_points_period_idx.
FACTS = """
SELECT agent_id, reason, points, at, (detail->>'rating')::int AS rating
  FROM gamification_points
 WHERE tenant_id = current_tenant_id() AND at >= $1 AND at < $2
   AND reason IN ('resolved', 'first_response', 'csat')
"""
AWARD = """
INSERT INTO gamification_badges (tenant_id, agent_id, badge, period_start, awarded_at)
VALUES (current_tenant_id(), $1, $2, $3, $4)
ON CONFLICT DO NOTHING
"""

RUN_UNTIL = "SELECT until FROM gamification_runs WHERE tenant_id = current_tenant_id()"
MARK_RUN = """
INSERT INTO gamification_runs (tenant_id, until) VALUES (current_tenant_id(), $1)
ON CONFLICT (tenant_id) DO UPDATE SET until = excluded.until
"""
TENANTS = "SELECT tenant_id FROM gamification_tenants()"
TIMEZONE = "SELECT timezone FROM tenant_profiles WHERE tenant_id = current_tenant_id()"
ENABLED = "SELECT enabled FROM gamification_settings WHERE tenant_id = current_tenant_id()"
SET_ENABLED = """
INSERT INTO gamification_settings (tenant_id, enabled, updated_by, updated_at)
VALUES (current_tenant_id(), $1, $2, $3)
ON CONFLICT (tenant_id) DO UPDATE SET
    enabled = excluded.enabled, updated_by = excluded.updated_by, updated_at = excluded.updated_at
"""

# A team's figures over [$1, $2): gamification_points_period_idx; $3 a queue (points earned in
# its attendances, and only the agents who earned some there), $4 a department (its agents).
# Agents with nothing are listed too (role agent); a supervisor only once they earned points.
TEAM = """
WITH pts AS (
    SELECT agent_id, sum(points)::int AS points,
           count(*) FILTER (WHERE reason = 'resolved')::int AS resolved,
           count(*) FILTER (WHERE reason = 'first_response' AND points > 0)::int AS on_target,
           count(*) FILTER (WHERE reason = 'csat' AND detail->>'rating' = '5')::int AS five_stars
      FROM gamification_points
     WHERE tenant_id = current_tenant_id() AND at >= $1 AND at < $2
       AND ($3::uuid IS NULL OR queue_id = $3)
     GROUP BY agent_id
)
SELECT u.id AS agent_id, u.name, coalesce(p.points, 0) AS points,
       coalesce(p.resolved, 0) AS resolved, coalesce(p.on_target, 0) AS on_target,
       coalesce(p.five_stars, 0) AS five_stars
  FROM users u
  LEFT JOIN agents a ON a.tenant_id = u.tenant_id AND a.id = u.id
  LEFT JOIN pts p ON p.agent_id = u.id
 WHERE u.tenant_id = current_tenant_id() AND u.disabled_at IS NULL
   AND (u.role = 'agent' OR p.agent_id IS NOT NULL)
   AND ($3::uuid IS NULL OR p.agent_id IS NOT NULL)
   AND ($4::text IS NULL OR $4 = ANY (coalesce(a.departments, '{}')))
 ORDER BY points DESC, lower(u.name), u.id
"""
# gamification_badges_period_idx.
BADGES = """
SELECT agent_id, badge, period_start, awarded_at FROM gamification_badges
 WHERE tenant_id = current_tenant_id() AND period_start >= $1 AND period_start <= $2
 ORDER BY awarded_at, badge
"""
# gamification_points_agent_idx.
# The goal itself (agent_goals_pkey) so a reached goal is worded in the reader's language; a
# goal removed since keeps the English title stored.
LATEST = """
SELECT p.reason, p.points, p.at, p.source_table, p.source_id, p.detail,
       g.kind AS goal_kind, g.target AS goal_target, g.period AS goal_period
  FROM gamification_points p
  LEFT JOIN agent_goals g ON p.reason = 'goal_reached' AND g.tenant_id = p.tenant_id
       AND g.id = (p.detail->>'goal_id')::uuid
 WHERE p.tenant_id = current_tenant_id() AND p.agent_id = $1 AND p.at >= $2 AND p.at < $3
 ORDER BY p.at DESC, p.id DESC LIMIT $4
"""
QUEUE_NAME = "SELECT name FROM queues WHERE tenant_id = current_tenant_id() AND id = $1"

_CHALLENGE_COLUMNS = "id, title, metric, threshold, first_day, last_day, queue_id, department"
CHALLENGES = f"""
SELECT {_CHALLENGE_COLUMNS} FROM gamification_challenges
 WHERE tenant_id = current_tenant_id() AND last_day >= $1
 ORDER BY first_day, title, id
"""
CHALLENGE = f"""
SELECT {_CHALLENGE_COLUMNS} FROM gamification_challenges
 WHERE tenant_id = current_tenant_id() AND id = $1
"""
INSERT_CHALLENGE = f"""
INSERT INTO gamification_challenges (tenant_id, title, metric, threshold, first_day, last_day,
                                     queue_id, department, created_by)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6, $7, $8)
RETURNING {_CHALLENGE_COLUMNS}
"""
UPDATE_CHALLENGE = f"""
UPDATE gamification_challenges
   SET title = $2, metric = $3, threshold = $4, first_day = $5, last_day = $6, queue_id = $7,
       department = $8, updated_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1
RETURNING {_CHALLENGE_COLUMNS}
"""
DELETE_CHALLENGE = f"""
DELETE FROM gamification_challenges WHERE tenant_id = current_tenant_id() AND id = $1
RETURNING {_CHALLENGE_COLUMNS}
"""


async def timezone_of(conn: Connection) -> str:
    """The tenant's IANA zone (its business profile), UTC until one is set."""
    tz: str | None = await conn.fetchval(TIMEZONE)
    return tz or "UTC"


async def enabled(conn: Connection) -> bool:
    value: bool | None = await conn.fetchval(ENABLED)
    return True if value is None else value


async def set_enabled(
    conn: Connection, value: bool, by_user: uuid.UUID | None, now: datetime
) -> None:
    await conn.execute(SET_ENABLED, value, by_user, now)


async def team(
    conn: Connection,
    start: datetime,
    end: datetime,
    queue_id: uuid.UUID | None,
    department: str | None,
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(TEAM, start, end, queue_id, department)
    return rows


async def badges(conn: Connection, first: date, last: date) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(BADGES, first, last)
    return rows


async def latest(
    conn: Connection, agent_id: uuid.UUID, start: datetime, end: datetime, limit: int
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(LATEST, agent_id, start, end, limit)
    return rows


async def queue_name(conn: Connection, queue_id: uuid.UUID) -> str | None:
    name: str | None = await conn.fetchval(QUEUE_NAME, queue_id)
    return name


async def challenges(conn: Connection, since: date) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(CHALLENGES, since)
    return rows


async def challenge(conn: Connection, challenge_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(CHALLENGE, challenge_id)
    return row


async def insert_challenge(conn: Connection, values: tuple[Any, ...]) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(INSERT_CHALLENGE, *values)
    assert row is not None  # an INSERT ... RETURNING returns its row or raises
    return row


async def update_challenge(
    conn: Connection, challenge_id: uuid.UUID, values: tuple[Any, ...]
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(UPDATE_CHALLENGE, challenge_id, *values[:7])
    return row


async def delete_challenge(conn: Connection, challenge_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(DELETE_CHALLENGE, challenge_id)
    return row
