"""SQL of flows, versions, sessions, the execution log, transfers and tags."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.flows import FlowSessionOut, FlowStep

# --- flows and versions ---------------------------------------------------------------------

FLOW_COLUMNS = """f.id, f.name, f.description, f.latest_version, f.published_version,
    f.archived_at, f.created_at, f.updated_at"""

_INSERT_FLOW = """
INSERT INTO flows (tenant_id, name, description) VALUES (current_tenant_id(), $1, $2)
ON CONFLICT (tenant_id, name) DO NOTHING
RETURNING id
"""


async def insert_flow(conn: Connection, name: str, description: str) -> uuid.UUID | None:
    """A new flow (version 1 is inserted by the caller), or ``None`` when the name is taken."""
    flow_id: uuid.UUID | None = await conn.fetchval(_INSERT_FLOW, name, description)
    return flow_id


_INSERT_VERSION = """
INSERT INTO flow_versions (tenant_id, flow_id, version, definition)
VALUES (current_tenant_id(), $1, $2, $3)
"""


async def insert_version(
    conn: Connection, flow_id: uuid.UUID, version: int, definition: dict[str, Any]
) -> None:
    await conn.execute(_INSERT_VERSION, flow_id, version, definition)


_BUMP_VERSION = """
UPDATE flows SET latest_version = latest_version + 1, updated_at = now(),
       description = coalesce($2, description)
 WHERE tenant_id = current_tenant_id() AND id = $1
RETURNING latest_version
"""


async def bump_version(conn: Connection, flow_id: uuid.UUID, description: str | None) -> int | None:
    version: int | None = await conn.fetchval(_BUMP_VERSION, flow_id, description)
    return version


_GET_FLOW = (
    f"SELECT {FLOW_COLUMNS} FROM flows f WHERE f.tenant_id = current_tenant_id() AND f.id = $1"
)


async def get_flow(conn: Connection, flow_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_GET_FLOW, flow_id)


_FIND_FLOW = f"""
SELECT {FLOW_COLUMNS} FROM flows f
 WHERE f.tenant_id = current_tenant_id() AND (f.name = $1 OR f.id::text = $1)
"""


async def find_flow(conn: Connection, name_or_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(_FIND_FLOW, name_or_id)


_LIST_FLOWS = f"""
SELECT {FLOW_COLUMNS} FROM flows f WHERE f.tenant_id = current_tenant_id() ORDER BY f.name
"""


async def list_flows(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(_LIST_FLOWS)


_GET_VERSION = """
SELECT definition FROM flow_versions
 WHERE tenant_id = current_tenant_id() AND flow_id = $1 AND version = $2
"""


async def get_definition(conn: Connection, flow_id: uuid.UUID, version: int) -> Any:
    return await conn.fetchval(_GET_VERSION, flow_id, version)


_PUBLISH = """
UPDATE flows SET published_version = $2, archived_at = NULL, updated_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def publish(conn: Connection, flow_id: uuid.UUID, version: int) -> None:
    await conn.execute(_PUBLISH, flow_id, version)


_ARCHIVE = """
UPDATE flows SET archived_at = now(), updated_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def archive(conn: Connection, flow_id: uuid.UUID) -> None:
    await conn.execute(_ARCHIVE, flow_id)


# Configuration import: a flow's description, publication and archive state as the document has
# them, in one statement (publish() always unarchives, and there was no way back to a draft).
_SET_STATE = """
UPDATE flows SET description = $2, published_version = $3,
       archived_at = CASE WHEN $4 THEN coalesce(archived_at, now()) END, updated_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def set_state(
    conn: Connection,
    flow_id: uuid.UUID,
    *,
    description: str,
    published_version: int | None,
    archived: bool,
) -> None:
    await conn.execute(_SET_STATE, flow_id, description, published_version, archived)


_ALL_VERSIONS = """
SELECT flow_id, version, definition FROM flow_versions
 WHERE tenant_id = current_tenant_id() ORDER BY flow_id, version
"""


async def all_versions(conn: Connection) -> list[asyncpg.Record]:
    """Every version of every flow (configuration export)."""
    return await conn.fetch(_ALL_VERSIONS)


_PUBLISHED = """
SELECT f.id, f.published_version AS version, v.definition
  FROM flows f
  JOIN flow_versions v ON v.tenant_id = f.tenant_id AND v.flow_id = f.id
                      AND v.version = f.published_version
 WHERE f.tenant_id = current_tenant_id() AND f.published_version IS NOT NULL
   AND f.archived_at IS NULL
 ORDER BY f.created_at, f.id
"""


