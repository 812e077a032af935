"""Clean-up shared by the queues tests.

Items these tests leave waiting belong to the shared session database, where the sweep of every
app started later (in any test) keeps serving them: position updates to numbers whose secrets
are fake, or whose simulator is gone, would be retried and logged for the rest of the session.
So each tenant made here ends with its items ended, its customers' windows closed (nothing more
can be queued) and its outbox emptied.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from pytake_daemon.db.pool import Connection
from tests.conftest import MakeTenant
from tests.support import TenantData


@pytest.fixture
async def make_tenant(make_tenant: MakeTenant, admin_conn: Connection) -> AsyncIterator[MakeTenant]:
    made: list[uuid.UUID] = []

    async def make() -> TenantData:
        tenant = await make_tenant()
        made.append(tenant.id)
        return tenant

    yield make
    await settle(admin_conn, made)


async def settle(admin_conn: Connection, tenants: list[uuid.UUID]) -> None:
    """End what the tenants left in the queues; nothing of theirs is sent anymore."""
    async with admin_conn.transaction():
        await admin_conn.execute(
            "UPDATE queue_items SET status = 'abandoned', ended_at = now()"
            " WHERE tenant_id = ANY($1) AND status IN ('waiting', 'assigned')",
            tenants,
        )
        await admin_conn.execute(
            "UPDATE conversations SET last_inbound_at = NULL WHERE tenant_id = ANY($1)", tenants
        )
        await admin_conn.execute("DELETE FROM outbox WHERE tenant_id = ANY($1)", tenants)
