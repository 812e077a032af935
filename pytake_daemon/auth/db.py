"""SQL of the ``auth_tokens`` table and the pre-tenant lookups (SECURITY DEFINER functions).

Tenant-scoped statements name ``current_tenant_id()`` themselves: row-level security scopes the
daemon's role, but the CLI runs these on the owner connection, which bypasses it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.auth import TokenOut

_IDENTITY = "SELECT * FROM auth_token_identity($1)"


async def token_identity(conn: Connection, token_hash: bytes) -> asyncpg.Record | None:
    """The token and its user, whatever the tenant (runs outside any tenant scope)."""
    return await conn.fetchrow(_IDENTITY, token_hash)


_CANDIDATES = "SELECT * FROM auth_login_candidates($1, $2)"


async def login_candidates(
    conn: Connection, email: str, tenant_slug: str | None
) -> list[asyncpg.Record]:
    return await conn.fetch(_CANDIDATES, email, tenant_slug)


_INSERT = """
INSERT INTO auth_tokens (tenant_id, user_id, kind, name, token_hash, expires_at, created_ip,
                         scopes, rate_limit_per_minute)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id, user_id, kind, name, created_at, expires_at, last_used_at, revoked_at, scopes,
          rate_limit_per_minute
"""


async def insert_token(
    conn: Connection,
    *,
    user_id: uuid.UUID,
    kind: str,
    name: str,
    token_hash: bytes,
    expires_at: datetime,
    ip: str | None,
    scopes: list[str] | None = None,
    rate_limit_per_minute: int | None = None,
) -> TokenOut:
    """A session (``scopes`` None) or an API token (its scopes, as ``Scope`` values)."""
    row = await conn.fetchrow(
        _INSERT, user_id, kind, name, token_hash, expires_at, ip, scopes, rate_limit_per_minute
    )
    assert row is not None
    return rows.of(TokenOut, row)


_TOUCH = """
UPDATE auth_tokens SET last_used_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1
   AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')
"""


async def touch_token(conn: Connection, token_id: uuid.UUID) -> None:
    """Record use, at most once a minute per token so reads don't become writes."""
    await conn.execute(_TOUCH, token_id)


_REVOKE = """
UPDATE auth_tokens SET revoked_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1 AND revoked_at IS NULL
   AND ($2::uuid IS NULL OR user_id = $2)
RETURNING id
"""


async def revoke_token(
    conn: Connection, token_id: uuid.UUID, *, only_user: uuid.UUID | None = None
) -> bool:
    """Revoke one token of the current tenant (optionally only if ``only_user`` owns it)."""
    return await conn.fetchval(_REVOKE, token_id, only_user) is not None


_LIST = """
SELECT id, user_id, kind, name, created_at, expires_at, last_used_at, revoked_at, scopes,
       rate_limit_per_minute
  FROM auth_tokens
 WHERE tenant_id = current_tenant_id()
   AND ($1::uuid IS NULL OR user_id = $1)
   AND ($2::text IS NULL OR kind = $2)
   AND ($3 OR (revoked_at IS NULL AND expires_at > now()))
 ORDER BY created_at DESC
"""


async def list_tokens(
    conn: Connection,
    *,
    user_id: uuid.UUID | None = None,
    kind: str | None = None,
    include_inactive: bool = False,
) -> list[TokenOut]:
    return rows.many(TokenOut, await conn.fetch(_LIST, user_id, kind, include_inactive))


_REVOKE_ALL_OF_USER = """
UPDATE auth_tokens SET revoked_at = now()
 WHERE tenant_id = current_tenant_id() AND user_id = $1 AND revoked_at IS NULL
RETURNING id
"""


async def revoke_user_tokens(conn: Connection, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Revoke every live token of a user (disabled accounts, password changes)."""
    return [row["id"] for row in await conn.fetch(_REVOKE_ALL_OF_USER, user_id)]


_REVOKE_OTHERS = """
UPDATE auth_tokens SET revoked_at = now()
 WHERE tenant_id = current_tenant_id() AND user_id = $1 AND id <> $2 AND revoked_at IS NULL
RETURNING id
"""


async def revoke_other_tokens(
    conn: Connection, user_id: uuid.UUID, keep: uuid.UUID
) -> list[uuid.UUID]:
    """Revoke every live token of a user but ``keep`` (a password change by its owner)."""
    return [row["id"] for row in await conn.fetch(_REVOKE_OTHERS, user_id, keep)]
