"""The issue's "done when", end to end from the customers' phones: a published flow hands three
simulated customers to a queue with their own priorities (urgent, high, normal); with one agent
online (capacity 1) the urgent one is assigned first and the others are told their places; the
agent answers and closes, the next (high) is assigned at once, the customer taps a rating, and
the agent's metrics, goals and activity timeline show it.

Everything goes through the real app (webhook → flows engine → transfer node → queues →
outbox → simulator); the only clock moved by hand is the sweep's, to pass the position
updates' minimum interval without waiting for it."""

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
from pytake_daemon.keys import QUEUES
from pytake_daemon.protocol import MessageList, Role
from pytake_daemon.protocol.agents import (
    ActivityKind,
    ActivityList,
    AgentMetrics,
    GoalList,
    SatisfactionReceived,
)
from pytake_daemon.protocol.audit import ActorType, AuditList
from pytake_daemon.protocol.queues import QueueItemChanged, QueueItemList, QueueOut
from pytake_simulator.simulator import Simulator
from tests.conftest import MakeTenant
from tests.queues.support import Monitor, eventually
from tests.support import TenantData
from tests.whatsapp.wa_support import digits, simulated_world, stop_simulated_world

ApiClient = TestClient[web.Request, web.Application]


@dataclass
class World:
    api: ApiClient
    sim: Simulator
    tenant: TenantData

    def texts(self, wa_id: str) -> list[str]:
        return [
            str(m.body["text"]["body"])
            for m in self.sim.outbound_messages(to=wa_id)
            if m.type == "text"
        ]

    async def told(self, wa_id: str, text: str) -> None:
        await self.sim.wait_for(lambda: text in self.texts(wa_id), 10, f"{wa_id} told {text!r}")


@pytest.fixture
async def world(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> AsyncIterator[World]:
    base = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=13)
    try:
        yield World(base.api, base.sim, base.tenant)
    finally:
        await stop_simulated_world(base, base.api)


def _transfer(node_id: str, queue_id: str, priority: int, message: str) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "action_transfer_to_queue",
        "queueId": queue_id,
        "queueName": "Support",
        "priority": priority,
        "message": message,
        "waitTimeoutMinutes": 60,
        "fallbackAction": "keep_waiting",
    }


def _triage_flow(queue_id: str) -> dict[str, Any]:
    """ "urgent" and "high" have their own keyword triggers; any other message is normal."""
    return {
        "name": "triage",
        "definition": {
            "nodes": [
                {"id": "kw_urgent", "type": "trigger_keyword", "keywords": ["urgent"],
                 "match": "contains"},
                {"id": "kw_high", "type": "trigger_keyword", "keywords": ["high"],
                 "match": "contains"},
                {"id": "any", "type": "trigger_universal"},
                _transfer("to_urgent", queue_id, 2, "Urgent: a person is on the way."),
                _transfer("to_high", queue_id, 1, "Priority noted: a person is on the way."),
                _transfer("to_normal", queue_id, 0, "A person will answer you."),
            ],
            "edges": [
                {"source": "kw_urgent", "target": "to_urgent", "branch": "next"},
                {"source": "kw_high", "target": "to_high", "branch": "next"},
                {"source": "any", "target": "to_normal", "branch": "next"},
            ],
        },
    }  # fmt: skip


