"""An analysis never delays a reply: with the AI stuck in the middle of a batch, the bot still
answers that customer and the next one, and the ingest job that caused the analysis is done;
once the AI moves on, the analyses arrive. (When the analysis ran inside the ingest job, the
ingest claim loop waited for it, and the next customer's message never reached the flows.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest

from pytake_daemon.ai.analyzer import CustomIntentSpec
from pytake_daemon.ai.intents import IntentModel
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import AI
from pytake_daemon.protocol import Role
from tests.conftest import MakeTenant
from tests.flows.builders import chain
from tests.queues.support import eventually
from tests.whatsapp.wa_support import (
    SimulatedWorld,
    digits,
    simulated_world,
    stop_simulated_world,
)


@pytest.fixture
async def world(
    aiohttp_client: Callable[..., Awaitable[object]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> AsyncIterator[SimulatedWorld]:
    w = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=16)
    try:
        yield w
    finally:
        await stop_simulated_world(w, w.api)


async def test_the_bot_answers_while_the_analysis_is_stuck(
    world: SimulatedWorld, admin_conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, sim, tenant = world.api, world.sim, world.tenant
    flow = chain({"id": "hello", "type": "msg_text", "text": "Olá! Já vamos ajudar."})
    resp = await api.post("/api/v1/flows", json=flow, headers=tenant[Role.ADMIN].headers)
    assert resp.status == 201, await resp.text()
    flow_id = (await resp.json())["id"]
    resp = await api.post(
        f"/api/v1/flows/{flow_id}/publish", json={}, headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 200, await resp.text()

    service = api.app[AI]
    models = service.models
    original = models.get
    analysing, release = asyncio.Event(), asyncio.Event()

    async def stuck(custom: Sequence[CustomIntentSpec]) -> IntentModel:
        analysing.set()
        await release.wait()
        return await original(custom)

    monkeypatch.setattr(models, "get", stuck)

    async def analysed() -> int:
        count: int = await admin_conn.fetchval(
            "SELECT count(*) FROM ai_message_analysis WHERE tenant_id = $1", tenant.id
        )
        return count

    async def ingest_jobs() -> int:
        count: int = await admin_conn.fetchval(
            "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND kind = 'ingest'", tenant.id
        )
        return count

    def answered(customer: str) -> bool:
        return any("Já vamos ajudar" in str(m.body) for m in sim.outbound_messages(to=customer))

    try:
        first, second = digits(12), digits(12)
        await sim.customer(first, name="Ana").send_text("Péssimo atendimento, quero cancelar!")
        await asyncio.wait_for(analysing.wait(), timeout=15)
        await sim.wait_for(lambda: answered(first), 15, "the answer to the first customer")
        await sim.customer(second, name="Bia").send_text("Oi, tudo bem?")
        await sim.wait_for(lambda: answered(second), 15, "the answer to the second customer")
        await eventually(lambda: _zero(ingest_jobs), what="the ingest jobs to be done")
        assert await analysed() == 0, "the analysis was meant to be stuck"
    finally:
        release.set()
    await eventually(lambda: _at_least(analysed, 2), what="both analyses")


async def _zero(probe: Callable[[], Awaitable[int]]) -> bool:
    return await probe() == 0


async def _at_least(probe: Callable[[], Awaitable[int]], n: int) -> bool:
    return await probe() >= n
