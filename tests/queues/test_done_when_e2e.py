"""The issue's "done when", through the real app and the simulator: three customers are handed to
a queue with different priorities (``attendance.entry.enqueue``, what the flows' transfer node
calls); with one agent online the urgent one is assigned first and the others are told their
places; the agent answers and closes, the next one is assigned at once, the customer taps a
rating, and the agent's metrics, goals and timeline show it — the live monitor saw it all."""

from __future__ import annotations

import uuid
from typing import Any

from pytake_daemon.attendance import entry
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.keys import DB_POOL, QUEUES
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import (
    ActivityKind,
    ActivityList,
    AgentMetrics,
    GoalList,
    GoalReached,
    SatisfactionReceived,
)
from pytake_daemon.protocol.queues import QueueItemChanged, QueueItemList, QueueOut
from tests.queues.support import Monitor, eventually
from tests.whatsapp.test_send_e2e import World, world  # noqa: F401
from tests.whatsapp.wa_support import digits


def _texts(world: World, wa_id: str) -> list[str]:  # noqa: F811
    return [
        m.body.get("text", {}).get("body", "")
        for m in world.sim.outbound_messages(to=wa_id)
        if m.type == "text"
    ]


async def test_three_customers_one_agent_rating_and_figures(world: World) -> None:  # noqa: F811
    api, tenant = world.api, world.tenant
    agent, supervisor = tenant[Role.AGENT], tenant[Role.SUPERVISOR]
    resp = await api.post(
        "/api/v1/queues",
        json={
            "name": "Support",
            "welcome_message": "You are number {position} in {queue}, ~{wait_minutes} min.",
        },
        headers=tenant[Role.ADMIN].headers,
    )
    assert resp.status == 201, await resp.text()
    queue = QueueOut.model_validate(await resp.json())
    resp = await api.post(
        f"/api/v1/agents/{agent.id}/goals",
        json={"kind": "daily_conversations", "target": 1},
        headers=supervisor.headers,
    )
    assert resp.status == 201, await resp.text()
    ws = await api.ws_connect("/api/v1/ws", headers=supervisor.headers)
    await ws.receive_str()  # hello
    monitor = Monitor(ws)

    customers = {"normal": digits(12), "high": digits(12), "urgent": digits(12)}
    conversation: dict[str, uuid.UUID] = {}
    for label, wa_id in customers.items():
        conv = await world.customer_writes(wa_id, f"I need a human ({label})")
        conversation[label] = uuid.UUID(conv["id"])
    # The flows' transfer node, standing in: enqueue(conn, ...) in a tenant transaction.
    for label, priority in (("normal", 0), ("high", 1), ("urgent", 2)):
        effects = Effects()
        async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
            result = await entry.enqueue(
                conn,
                conversation_id=conversation[label],
                queue_id=str(queue.id),
                priority=priority,
                message="",
                wait_timeout_minutes=30,
                fallback_action="keep_waiting",
                source="flow",
                effects=effects,
            )
        await api.app[QUEUES].after_commit(tenant.id, effects)
        assert result.outcome == "entered"
    entered = await monitor.next(QueueItemChanged, 3)
    assert [(e.transition, e.item.position) for e in entered] == [("entered", 1)] * 3
    # Everyone was told their place once the distribution pass found no agent: the place true
    # at that moment (the normal one may already have the others ahead), and no estimate, since
    # the queue has handled nothing yet to measure one from.
    await world.sim.wait_for_outbound(to=customers["normal"])
    assert _texts(world, customers["normal"])[0] in {
        f"You are number {n} in Support." for n in (1, 2, 3)
    }
    await world.sim.wait_for_outbound(to=customers["urgent"])
    assert _texts(world, customers["urgent"])[0] == "You are number 1 in Support."  # jumped

    resp = await api.put(
        f"/api/v1/agents/{agent.id}/status",
        json={"status": "online", "capacity": 1},
        headers=supervisor.headers,
    )
    assert resp.status == 200, await resp.text()
    (assigned,) = [e for e in await monitor.next(QueueItemChanged, 1) if e.transition == "assigned"]
    assert assigned.item.conversation_id == conversation["urgent"]
    assert assigned.item.agent_id == agent.id

    resp = await api.get(f"/api/v1/queues/{queue.id}/items", headers=agent.headers)
    items = QueueItemList.model_validate(await resp.json()).items
    waiting = [(i.conversation_id, i.position) for i in items if i.status == "waiting"]
    assert waiting == [(conversation["high"], 1), (conversation["normal"], 2)]

    # The agent answers, then closes: the next (high) is assigned at once.
    status, body = await world.send(
        str(conversation["urgent"]), {"content": {"type": "text", "body": "On it!"}}
    )
    assert status == 201, body
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
    (goal_event,) = await monitor.next(GoalReached, 1)
    assert goal_event.agent_id == agent.id

    # The customer is asked for a rating (three buttons) and taps "Great".
    urgent = customers["urgent"]

    def rating_question() -> list[Any]:
        return [m for m in world.sim.outbound_messages(to=urgent) if m.type == "interactive"]

    await world.sim.wait_for(lambda: bool(rating_question()), what="the rating question")
    buttons = rating_question()[0].body["interactive"]["action"]["buttons"]
    great = next(b["reply"] for b in buttons if b["reply"]["title"] == "Great")
    await world.sim.customer(urgent).reply_button(great["id"], great["title"])
    (rated,) = await monitor.next(SatisfactionReceived, 1)
    assert (rated.rating, rated.agent_id) == (5, agent.id)

    async def metrics() -> AgentMetrics | None:
        resp = await api.get(f"/api/v1/agents/{agent.id}/metrics", headers=agent.headers)
        figures = AgentMetrics.model_validate(await resp.json())
        return figures if figures.week.ratings == 1 else None

    figures = await eventually(metrics, what="the rating in the metrics")
    assert figures.today.conversations == 1
    assert figures.today.messages_answered == 1
    assert figures.today.avg_first_response_seconds is not None
    assert figures.week.avg_satisfaction == 5.0
    assert figures.week.resolution_rate == 1.0
    assert figures.month.best_day is not None
    assert figures.month.achievements == ["1 conversation per day"]
    assert (figures.real_time.active, figures.real_time.capacity) == (1, 1)

    resp = await api.get(f"/api/v1/agents/{agent.id}/goals", headers=agent.headers)
    (goal,) = GoalList.model_validate(await resp.json()).items
    assert (goal.current, goal.reached) == (1.0, True)
    resp = await api.get(f"/api/v1/agents/{agent.id}/activities", headers=agent.headers)
    kinds = [a.kind for a in ActivityList.model_validate(await resp.json()).items]
    assert kinds[:1] == ["feedback_received"]
    assert {
        "conversation_started",
        "conversation_finished",
        "goal_reached",
        "status_changed",
    } <= set(kinds)
    assert kinds.count(ActivityKind.CONVERSATION_STARTED) == 2
    await ws.close()