async def test_a_flow_fills_the_queue_by_priority_one_agent_serves_and_is_rated(
    world: World,
) -> None:
    api, tenant = world.api, world.tenant
    admin, supervisor = tenant[Role.ADMIN].headers, tenant[Role.SUPERVISOR].headers
    agent = tenant[Role.AGENT]
    resp = await api.post(
        "/api/v1/queues",
        json={
            "name": "Support",
            "welcome_message": "You are number {position} in {queue}.",
            "position_message": "You are now number {position}.",
            "position_update_seconds": 10,
        },
        headers=admin,
    )
    assert resp.status == 201, await resp.text()
    queue = QueueOut.model_validate(await resp.json())
    resp = await api.post("/api/v1/flows", json=_triage_flow(str(queue.id)), headers=admin)
    assert resp.status == 201, await resp.text()
    flow_id = (await resp.json())["id"]
    resp = await api.post(f"/api/v1/flows/{flow_id}/publish", json={}, headers=admin)
    assert resp.status == 200, await resp.text()
    resp = await api.post(
        f"/api/v1/agents/{agent.id}/goals",
        json={"kind": "daily_conversations", "target": 1},
        headers=supervisor,
    )
    assert resp.status == 201, await resp.text()
    ws = await api.ws_connect("/api/v1/ws", headers=supervisor)
    await ws.receive_str()  # hello
    monitor = Monitor(ws)

    # Nobody is online yet: high, then normal, then urgent write in; each is told their place
    # (the urgent one jumps the line).
    customers = {"high": digits(12), "normal": digits(12), "urgent": digits(12)}
    said = {"high": "high priority: my card was charged twice", "normal": "hello, a question"}
    said["urgent"] = "URGENT: my account was blocked"
    places = {"high": 1, "normal": 2, "urgent": 1}
    for label, wa_id in customers.items():
        await world.sim.customer(wa_id, name=label.title()).send_text(said[label])
        await world.told(wa_id, f"You are number {places[label]} in Support.")
    await world.told(customers["urgent"], "Urgent: a person is on the way.")
    await world.told(customers["high"], "Priority noted: a person is on the way.")
    await world.told(customers["normal"], "A person will answer you.")
    entered = await monitor.next(QueueItemChanged, 3)
    assert [e.transition for e in entered] == ["entered"] * 3
    conversation = {
        label: next(e.item.conversation_id for e in entered if e.item.contact_wa_id == wa_id)
        for label, wa_id in customers.items()
    }
    assert [e.item.priority for e in entered] == [1, 0, 2]
    assert {e.item.source for e in entered} == {"flow"}

    # One agent comes online with room for one conversation: the urgent one is theirs.
    resp = await api.put(
        f"/api/v1/agents/{agent.id}/status",
        json={"status": "online", "capacity": 1},
        headers=supervisor,
    )
    assert resp.status == 200, await resp.text()
    (assigned,) = await monitor.next(QueueItemChanged, 1)
    assert assigned.transition == "assigned"
    assert (assigned.item.conversation_id, assigned.item.agent_id) == (
        conversation["urgent"],
        agent.id,
    )
    resp = await api.get(f"/api/v1/queues/{queue.id}/items", headers=agent.headers)
    items = QueueItemList.model_validate(await resp.json()).items
    assert [(i.conversation_id, i.position) for i in items if i.status == "waiting"] == [
        (conversation["high"], 1),
        (conversation["normal"], 2),
    ]

    # The agent answers, then closes: the high one is assigned at once (no sweep needed).
    resp = await api.post(
        f"/api/v1/conversations/{conversation['urgent']}/messages",
        json={"content": {"type": "text", "body": "Unblocked, sorry about that!"}},
        headers=agent.headers,
    )
    assert resp.status == 201, await resp.text()
    await world.told(customers["urgent"], "Unblocked, sorry about that!")
    resp = await api.patch(
        f"/api/v1/conversations/{conversation['urgent']}/status",
        json={"status": "resolved"},
        headers=agent.headers,
    )
    assert resp.status == 200, await resp.text()
    moves = await monitor.next(QueueItemChanged, 2)
    assert [(m.transition, m.item.conversation_id) for m in moves] == [
        ("completed", conversation["urgent"]),
        ("assigned", conversation["high"]),
    ]

    # The normal customer moved up to first: the sweep tells them (at most every 10 s, so its
    # clock is set past that). A sweep skips an item a distribution pass holds (the one that
    # follows the assignment and finds no agent left), so it is run until the place is queued.
    async def place_queued() -> bool:
        await api.app[QUEUES].sweep(now=datetime.now(UTC) + timedelta(seconds=11))
        resp = await api.get(
            f"/api/v1/conversations/{conversation['normal']}/messages", headers=supervisor
        )
        items = MessageList.model_validate(await resp.json()).items
        return any(m.text == "You are now number 1." for m in items)

    await eventually(place_queued, what="the sweep telling the normal customer their place")
    await world.told(customers["normal"], "You are now number 1.")

    # The urgent customer is asked for a rating and taps "Great".
    urgent = customers["urgent"]

    def rating_question() -> list[Any]:
        return [m for m in world.sim.outbound_messages(to=urgent) if m.type == "interactive"]

    await world.sim.wait_for(lambda: bool(rating_question()), 10, "the rating question")
    buttons = rating_question()[0].body["interactive"]["action"]["buttons"]
    great = next(b["reply"] for b in buttons if b["reply"]["title"] == "Great")
    await world.sim.customer(urgent).reply_button(great["id"], great["title"])
    (rated,) = await monitor.next(SatisfactionReceived, 1)
    assert (rated.rating, rated.agent_id, rated.conversation_id) == (
        5,
        agent.id,
        conversation["urgent"],
    )

    async def metrics() -> AgentMetrics | None:
        resp = await api.get(f"/api/v1/agents/{agent.id}/metrics", headers=agent.headers)
        figures = AgentMetrics.model_validate(await resp.json())
        return figures if figures.week.ratings == 1 else None

    figures = await eventually(metrics, what="the rating in the metrics")
    assert figures.today.conversations == 1
    assert figures.today.messages_answered == 1
    assert figures.today.avg_first_response_seconds is not None
    assert figures.week.avg_satisfaction == 5.0
    assert figures.month.achievements == ["1 conversation per day"]
    assert (figures.real_time.active, figures.real_time.capacity) == (1, 1)  # the high one

    resp = await api.get(f"/api/v1/agents/{agent.id}/goals", headers=agent.headers)
    (goal,) = GoalList.model_validate(await resp.json()).items
    assert (goal.current, goal.reached) == (1.0, True)

    resp = await api.get(f"/api/v1/agents/{agent.id}/activities", headers=agent.headers)
    timeline = ActivityList.model_validate(await resp.json()).items
    assert timeline[0].kind == ActivityKind.FEEDBACK_RECEIVED
    started = [a.conversation_id for a in timeline if a.kind == "conversation_started"]
    assert started == [conversation["high"], conversation["urgent"]]  # newest first
    finished = [a.conversation_id for a in timeline if a.kind == "conversation_finished"]
    assert finished == [conversation["urgent"]]
    assert {"goal_reached", "status_changed"} <= {a.kind for a in timeline}
    assert isinstance(timeline[0].conversation_id, uuid.UUID)

    # The audit log says who moved each conversation: the flow's bot put them in the queue, the
    # distribution policy assigned them, the agent completed the urgent one.
    resp = await api.get("/api/v1/audit", params={"action": "queue."}, headers=admin)
    assert resp.status == 200, await resp.text()
    entries = AuditList.model_validate(await resp.json()).items
    performed = {(e.action, e.actor_type, e.target_id) for e in entries}
    urgent = str(conversation["urgent"])
    assert ("queue.entered", ActorType.BOT, urgent) in performed
    assert ("queue.assigned", ActorType.POLICY, urgent) in performed
    completed = [e for e in entries if e.action == "queue.completed"]
    assert [(e.actor_type, e.actor_id, e.target_id) for e in completed] == [
        (ActorType.USER, agent.id, urgent)
    ]
    await ws.close()
