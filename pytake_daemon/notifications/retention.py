"""Retention: notifications older than their tenant's setting (90 days unless an admin chose)
are deleted by a periodic pass in every process, done by one: the pass takes a
transaction-level advisory lock first and a process that doesn't get it skips (the pattern of
the queues' hourly aggregation)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pytake_daemon.db.pool import Pool, set_tenant

# "pytakeNT": apart from the other domains' advisory locks.
RETENTION_LOCK = 0x7079_7461_6B65_4E54

_TRY_LOCK = "SELECT pg_try_advisory_xact_lock($1)"
_TENANTS = "SELECT tenant_id FROM notification_tenants()"
_RETENTION = """
SELECT retention_days FROM notification_settings WHERE tenant_id = current_tenant_id()
"""
# notifications_created_idx (tenant_id, created_at): the old end of the tenant's rows only. The
# cutoff is a value, not a subquery: with a subquery the planner can't estimate the share of old
# rows and scanned the whole table (every tenant's rows) instead.
_PRUNE = """
DELETE FROM notifications WHERE tenant_id = current_tenant_id() AND created_at < $1
"""
DEFAULT_DAYS = 90


async def prune(pool: Pool, now: datetime) -> dict[uuid.UUID, int] | None:
    """Delete what is past retention at ``now``; rows deleted per tenant, or ``None`` when
    another process holds the lock (it is doing this very work)."""
    deleted: dict[uuid.UUID, int] = {}
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval(_TRY_LOCK, RETENTION_LOCK):
            return None
        for record in await conn.fetch(_TENANTS):
            tenant_id = record["tenant_id"]
            # set_config(..., true) again inside the same transaction switches the tenant.
            await set_tenant(conn, tenant_id)
            days = await conn.fetchval(_RETENTION) or DEFAULT_DAYS
            status: str = await conn.execute(_PRUNE, now - timedelta(days=days))
            deleted[tenant_id] = int(status.rsplit(" ", 1)[-1])
    return deleted
