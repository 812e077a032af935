"""SQL of queues, their monitor dashboard and history. Functions take a connection in a tenant
transaction; every statement names ``current_tenant_id()`` itself (see ``users/db.py``).
Queue items are in ``items_db.py``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.queues import HistoryEntry

SETTING_COLUMNS = (
    "name",
    "description",
    "department",
    "required_skills",
    "policy",
    "active",
    "max_wait_minutes",
    "max_size",
    "timeout_action",
    "timeout_queue_id",
    "overflow_action",
    "overflow_queue_id",
    "timezone",
    "business_hours",
    "holidays",
    "out_of_hours_action",
    "out_of_hours_queue_id",
    "welcome_message",
    "position_message",
    "out_of_hours_message",
    "timeout_message",
    "full_message",
    "position_update_seconds",
    "timeout_flow_id",
    "first_response_target_seconds",
)
_PLACEHOLDERS = ", ".join(f"${i}" for i in range(1, len(SETTING_COLUMNS) + 1))

_QUEUE_SELECT = """
SELECT q.*,
       (SELECT count(*) FROM queue_items i WHERE i.tenant_id = q.tenant_id
           AND i.queue_id = q.id AND i.status = 'waiting') AS waiting,
       (SELECT count(*) FROM queue_items i WHERE i.tenant_id = q.tenant_id
           AND i.queue_id = q.id AND i.status = 'assigned') AS assigned
  FROM queues q
 WHERE q.tenant_id = current_tenant_id()
"""

_INSERT_QUEUE = f"""
INSERT INTO queues (tenant_id, {", ".join(SETTING_COLUMNS)})
VALUES (current_tenant_id(), {_PLACEHOLDERS})
ON CONFLICT (tenant_id, name) DO NOTHING
RETURNING id
"""


async def insert_queue(conn: Connection, values: Sequence[Any]) -> uuid.UUID | None:
    """The new queue's id, or ``None`` when the name is taken."""
    queue_id: uuid.UUID | None = await conn.fetchval(_INSERT_QUEUE, *values)
    return queue_id


_UPDATE_QUEUE = f"""
UPDATE queues SET ({", ".join(SETTING_COLUMNS)}, updated_at) = ({_PLACEHOLDERS}, now())
 WHERE tenant_id = current_tenant_id() AND id = ${len(SETTING_COLUMNS) + 1}
RETURNING id
"""


async def update_queue(conn: Connection, queue_id: uuid.UUID, values: Sequence[Any]) -> bool:
    return await conn.fetchval(_UPDATE_QUEUE, *values, queue_id) is not None


_NAME_TAKEN = """
SELECT EXISTS (SELECT 1 FROM queues WHERE tenant_id = current_tenant_id() AND name = $1
                  AND id <> $2)
"""


async def name_taken(conn: Connection, name: str, queue_id: uuid.UUID) -> bool:
    taken: bool = await conn.fetchval(_NAME_TAKEN, name, queue_id)
    return taken


