"""SQL of agents, their activity timeline and goals (satisfaction feedback: feedback_db.py).
Functions take a connection in a tenant transaction; every statement names
``current_tenant_id()`` itself."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.attendance import goal_titles
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.db.statements import BoundStatement, Statement
from pytake_daemon.protocol.agents import ActivityOut, GoalKind

_AGENT_COLUMNS = """
    u.id, u.name, u.email, u.role, a.status, a.status_changed_at, a.capacity,
    a.active_count, a.skills, a.departments, a.working_hours, a.timezone, a.busy_at_capacity,
    a.last_assigned_at, a.last_activity_at"""

# Every enabled user of the tenant can attend (owners and admins too, in small teams); a row in
# ``agents`` appears the first time it's needed, with the defaults.
_ENSURE_ALL = """
INSERT INTO agents (tenant_id, id)
SELECT u.tenant_id, u.id FROM users u
 WHERE u.tenant_id = current_tenant_id() AND u.disabled_at IS NULL
ON CONFLICT DO NOTHING
"""


async def ensure_all(conn: Connection) -> None:
    await conn.execute(_ENSURE_ALL)


_ENSURE = """
INSERT INTO agents (tenant_id, id)
SELECT u.tenant_id, u.id FROM users u
 WHERE u.tenant_id = current_tenant_id() AND u.id = $1 AND u.disabled_at IS NULL
ON CONFLICT DO NOTHING
"""


async def ensure(conn: Connection, agent_id: uuid.UUID) -> None:
    await conn.execute(_ENSURE, agent_id)


_LIST = f"""
SELECT {_AGENT_COLUMNS}
  FROM agents a JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.id
 WHERE a.tenant_id = current_tenant_id() AND u.disabled_at IS NULL
 ORDER BY u.name, u.id
"""


async def list_agents(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(_LIST)


_GET = f"""
SELECT {_AGENT_COLUMNS}
  FROM agents a JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.id
 WHERE a.tenant_id = current_tenant_id() AND a.id = $1
"""


async def get_agent(conn: Connection, agent_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_GET, agent_id)


# Configuration export (tenant_config): every agent row, disabled users' too (their settings are
# configuration all the same), in one statement instead of one per user.
_ALL_SETTINGS = """
SELECT id, capacity, skills, departments, working_hours, timezone, busy_at_capacity
  FROM agents WHERE tenant_id = current_tenant_id()
"""


async def all_settings(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(_ALL_SETTINGS)


_LOCK = "SELECT * FROM agents WHERE tenant_id = current_tenant_id() AND id = $1 FOR UPDATE"


async def lock_agent(conn: Connection, agent_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_LOCK, agent_id)


# A supervisor's override (migration 0021): room for one more conversation than the capacity;
# the trigger on queue_items gives it back as the agent's conversations end.
_MAKE_ROOM = """
UPDATE agents SET extra_capacity = active_count + 1 - capacity
 WHERE tenant_id = current_tenant_id() AND id = $1 AND active_count >= capacity
