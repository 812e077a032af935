"""SQL of ``agent_goals``: an agent's own goals and their departments' team goals."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from pytake_daemon.db.pool import Connection

_INSERT_GOAL = """
INSERT INTO agent_goals (tenant_id, agent_id, department, kind, target, period, deadline)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6)
RETURNING *
"""


async def insert_goal(
    conn: Connection,
    *,
    agent_id: uuid.UUID | None,
    department: str | None,
    kind: str,
    target: float,
    period: str,
    deadline: Any,
) -> asyncpg.Record:
    row = await conn.fetchrow(_INSERT_GOAL, agent_id, department, kind, target, period, deadline)
    assert row is not None
    return row


_GOALS_OF = """
SELECT g.* FROM agent_goals g, agents a
 WHERE g.tenant_id = current_tenant_id() AND a.tenant_id = g.tenant_id AND a.id = $1
   AND (g.agent_id = a.id OR g.department = ANY(a.departments))
 ORDER BY g.created_at, g.id
"""


async def goals_of(conn: Connection, agent_id: uuid.UUID) -> list[asyncpg.Record]:
    """The agent's own goals and their departments' team goals."""
    return await conn.fetch(_GOALS_OF, agent_id)


_MARK_REACHED = """
UPDATE agent_goals SET reached_for = $2
 WHERE tenant_id = current_tenant_id() AND id = $1 AND reached_for IS DISTINCT FROM $2
RETURNING id
"""


async def mark_reached(conn: Connection, goal_id: uuid.UUID, period_start: datetime) -> bool:
    """True only the first time a goal is reached in a period (so the event fires once)."""
    return await conn.fetchval(_MARK_REACHED, goal_id, period_start) is not None


_GOAL_OF = """
SELECT g.* FROM agent_goals g, agents a
 WHERE g.tenant_id = current_tenant_id() AND g.id = $2 AND a.tenant_id = g.tenant_id AND a.id = $1
   AND (g.agent_id = a.id OR g.department = ANY(a.departments))
"""


async def goal_of(
    conn: Connection, agent_id: uuid.UUID, goal_id: uuid.UUID
) -> asyncpg.Record | None:
    """One of the agent's goals (their own or their department's), or None."""
    return await conn.fetchrow(_GOAL_OF, agent_id, goal_id)


# A changed target or period is a new goal to reach: reached_for is cleared so "goal reached"
# fires again when the new one is met.
_UPDATE_GOAL = """
UPDATE agent_goals SET target = $2, period = $3, deadline = $4, reached_for = NULL
 WHERE tenant_id = current_tenant_id() AND id = $1
RETURNING *
"""


async def update_goal(
    conn: Connection, goal_id: uuid.UUID, *, target: float, period: str, deadline: date | None
) -> asyncpg.Record:
    row = await conn.fetchrow(_UPDATE_GOAL, goal_id, target, period, deadline)
    assert row is not None, "the caller read the goal in this transaction"
    return row


_DELETE_GOAL = "DELETE FROM agent_goals WHERE tenant_id = current_tenant_id() AND id = $1"


async def delete_goal(conn: Connection, goal_id: uuid.UUID) -> None:
    await conn.execute(_DELETE_GOAL, goal_id)
