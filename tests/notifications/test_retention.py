"""Retention: each tenant's notifications older than its setting (90 days by default) go, at a
pinned instant, under the sweep's advisory lock (a second process finds it taken and skips)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.keys import DB_POOL
from pytake_daemon.notifications.retention import RETENTION_LOCK, prune
from pytake_daemon.protocol import Role
from tests.conftest import ApiClient, MakeTenant
from tests.notifications.support import eventually
from tests.support import TenantData

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def _aged(admin_conn: Connection, tenant: TenantData, *days: int) -> None:
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        for age in days:
            await admin_conn.execute(
                "INSERT INTO notifications (tenant_id, user_id, category, severity, title,"
                " created_at) VALUES ($1, $2, 'system', 'info', $3, $4)",
                tenant.id, tenant[Role.ADMIN].id, f"{age} days old", NOW - timedelta(days=age),
            )  # fmt: skip


async def _titles(admin_conn: Connection, tenant: TenantData) -> list[str]:
    rows = await admin_conn.fetch(
        "SELECT title FROM notifications WHERE tenant_id = $1 ORDER BY created_at DESC", tenant.id
    )
    return [r["title"] for r in rows]


async def test_old_notifications_are_pruned_by_each_tenants_retention(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    short, default = await make_tenant(), await make_tenant()
    resp = await api.put(
        "/api/v1/notifications/settings",
        json={"retention_days": 30},
        headers=short[Role.ADMIN].headers,
    )
    assert resp.status == 200, await resp.text()
    await _aged(admin_conn, short, 10, 29, 31, 100)
    await _aged(admin_conn, default, 10, 89, 91)

    # Another process holding the lock: this one skips (the holder does the work).
    async with admin_conn.transaction():
        await admin_conn.execute("SELECT pg_advisory_xact_lock($1)", RETENTION_LOCK)
        assert await prune(api.app[DB_POOL], NOW) is None
    deleted = await eventually(lambda: prune(api.app[DB_POOL], NOW), what="the retention lock")
    assert (deleted[short.id], deleted[default.id]) == (2, 1)
    assert await _titles(admin_conn, short) == ["10 days old", "29 days old"]
    assert await _titles(admin_conn, default) == ["10 days old", "89 days old"]
