"""The mailer's SQL: which tenants have e-mails waiting, claiming them under a lease, marking
them sent or failed. Every statement is served by ``notifications_email_idx`` (the partial
index of rows waiting) or the primary key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from pytake_daemon.db.pool import Connection
from pytake_daemon.notifications.db import to_out
from pytake_daemon.protocol.notifications import NotificationOut

# A claim older than this belongs to a mailer that died: it is taken again.
LEASE = timedelta(minutes=10)

_TENANTS = "SELECT tenant_id FROM notification_mail_tenants()"


async def tenants_waiting(conn: Connection) -> list[uuid.UUID]:
    return [r["tenant_id"] for r in await conn.fetch(_TENANTS)]


# Immediate e-mails (and a dead mailer's claims), oldest first; SKIP LOCKED so two processes'
# mailers share them.
_CLAIM_IMMEDIATE = """
UPDATE notifications n SET email_status = 'sending', email_claimed_at = $1
  FROM (SELECT id FROM notifications
         WHERE tenant_id = current_tenant_id()
           AND ((email_status = 'pending' AND NOT email_digest)
                OR (email_status = 'sending' AND email_claimed_at < $2))
         ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED) AS c
 WHERE n.id = c.id
RETURNING n.user_id, n.id, n.category, n.severity, n.title, n.body, n.link_kind, n.link_id,
          n.group_key, n.group_count, n.created_at, n.read_at
"""


async def claim_immediate(
    conn: Connection, now: datetime, limit: int = 200
) -> list[tuple[uuid.UUID, NotificationOut]]:
    rows = await conn.fetch(_CLAIM_IMMEDIATE, now, now - LEASE, limit)
    return [(r["user_id"], to_out(r)) for r in rows]


_DIGEST_USERS = """
SELECT DISTINCT user_id FROM notifications
 WHERE tenant_id = current_tenant_id() AND email_status = 'pending' AND email_digest
"""


async def digest_users(conn: Connection) -> list[uuid.UUID]:
    return [r["user_id"] for r in await conn.fetch(_DIGEST_USERS)]


_CLAIM_DIGEST = """
UPDATE notifications n SET email_status = 'sending', email_claimed_at = $2
  FROM (SELECT id FROM notifications
         WHERE tenant_id = current_tenant_id() AND user_id = $1
           AND email_status = 'pending' AND email_digest
         ORDER BY created_at LIMIT 500 FOR UPDATE SKIP LOCKED) AS c
 WHERE n.id = c.id
RETURNING n.id, n.category, n.severity, n.title, n.body, n.link_kind, n.link_id, n.group_key,
          n.group_count, n.created_at, n.read_at
"""


async def claim_digest(
    conn: Connection, user_id: uuid.UUID, now: datetime
) -> list[NotificationOut]:
    return [to_out(r) for r in await conn.fetch(_CLAIM_DIGEST, user_id, now)]


_FINISH = """
UPDATE notifications SET email_status = $2, email_claimed_at = NULL
 WHERE tenant_id = current_tenant_id() AND id = ANY($1::uuid[]) AND email_status = 'sending'
"""


async def finish(conn: Connection, ids: Sequence[uuid.UUID], status: str) -> None:
    """'sent' or 'failed' (a row deleted meanwhile is simply gone)."""
    await conn.execute(_FINISH, list(ids), status)
