"""``GET /api/v1/system/figures`` against the real app: real host, PostgreSQL and Redis
figures, the daemon's counters moving after a customer's message through a signed webhook, an
open transaction seen as the longest one; agents are refused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.system_figures import QUEUE_TABLES, SystemFigures
from tests.conftest import MakeTenant
from tests.whatsapp.wa_support import SimulatedWorld, simulated_world, stop_simulated_world

ApiClient = TestClient[web.Request, web.Application]
FIGURES = "/api/v1/system/figures"


@pytest.fixture
async def world(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> AsyncIterator[SimulatedWorld]:
    base = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=21)
    try:
        yield base
    finally:
        await stop_simulated_world(base, base.api)


async def read(world: SimulatedWorld) -> SystemFigures:
    resp = await world.api.get(FIGURES, headers=world.tenant[Role.ADMIN].headers)
    assert resp.status == 200, await resp.text()
    return SystemFigures.model_validate(await resp.json())


async def test_an_agent_is_refused(world: SimulatedWorld) -> None:
    resp = await world.api.get(FIGURES, headers=world.tenant[Role.AGENT].headers)
    assert resp.status == 403
    resp = await world.api.get(FIGURES)
    assert resp.status == 401


async def test_real_figures_after_a_message(
    world: SimulatedWorld, settings: Settings, app_conn: Connection
) -> None:
    first = await read(world)
    host = first.host
    assert host.memory_total_bytes > host.memory_used_bytes > 0
    assert 0 < host.memory_percent < 100
    assert host.disk_path == str(settings.state_dir)
    assert host.disk_total_bytes > host.disk_free_bytes > 0
    assert host.cpu_count >= 1
    assert first.postgres is not None, first.postgres_error
    assert first.postgres.connections >= 1
    assert first.postgres.max_connections >= first.postgres.connections
    assert first.postgres.database_bytes > 1024 * 1024
    assert first.postgres.standby is False
    assert [t.table for t in first.postgres.tables] == sorted(QUEUE_TABLES)
    assert first.redis is not None, first.redis_error
    assert first.redis.used_memory_bytes > 0
    assert first.redis.clients >= 1
    assert first.redis.ping_ms > 0
    daemon = first.daemon
    assert daemon.db_pool_max > 0
    assert daemon.rss_bytes is not None
    assert daemon.rss_bytes > 10 * 1024 * 1024
    assert {"ingest", "flow_inbound"} <= {j.kind for j in daemon.jobs}
    assert daemon.outbox_queued is not None
    assert daemon.event_loop_lag.count >= 0

    wamid = await world.sim.customer("5511987650021", name="Ana").send_text("Oi")
    await world.sim.wait_acked(wamid)
    deadline = time.monotonic() + 60
    later = await read(world)

    def counted(now: SystemFigures) -> bool:
        return (
            now.daemon.ingest_commit.count > daemon.ingest_commit.count
            and now.daemon.webhooks.get("accepted", 0) > daemon.webhooks.get("accepted", 0)
        )

    # The simulator sees its 200 when the handler returns; the counter may be a task switch
    # behind on a loaded machine: poll with a deadline.
    while not counted(later):
        assert time.monotonic() < deadline, f"the webhook never counted: {later.daemon}"
        await asyncio.sleep(0.05)
        later = await read(world)
    assert later.daemon.ingest_commit.sum > daemon.ingest_commit.sum
    assert later.read_at > first.read_at
    # psutil measures CPU between two readings of the process: the second one has a figure.
    assert later.host.cpu_percent is not None
    assert 0 <= later.host.cpu_percent <= 100

    # A transaction left open by this daemon's role is the longest one.
    async with app_conn.transaction():
        await app_conn.execute("SELECT 1")
        held = await read(world)
    assert held.postgres is not None
    assert held.postgres.longest_transaction_seconds is not None
    assert held.postgres.longest_transaction_seconds >= 0