"""


async def make_room(conn: Connection, agent_id: uuid.UUID) -> None:
    """Let a locked agent at capacity take one more conversation (a supervisor's override)."""
    await conn.execute(_MAKE_ROOM, agent_id)


_UPDATE = """
UPDATE agents SET
    status = $2,
    status_changed_at = CASE WHEN status = $2 THEN status_changed_at ELSE $3 END,
    capacity = coalesce($4, capacity),
    skills = coalesce($5, skills),
    departments = coalesce($6, departments),
    working_hours = CASE WHEN $7::boolean THEN $8 ELSE working_hours END,
    timezone = coalesce($9, timezone),
    busy_at_capacity = coalesce($10, busy_at_capacity),
    last_activity_at = $3
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def update_agent(
    conn: Connection,
    agent_id: uuid.UUID,
    *,
    status: str,
    at: datetime,
    capacity: int | None = None,
    skills: Sequence[str] | None = None,
    departments: Sequence[str] | None = None,
    working_hours: tuple[bool, Any] = (False, None),
    timezone: str | None = None,
    busy_at_capacity: bool | None = None,
) -> None:
    """Change status and settings; ``working_hours`` is (whether to set it, the value)."""
    await conn.execute(
        _UPDATE,
        agent_id,
        status,
        at,
        capacity,
        list(skills) if skills is not None else None,
        list(departments) if departments is not None else None,
        working_hours[0],
        working_hours[1],
        timezone,
        busy_at_capacity,
    )


_SET_STATUS = """
UPDATE agents SET status = $2, status_changed_at = $3
 WHERE tenant_id = current_tenant_id() AND id = $1 AND status = ANY($4::text[])
RETURNING active_count, capacity
"""


async def set_status_if(
    conn: Connection, agent_id: uuid.UUID, status: str, at: datetime, current: Sequence[str]
) -> asyncpg.Record | None:
    """Move to ``status`` only from one of ``current`` (presence and capacity rules)."""
    return await conn.fetchrow(_SET_STATUS, agent_id, status, at, list(current))


_CANDIDATES = """
SELECT a.id, a.capacity, a.active_count, a.working_hours, a.timezone, a.last_assigned_at,
       a.busy_at_capacity
  FROM agents a
 WHERE a.tenant_id = current_tenant_id() AND a.status = 'online'
   AND a.active_count < a.capacity
   AND a.skills @> $1::text[]
   AND ($2::text IS NULL OR $2 = ANY(a.departments))
   AND a.id <> ALL($5::uuid[])
 ORDER BY CASE WHEN $4 THEN a.active_count::float8 / a.capacity ELSE 0 END,
          a.last_assigned_at NULLS FIRST, a.id
 LIMIT $3
 FOR UPDATE SKIP LOCKED
"""


async def lock_candidates(
    conn: Connection,
    skills: Sequence[str],
    department: str | None,
    *,
    limit: int,
    least_loaded: bool,
    besides: Sequence[uuid.UUID] = (),
) -> list[asyncpg.Record]:
    """Up to ``limit`` online agents with free capacity and what the queue requires, other than
    ``besides``, first in the queue's policy's order, that no other distributor holds right now
    (locked until commit, so their counts can't change under us). The limit is what lets
    several distributors work at once: each takes the next agents instead of all of them."""
    return await conn.fetch(
        _CANDIDATES, list(skills), department, limit, least_loaded, list(besides)
    )


_OTHERS_WITH_ROOM = """
SELECT a.id, a.working_hours, a.timezone
  FROM agents a
 WHERE a.tenant_id = current_tenant_id() AND a.status = 'online'
   AND a.active_count < a.capacity
   AND a.skills @> $1::text[]
   AND ($2::text IS NULL OR $2 = ANY(a.departments))
   AND a.id <> ALL($3::uuid[])
 LIMIT $4
"""


async def others_with_room(
    conn: Connection,
    skills: Sequence[str],
    department: str | None,
    *,
    besides: Sequence[uuid.UUID],
    limit: int,
) -> list[asyncpg.Record]:
    """Agents :func:`lock_candidates` could have returned, other than ``besides``, as last
    committed: a plain read, so it sees (and waits for) none of the locks other distributors
    hold."""
    return await conn.fetch(_OTHERS_WITH_ROOM, list(skills), department, list(besides), limit)


_COUNT_ELIGIBLE = """
SELECT count(*) FROM agents a
 WHERE a.tenant_id = current_tenant_id() AND a.status IN ('online', 'busy')
   AND a.skills @> $1::text[] AND ($2::text IS NULL OR $2 = ANY(a.departments))
"""


async def count_eligible(conn: Connection, skills: Sequence[str], department: str | None) -> int:
    count: int = await conn.fetchval(_COUNT_ELIGIBLE, list(skills), department)
    return count


_SERVED_QUEUES = """
SELECT q.id FROM queues q, agents a
 WHERE q.tenant_id = current_tenant_id() AND a.tenant_id = q.tenant_id AND a.id = $1
   AND a.skills @> q.required_skills
   AND (q.department IS NULL OR q.department = ANY(a.departments))
 ORDER BY q.name
"""


async def served_queue_ids(conn: Connection, agent_id: uuid.UUID) -> list[uuid.UUID]:
    """Queues whose skills and department the agent has: the ones distribution draws from."""
    return [r["id"] for r in await conn.fetch(_SERVED_QUEUES, agent_id)]


# --- activities ------------------------------------------------------------------------------

_ADD_ACTIVITIES = """
INSERT INTO agent_activities (tenant_id, agent_id, kind, conversation_id, detail, at)
SELECT current_tenant_id(), x.agent_id, x.kind, x.conversation_id, x.detail, $5
  FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::jsonb[])
       AS x (agent_id, kind, conversation_id, detail)
"""


async def add_activities(
    conn: Connection,
    entries: Sequence[tuple[uuid.UUID, str, uuid.UUID | None, dict[str, Any]]],
    at: datetime,
) -> None:
    """Timeline entries: (agent, kind, conversation, detail) each."""
    if not entries:
        return
    columns = [list(c) for c in zip(*entries, strict=True)]
    await conn.execute(_ADD_ACTIVITIES, *columns, at)


# The customer's name comes along so a timeline reads "with Ana", not with a conversation id.
# The statement holds only the cursor when there is one (db/statements.py): with
# "$2 IS NULL OR a.id < $2" the generic plan kept the cursor out of the index condition and a
# page far back read every newer activity of the agent (795 buffers among 20,000;
# tests/agents/test_plans_activities.py).
_ACTIVITIES = """
SELECT a.id, a.kind, a.conversation_id, a.detail, a.at,
       coalesce('@' || ltrim(ct.username, '@'), ct.profile_name, ct.wa_id, ct.bsuid) AS contact,
       g.kind AS goal_kind, g.target AS goal_target, g.period AS goal_period
  FROM agent_activities a
  LEFT JOIN conversations c ON c.tenant_id = a.tenant_id AND c.id = a.conversation_id
  LEFT JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
  LEFT JOIN agent_goals g ON a.kind = 'goal_reached' AND g.tenant_id = a.tenant_id
       AND g.id = (a.detail->>'goal_id')::uuid
 WHERE {where}
 ORDER BY a.id DESC
 LIMIT {limit}
"""


def activities_statement(agent_id: uuid.UUID, before: int | None, limit: int) -> BoundStatement:
    st = Statement("a.tenant_id = current_tenant_id()")
    st.where("a.agent_id = {}", agent_id)
    if before is not None:
        st.where("a.id < {}", before)
    return st.finish(_ACTIVITIES.format(where=st.conditions, limit=st.bind(limit)))


async def activities(
    conn: Connection, agent_id: uuid.UUID, before: int | None, limit: int
) -> list[ActivityOut]:
    """The timeline, newest first. A "goal reached" entry stored the goal in English: it is
    worded again from the goal itself in the language in force (the request's); a goal removed
    since keeps the stored title."""
    sql, args = activities_statement(agent_id, before, limit)
    records = await conn.fetch(sql, *args)
    out = rows.many(ActivityOut, records)
    for i, r in enumerate(records):
        if r["goal_kind"] is not None:
            name = goal_titles.title(GoalKind(r["goal_kind"]), r["goal_target"], r["goal_period"])
            out[i] = out[i].model_copy(update={"detail": {**out[i].detail, "title": name}})
    return out


# The goal itself (kind, target, period) so the title can be worded in the reader's language;
# a goal removed since keeps the English title stored when it was reached.
_GOAL_ACHIEVEMENTS = """
SELECT a.detail->>'title' AS title, g.kind, g.target, g.period
  FROM agent_activities a
  LEFT JOIN agent_goals g ON g.tenant_id = a.tenant_id AND g.id = (a.detail->>'goal_id')::uuid
 WHERE a.tenant_id = current_tenant_id() AND a.agent_id = $1 AND a.kind = 'goal_reached'
   AND a.at >= $2
 ORDER BY a.id
"""


async def achievements(
    conn: Connection, agent_id: uuid.UUID, since: datetime
) -> list[asyncpg.Record]:
    """This month's goals reached: stored ``title``, and the goal's ``kind``, ``target`` and
    ``period`` (None once the goal is removed)."""
    return await conn.fetch(_GOAL_ACHIEVEMENTS, agent_id, since)


# --- departments (the goals themselves: goals_db.py) ---------------------------------------

_DEPARTMENT_AGENTS = """
SELECT id FROM agents WHERE tenant_id = current_tenant_id() AND $1 = ANY(departments)
"""


async def department_agents(conn: Connection, department: str) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch(_DEPARTMENT_AGENTS, department)]
