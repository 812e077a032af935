"""The wait timeout's ``start_flow`` fallback: the queue names a published flow (checked when the
queue is saved), and on timeout the item leaves the queue and that flow starts for the
conversation — through the real app, the flows engine, the outbox and the simulator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.keys import FLOW_RUNNER, QUEUES
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.queues import QueueOut
from pytake_simulator.simulator import Simulator
from tests.conftest import MakeTenant
from tests.flows.builders import chain
from tests.queues.support import eventually
from tests.support import TenantData
from tests.whatsapp.wa_support import digits, simulated_world, stop_simulated_world

ApiClient = TestClient[web.Request, web.Application]


@dataclass
class World:
    api: ApiClient
    sim: Simulator
    tenant: TenantData

    @property
    def admin(self) -> dict[str, str]:
        return self.tenant[Role.ADMIN].headers

    async def flow(self, document: dict[str, Any], *, publish: bool = True) -> str:
        resp = await self.api.post("/api/v1/flows", json=document, headers=self.admin)
        assert resp.status == 201, await resp.text()
        flow_id = str((await resp.json())["id"])
        if publish:
            resp = await self.api.post(
                f"/api/v1/flows/{flow_id}/publish", json={}, headers=self.admin
            )
            assert resp.status == 200, await resp.text()
        return flow_id

    async def create_queue(self, **body: Any) -> tuple[int, Any]:
        resp = await self.api.post("/api/v1/queues", json=body, headers=self.admin)
        return resp.status, await resp.json()

    def texts(self, wa_id: str) -> list[str]:
        return [
            str(m.body["text"]["body"])
            for m in self.sim.outbound_messages(to=wa_id)
            if m.type == "text"
        ]


@pytest.fixture
async def world(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> AsyncIterator[World]:
    base = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=11)
    try:
        yield World(base.api, base.sim, base.tenant)
    finally:
        await stop_simulated_world(base, base.api)


# A flow only a queue timeout starts: its keyword is one no customer writes.
def _follow_up(name: str) -> dict[str, Any]:
    return chain(
        {"id": "kw", "type": "trigger_keyword", "keywords": ["zz-follow-up-zz"]},
        {"id": "back", "type": "msg_text", "text": "Nobody free, {{contact.name}}: bot's back."},
        {"id": "menu", "type": "msg_buttons", "text": "What now?", "buttons": [
            {"id": "later", "title": "Call me later"},
        ]},
        name=name,
    )  # fmt: skip


async def test_start_flow_needs_a_published_flow(world: World) -> None:
    draft = await world.flow(_follow_up("draft"), publish=False)
    published = await world.flow(_follow_up("published"))
    status, body = await world.create_queue(name="no flow", timeout_action="start_flow")
    assert status == 422, body
    assert "timeout_flow_id" in str(body)
    status, body = await world.create_queue(
        name="unknown", timeout_action="start_flow", timeout_flow_id=str(uuid.uuid4())
    )
    assert (status, body["detail"]) == (422, "timeout_flow_id: no such flow")
    status, body = await world.create_queue(
        name="draft", timeout_action="start_flow", timeout_flow_id=draft
    )
    assert status == 422
    assert body["detail"] == "timeout_flow_id: flow 'draft' is not published (publish it first)"

    status, body = await world.create_queue(
        name="ok", timeout_action="start_flow", timeout_flow_id=published
    )
    assert status == 201, body
    queue = QueueOut.model_validate(body)
    assert (queue.timeout_action, str(queue.timeout_flow_id)) == ("start_flow", published)
    # PUT checks the same way (archived since: refused).
    resp = await world.api.post(f"/api/v1/flows/{published}/archive", headers=world.admin)
    assert resp.status == 200, await resp.text()
    resp = await world.api.put(
        f"/api/v1/queues/{queue.id}",
        json={"name": "ok", "timeout_action": "start_flow", "timeout_flow_id": published},
        headers=world.admin,
    )
    assert resp.status == 422


async def test_a_flow_transfer_times_out_and_the_queue_starts_its_flow(
    world: World, admin_conn: Connection
) -> None:
    follow_up = await world.flow(_follow_up("follow-up"))
    status, body = await world.create_queue(
        name="Support",
        welcome_message="You are number {position}.",
        timeout_action="start_flow",
        timeout_flow_id=follow_up,
    )
    assert status == 201, body
    queue_id = body["id"]
    # The customer's flow hands over with fallbackAction "queue": the queue's own timeout
    # action (start_flow) applies after the node's wait.
    await world.flow(
        chain(
            {
                "id": "human",
                "type": "action_transfer_to_queue",
                "queueId": queue_id,
                "queueName": "Support",
                "message": "Passing you to a person.",
                "waitTimeoutMinutes": 1,
                "fallbackAction": "queue",
            },
            name="front door",
        )
    )
    customer = digits(12)
    await world.sim.customer(customer, name="Ana").send_text("I need a person")
    await world.sim.wait_for(
        lambda: len(world.texts(customer)) == 2, 10, "the node's message and the welcome"
    )
    assert sorted(world.texts(customer)) == ["Passing you to a person.", "You are number 1."]

    async def item() -> Any:
        async with admin_conn.transaction():
            await set_tenant(admin_conn, world.tenant.id)
            return await admin_conn.fetchrow(
                "SELECT * FROM queue_items WHERE queue_id = $1", uuid.UUID(queue_id)
            )

    waiting = await eventually(item, what="the queue item")
    assert (waiting["status"], waiting["fallback_action"]) == ("waiting", "start_flow")
    deadline = waiting["wait_deadline"]
    assert deadline - waiting["entered_at"] == pytest.approx(timedelta(minutes=1), abs=5)

    # The sweep, a minute later (its clock is a parameter: no waiting a real minute).
    await world.api.app[QUEUES].sweep(now=datetime.now(UTC) + timedelta(minutes=2))
    await world.sim.wait_for(
        lambda: "Nobody free, Ana: bot's back." in world.texts(customer),
        10,
        "the follow-up flow's first message",
    )
    await world.sim.wait_for(
        lambda: any(m.type == "interactive" for m in world.sim.outbound_messages(to=customer)),
        10,
        "the follow-up flow's buttons",
    )
    # No timeout message of its own (none written): the flow speaks.
    assert not any("no agent could take" in t for t in world.texts(customer))

    ended = await item()
    assert ended["status"] == "timed_out"
    async with admin_conn.transaction():
        await set_tenant(admin_conn, world.tenant.id)
        history = await admin_conn.fetchrow(
            "SELECT detail FROM queue_history WHERE item_id = $1 AND event = 'timed_out'",
            ended["id"],
        )
    assert history is not None
    assert history["detail"] == {"fallback": "start_flow", "flow_id": follow_up}

    resp = await world.api.get(f"/api/v1/flows/{follow_up}/sessions", headers=world.admin)
    (session,) = (await resp.json())["items"]
    assert session["conversation_id"] == str(ended["conversation_id"])
    assert session["status"] == "ended"
    resp = await world.api.get(f"/api/v1/flow-sessions/{session['id']}", headers=world.admin)
    steps = [s["node_id"] for s in (await resp.json())["steps"]]
    assert steps == ["kw", "back", "menu"]


async def test_start_flow_replaces_a_session_and_skips_an_archived_flow(world: World) -> None:
    follow_up = await world.flow(_follow_up("follow-up"))
    asks = await world.flow(
        chain(
            {"id": "ask", "type": "ask", "question": "Your name?", "variable": "name"},
            name="asks",
        )
    )
    customer = digits(12)
    await world.sim.customer(customer, name="Bia").send_text("hello")
    await world.sim.wait_for(lambda: "Your name?" in world.texts(customer), 10, "the question")
    resp = await world.api.get("/api/v1/conversations", params={"q": customer}, headers=world.admin)
    (conversation,) = (await resp.json())["items"]
    runner = world.api.app[FLOW_RUNNER]
    tenant, conversation_id = world.tenant.id, uuid.UUID(conversation["id"])

    started = await runner.start_flow(tenant, conversation_id, uuid.UUID(follow_up), reason="t")
    assert started == "started"
    await world.sim.wait_for(
        lambda: "Nobody free, Bia: bot's back." in world.texts(customer), 10, "the follow-up"
    )
    resp = await world.api.get(f"/api/v1/flows/{follow_up}/sessions", headers=world.admin)
    (session,) = (await resp.json())["items"]
    assert session["conversation_id"] == str(conversation_id)
    resp = await world.api.get(f"/api/v1/flows/{asks}/sessions", headers=world.admin)
    (replaced,) = (await resp.json())["items"]
    assert (replaced["status"], replaced["end_reason"]) == ("ended", "replaced")

    resp = await world.api.post(f"/api/v1/flows/{follow_up}/archive", headers=world.admin)
    assert resp.status == 200, await resp.text()
    skipped = await runner.start_flow(tenant, conversation_id, uuid.UUID(follow_up), reason="t")
    assert skipped == "not published"
