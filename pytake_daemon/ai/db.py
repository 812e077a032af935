"""SQL of the AI tables (migrations/0008_ai.sql) for the API, the settings and the delayed
checks; what the analysis job runs per batch of messages is in :mod:`.analysis_db`. Every
function runs in the caller's tenant transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.db.statements import BoundStatement, Statement
from pytake_daemon.protocol.ai import (
    AlertOut,
    ConversationMoodOut,
    IntentOut,
    MessageAnalysisOut,
    ReplyOut,
)

_GET_MOOD = "SELECT * FROM ai_conversation_mood WHERE conversation_id = $1"


async def get_mood(conn: Connection, conversation_id: uuid.UUID) -> ConversationMoodOut | None:
    return rows.one(ConversationMoodOut, await conn.fetchrow(_GET_MOOD, conversation_id))


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
) -> list[MessageAnalysisOut]:
    return rows.many(MessageAnalysisOut, await conn.fetch(_LIST_ANALYSES, conversation_id, limit))


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
) -> AlertOut | None:
    """The new alert, or None when this conversation already had one for the rule."""
    row = await conn.fetchrow(_INSERT_ALERT, conversation_id, rule, message_id, detail)
    return rows.one(AlertOut, row)


# The tenant's alerts by ai_alerts_time_idx, or one conversation's (one per rule) by its unique
# index. The statement holds only the filter that is set (db/statements.py): with
# "$1 IS NULL OR conversation_id = $1" the generic plan walked the tenant's alerts by time for
# one conversation's (20,125 buffers among 20,000 alerts; tests/ai/test_plans_alerts.py).
def alerts_statement(conversation_id: uuid.UUID | None, limit: int) -> BoundStatement:
    st = Statement("tenant_id = current_tenant_id()")
    if conversation_id is not None:
        st.where("conversation_id = {}", conversation_id)
    return st.finish(
        f"SELECT * FROM ai_alerts WHERE {st.conditions}"
        f" ORDER BY created_at DESC, id LIMIT {st.bind(limit)}"
    )


async def list_alerts(
    conn: Connection, conversation_id: uuid.UUID | None, limit: int
) -> list[AlertOut]:
    sql, args = alerts_statement(conversation_id, limit)
    return rows.many(AlertOut, await conn.fetch(sql, *args))


# ---- replies (canned responses and knowledge snippets) ---------------------------------------

# What a reply reads as on the wire (``ReplyOut``): its scope is whether it has an owner.
_REPLY_COLUMNS = """r.id, r.kind, r.title, r.body, r.intents, r.language, r.created_at,
    r.updated_at, r.shortcut, r.owner_id, r.department,
    CASE WHEN r.owner_id IS NULL THEN 'team' ELSE 'personal' END AS scope"""

# What a caller may use: their own personal replies; the team's, limited to the departments the
# caller is an agent of unless ``$2`` (supervisors and above see every shared one, they manage
# them). ``$3``: a shortcut prefix or NULL; ``$4``: 'personal', 'team' or NULL. Each tenant has
# a handful to a few hundred replies, read through `ai_replies_tenant_idx`.
_USABLE_REPLIES = f"""
SELECT {_REPLY_COLUMNS}
  FROM ai_replies r
 WHERE r.tenant_id = current_tenant_id()
   AND (r.owner_id = $1
        OR (r.owner_id IS NULL
            AND (r.department IS NULL OR $2
                 OR r.department = ANY (coalesce(
                        (SELECT a.departments FROM agents a
                          WHERE a.tenant_id = current_tenant_id() AND a.id = $1), '{{}}')))))
   AND ($3::text IS NULL OR r.shortcut LIKE $3 || '%')
   AND ($4::text IS NULL OR ($4 = 'personal') = (r.owner_id IS NOT NULL))
 ORDER BY r.owner_id IS NULL, r.shortcut NULLS LAST, r.title, r.id
