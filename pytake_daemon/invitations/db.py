"""SQL of the ``invitations`` table (migration 0029). Functions take a connection inside a
tenant transaction, except :func:`tenant_of_code`, which runs before the tenant is known.

Every statement names ``current_tenant_id()`` itself: row-level security scopes the daemon's
role, but the CLI runs these on the owner connection, which bypasses it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from pytake_daemon.db.pool import Connection

_COLUMNS = """id, email, role, queue_ids, invited_by, created_at, sent_at, expires_at,
    emailed_at, accepted_at, revoked_at, resets_user_id"""

_INSERT = f"""
INSERT INTO invitations (tenant_id, email, role, queue_ids, code_hash, invited_by,
                         created_at, sent_at, expires_at, resets_user_id)
VALUES (current_tenant_id(), lower($1), $2, $3, $4, $5, $6, $6, $7, $8)
RETURNING {_COLUMNS}
"""


async def insert_invitation(
    conn: Connection,
    *,
    email: str,
    role: str,
    queue_ids: Sequence[uuid.UUID],
    code_hash: bytes,
    invited_by: uuid.UUID | None,
    now: datetime,
    expires_at: datetime,
    resets_user_id: uuid.UUID | None = None,
) -> asyncpg.Record:
    """A new invitation; with ``resets_user_id``, a password reset for that existing user."""
    row = await conn.fetchrow(
        _INSERT, email, role, list(queue_ids), code_hash, invited_by, now, expires_at,
        resets_user_id,
    )  # fmt: skip
    assert row is not None
    return row


_LIST = f"""
SELECT {_COLUMNS} FROM invitations WHERE tenant_id = current_tenant_id()
 ORDER BY created_at DESC, id
"""


async def list_invitations(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(_LIST)


_LOCK = f"""
SELECT {_COLUMNS} FROM invitations WHERE tenant_id = current_tenant_id() AND id = $1
   FOR UPDATE
"""


async def lock_invitation(conn: Connection, invitation_id: uuid.UUID) -> asyncpg.Record | None:
    """The invitation, locked until commit: accept, resend and revoke are serialised by it."""
    return await conn.fetchrow(_LOCK, invitation_id)


_OPEN_FOR = """
SELECT id FROM invitations
 WHERE tenant_id = current_tenant_id() AND email = lower($1)
   AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2
"""


async def open_invitation_for(conn: Connection, email: str, now: datetime) -> uuid.UUID | None:
    """A live invitation for ``email``, if any (a second one would only confuse the person)."""
    found: uuid.UUID | None = await conn.fetchval(_OPEN_FOR, email, now)
    return found


_NEW_CODE = f"""
UPDATE invitations SET code_hash = $2, sent_at = $3, expires_at = $4, emailed_at = NULL
 WHERE tenant_id = current_tenant_id() AND id = $1
RETURNING {_COLUMNS}
"""


async def replace_code(
    conn: Connection,
    invitation_id: uuid.UUID,
    *,
    code_hash: bytes,
    now: datetime,
    expires_at: datetime,
) -> asyncpg.Record:
    """A new code and expiry; the old hash is gone, so the old code stops working."""
    row = await conn.fetchrow(_NEW_CODE, invitation_id, code_hash, now, expires_at)
    assert row is not None
    return row


_EMAILED = f"""
UPDATE invitations SET emailed_at = $2
 WHERE tenant_id = current_tenant_id() AND id = $1 AND code_hash = $3
RETURNING {_COLUMNS}
"""


async def mark_emailed(
    conn: Connection, invitation_id: uuid.UUID, code_hash: bytes, at: datetime
) -> asyncpg.Record | None:
    """Record the e-mail, unless a resend replaced that code in the meantime."""
    return await conn.fetchrow(_EMAILED, invitation_id, at, code_hash)


_REVOKE = f"""
UPDATE invitations SET revoked_at = $2
 WHERE tenant_id = current_tenant_id() AND id = $1
RETURNING {_COLUMNS}
"""


async def revoke(conn: Connection, invitation_id: uuid.UUID, at: datetime) -> asyncpg.Record:
    row = await conn.fetchrow(_REVOKE, invitation_id, at)
    assert row is not None
    return row


_ACCEPTED = f"""
UPDATE invitations SET accepted_at = $2, accepted_user_id = $3
 WHERE tenant_id = current_tenant_id() AND id = $1
RETURNING {_COLUMNS}
"""


async def mark_accepted(
    conn: Connection, invitation_id: uuid.UUID, at: datetime, user_id: uuid.UUID
) -> asyncpg.Record:
    row = await conn.fetchrow(_ACCEPTED, invitation_id, at, user_id)
    assert row is not None
    return row


_BY_CODE = "SELECT tenant_id, id FROM invitation_by_code($1)"


async def tenant_of_code(conn: Connection, code_hash: bytes) -> asyncpg.Record | None:
    """Which tenant and invitation a code's hash belongs to, whatever the tenant."""
    return await conn.fetchrow(_BY_CODE, code_hash)
