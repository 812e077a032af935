"""Two imports of one tenant take turns: the second compares against what the first applied."""

from __future__ import annotations

import asyncio
import uuid

from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.config import AuthSettings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, connect, set_tenant
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.tenant_config import ChangeKind, ImportResult
from pytake_daemon.tenant_config import service
from tests.conftest import MakeTenant

DOCUMENT = "version: 1\nqueues:\n  - name: Support\n    max_size: {size}\n"


async def _import(conn: Connection, tenant_id: uuid.UUID, size: int) -> ImportResult:
    async with conn.transaction():
        await set_tenant(conn, tenant_id)
        return await service.import_text(
            conn,
            DOCUMENT.format(size=size),
            apply=True,
            passwords=Passwords(AuthSettings()),
            by_role=Role.OWNER,
        )


async def test_a_second_import_waits_for_the_first(
    endpoints: Endpoints, admin_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    dsn = endpoints.app_dsn.get_secret_value()
    first, second = await connect(dsn), await connect(dsn)
    try:
        transaction = first.transaction()
        await transaction.start()
        await set_tenant(first, tenant.id)
        created = await service.import_text(
            first,
            DOCUMENT.format(size=5),
            apply=True,
            passwords=Passwords(AuthSettings()),
            by_role=Role.OWNER,
        )
        assert [c.kind for c in created.changes] == [ChangeKind.CREATED]

        waiting = asyncio.create_task(_import(second, tenant.id, 9))
        pid = second.get_server_pid()
        deadline = asyncio.get_running_loop().time() + 10
        while not await admin_conn.fetchval(
            "SELECT wait_event_type = 'Lock' AND wait_event = 'advisory'"
            " FROM pg_stat_activity WHERE pid = $1",
            pid,
        ):
            assert asyncio.get_running_loop().time() < deadline, "the second never waited"
            assert not waiting.done(), waiting
            await asyncio.sleep(0.02)
        await transaction.commit()

        # It saw the queue the first one created: a change, not a second creation.
        result = await asyncio.wait_for(waiting, 10)
        assert [(c.key, c.kind, c.fields) for c in result.changes] == [
            ("Support", ChangeKind.CHANGED, ["max_size"])
        ]
    finally:
        await first.close()
        await second.close()
