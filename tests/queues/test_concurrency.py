"""Several distributors in two real daemon processes (plus three in this process) race for the
same queue on the same database: nobody is assigned twice and nobody goes over capacity."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from pytake_daemon.attendance import distribution, entry, queues_db
from pytake_daemon.attendance.views import settings_values
from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection, Pool, create_pool, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.queues import Policy, QueueSettings
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import MakeTenant
from tests.queues.support import conversations, eventually
from tests.support import daemon_env, free_port
from tests.test_cross_process import reaped, session, start_daemon, wait_ready  # noqa: F401

CAPACITY = 5
ITEMS = 40


async def _invariants(conn: Connection, tenant_id: uuid.UUID) -> tuple[int, int]:
    """Check the two promises; returns (assigned, waiting)."""
    doubles = await conn.fetchval(
        "SELECT count(*) FROM (SELECT conversation_id FROM queue_items WHERE tenant_id = $1"
        " AND status IN ('waiting', 'assigned') GROUP BY 1 HAVING count(*) > 1) d",
        tenant_id,
    )
    assert doubles == 0
    over = await conn.fetch(
        "SELECT a.id, a.capacity, a.active_count, (SELECT count(*) FROM queue_items i"
        " WHERE i.tenant_id = a.tenant_id AND i.agent_id = a.id AND i.status = 'assigned') AS n"
        " FROM agents a WHERE a.tenant_id = $1",
        tenant_id,
    )
    for a in over:
        assert a["n"] == a["active_count"] <= a["capacity"], dict(a)
    counts = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'assigned') AS assigned,"
        " count(*) FILTER (WHERE status = 'waiting') AS waiting"
        " FROM queue_items WHERE tenant_id = $1",
        tenant_id,
    )
    assert counts is not None
    return counts["assigned"], counts["waiting"]


async def _local_distributors(pool: Pool, tenant_id: uuid.UUID, queue_id: uuid.UUID) -> int:
    async def one() -> int:
        total = 0
        for _ in range(20):
            async with tenant_transaction(pool, tenant_id) as conn:
                total += await distribution.distribute(
                    conn, queue_id, now=datetime.now(UTC), effects=Effects(), batch=3
                )
        return total

    return sum(await asyncio.gather(one(), one(), one()))


async def test_two_processes_and_local_tasks_never_double_assign(
    settings: Settings,
    make_tenant: MakeTenant,
    admin_conn: Connection,
    session: aiohttp.ClientSession,  # noqa: F811
    tmp_path: Path,
) -> None:
    tenant = await make_tenant()
    convs = await conversations(admin_conn, tenant.id, load_secret_box(settings), ITEMS)
    pool = await create_pool(settings.database.url.get_secret_value(), max_size=6)  # type: ignore[union-attr]
    try:
        async with tenant_transaction(pool, tenant.id) as conn:
            queue_id = await queues_db.insert_queue(
                conn, settings_values(QueueSettings(name="race", policy=Policy.LEAST_LOADED))
            )
            assert queue_id is not None
            # Everyone online: 4 agents x CAPACITY places for ITEMS items.
            for member in tenant.members.values():
                await conn.execute(
                    "INSERT INTO agents (tenant_id, id, status, capacity)"
                    " VALUES (current_tenant_id(), $1, 'online', $2)",
                    member.id,
                    CAPACITY,
                )
        envs = []
        for _ in range(2):
            env = daemon_env(settings, port=free_port())
            env.update(
                PYTAKE_QUEUES__DISTRIBUTORS="3",
                PYTAKE_QUEUES__SWEEP_SECONDS="0.1",
                PYTAKE_QUEUES__BATCH="2",
                PYTAKE_LOGGING__LEVEL="warning",
            )
            envs.append(env)
        daemons = [start_daemon(env, tmp_path / f"daemon{n}.log") for n, env in enumerate(envs)]
        with reaped(daemons):
            await asyncio.gather(*(wait_ready(session, d) for d in daemons))

            # Items arrive while the daemons' sweeps and our own distributors race for them.
            async def arrive() -> None:
                for conversation_id in convs:
                    async with tenant_transaction(pool, tenant.id) as conn:
                        await entry.enqueue(
                            conn,
                            conversation_id=conversation_id,
                            queue_id=queue_id,
                            priority=hash(conversation_id) % 3,
                            source="test",
                        )

            await asyncio.gather(arrive(), _local_distributors(pool, tenant.id, queue_id))
            places = CAPACITY * len(tenant.members)

            async def full() -> bool:
                assigned, waiting = await _invariants(admin_conn, tenant.id)
                return assigned == places and waiting == ITEMS - places

            await eventually(full, what="every place taken", timeout=20)
            # Close half of the attended conversations through daemon 0's API: the freed
            # places are raced for again by both processes and our tasks.
            owner = tenant[Role.OWNER].headers
            attended = await admin_conn.fetch(
                "SELECT conversation_id FROM queue_items WHERE tenant_id = $1"
                " AND status = 'assigned' LIMIT 10",
                tenant.id,
            )
            for row in attended:
                async with session.patch(
                    f"{daemons[0].url}/api/v1/conversations/{row['conversation_id']}/status",
                    json={"status": "resolved"},
                    headers=owner,
                ) as resp:
                    assert resp.status == 200, await resp.text()
            await _local_distributors(pool, tenant.id, queue_id)

            async def refilled() -> bool:
                assigned, waiting = await _invariants(admin_conn, tenant.id)
                return assigned == places and waiting == ITEMS - places - 10

            await eventually(refilled, what="freed places refilled", timeout=20)
            for daemon in daemons:
                assert daemon.proc.poll() is None, daemon.log()
    finally:
        await pool.close()
