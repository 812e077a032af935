"""SQL of the AI tables (migrations/0008_ai.sql) for the API, the settings and the delayed
checks; what the analysis job runs per batch of messages is in :mod:`.analysis_db`. Every
function runs in the caller's tenant transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.db.pool import Connection

_GET_MOOD = "SELECT * FROM ai_conversation_mood WHERE conversation_id = $1"


async def get_mood(conn: Connection, conversation_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_GET_MOOD, conversation_id)


_REPLIED_SINCE = """
SELECT EXISTS (SELECT 1 FROM messages
                WHERE conversation_id = $1 AND direction = 'out' AND created_at > $2)
"""


async def replied_since(conn: Connection, conversation_id: uuid.UUID, since: datetime) -> bool:
    replied: bool = await conn.fetchval(_REPLIED_SINCE, conversation_id, since)
    return replied


# `m.conversation_id` too: with the condition on the analyses only, the planner (under row-level
# security) may walk the tenant's whole history in time order looking for this conversation's.
_LIST_ANALYSES = """
SELECT a.* FROM ai_message_analysis a JOIN messages m ON m.id = a.message_id
 WHERE a.conversation_id = $1 AND m.conversation_id = $1
 ORDER BY m.created_at DESC, m.id DESC LIMIT $2
"""


async def list_analyses(
    conn: Connection, conversation_id: uuid.UUID, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(_LIST_ANALYSES, conversation_id, limit)


# ---- alerts -----------------------------------------------------------------------------------

_INSERT_ALERT = """
INSERT INTO ai_alerts (tenant_id, conversation_id, rule, message_id, detail)
VALUES (current_tenant_id(), $1, $2, $3, $4)
ON CONFLICT (tenant_id, conversation_id, rule) DO NOTHING
RETURNING *
"""


async def insert_alert(
    conn: Connection,
    conversation_id: uuid.UUID,
    rule: str,
    message_id: uuid.UUID | None,
    detail: str,
) -> asyncpg.Record | None:
    """The new alert, or None when this conversation already had one for the rule."""
    return await conn.fetchrow(_INSERT_ALERT, conversation_id, rule, message_id, detail)


_LIST_ALERTS = """
SELECT * FROM ai_alerts WHERE ($1::uuid IS NULL OR conversation_id = $1)
 ORDER BY created_at DESC, id LIMIT $2
"""


async def list_alerts(
    conn: Connection, conversation_id: uuid.UUID | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(_LIST_ALERTS, conversation_id, limit)


# ---- replies (canned responses and knowledge snippets) ---------------------------------------

_LIST_REPLIES = "SELECT * FROM ai_replies ORDER BY created_at, id"


async def list_replies(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(_LIST_REPLIES)


_GET_REPLY = "SELECT * FROM ai_replies WHERE id = $1"


async def get_reply(conn: Connection, reply_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_GET_REPLY, reply_id)


_INSERT_REPLY = """
INSERT INTO ai_replies (tenant_id, kind, title, body, intents, language)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5) RETURNING *
"""


async def insert_reply(
    conn: Connection, *, kind: str, title: str, body: str, intents: list[str], language: str | None
) -> asyncpg.Record:
    row = await conn.fetchrow(_INSERT_REPLY, kind, title, body, intents, language)
    assert row is not None
    return row


_UPDATE_REPLY = """
UPDATE ai_replies
   SET kind = coalesce($2, kind), title = coalesce($3, title), body = coalesce($4, body),
       intents = coalesce($5, intents), language = CASE WHEN $6 THEN $7 ELSE language END,
       updated_at = now()
 WHERE id = $1
RETURNING *
"""


async def update_reply(
    conn: Connection, reply_id: uuid.UUID, changes: dict[str, Any]
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        _UPDATE_REPLY,
        reply_id,
        changes.get("kind"),
        changes.get("title"),
        changes.get("body"),
        changes.get("intents"),
        "language" in changes,
        changes.get("language"),
    )


_DELETE_REPLY = "DELETE FROM ai_replies WHERE id = $1 RETURNING id"


async def delete_reply(conn: Connection, reply_id: uuid.UUID) -> bool:
    return await conn.fetchval(_DELETE_REPLY, reply_id) is not None


# ---- custom intents ---------------------------------------------------------------------------

_LIST_INTENTS = "SELECT * FROM ai_custom_intents ORDER BY name"


async def list_intents(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(_LIST_INTENTS)


_INSERT_INTENT = """
INSERT INTO ai_custom_intents (tenant_id, name, examples, keywords)
VALUES (current_tenant_id(), $1, $2, $3)
ON CONFLICT (tenant_id, name) DO NOTHING
RETURNING *
"""


async def insert_intent(
    conn: Connection, name: str, examples: list[str], keywords: list[str]
) -> asyncpg.Record | None:
    """The new intent, or None when the tenant already has one of that name."""
    return await conn.fetchrow(_INSERT_INTENT, name, examples, keywords)


_UPDATE_INTENT = """
UPDATE ai_custom_intents
   SET examples = coalesce($2, examples), keywords = coalesce($3, keywords), updated_at = now()
 WHERE id = $1
RETURNING *
"""


async def update_intent(
    conn: Connection, intent_id: uuid.UUID, examples: list[str] | None, keywords: list[str] | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(_UPDATE_INTENT, intent_id, examples, keywords)


_DELETE_INTENT = "DELETE FROM ai_custom_intents WHERE id = $1 RETURNING id"


async def delete_intent(conn: Connection, intent_id: uuid.UUID) -> bool:
    return await conn.fetchval(_DELETE_INTENT, intent_id) is not None


# ---- settings ---------------------------------------------------------------------------------

_GET_OVERRIDES = "SELECT overrides FROM ai_settings WHERE tenant_id = current_tenant_id()"


async def get_overrides(conn: Connection) -> dict[str, Any]:
    overrides: dict[str, Any] | None = await conn.fetchval(_GET_OVERRIDES)
    return overrides or {}


_MERGE_OVERRIDES = """
INSERT INTO ai_settings (tenant_id, overrides) VALUES (current_tenant_id(), $1)
ON CONFLICT (tenant_id) DO UPDATE
   SET overrides = ai_settings.overrides || EXCLUDED.overrides, updated_at = now()
RETURNING overrides
"""


async def merge_overrides(conn: Connection, changes: dict[str, Any]) -> dict[str, Any]:
    overrides: dict[str, Any] = await conn.fetchval(_MERGE_OVERRIDES, changes)
    return overrides


# ---- suggestions' context ---------------------------------------------------------------------

_CONVERSATION_CONTEXT = """
SELECT c.id, ct.profile_name, ct.wa_id,
       (SELECT array_agg(text ORDER BY created_at DESC) FROM (
            SELECT text, created_at FROM messages
             WHERE conversation_id = c.id AND direction = 'in' AND text <> ''
             ORDER BY created_at DESC LIMIT $2) recent) AS recent_texts
  FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
 WHERE c.id = $1
"""


async def conversation_context(
    conn: Connection, conversation_id: uuid.UUID, messages: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(_CONVERSATION_CONTEXT, conversation_id, messages)


_USER_NAME = "SELECT name FROM users WHERE id = $1"


async def user_name(conn: Connection, user_id: uuid.UUID) -> str | None:
    name: str | None = await conn.fetchval(_USER_NAME, user_id)
    return name
