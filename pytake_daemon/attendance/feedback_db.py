"""SQL of satisfaction feedback (``conversation_feedback``): asked when an attendance ends,
answered by the customer (satisfaction.py). Functions take a connection in a tenant
transaction; every statement names ``current_tenant_id()`` itself."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from pytake_daemon.db.pool import Connection

_ASK_FEEDBACK = """
INSERT INTO conversation_feedback (tenant_id, item_id, conversation_id, agent_id, asked_at)
VALUES (current_tenant_id(), $1, $2, $3, $4)
ON CONFLICT (tenant_id, item_id) DO NOTHING
RETURNING id
"""


async def ask_feedback(
    conn: Connection,
    *,
    item_id: uuid.UUID,
    conversation_id: uuid.UUID,
    agent_id: uuid.UUID,
    at: datetime,
) -> uuid.UUID | None:
    feedback_id: uuid.UUID | None = await conn.fetchval(
        _ASK_FEEDBACK, item_id, conversation_id, agent_id, at
    )
    return feedback_id


_ANSWER_FEEDBACK = """
UPDATE conversation_feedback SET rating = $3, comment = $4, answered_at = $5
 WHERE tenant_id = current_tenant_id() AND id = (
       SELECT id FROM conversation_feedback
        WHERE tenant_id = current_tenant_id() AND conversation_id = $1 AND rating IS NULL
          AND ($2::uuid IS NULL OR item_id = $2)
        ORDER BY asked_at DESC LIMIT 1
        FOR UPDATE)
RETURNING id, agent_id, conversation_id
"""


async def answer_feedback(
    conn: Connection,
    conversation_id: uuid.UUID,
    item_id: uuid.UUID | None,
    rating: int,
    comment: str | None,
    at: datetime,
) -> asyncpg.Record | None:
    """Store the rating on the latest open request of the conversation (``None``: none open)."""
    return await conn.fetchrow(_ANSWER_FEEDBACK, conversation_id, item_id, rating, comment, at)


_OPEN_FEEDBACK = """
SELECT EXISTS (SELECT 1 FROM conversation_feedback
                WHERE tenant_id = current_tenant_id() AND conversation_id = $1
                  AND rating IS NULL AND asked_at > $2)
"""


async def has_open_feedback(conn: Connection, conversation_id: uuid.UUID, since: datetime) -> bool:
    found: bool = await conn.fetchval(_OPEN_FEEDBACK, conversation_id, since)
    return found


_FEEDBACK_ITEM = (
    "SELECT item_id FROM conversation_feedback WHERE tenant_id = current_tenant_id() AND id = $1"
)


async def feedback_item(conn: Connection, feedback_id: uuid.UUID) -> uuid.UUID | None:
    item_id: uuid.UUID | None = await conn.fetchval(_FEEDBACK_ITEM, feedback_id)
    return item_id
