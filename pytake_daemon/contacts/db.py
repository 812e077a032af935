"""SQL of contact profiles: the columns migration 0022 added to ``contacts`` (written only
here), ``contact_notes``, and the read-only profile queries over other domains' tables.

Every statement names ``current_tenant_id()`` itself, like ``conversations/db.py``. The index
each statement is bounded by is named above it (``docs/contacts.md`` lists them all). Searches go
through the ``contact_search`` view (migration 0003 explains why: under row-level security the
planner won't use a trigram index for ILIKE, which isn't leakproof), MATERIALIZED so the view's
scan is planned on its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.contacts import (
    AttendanceOut,
    ContactConversationOut,
    ContactNoteOut,
    MoodPoint,
)

CONTACT_COLUMNS = """c.id, c.wa_id, c.profile_name, c.bsuid, c.parent_bsuid, c.username,
    c.phone_verified, c.phone_conflict, c.name_override, c.tags, c.attributes, c.created_at"""
"""What :mod:`pytake_daemon.contacts.views` reads (``c``: contacts)."""

# contacts_pkey.
_GET_CONTACT = f"""
SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.tenant_id = current_tenant_id() AND c.id = $1
"""


async def get_contact(conn: Connection, contact_id: uuid.UUID) -> asyncpg.Record | None:
    """One contact, or ``None`` (unknown, or another tenant's)."""
    return await conn.fetchrow(_GET_CONTACT, contact_id)


_LOCK_CONTACT = _GET_CONTACT + " FOR UPDATE"


async def lock_contact(conn: Connection, contact_id: uuid.UUID) -> asyncpg.Record | None:
    """The contact, locked until the transaction ends (a merge reads, then writes)."""
    return await conn.fetchrow(_LOCK_CONTACT, contact_id)


# --- the list and search (keyset: created_at DESC, id DESC) -----------------------------------

# contacts_recent_idx (0022) serves the order and the row comparison.
_LIST = f"""
SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.tenant_id = current_tenant_id()
 ORDER BY c.created_at DESC, c.id DESC LIMIT $1
"""
_LIST_AFTER = f"""
SELECT {CONTACT_COLUMNS} FROM contacts c
 WHERE c.tenant_id = current_tenant_id() AND (c.created_at, c.id) < ($2, $3)
 ORDER BY c.created_at DESC, c.id DESC LIMIT $1
"""
# contacts_search_idx (trigram, 0022) finds the hits, and contacts_pkey reads them, each in a
# MATERIALIZED step planned on its own; the order and the cursor apply to the hits only. Joined
# to the hits instead, the generic plan guessed a thousand hits and hash-joined a sequential
# scan of every contact; with the cursor in the same step, it walked contacts_recent_idx from
# the cursor looking for the hits among all the tenant's contacts.
_HITS = f"""
WITH hits AS MATERIALIZED (
    SELECT cs.id FROM contact_search cs WHERE cs.search_text ILIKE ANY ($2::text[])
), found AS MATERIALIZED (
    SELECT {CONTACT_COLUMNS} FROM contacts c
     WHERE c.tenant_id = current_tenant_id() AND c.id = ANY (ARRAY(SELECT id FROM hits))
)
"""
_SEARCH = f"""{_HITS}
SELECT * FROM found ORDER BY created_at DESC, id DESC LIMIT $1
"""
_SEARCH_AFTER = f"""{_HITS}
SELECT * FROM found WHERE (created_at, id) < ($3, $4) ORDER BY created_at DESC, id DESC LIMIT $1
"""


async def list_contacts(
    conn: Connection,
    *,
    patterns: list[str] | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """A page of contacts, newest first; ``patterns`` (ILIKE, any of them) searches."""
    if patterns:
        if after is None:
            return await conn.fetch(_SEARCH, limit, patterns)
        return await conn.fetch(_SEARCH_AFTER, limit, patterns, *after)
    if after is None:
        return await conn.fetch(_LIST, limit)
    return await conn.fetch(_LIST_AFTER, limit, *after)


# --- the team's profile fields ---------------------------------------------------------------

# contacts_pkey. The caller merged the attributes on the locked row and writes them whole.
_UPDATE_PROFILE = f"""
UPDATE contacts c SET name_override = $2, attributes = $3, updated_at = now()
 WHERE c.tenant_id = current_tenant_id() AND c.id = $1
RETURNING {CONTACT_COLUMNS}
"""


async def update_profile(
    conn: Connection,
    contact_id: uuid.UUID,
    *,
    name_override: str | None,
    attributes: dict[str, Any],
) -> asyncpg.Record | None:
    return await conn.fetchrow(_UPDATE_PROFILE, contact_id, name_override, attributes)


_SET_TAGS = """
UPDATE contacts c SET tags = $2, updated_at = now()
 WHERE c.tenant_id = current_tenant_id() AND c.id = $1 AND c.tags IS DISTINCT FROM $2
RETURNING c.id
"""


async def set_tags(conn: Connection, contact_id: uuid.UUID, tags: list[str]) -> bool:
    """Replace the tags; False when they were already exactly these."""
    return await conn.fetchval(_SET_TAGS, contact_id, tags) is not None


# --- notes (contact_notes_contact_idx) -------------------------------------------------------

_INSERT_NOTE = """
WITH note AS (
    INSERT INTO contact_notes (tenant_id, contact_id, author_id, body)
    VALUES (current_tenant_id(), $1, $2, $3)
    RETURNING *
)
SELECT n.id, n.contact_id, n.author_id, u.name AS author_name, n.body, n.created_at
  FROM note n
  LEFT JOIN users u ON u.tenant_id = n.tenant_id AND u.id = n.author_id
"""


async def insert_note(
    conn: Connection, contact_id: uuid.UUID, author_id: uuid.UUID | None, body: str
) -> ContactNoteOut:
    """Add a note (check the contact first: the foreign key refuses an unknown one)."""
    row = await conn.fetchrow(_INSERT_NOTE, contact_id, author_id, body)
    assert row is not None  # INSERT … RETURNING always returns the row
    return rows.of(ContactNoteOut, row)


_LIST_NOTES = """
SELECT n.id, n.contact_id, n.author_id, u.name AS author_name, n.body, n.created_at
  FROM contact_notes n
  LEFT JOIN users u ON u.tenant_id = n.tenant_id AND u.id = n.author_id
 WHERE n.tenant_id = current_tenant_id() AND n.contact_id = $1
 ORDER BY n.created_at DESC, n.id DESC
 LIMIT $2
"""


async def list_notes(
    conn: Connection, contact_id: uuid.UUID, *, limit: int
) -> list[ContactNoteOut]:
    """The contact's latest ``limit`` notes, newest first."""
    return rows.many(ContactNoteOut, await conn.fetch(_LIST_NOTES, contact_id, limit))


# --- the profile's history (read-only over the conversations, queues and AI tables) ----------

# conversations_contact_idx (0003); users_pkey and ai_conversation_mood_pkey per row.
_CONVERSATIONS = """
SELECT c.id, c.number_id, c.status, c.assigned_user_id, u.name AS assignee_name,
       c.last_message_at, c.tags, m.label AS mood
  FROM conversations c
  LEFT JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.assigned_user_id
  LEFT JOIN ai_conversation_mood m ON m.tenant_id = c.tenant_id AND m.conversation_id = c.id
 WHERE c.tenant_id = current_tenant_id() AND c.contact_id = $1
 ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC
 LIMIT $2
"""


async def conversations_of(
    conn: Connection, contact_id: uuid.UUID, *, limit: int
) -> list[ContactConversationOut]:
    return rows.many(ContactConversationOut, await conn.fetch(_CONVERSATIONS, contact_id, limit))


# conversations_contact_idx, then per conversation queue_items_conversation_history_idx (0022)
# for its latest items; queues_pkey, users_pkey and conversation_feedback's (tenant_id, item_id)
# key per item.
_ATTENDANCES = """
SELECT i.id AS item_id, i.conversation_id, i.queue_id, q.name AS queue_name, i.agent_id,
       u.name AS agent_name, i.status AS outcome, i.entered_at, i.ended_at, f.rating,
       f.comment AS rating_comment
  FROM conversations c
  CROSS JOIN LATERAL (
        SELECT * FROM queue_items qi
         WHERE qi.tenant_id = c.tenant_id AND qi.conversation_id = c.id
         ORDER BY qi.entered_at DESC LIMIT $2) i
  JOIN queues q ON q.tenant_id = i.tenant_id AND q.id = i.queue_id
  LEFT JOIN users u ON u.tenant_id = i.tenant_id AND u.id = i.agent_id
  LEFT JOIN conversation_feedback f ON f.tenant_id = i.tenant_id AND f.item_id = i.id
 WHERE c.tenant_id = current_tenant_id() AND c.contact_id = $1
 ORDER BY i.entered_at DESC, i.id DESC
 LIMIT $2
"""


async def attendances_of(
    conn: Connection, contact_id: uuid.UUID, *, limit: int
) -> list[AttendanceOut]:
    """The contact's latest ``limit`` queue items, newest first, with their rating."""
    return rows.many(AttendanceOut, await conn.fetch(_ATTENDANCES, contact_id, limit))


# conversations_contact_idx, then per conversation ai_message_analysis_conversation_idx for its
# latest analyses.
_MOOD = """
SELECT a.message_id, a.conversation_id, a.analyzed_at AS at, a.sentiment,
       a.sentiment_label AS label, a.language, a.language_source
  FROM conversations c
  CROSS JOIN LATERAL (
        SELECT * FROM ai_message_analysis ma
         WHERE ma.tenant_id = c.tenant_id AND ma.conversation_id = c.id
         ORDER BY ma.analyzed_at DESC LIMIT $2) a
 WHERE c.tenant_id = current_tenant_id() AND c.contact_id = $1
 ORDER BY a.analyzed_at DESC, a.message_id DESC
 LIMIT $2
"""


async def mood_of(conn: Connection, contact_id: uuid.UUID, *, limit: int) -> list[MoodPoint]:
    """The latest ``limit`` analysed customer messages of the contact, oldest first."""
    return rows.many(MoodPoint, reversed(await conn.fetch(_MOOD, contact_id, limit)))