async def list_queues(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(_QUEUE_SELECT + " ORDER BY q.name")


async def get_queue(conn: Connection, queue_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_QUEUE_SELECT + " AND q.id = $1", queue_id)


_QUEUE_SETTINGS = "SELECT * FROM queues WHERE tenant_id = current_tenant_id() AND id = $1"


async def queue_settings(conn: Connection, queue_id: uuid.UUID) -> asyncpg.Record | None:
    """The queue's own row, without :func:`get_queue`'s counts: those count every active item
    of the queue (a tenth of a distribution pass's database time in bench/assign.py)."""
    return await conn.fetchrow(_QUEUE_SETTINGS, queue_id)


_LOCK_QUEUE = "SELECT * FROM queues WHERE tenant_id = current_tenant_id() AND id = $1 FOR SHARE"


async def lock_queue(conn: Connection, queue_id: uuid.UUID) -> asyncpg.Record | None:
    """The queue's settings, kept from changing until the transaction ends."""
    return await conn.fetchrow(_LOCK_QUEUE, queue_id)


_COUNT_WAITING = """
SELECT count(*) FROM queue_items
 WHERE tenant_id = current_tenant_id() AND queue_id = $1 AND status = 'waiting'
"""


async def count_waiting(conn: Connection, queue_id: uuid.UUID) -> int:
    count: int = await conn.fetchval(_COUNT_WAITING, queue_id)
    return count


_QUEUES_WITH_WAITING = """
SELECT DISTINCT queue_id FROM queue_items
 WHERE tenant_id = current_tenant_id() AND status = 'waiting'
"""


async def queues_with_waiting(conn: Connection) -> list[uuid.UUID]:
    return [r["queue_id"] for r in await conn.fetch(_QUEUES_WITH_WAITING)]


_SWEEP_TARGETS = "SELECT tenant_id, queue_id, overdue FROM queue_sweep_targets($1)"


async def sweep_targets(conn: Connection, now: datetime) -> list[asyncpg.Record]:
    """(tenant, queue, overdue) of every queue with waiting items, across tenants."""
    return await conn.fetch(_SWEEP_TARGETS, now)


# --- history ---------------------------------------------------------------------------------

_RECENT_HISTORY = """
SELECT item_id, queue_id, conversation_id, event, agent_id, at FROM queue_history
 WHERE tenant_id = current_tenant_id()
 ORDER BY id DESC
 LIMIT $1
"""


async def recent_history(conn: Connection, limit: int) -> list[HistoryEntry]:
    return rows.many(HistoryEntry, await conn.fetch(_RECENT_HISTORY, limit))


_DASHBOARD = """
SELECT q.id, q.name, q.timezone, q.business_hours, q.holidays,
       count(*) FILTER (WHERE i.status = 'waiting') AS waiting,
       count(*) FILTER (WHERE i.status = 'assigned') AS assigned,
       count(*) FILTER (WHERE i.status = 'waiting' AND i.priority = 2) AS urgent_waiting,
       extract(epoch FROM $1 - min(i.entered_at) FILTER (WHERE i.status = 'waiting'))
           AS oldest_wait_seconds,
       count(*) FILTER (WHERE i.status = 'completed' AND i.ended_at >= $2) AS completed_today,
       count(*) FILTER (WHERE i.status IN ('abandoned', 'timed_out') AND i.ended_at >= $2)
           AS abandoned_today,
       avg(extract(epoch FROM i.assigned_at - i.entered_at)) FILTER (WHERE i.assigned_at >= $2)
           AS avg_wait_seconds_today
  FROM queues q
  LEFT JOIN queue_items i ON i.tenant_id = q.tenant_id AND i.queue_id = q.id
       AND (i.status IN ('waiting', 'assigned') OR i.ended_at >= $2 OR i.assigned_at >= $2)
 WHERE q.tenant_id = current_tenant_id()
 GROUP BY q.id
 ORDER BY q.name
"""


async def dashboard(conn: Connection, now: datetime, since: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(_DASHBOARD, now, since)


_QUEUE_BY_NAME = """
SELECT id FROM queues WHERE tenant_id = current_tenant_id() AND lower(name) = lower($1)
"""


async def queue_id_by_name(conn: Connection, name: str) -> uuid.UUID | None:
    """A queue by its name, as flow files name them (case-insensitive)."""
    found: uuid.UUID | None = await conn.fetchval(_QUEUE_BY_NAME, name)
    return found


_DEFAULT_QUEUE = """
SELECT id FROM queues
 WHERE tenant_id = current_tenant_id() AND active
 ORDER BY created_at, id
 LIMIT 1
"""


async def default_queue_id(conn: Connection) -> uuid.UUID | None:
    """The tenant's default queue: its oldest active one (where a conversation goes back when
    the queue it was last in is gone or inactive)."""
    found: uuid.UUID | None = await conn.fetchval(_DEFAULT_QUEUE)
    return found
