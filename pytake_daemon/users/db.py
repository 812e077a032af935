"""SQL of the ``users`` table. Functions take a connection inside a tenant transaction.

Every statement names ``current_tenant_id()`` itself: row-level security scopes the daemon's role,
but the CLI runs these on the owner connection, which bypasses it.
"""

from __future__ import annotations

import uuid

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.users import UserOut

_COLUMNS = "id, email, name, role, disabled_at IS NOT NULL AS disabled, created_at"

_INSERT = f"""
INSERT INTO users (tenant_id, email, name, role, password_hash)
VALUES (current_tenant_id(), lower($1), $2, $3, $4)
ON CONFLICT (tenant_id, email) DO NOTHING
RETURNING {_COLUMNS}
"""


async def insert_user(
    conn: Connection, *, email: str, name: str, role: str, password_hash: str
) -> UserOut | None:
    """The new user, or ``None`` when the e-mail is taken in this tenant."""
    return rows.one(UserOut, await conn.fetchrow(_INSERT, email, name, role, password_hash))


_LIST = f"SELECT {_COLUMNS} FROM users WHERE tenant_id = current_tenant_id() ORDER BY email"


async def list_users(conn: Connection) -> list[UserOut]:
    return rows.many(UserOut, await conn.fetch(_LIST))


_GET = f"SELECT {_COLUMNS} FROM users WHERE tenant_id = current_tenant_id() AND id = $1"


async def get_user(conn: Connection, user_id: uuid.UUID) -> UserOut | None:
    return rows.one(UserOut, await conn.fetchrow(_GET, user_id))


_GET_BY_EMAIL = (
    f"SELECT {_COLUMNS} FROM users WHERE tenant_id = current_tenant_id() AND email = lower($1)"
)


async def get_user_by_email(conn: Connection, email: str) -> UserOut | None:
    return rows.one(UserOut, await conn.fetchrow(_GET_BY_EMAIL, email))


_UPDATE = f"""
UPDATE users SET
    name = coalesce($2, name),
    role = coalesce($3, role),
    password_hash = coalesce($4, password_hash),
    disabled_at = CASE WHEN $5::boolean IS NULL THEN disabled_at
                       WHEN $5 THEN coalesce(disabled_at, now())
                       ELSE NULL END,
    updated_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1
RETURNING {_COLUMNS}
"""


async def update_user(
    conn: Connection,
    user_id: uuid.UUID,
    *,
    name: str | None = None,
    role: str | None = None,
    password_hash: str | None = None,
    disabled: bool | None = None,
) -> UserOut | None:
    row = await conn.fetchrow(_UPDATE, user_id, name, role, password_hash, disabled)
    return rows.one(UserOut, row)


_ME = """
SELECT u.email, u.name, u.language, t.slug AS tenant_slug, t.name AS tenant_name,
       p.language AS tenant_language
  FROM users u JOIN tenants t ON t.id = u.tenant_id
  LEFT JOIN tenant_profiles p ON p.tenant_id = u.tenant_id
 WHERE u.tenant_id = current_tenant_id() AND u.id = $1
"""


async def me(conn: Connection, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_ME, user_id)


_SET_LANGUAGE = (
    "UPDATE users SET language = $2 WHERE tenant_id = current_tenant_id() AND id = $1"
    " RETURNING (SELECT language FROM users WHERE id = $1) AS before"
)


async def set_language(conn: Connection, user_id: uuid.UUID, language: str | None) -> str | None:
    """Set the user's console language (None: not chosen); returns the previous one."""
    before: str | None = await conn.fetchval(_SET_LANGUAGE, user_id, language)
    return before


_COUNT_OWNERS = (
    "SELECT count(*) FROM users"
    " WHERE tenant_id = current_tenant_id() AND role = 'owner' AND disabled_at IS NULL"
)


async def count_active_owners(conn: Connection) -> int:
    count: int = await conn.fetchval(_COUNT_OWNERS)
    return count


_CREDENTIALS = """
SELECT email, password_hash FROM users
 WHERE tenant_id = current_tenant_id() AND id = $1 AND disabled_at IS NULL
"""


async def credentials(conn: Connection, user_id: uuid.UUID) -> asyncpg.Record | None:
    """A live user's e-mail and password hash (for checking the current password)."""
    return await conn.fetchrow(_CREDENTIALS, user_id)
