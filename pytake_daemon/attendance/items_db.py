"""SQL of queue items: entering, claiming, assigning, ending, positions. Functions take a
connection in a tenant transaction; every statement names ``current_tenant_id()`` itself
(see ``users/db.py``). Queues themselves are in ``queues_db.py``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from pytake_daemon.db.pool import Connection

ITEM_COLUMNS = """
    i.id, i.queue_id, i.conversation_id, i.priority, i.status, i.agent_id, i.source,
    i.fallback_action, i.entered_at, i.wait_deadline, i.assigned_at, i.ended_at,
    i.last_position, i.position_sent_at,
    ct.wa_id AS contact_wa_id,
    coalesce('@' || ltrim(ct.username, '@'), ct.profile_name,
             CASE WHEN ct.wa_id IS NULL THEN ct.bsuid END) AS contact_name"""

_ITEM_FROM = """
queue_items i
JOIN conversations c ON c.tenant_id = i.tenant_id AND c.id = i.conversation_id
JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id"""

_INSERT_ITEM = """
INSERT INTO queue_items (tenant_id, queue_id, conversation_id, priority, source, fallback_action,
                         entered_at, wait_deadline)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant_id, conversation_id) WHERE status IN ('waiting', 'assigned') DO NOTHING
RETURNING id
"""


async def insert_item(
    conn: Connection,
    *,
    queue_id: uuid.UUID,
    conversation_id: uuid.UUID,
    priority: int,
    source: str,
    fallback_action: str,
    entered_at: datetime,
    wait_deadline: datetime | None,
) -> uuid.UUID | None:
    """The new waiting item, or ``None`` when the conversation already has an active one."""
    item_id: uuid.UUID | None = await conn.fetchval(
        _INSERT_ITEM,
        queue_id,
        conversation_id,
        priority,
        source,
        fallback_action,
        entered_at,
        wait_deadline,
    )
    return item_id


_GET_ITEMS = f"""
SELECT {ITEM_COLUMNS}
  FROM unnest($1::uuid[]) WITH ORDINALITY AS wanted (id, n)
  JOIN {_ITEM_FROM} ON i.tenant_id = current_tenant_id() AND i.id = wanted.id
 ORDER BY wanted.n
"""


async def get_items(conn: Connection, ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(_GET_ITEMS, list(ids))


_ACTIVE_ITEM_OF = """
SELECT * FROM queue_items
 WHERE tenant_id = current_tenant_id() AND conversation_id = $1
   AND status IN ('waiting', 'assigned')
 FOR UPDATE
"""


async def lock_active_item_of(
    conn: Connection, conversation_id: uuid.UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow(_ACTIVE_ITEM_OF, conversation_id)


_LOCK_ITEM = (
    "SELECT * FROM queue_items WHERE tenant_id = current_tenant_id() AND id = $1 FOR UPDATE"
)


async def lock_item(conn: Connection, item_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_LOCK_ITEM, item_id)


_LIST_ITEMS = f"""
SELECT {ITEM_COLUMNS}
  FROM {_ITEM_FROM}
 WHERE i.tenant_id = current_tenant_id() AND i.queue_id = $1 AND i.status = ANY($2::text[])
 ORDER BY i.status = 'waiting' DESC, i.priority DESC, i.entered_at, i.id
 LIMIT $3
"""
_LIST_ENDED = f"""
SELECT {ITEM_COLUMNS}
  FROM {_ITEM_FROM}
 WHERE i.tenant_id = current_tenant_id() AND i.queue_id = $1 AND i.ended_at IS NOT NULL
 ORDER BY i.ended_at DESC
 LIMIT $2
"""


async def list_items(
    conn: Connection, queue_id: uuid.UUID, statuses: Sequence[str] | None, limit: int
) -> list[asyncpg.Record]:
    """Active items (waiting first, in serving order), or the latest ended ones (``None``)."""
    if statuses is None:
        return await conn.fetch(_LIST_ENDED, queue_id, limit)
    return await conn.fetch(_LIST_ITEMS, queue_id, list(statuses), limit)


_SET_PRIORITY = """
UPDATE queue_items SET priority = $2
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def set_priority(conn: Connection, item_id: uuid.UUID, priority: int) -> None:
    await conn.execute(_SET_PRIORITY, item_id, priority)


# What the live monitor shows beside an item: the conversation's mood (the AI's table, read
# here so one list request carries it), its latest message and the attendance's rating.
_ITEM_EXTRAS = """
SELECT i.id, m.label AS sentiment, left(c.last_message_preview, $2) AS last_message,
       f.rating
  FROM queue_items i
  JOIN conversations c ON c.tenant_id = i.tenant_id AND c.id = i.conversation_id
  LEFT JOIN ai_conversation_mood m ON m.tenant_id = i.tenant_id
       AND m.conversation_id = i.conversation_id
  LEFT JOIN conversation_feedback f ON f.tenant_id = i.tenant_id AND f.item_id = i.id
 WHERE i.tenant_id = current_tenant_id() AND i.id = ANY($1::uuid[])
"""


