"""SQL of the agents' internal notes on a conversation (``conversation_notes``, migration 0010).

Like ``db.py``, every statement names ``current_tenant_id()`` itself."""

from __future__ import annotations

import uuid

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.conversations import NoteOut

# Both statements select ``NoteOut``'s fields (``n``: notes, ``u``: users); spelled out in
# each, so they stay plain constants.

# One statement: the note and the conversation's counter move together.
_INSERT_NOTE = """
WITH note AS (
    INSERT INTO conversation_notes (tenant_id, conversation_id, author_id, body)
    VALUES (current_tenant_id(), $1, $2, $3)
    RETURNING *
), counted AS (
    UPDATE conversations SET notes_count = notes_count + 1, updated_at = now()
     WHERE tenant_id = current_tenant_id() AND id = $1
)
SELECT n.id, n.conversation_id, n.author_id, u.name AS author_name, n.body, n.created_at
  FROM note n
  LEFT JOIN users u ON u.tenant_id = n.tenant_id AND u.id = n.author_id
"""


async def insert_note(
    conn: Connection, conversation_id: uuid.UUID, author_id: uuid.UUID, body: str
) -> NoteOut:
    """Add a note (the conversation must exist: check first, the foreign key refuses it)."""
    row = await conn.fetchrow(_INSERT_NOTE, conversation_id, author_id, body)
    assert row is not None  # INSERT … RETURNING always returns the row
    return rows.of(NoteOut, row)


_LIST_NOTES = """
SELECT n.id, n.conversation_id, n.author_id, u.name AS author_name, n.body, n.created_at
  FROM conversation_notes n
  LEFT JOIN users u ON u.tenant_id = n.tenant_id AND u.id = n.author_id
 WHERE n.tenant_id = current_tenant_id() AND n.conversation_id = $1
 ORDER BY n.created_at DESC, n.id DESC
 LIMIT $2
"""


async def list_notes(conn: Connection, conversation_id: uuid.UUID, *, limit: int) -> list[NoteOut]:
    """A conversation's latest ``limit`` notes, oldest first."""
    return rows.many(NoteOut, reversed(await conn.fetch(_LIST_NOTES, conversation_id, limit)))
