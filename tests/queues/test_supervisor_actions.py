"""``POST /api/v1/conversations/{id}/assignment`` (issue 17): a supervisor takes a conversation,
gives one to an agent (past their capacity only with ``override_capacity``, audited, and the
room given back when it ends), or places one that is in no queue; snooze through the status
API; notes and assignments as system lines of the thread."""

from __future__ import annotations

import uuid
from typing import Any

from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import SECRET_BOX
from pytake_daemon.protocol import ConversationOut, MessageList, Role
from pytake_daemon.protocol.agents import AgentList
from pytake_daemon.protocol.audit import AuditList
from pytake_daemon.protocol.conversations import ConversationStatus, TimelineKind
from pytake_daemon.protocol.queues import QueueItemList, QueueOut
from tests.conftest import ApiClient, MakeTenant
from tests.queues.support import conversations, queue_body
from tests.support import Member, TenantData

BASE = "/api/v1/conversations"


async def _queue(api: ApiClient, tenant: TenantData, name: str) -> QueueOut:
    resp = await api.post(
        "/api/v1/queues", json=queue_body(name), headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 201, await resp.text()
    return QueueOut.model_validate(await resp.json())


async def _assign(
    api: ApiClient, who: Member, conversation_id: uuid.UUID, **body: Any
) -> tuple[int, Any]:
    resp = await api.post(
        f"{BASE}/{conversation_id}/assignment",
        json={k: str(v) if isinstance(v, uuid.UUID) else v for k, v in body.items()},
        headers=who.headers,
    )
    return resp.status, await resp.json()


async def _load(api: ApiClient, tenant: TenantData, agent_id: uuid.UUID) -> tuple[int, int]:
    resp = await api.get("/api/v1/agents", headers=tenant[Role.SUPERVISOR].headers)
    (agent,) = [a for a in AgentList.model_validate(await resp.json()).items if a.id == agent_id]
    return agent.active, agent.capacity


async def test_supervisors_take_override_capacity_and_place_conversations_in_no_queue(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    supervisor, agent = tenant[Role.SUPERVISOR], tenant[Role.AGENT]
    await _queue(api, tenant, "Support")  # the oldest: the tenant's default queue
    sales = await _queue(api, tenant, "Sales")
    taken, first, second, placed, handed = await conversations(
        admin_conn, tenant.id, api.app[SECRET_BOX], 5
    )

    # Take one that is in no queue: it enters the default queue and is the supervisor's.
    status, body = await _assign(api, supervisor, taken, take=True, note="I'll call them")
    assert status == 200, body
    out = ConversationOut.model_validate(body)
    assert out.assignee is not None
    assert out.assignee.id == supervisor.id
    assert out.queue is not None
    assert out.queue.name == "Support"
    resp = await api.get(f"{BASE}/{taken}/messages", headers=agent.headers)
    lines = list(reversed(MessageList.model_validate(await resp.json()).events))
    assert [line.kind for line in lines] == [TimelineKind.ASSIGNED, TimelineKind.NOTE_ADDED]
    assert lines[0].actor is not None
    assert lines[0].agent is not None
    assert lines[0].actor.id == lines[0].agent.id == supervisor.id
    assert lines[0].queue is not None
    assert lines[0].queue.name == "Support"

    # Agents have the transfer endpoint, not this one.
    status, _ = await _assign(api, agent, first, take=True)
    assert status == 403

    # Capacity 1: the second conversation needs the explicit override, which is audited.
    resp = await api.put(
        f"/api/v1/agents/{agent.id}/status",
        json={"status": "online", "capacity": 1},
        headers=supervisor.headers,
    )
    assert resp.status == 200, await resp.text()
    status, body = await _assign(api, supervisor, first, agent_id=agent.id)
    assert status == 200, body
    status, problem = await _assign(api, supervisor, second, agent_id=agent.id)
    assert status == 409, problem
    assert "override_capacity" in problem["detail"]
    status, body = await _assign(api, supervisor, second, agent_id=agent.id, override_capacity=True)
    assert status == 200, body
    assert await _load(api, tenant, agent.id) == (2, 1)
    resp = await api.get(
        "/api/v1/audit",
        params={"action": "conversation.assignment"},
        headers=tenant[Role.ADMIN].headers,
    )
    entries = AuditList.model_validate(await resp.json()).items
    overridden = [e for e in entries if e.target_id == str(second)]
    assert len(overridden) == 1
    assert overridden[0].diff is not None
    assert overridden[0].diff["override_capacity"]["after"] is True
    assert overridden[0].actor_id == supervisor.id
    resp = await api.get(f"{BASE}/{second}/messages", headers=agent.headers)
    (line,) = MessageList.model_validate(await resp.json()).events
    assert line.detail == {"override_capacity": True}

    # Closing one gives the room back: the capacity is the limit again.
    resp = await api.patch(
        f"{BASE}/{second}/status", json={"status": "resolved"}, headers=agent.headers
    )
    assert resp.status == 200, await resp.text()
    assert await _load(api, tenant, agent.id) == (1, 1)
    status, problem = await _assign(api, supervisor, placed, agent_id=agent.id)
    assert status == 409, problem

    # Place one in no queue into a queue (it waits there), and hand another in no queue to
    # an agent through the agents' transfer endpoint (409 before issue 17).
    status, body = await _assign(api, supervisor, placed, queue_id=sales.id)
    assert status == 200, body
    out = ConversationOut.model_validate(body)
    assert out.queue is not None
    assert (out.queue.name, out.assignee) == ("Sales", None)
    resp = await api.post(
        f"{BASE}/{handed}/transfer",
        json={"agent_id": str(supervisor.id)},
        headers=supervisor.headers,
    )
    assert resp.status == 200, await resp.text()
    assert ConversationOut.model_validate(await resp.json()).assigned_user_id == supervisor.id

    # The monitor's queue-level assign takes the same override.
    resp = await api.get(
        f"/api/v1/queues/{sales.id}/items", params={"status": "waiting"}, headers=agent.headers
    )
    (item,) = QueueItemList.model_validate(await resp.json()).items
    for override, expected in ((False, 409), (True, 200)):
        resp = await api.post(
            f"/api/v1/queues/{sales.id}/assign",
            json={
                "item_id": str(item.id),
                "agent_id": str(agent.id),
                "override_capacity": override,
            },
            headers=supervisor.headers,
        )
        assert resp.status == expected, await resp.text()
    assert await _load(api, tenant, agent.id) == (2, 1)

    # Bad input: clear problems, never a traceback.
    status, problem = await _assign(api, supervisor, placed, take=True, agent_id=agent.id)
    assert status == 422, problem
    status, problem = await _assign(api, supervisor, placed, agent_id=other[Role.AGENT].id)
    assert (status, problem["detail"]) == (422, "agent_id: no such agent")
    status, problem = await _assign(api, supervisor, placed, queue_id=sales.id, take=False)
    assert status == 409, problem  # already in Sales
    status, _ = await _assign(api, supervisor, uuid.uuid4(), take=True)
    assert status == 404


async def test_snooze_through_the_status_api(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    (conversation_id,) = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 1)
    resp = await api.patch(
        f"{BASE}/{conversation_id}/status",
        json={"status": "snoozed"},
        headers=tenant[Role.AGENT].headers,
    )
    assert resp.status == 200, await resp.text()
    assert ConversationOut.model_validate(await resp.json()).status == ConversationStatus.SNOOZED
    resp = await api.patch(
        f"{BASE}/{conversation_id}/status",
        json={"status": "snoozed", "until": "tomorrow"},
        headers=tenant[Role.AGENT].headers,
    )
    assert resp.status == 422  # no timed snooze: an unknown field is refused, not ignored
