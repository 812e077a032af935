"""SQL of the ``tenants`` table.

Creating and listing tenants crosses tenants, so those run on the owner (admin) connection; the
daemon's role only ever sees its current tenant's row.
"""

from __future__ import annotations

import uuid

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.tenants import TenantOut

_COLUMNS = "id, slug, name, created_at"

_INSERT = f"""
INSERT INTO tenants (slug, name) VALUES ($1, $2)
ON CONFLICT (slug) DO NOTHING
RETURNING {_COLUMNS}
"""
_INSERT_SEQ = "INSERT INTO tenant_event_seq (tenant_id) VALUES ($1)"


async def insert_tenant(conn: Connection, *, slug: str, name: str) -> TenantOut | None:
    """The new tenant, or ``None`` when the slug is taken (admin connection)."""
    tenant = rows.one(TenantOut, await conn.fetchrow(_INSERT, slug, name))
    if tenant is not None:
        await conn.execute(_INSERT_SEQ, tenant.id)
    return tenant


_LIST = f"SELECT {_COLUMNS} FROM tenants ORDER BY slug"


async def list_tenants(conn: Connection) -> list[TenantOut]:
    """Every tenant (admin connection)."""
    return rows.many(TenantOut, await conn.fetch(_LIST))


_BY_SLUG = f"SELECT {_COLUMNS} FROM tenants WHERE slug = $1"


async def tenant_by_slug(conn: Connection, slug: str) -> TenantOut | None:
    return rows.one(TenantOut, await conn.fetchrow(_BY_SLUG, slug))


_CURRENT = f"SELECT {_COLUMNS} FROM tenants WHERE id = current_tenant_id()"


async def current_tenant(conn: Connection) -> TenantOut | None:
    return rows.one(TenantOut, await conn.fetchrow(_CURRENT))


_RENAME_CURRENT = "UPDATE tenants SET name = $1 WHERE id = current_tenant_id()"


async def rename_current(conn: Connection, name: str) -> None:
    """The transaction's tenant gets a new display name (the slug stays)."""
    await conn.execute(_RENAME_CURRENT, name)


async def tenant_id(conn: Connection, tenant: str) -> uuid.UUID | None:
    """Resolve a slug or id (admin connection)."""
    try:
        as_id = uuid.UUID(tenant)
    except ValueError:
        row = await tenant_by_slug(conn, tenant)
        return row.id if row else None
    found: uuid.UUID | None = await conn.fetchval("SELECT id FROM tenants WHERE id = $1", as_id)
    return found