"""


async def usable_replies(
    conn: Connection,
    user_id: uuid.UUID,
    *,
    all_shared: bool,
    shortcut_prefix: str | None = None,
    scope: str | None = None,
) -> list[ReplyOut]:
    """The replies ``user_id`` may use, personal ones first, then by shortcut and title."""
    prefix = None if shortcut_prefix is None else escape_like(shortcut_prefix)
    found = await conn.fetch(_USABLE_REPLIES, user_id, all_shared, prefix, scope)
    return rows.many(ReplyOut, found)


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern (backslash is the default escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_GET_REPLY = f"SELECT {_REPLY_COLUMNS} FROM ai_replies r WHERE r.id = $1"


async def get_reply(conn: Connection, reply_id: uuid.UUID) -> ReplyOut | None:
    return rows.one(ReplyOut, await conn.fetchrow(_GET_REPLY, reply_id))


_LOCK_REPLY = f"SELECT {_REPLY_COLUMNS} FROM ai_replies r WHERE r.id = $1 FOR UPDATE"


async def lock_reply(conn: Connection, reply_id: uuid.UUID) -> ReplyOut | None:
    """The reply, locked until the transaction ends (its rules are checked on what it is)."""
    return rows.one(ReplyOut, await conn.fetchrow(_LOCK_REPLY, reply_id))


_INSERT_REPLY = f"""
WITH r AS (
    INSERT INTO ai_replies (tenant_id, kind, title, body, intents, language, shortcut, owner_id,
                            department)
    VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6, $7, $8) RETURNING *
)
SELECT {_REPLY_COLUMNS} FROM r
"""


async def insert_reply(
    conn: Connection,
    *,
    kind: str,
    title: str,
    body: str,
    intents: list[str],
    language: str | None,
    shortcut: str | None = None,
    owner_id: uuid.UUID | None = None,
    department: str | None = None,
) -> ReplyOut:
    """Add a reply; a shortcut taken in its owner scope raises ``UniqueViolationError``."""
    row = await conn.fetchrow(
        _INSERT_REPLY, kind, title, body, intents, language, shortcut, owner_id, department
    )
    assert row is not None
    return rows.of(ReplyOut, row)


# Every column is written from the values the caller resolved (the row as it will be), so
# clearing a nullable field and moving between scopes need no flags.
_UPDATE_REPLY = f"""
WITH r AS (
    UPDATE ai_replies
       SET kind = $2, title = $3, body = $4, intents = $5, language = $6, shortcut = $7,
           owner_id = $8, department = $9, updated_at = now()
     WHERE id = $1
    RETURNING *
)
SELECT {_REPLY_COLUMNS} FROM r
"""


async def update_reply(
    conn: Connection, reply_id: uuid.UUID, values: dict[str, Any]
) -> ReplyOut | None:
    """Write the reply's whole new state (``values`` has every column of ``_UPDATE_REPLY``)."""
    row = await conn.fetchrow(
        _UPDATE_REPLY,
        reply_id,
        values["kind"],
        values["title"],
        values["body"],
        values["intents"],
        values["language"],
        values["shortcut"],
        values["owner_id"],
        values["department"],
    )
    return rows.one(ReplyOut, row)


_DELETE_REPLY = "DELETE FROM ai_replies WHERE id = $1 RETURNING id"


async def delete_reply(conn: Connection, reply_id: uuid.UUID) -> bool:
    return await conn.fetchval(_DELETE_REPLY, reply_id) is not None


_ALL_REPLIES = f"SELECT {_REPLY_COLUMNS} FROM ai_replies r WHERE r.tenant_id = current_tenant_id()"


async def all_replies(conn: Connection) -> list[ReplyOut]:
    """Every reply of the tenant, personal ones too (configuration export)."""
    return rows.many(ReplyOut, await conn.fetch(_ALL_REPLIES))


# ---- custom intents ---------------------------------------------------------------------------

_LIST_INTENTS = "SELECT * FROM ai_custom_intents ORDER BY name"


async def list_intents(conn: Connection) -> list[IntentOut]:
    return rows.many(IntentOut, await conn.fetch(_LIST_INTENTS))


_INSERT_INTENT = """
INSERT INTO ai_custom_intents (tenant_id, name, examples, keywords)
VALUES (current_tenant_id(), $1, $2, $3)
ON CONFLICT (tenant_id, name) DO NOTHING
RETURNING *
"""


async def insert_intent(
    conn: Connection, name: str, examples: list[str], keywords: list[str]
) -> IntentOut | None:
    """The new intent, or None when the tenant already has one of that name."""
    return rows.one(IntentOut, await conn.fetchrow(_INSERT_INTENT, name, examples, keywords))


_UPDATE_INTENT = """
UPDATE ai_custom_intents
   SET examples = coalesce($2, examples), keywords = coalesce($3, keywords), updated_at = now()
 WHERE id = $1
RETURNING *
"""


async def update_intent(
    conn: Connection, intent_id: uuid.UUID, examples: list[str] | None, keywords: list[str] | None
) -> IntentOut | None:
    return rows.one(IntentOut, await conn.fetchrow(_UPDATE_INTENT, intent_id, examples, keywords))


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


_REPLACE_OVERRIDES = """
INSERT INTO ai_settings (tenant_id, overrides) VALUES (current_tenant_id(), $1)
ON CONFLICT (tenant_id) DO UPDATE SET overrides = EXCLUDED.overrides, updated_at = now()
"""


async def replace_overrides(conn: Connection, overrides: dict[str, Any]) -> None:
    """Set the whole overrides object (configuration import: the document is the truth)."""
    await conn.execute(_REPLACE_OVERRIDES, overrides)


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