async def item_extras(
    conn: Connection, item_ids: Sequence[uuid.UUID], preview_chars: int = 120
) -> dict[uuid.UUID, asyncpg.Record]:
    """Mood label, latest message and rating of each item, by item id."""
    rows = await conn.fetch(_ITEM_EXTRAS, list(item_ids), preview_chars)
    return {r["id"]: r for r in rows}


_CLAIM_WAITING = """
SELECT id, conversation_id, priority, entered_at FROM queue_items
 WHERE tenant_id = current_tenant_id() AND queue_id = $1 AND status = 'waiting'
 ORDER BY priority DESC, entered_at, id
 LIMIT $2
 FOR UPDATE SKIP LOCKED
"""


async def claim_waiting(conn: Connection, queue_id: uuid.UUID, limit: int) -> list[asyncpg.Record]:
    """Waiting items in serving order that no other distributor holds, locked until commit."""
    return await conn.fetch(_CLAIM_WAITING, queue_id, limit)


_ASSIGN = """
UPDATE queue_items i SET status = 'assigned', agent_id = a.agent_id, assigned_at = $3
  FROM unnest($1::uuid[], $2::uuid[]) AS a (item_id, agent_id)
 WHERE i.tenant_id = current_tenant_id() AND i.id = a.item_id
"""


async def assign_items(
    conn: Connection, item_ids: Sequence[uuid.UUID], agent_ids: Sequence[uuid.UUID], at: datetime
) -> None:
    """Assign locked items (the trigger moves the agents' counts and the conversations)."""
    await conn.execute(_ASSIGN, list(item_ids), list(agent_ids), at)


_SET_STATUS = """
UPDATE queue_items SET status = $2::text,
       ended_at = CASE WHEN $2::text IN ('waiting', 'assigned') THEN NULL ELSE $3::timestamptz END
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def end_item(conn: Connection, item_id: uuid.UUID, status: str, at: datetime) -> None:
    await conn.execute(_SET_STATUS, item_id, status, at)


_REASSIGN = """
UPDATE queue_items SET agent_id = $2, assigned_at = $3
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def reassign_item(
    conn: Connection, item_id: uuid.UUID, agent_id: uuid.UUID, at: datetime
) -> None:
    await conn.execute(_REASSIGN, item_id, agent_id, at)


_SET_DEADLINE = """
UPDATE queue_items SET wait_deadline = $2
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def set_deadline(conn: Connection, item_id: uuid.UUID, deadline: datetime | None) -> None:
    await conn.execute(_SET_DEADLINE, item_id, deadline)


_OVERDUE = """
SELECT * FROM queue_items
 WHERE tenant_id = current_tenant_id() AND queue_id = $1 AND status = 'waiting'
   AND wait_deadline <= $2
 ORDER BY wait_deadline
 LIMIT $3
 FOR UPDATE SKIP LOCKED
"""


async def claim_overdue(
    conn: Connection, queue_id: uuid.UUID, now: datetime, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(_OVERDUE, queue_id, now, limit)


_POSITIONS = """
SELECT i.id, i.conversation_id, i.last_position, i.position_sent_at,
       row_number() OVER (ORDER BY i.priority DESC, i.entered_at, i.id) AS position
  FROM queue_items i
 WHERE i.tenant_id = current_tenant_id() AND i.queue_id = $1 AND i.status = 'waiting'
"""


async def waiting_positions(conn: Connection, queue_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(_POSITIONS, queue_id)


_POSITION_OF = """
SELECT count(*) + 1 FROM queue_items i, queue_items me
 WHERE me.tenant_id = current_tenant_id() AND me.id = $1
   AND i.tenant_id = me.tenant_id AND i.queue_id = me.queue_id AND i.status = 'waiting'
   AND (i.priority, me.entered_at, me.id) > (me.priority, i.entered_at, i.id)
"""


async def position_of(conn: Connection, item_id: uuid.UUID) -> int:
    """1-based place of a waiting item: those of higher priority, or equal and older, go first."""
    position: int = await conn.fetchval(_POSITION_OF, item_id)
    return position


_MARK_POSITION_SENT = """
UPDATE queue_items SET last_position = $2, position_sent_at = $3
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def mark_position_sent(
    conn: Connection, item_id: uuid.UUID, position: int, at: datetime
) -> None:
    await conn.execute(_MARK_POSITION_SENT, item_id, position, at)


_AVG_HANDLE = """
SELECT avg(extract(epoch FROM ended_at - assigned_at))
  FROM queue_items
 WHERE tenant_id = current_tenant_id() AND queue_id = $1 AND status = 'completed'
   AND ended_at > $2::timestamptz - interval '1 day'
"""


async def avg_handle_seconds(conn: Connection, queue_id: uuid.UUID, now: datetime) -> float | None:
    value: float | None = await conn.fetchval(_AVG_HANDLE, queue_id, now)
    return value
