"""Presence: an online agent whose console closes is set away after the grace period; while a
console is open, sweeps leave the agent alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pytake_daemon.app import create_app
from pytake_daemon.config import QueuesSettings, Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.keys import QUEUES
from pytake_daemon.protocol import Role, parse_server_event
from pytake_daemon.protocol.agents import AgentList, AgentStatusChanged
from tests.conftest import ApiClient, MakeTenant
from tests.queues.support import eventually


async def test_console_gone_sets_agent_away(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> None:
    quick = QueuesSettings(presence_grace_seconds=0.3, sweep_seconds=0.1)
    api = await aiohttp_client(create_app(settings.model_copy(update={"queues": quick}), endpoints))
    tenant = await make_tenant()
    agent, supervisor = tenant[Role.AGENT], tenant[Role.SUPERVISOR]
    resp = await api.put(
        f"/api/v1/agents/{agent.id}/status", json={"status": "online"}, headers=agent.headers
    )
    assert resp.status == 200

    async def status() -> str:
        resp = await api.get("/api/v1/agents", headers=agent.headers)
        items = AgentList.model_validate(await resp.json()).items
        return next(a.status for a in items if a.id == agent.id)

    monitor = await api.ws_connect("/api/v1/ws", headers=supervisor.headers)
    await monitor.receive_str()
    console = await api.ws_connect("/api/v1/ws", headers=agent.headers)
    await console.receive_str()
    runtime = api.app[QUEUES]
    # Well past the grace period, as far as Redis can tell: the open console keeps it alive.
    await runtime.presence.refresh()
    await runtime.sweep()
    assert await status() == "online"

    await console.close()

    async def away() -> Any:
        return await status() == "away"

    await eventually(away, what="the agent set away")
    while True:
        event = parse_server_event(await monitor.receive_str()).event
        if isinstance(event, AgentStatusChanged):
            break
    assert (event.agent_id, event.status, event.reason) == (agent.id, "away", "presence")
    await monitor.close()
