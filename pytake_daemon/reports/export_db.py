"""SQL of the exports' raw rows (the period's messages and conversations, or a scope's), read
through a server-side cursor; the scope binds $1 to $5 as in ``reports.db``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from pytake_daemon.db.pool import Connection
from pytake_daemon.reports.db import WINDOWS, Scope

# Raw rows for the exports, read through a cursor (the caller's transaction): constant memory
# whatever the period. The tenant's messages in time order (messages_created_idx); a scope's
# through its windows.
_MESSAGE_COLUMNS = """m.created_at, m.id, m.conversation_id, m.direction, m.type, m.status,
       m.text, m.sent_by, m.error_code, m.error_title"""
EXPORT_MESSAGES = f"""
SELECT {_MESSAGE_COLUMNS} FROM messages m
 WHERE m.tenant_id = current_tenant_id() AND m.created_at >= $1 AND m.created_at < $2
   AND $3::uuid IS NULL AND $4::uuid IS NULL AND $5::uuid IS NULL
 ORDER BY m.created_at, m.id
"""
EXPORT_WINDOWED_MESSAGES = f"""
SELECT {_MESSAGE_COLUMNS} FROM {WINDOWS}
  JOIN LATERAL (
      SELECT * FROM messages m
       WHERE m.tenant_id = current_tenant_id() AND m.conversation_id = w.conversation_id
         AND m.created_at >= w.lo AND m.created_at <= w.hi AND m.created_at < $2) m ON true
 ORDER BY m.created_at, m.id
"""

# Conversations with a message in the period (conversations_list_idx: last_message_at since
# the start, then messages_thread_idx for the period's count), or the scope's.
EXPORT_CONVERSATIONS = """
SELECT c.id, ct.wa_id, ct.profile_name, c.status, c.queue_id, c.assigned_user_id,
       c.created_at, c.last_message_at, n.messages, n.inbound
  FROM conversations c
  JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
  CROSS JOIN LATERAL (
      SELECT count(*) AS messages, count(*) FILTER (WHERE m.direction = 'in') AS inbound
        FROM messages m
       WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id
         AND m.created_at >= $1 AND m.created_at < $2) n
 WHERE c.tenant_id = current_tenant_id() AND c.last_message_at >= $1 AND n.messages > 0
   AND ($5::uuid IS NULL OR c.id = $5)
   AND (($3::uuid IS NULL AND $4::uuid IS NULL) OR c.id IN (
        SELECT i.conversation_id FROM queue_items i
         WHERE i.tenant_id = current_tenant_id() AND i.entered_at >= $1 AND i.entered_at < $2
           AND ($3::uuid IS NULL OR i.queue_id = $3)
           AND ($4::uuid IS NULL OR i.agent_id = $4)))
 ORDER BY c.last_message_at, c.id
"""


async def count_rows(conn: Connection, sql: str, scope: Scope) -> int:
    """How many rows an export statement gives (for the CLI's progress bar)."""
    count = f"SELECT count(*) FROM ({sql}) x"
    total: int = await conn.fetchval(count, *scope.args)
    return total


async def iter_rows(conn: Connection, sql: str, scope: Scope) -> AsyncIterator[asyncpg.Record]:
    """Rows of an export statement through a server-side cursor (inside a transaction)."""
    async for row in conn.cursor(sql, *scope.args, prefetch=500):
        yield row