async def published_flows(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(_PUBLISHED)


_PUBLISHED_STAMP = """
SELECT coalesce(array_agg(f.id::text || ':' || f.published_version ORDER BY f.id), '{}')
  FROM flows f
 WHERE f.tenant_id = current_tenant_id() AND f.published_version IS NOT NULL
   AND f.archived_at IS NULL
"""


async def published_stamp(conn: Connection) -> list[str]:
    """Which versions are published, cheaply: the router's cache key."""
    stamp: list[str] = await conn.fetchval(_PUBLISHED_STAMP)
    return stamp


# --- sessions ---------------------------------------------------------------------------------

SESSION_COLUMNS = """s.id, s.conversation_id, s.flow_id, s.flow_version, s.status, s.current_node,
    s.waiting, s.attempts, s.wait_token, s.next_seq, s.variables, s.expires_at, s.end_reason,
    s.started_at, s.updated_at"""

_LOCK_CONVERSATION = "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7305))"


async def lock_conversation(conn: Connection, conversation_id: uuid.UUID) -> None:
    """Serialise flow work on one conversation (held until the transaction ends)."""
    await conn.execute(_LOCK_CONVERSATION, str(conversation_id))


_ACTIVE_SESSION = f"""
SELECT {SESSION_COLUMNS} FROM flow_sessions s
 WHERE s.tenant_id = current_tenant_id() AND s.conversation_id = $1 AND s.status = 'active'
"""


async def active_session(conn: Connection, conversation_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_ACTIVE_SESSION, conversation_id)


_GET_SESSION = f"""
SELECT {SESSION_COLUMNS} FROM flow_sessions s WHERE s.tenant_id = current_tenant_id() AND s.id = $1
"""


async def get_session(conn: Connection, session_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_GET_SESSION, session_id)


_END_SESSION = """
UPDATE flow_sessions SET status = 'ended', end_reason = $2, ended_at = now(), updated_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1 AND status = 'active'
"""


async def end_session(conn: Connection, session_id: uuid.UUID, reason: str) -> None:
    await conn.execute(_END_SESSION, session_id, reason)


_LIST_SESSIONS = f"""
SELECT {SESSION_COLUMNS} FROM flow_sessions s
 WHERE s.tenant_id = current_tenant_id() AND s.flow_id = $1
 ORDER BY s.started_at DESC, s.id DESC LIMIT $2
"""


async def list_sessions(conn: Connection, flow_id: uuid.UUID, limit: int) -> list[FlowSessionOut]:
    return rows.many(FlowSessionOut, await conn.fetch(_LIST_SESSIONS, flow_id, limit))


# --- processed messages, steps ----------------------------------------------------------------

_MARK_PROCESSED = """
INSERT INTO flow_processed_messages (tenant_id, message_id, session_id)
VALUES (current_tenant_id(), $1, $2)
ON CONFLICT DO NOTHING
"""


async def mark_processed(
    conn: Connection, message_id: uuid.UUID, session_id: uuid.UUID | None
) -> bool:
    """Claim a customer message for the flows; ``False`` if it was already processed."""
    status: str = await conn.execute(_MARK_PROCESSED, message_id, session_id)
    return status.endswith(" 1")


_STEPS = """
SELECT seq, node_id, node_type, input, output, variables, branch, duration_ms, error, at
  FROM flow_steps WHERE tenant_id = current_tenant_id() AND session_id = $1 ORDER BY seq
"""


async def steps(conn: Connection, session_id: uuid.UUID) -> list[FlowStep]:
    return rows.many(FlowStep, await conn.fetch(_STEPS, session_id))


# --- transfers, tags, conversation status ---------------------------------------------------------

_INSERT_TRANSFER = """
INSERT INTO flow_transfers (tenant_id, conversation_id, session_id, queue_id, queue_name,
                            priority, message, wait_timeout_minutes, fallback_action)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id
"""


async def insert_transfer(
    conn: Connection,
    *,
    conversation_id: uuid.UUID,
    session_id: uuid.UUID | None,
    queue_id: str,
    queue_name: str,
    priority: int,
    message: str,
    wait_timeout_minutes: int,
    fallback_action: str,
) -> uuid.UUID:
    transfer_id: uuid.UUID = await conn.fetchval(
        _INSERT_TRANSFER,
        conversation_id,
        session_id,
        queue_id,
        queue_name,
        priority,
        message,
        wait_timeout_minutes,
        fallback_action,
    )
    return transfer_id


_TRANSFERS = """
SELECT id, conversation_id, session_id, queue_id, queue_name, priority, message,
       wait_timeout_minutes, fallback_action, status, requested_at
  FROM flow_transfers
 WHERE tenant_id = current_tenant_id() AND conversation_id = $1 ORDER BY requested_at
"""


async def transfers(conn: Connection, conversation_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(_TRANSFERS, conversation_id)


_SET_STATUS = """
UPDATE conversations SET status = $2, updated_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def set_conversation_status(
    conn: Connection, conversation_id: uuid.UUID, status: str
) -> None:
    await conn.execute(_SET_STATUS, conversation_id, status)


_TAG = """
INSERT INTO flow_tags (tenant_id, conversation_id, tag)
SELECT current_tenant_id(), $1, t FROM unnest($2::text[]) AS t
ON CONFLICT DO NOTHING
"""


async def add_tags(conn: Connection, conversation_id: uuid.UUID, tags: list[str]) -> None:
    await conn.execute(_TAG, conversation_id, tags)


# The message is found by its wamid (messages_wa_id_idx) and only then checked for a template:
# with the kind in the WHERE clause the planner may walk messages_template_sends_idx (0026),
# every template the tenant ever sent, which it estimates small while the tenant has sent few.
_TEMPLATE_OF = """
SELECT CASE WHEN direction = 'out' AND type = 'template' THEN content->>'name' END
  FROM messages
 WHERE tenant_id = current_tenant_id() AND wa_message_id = $2 AND conversation_id = $1
"""


async def template_replied_to(
    conn: Connection, conversation_id: uuid.UUID, wamid: str
) -> str | None:
    """The name of our template a customer's message replies to, if it replies to one."""
    name: str | None = await conn.fetchval(_TEMPLATE_OF, conversation_id, wamid)
    return name
