"""SQL of the onboarding wizard (migration 0032); the business profile it fills is in
``tenancy/profile_db.py``.

Every statement runs in the caller's tenant transaction: row-level security shows only that
tenant's rows. Profiles and steps are read by primary key (``tenant_profiles_pkey``,
``onboarding_steps_pkey``); the go-live round trip's lookup of the test message is bounded by
``messages_created_idx`` (tenant, created_at) from the moment the test started.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.db.pool import Connection

_STEPS = """
SELECT s.step, s.status, s.data, s.updated_by, s.updated_at, u.name AS updated_by_name
  FROM onboarding_steps s
  LEFT JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.updated_by
 WHERE s.tenant_id = current_tenant_id()
"""


async def steps(conn: Connection) -> list[asyncpg.Record]:
    """The steps some admin has touched (the others are pending)."""
    return await conn.fetch(_STEPS)


_SAVE_STEP = """
INSERT INTO onboarding_steps AS s (tenant_id, step, status, data, updated_by, updated_at)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, step) DO UPDATE
   SET status = EXCLUDED.status, data = EXCLUDED.data, updated_by = EXCLUDED.updated_by,
       updated_at = EXCLUDED.updated_at
"""


async def save_step(
    conn: Connection,
    step: str,
    status: str,
    data: dict[str, Any],
    *,
    by: uuid.UUID | None,
    at: datetime,
) -> None:
    await conn.execute(_SAVE_STEP, step, status, data, by, at)


_NOW = "SELECT now()"


async def database_now(conn: Connection) -> datetime:
    """The database's clock: the test message's ``created_at`` is compared with it."""
    now: datetime = await conn.fetchval(_NOW)
    return now


# The owner's test message: inbound, whose text is the code (a phone's keyboard may capitalise
# it), with its conversation's window (by ``conversations_pkey``).
_TEST_MESSAGE = """
SELECT m.id, m.conversation_id, c.last_inbound_at
  FROM messages m
  JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
 WHERE m.tenant_id = current_tenant_id() AND m.created_at >= $1
   AND m.direction = 'in' AND lower(btrim(m.text)) = $2
 ORDER BY m.created_at
 LIMIT 1
"""


async def test_message(conn: Connection, since: datetime, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(_TEST_MESSAGE, since, code)


_MESSAGE_STATE = """
SELECT status, error_title, error_explanation FROM messages
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def message_state(conn: Connection, message_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_MESSAGE_STATE, message_id)


_COUNTS = """
SELECT (SELECT count(*) FROM users WHERE tenant_id = current_tenant_id()
           AND disabled_at IS NULL) AS users,
       (SELECT count(*) FROM invitations WHERE tenant_id = current_tenant_id()
           AND accepted_at IS NULL AND revoked_at IS NULL) AS open_invitations,
       (SELECT count(*) FROM queues WHERE tenant_id = current_tenant_id()) AS queues,
       (SELECT count(*) FROM flows WHERE tenant_id = current_tenant_id()
           AND published_version IS NOT NULL AND archived_at IS NULL) AS published_flows
"""


async def counts(conn: Connection) -> asyncpg.Record:
    """What the go-live check counts (a new tenant's handful of rows)."""
    row = await conn.fetchrow(_COUNTS)
    assert row is not None
    return row
