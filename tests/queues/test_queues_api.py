"""Every queues and agents endpoint through the real app: shapes, rules, RBAC, distribution."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pytake_daemon.attendance import entry
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.keys import DB_POOL, QUEUES, SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import (
    ActivityList,
    AgentList,
    AgentMetrics,
    AgentOut,
    GoalList,
    GoalOut,
)
from pytake_daemon.protocol.queues import (
    AssignResult,
    Dashboard,
    QueueItemList,
    QueueList,
    QueueOut,
)
from tests.conftest import ApiClient, MakeTenant
from tests.queues.support import conversations, eventually, queue_body
from tests.support import TenantData


async def _queue(api: ApiClient, tenant: TenantData, name: str, **extra: Any) -> QueueOut:
    resp = await api.post(
        "/api/v1/queues", json=queue_body(name, **extra), headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 201, await resp.text()
    return QueueOut.model_validate(await resp.json())


async def _enqueue(
    api: ApiClient, tenant: TenantData, queue_id: uuid.UUID, conversation_id: uuid.UUID, **kw: Any
) -> entry.EnqueueResult:
    effects = Effects()
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        result = await entry.enqueue(
            conn, conversation_id=conversation_id, queue_id=queue_id, effects=effects, **kw
        )
    await api.app[QUEUES].after_commit(tenant.id, effects)
    return result


async def _status(
    api: ApiClient, tenant: TenantData, agent: uuid.UUID, role: Role, **body: Any
) -> Any:
    resp = await api.put(f"/api/v1/agents/{agent}/status", json=body, headers=tenant[role].headers)
    return resp.status, await resp.json()


async def _items(api: ApiClient, tenant: TenantData, queue_id: uuid.UUID, **params: str) -> Any:
    resp = await api.get(
        f"/api/v1/queues/{queue_id}/items", params=params, headers=tenant[Role.AGENT].headers
    )
    assert resp.status == 200, await resp.text()
    return QueueItemList.model_validate(await resp.json()).items


async def test_queue_crud_and_validation(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    queue = await _queue(
        api,
        tenant,
        "Support",
        department="care",
        required_skills=["pt"],
        business_hours={"mon": [["09:00", "18:00"]]},
        timezone="America/Sao_Paulo",
        holidays=["2030-12-25"],
    )
    assert queue.department == "care"
    assert queue.business_hours == {"mon": [("09:00", "18:00")]}

    resp = await api.get("/api/v1/queues", headers=tenant[Role.AGENT].headers)
    assert [q.id for q in QueueList.model_validate(await resp.json()).items] == [queue.id]
    resp = await api.get(f"/api/v1/queues/{queue.id}", headers=tenant[Role.AGENT].headers)
    assert QueueOut.model_validate(await resp.json()).name == "Support"

    body = queue_body("Support 2", max_size=5, policy="least_loaded")
    resp = await api.put(
        f"/api/v1/queues/{queue.id}", json=body, headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 200, await resp.text()
    updated = QueueOut.model_validate(await resp.json())
    assert (updated.name, updated.max_size, updated.business_hours) == ("Support 2", 5, None)

    # Duplicates, bad zones, bad hours, missing targets: clear errors, never a 500.
    dup = await api.post(
        "/api/v1/queues", json=queue_body("Support 2"), headers=tenant[Role.ADMIN].headers
    )
    assert dup.status == 409
    for bad in (
        {"timezone": "Mars/Olympus"},
        {"business_hours": {"mon": [["18:00", "09:00"]]}},
        {"business_hours": {"funday": [["09:00", "10:00"]]}},
        {"timeout_action": "move"},
        {"overflow_queue_id": str(uuid.uuid4()), "overflow_action": "divert"},
    ):
        resp = await api.post(
            "/api/v1/queues", json=queue_body("X", **bad), headers=tenant[Role.ADMIN].headers
        )
        assert resp.status == 422, (bad, await resp.text())
    # RBAC: agents and supervisors read, admins write.
    for role in (Role.AGENT, Role.SUPERVISOR):
        resp = await api.post("/api/v1/queues", json=queue_body("Y"), headers=tenant[role].headers)
        assert resp.status == 403
    resp = await api.get(f"/api/v1/queues/{uuid.uuid4()}", headers=tenant[Role.AGENT].headers)
    assert resp.status == 404


async def test_distribution_priority_capacity_and_manual_moves(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT].id
    supervisor = tenant[Role.SUPERVISOR]
    queue = await _queue(api, tenant, "Sales")
    other = await _queue(api, tenant, "Billing")
    convs = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 4)
    for conversation_id, priority in zip(convs, (0, 1, 2, 0), strict=True):
        result = await _enqueue(api, tenant, queue.id, conversation_id, priority=priority)
        assert result.outcome == "entered"
    again = await _enqueue(api, tenant, queue.id, convs[0])
    assert again.outcome == "already_queued"

    waiting = await _items(api, tenant, queue.id)
    assert [i.priority for i in waiting] == [2, 1, 0, 0]
    assert [i.position for i in waiting] == [1, 2, 3, 4]
    assert [i.conversation_id for i in waiting[2:]] == [convs[0], convs[3]]

    # An agent may set only their own status; settings are for supervisors.
    status, _ = await _status(api, tenant, agent, Role.AGENT, status="online", capacity=9)
    assert status == 403
    status, _ = await _status(api, tenant, supervisor.id, Role.AGENT, status="online")
    assert status == 403
    status, body = await _status(api, tenant, agent, Role.SUPERVISOR, status="online", capacity=2)
    assert status == 200, body
    assert AgentOut.model_validate(body).capacity == 2

    async def assigned() -> list[Any]:
        items = await _items(api, tenant, queue.id, status="assigned")
        return items if len(items) == 2 else []

    got = await eventually(assigned, what="two assignments")
    assert {i.conversation_id for i in got} == {convs[2], convs[1]}  # urgent, then high
    resp = await api.get(
        "/api/v1/conversations", params={"agent": "me"}, headers=tenant[Role.AGENT].headers
    )
    assert {c["id"] for c in (await resp.json())["items"]} == {str(convs[2]), str(convs[1])}

    # Capacity is full: a manual assignment is refused; lowering capacity below load too.
    waiting = await _items(api, tenant, queue.id, status="waiting")
    resp = await api.post(
        f"/api/v1/queues/{queue.id}/assign",
        json={"item_id": str(waiting[0].id), "agent_id": str(agent)},
        headers=supervisor.headers,
    )
    assert resp.status == 409, await resp.text()
    status, _ = await _status(api, tenant, agent, Role.SUPERVISOR, status="online", capacity=1)
    assert status == 409
    # Agents can't assign.
    resp = await api.post(
        f"/api/v1/queues/{queue.id}/assign", json={}, headers=tenant[Role.AGENT].headers
    )
    assert resp.status == 403

    # Reassign one to the supervisor (also an agent of the tenant), transfer a waiting one.
    await _status(api, tenant, supervisor.id, Role.SUPERVISOR, status="break", capacity=1)
    resp = await api.post(
        f"/api/v1/queues/{queue.id}/assign",
        json={"item_id": str(got[0].id), "agent_id": str(supervisor.id)},
        headers=supervisor.headers,
    )
    assert resp.status == 200, await resp.text()
    moved = AssignResult.model_validate(await resp.json()).items[0]
    assert moved.agent_id == supervisor.id
    resp = await api.post(
        f"/api/v1/queues/{queue.id}/assign",
        json={"item_id": str(waiting[-1].id), "to_queue_id": str(other.id)},
        headers=supervisor.headers,
    )
    assert resp.status == 200, await resp.text()
    transferred = AssignResult.model_validate(await resp.json()).items[0]
    assert transferred.queue_id == other.id
    assert transferred.status == "waiting"
    bad = await api.post(
        f"/api/v1/queues/{queue.id}/assign",
        json={"item_id": str(uuid.uuid4()), "agent_id": str(agent)},
        headers=supervisor.headers,
    )
    assert bad.status == 404
    invalid = await api.post(
        f"/api/v1/queues/{queue.id}/assign",
        json={"item_id": str(got[0].id)},
        headers=supervisor.headers,
    )
    assert invalid.status == 422

    # The agent's freed place goes to the next waiting item at once.
    async def refilled() -> list[Any]:
        items = await _items(api, tenant, queue.id, status="assigned")
        mine = [i for i in items if i.agent_id == agent]
        return mine if len(mine) == 2 else []

    await eventually(refilled, what="the freed place refilled")

    resp = await api.get("/api/v1/queues/dashboard", headers=tenant[Role.AGENT].headers)
    board = Dashboard.model_validate(await resp.json())
    sales = next(q for q in board.queues if q.queue_id == queue.id)
    assert sales.assigned == 3
    assert sales.waiting == 0
    assert {e.event for e in board.recent} >= {"entered", "assigned", "reassigned", "transferred"}
    history = await admin_conn.fetchval(
        "SELECT count(*) FROM queue_history WHERE tenant_id = $1", tenant.id
    )
    assert history >= 4 + 3 + 1 + 2


async def test_agents_endpoints_and_goals(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    resp = await api.get("/api/v1/agents", headers=agent.headers)
    agents = AgentList.model_validate(await resp.json()).items
    assert {a.id for a in agents} == {m.id for m in tenant.members.values()}
    assert all(a.status == "offline" for a in agents)

    status, body = await _status(
        api,
        tenant,
        agent.id,
        Role.SUPERVISOR,
        status="online",
        skills=["pt", "billing"],
        departments=["care"],
        working_hours={"mon": [["08:00", "17:00"]]},
        timezone="America/New_York",
    )
    assert status == 200, body
    await _queue(api, tenant, "Care PT", required_skills=["pt"], department="care")
    await _queue(api, tenant, "Spanish", required_skills=["es"])
    resp = await api.get(f"/api/v1/agents/{agent.id}/queues", headers=agent.headers)
    assert [q.name for q in QueueList.model_validate(await resp.json()).items] == ["Care PT"]

    resp = await api.post(
        f"/api/v1/agents/{agent.id}/goals",
        json={"kind": "daily_conversations", "target": 5},
        headers=tenant[Role.SUPERVISOR].headers,
    )
    assert resp.status == 201, await resp.text()
    goal = GoalOut.model_validate(await resp.json())
    assert (goal.current, goal.progress, goal.reached) == (0.0, 0.0, False)
    resp = await api.post(
        f"/api/v1/agents/{agent.id}/goals",
        json={"kind": "satisfaction", "target": 4.5, "team": True, "period": "week"},
        headers=tenant[Role.SUPERVISOR].headers,
    )
    assert resp.status == 201, await resp.text()
    resp = await api.post(
        f"/api/v1/agents/{agent.id}/goals",
        json={"kind": "quality", "target": 90},
        headers=agent.headers,
    )
    assert resp.status == 403
    resp = await api.get(f"/api/v1/agents/{agent.id}/goals", headers=agent.headers)
    goals = GoalList.model_validate(await resp.json()).items
    assert [(g.kind, g.scope) for g in goals] == [
        ("daily_conversations", "agent"),
        ("satisfaction", "team"),
    ]

    resp = await api.get(f"/api/v1/agents/{agent.id}/metrics", headers=agent.headers)
    metrics = AgentMetrics.model_validate(await resp.json())
    assert metrics.timezone == "America/New_York"
    assert metrics.real_time.status == "online"
    assert metrics.today.conversations == 0

    resp = await api.get(
        f"/api/v1/agents/{agent.id}/activities", params={"limit": "1"}, headers=agent.headers
    )
    page = ActivityList.model_validate(await resp.json())
    assert [a.kind for a in page.items] == ["status_changed"]
    assert page.next_before is None

    # Agents see only their own figures; supervisors anyone's; unknown ids are 404.
    other = tenant[Role.OWNER].id
    for path in ("metrics", "goals", "activities", "queues"):
        resp = await api.get(f"/api/v1/agents/{other}/{path}", headers=agent.headers)
        assert resp.status == 403, path
        resp = await api.get(
            f"/api/v1/agents/{other}/{path}", headers=tenant[Role.SUPERVISOR].headers
        )
        assert resp.status == 200, path
        resp = await api.get(
            f"/api/v1/agents/{uuid.uuid4()}/{path}", headers=tenant[Role.SUPERVISOR].headers
        )
        assert resp.status == 404, path


@pytest.mark.parametrize("full", ["reject", "divert"])
async def test_overflow(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, full: str
) -> None:
    tenant = await make_tenant()
    spill = await _queue(api, tenant, "Spill")
    extra: dict[str, Any] = {"max_size": 1, "overflow_action": full}
    if full == "divert":
        extra["overflow_queue_id"] = str(spill.id)
    queue = await _queue(api, tenant, "Tiny", **extra)
    first, second = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 2)
    assert (await _enqueue(api, tenant, queue.id, first)).outcome == "entered"
    result = await _enqueue(api, tenant, queue.id, second)
    if full == "reject":
        assert (result.outcome, result.item_id) == ("rejected", None)
    else:
        assert (result.outcome, result.queue_id) == ("entered", spill.id)
    expected = "line is full" if full == "reject" else "Spill queue"

    async def told() -> bool:
        # The full queue says so on entry; a diverted customer is welcomed by the distribution
        # pass that follows the commit (nobody is online).
        texts = await admin_conn.fetch(
            "SELECT text FROM messages WHERE tenant_id = $1 AND conversation_id = $2",
            tenant.id,
            second,
        )
        return any(expected in r["text"] for r in texts)

    await eventually(told, what=f"the second customer told {expected!r}")
