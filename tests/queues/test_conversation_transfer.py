"""``POST /api/v1/conversations/{id}/transfer`` through the real app: an agent hands the
conversation they attend to a queue or to another agent, with the queues' rules (capacity,
one active item), RBAC, clear errors, events for the other consoles and the audit record."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import WSMsgType
from aiohttp.client_ws import ClientWebSocketResponse

from pytake_daemon.attendance import entry
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.keys import DB_POOL, QUEUES, SECRET_BOX
from pytake_daemon.protocol import (
    ConversationOut,
    ConversationUpdated,
    EventEnvelope,
    Hello,
    MessageList,
    Problem,
    Role,
    parse_server_event,
)
from pytake_daemon.protocol.conversations import NoteList
from pytake_daemon.protocol.events import NoteAdded
from pytake_daemon.protocol.queues import QueueItemList, QueueOut
from tests.conftest import ApiClient, MakeTenant
from tests.queues.support import conversations, queue_body
from tests.support import TenantData

BASE = "/api/v1/conversations"


async def _queue(api: ApiClient, tenant: TenantData, name: str) -> QueueOut:
    resp = await api.post(
        "/api/v1/queues", json=queue_body(name), headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 201, await resp.text()
    return QueueOut.model_validate(await resp.json())


async def _attended(
    api: ApiClient, tenant: TenantData, queue: QueueOut, conversation_id: uuid.UUID, agent: Role
) -> uuid.UUID:
    """Put the conversation in ``queue`` and have a supervisor assign it to ``agent``."""
    effects = Effects()
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        entered = await entry.enqueue(
            conn, conversation_id=conversation_id, queue_id=queue.id, effects=effects
        )
    await api.app[QUEUES].after_commit(tenant.id, effects)
    assert entered.item_id is not None
    resp = await api.post(
        f"/api/v1/queues/{queue.id}/assign",
        json={"item_id": str(entered.item_id), "agent_id": str(tenant[agent].id)},
        headers=tenant[Role.SUPERVISOR].headers,
    )
    assert resp.status == 200, await resp.text()
    return entered.item_id


async def _transfer(
    api: ApiClient, tenant: TenantData, role: Role, conversation_id: uuid.UUID, **body: Any
) -> Any:
    resp = await api.post(
        f"{BASE}/{conversation_id}/transfer",
        json={k: str(v) if isinstance(v, uuid.UUID) else v for k, v in body.items()},
        headers=tenant[role].headers,
    )
    return resp.status, await resp.json()


async def _items(api: ApiClient, tenant: TenantData, queue_id: uuid.UUID, status: str) -> Any:
    resp = await api.get(
        f"/api/v1/queues/{queue_id}/items",
        params={"status": status},
        headers=tenant[Role.AGENT].headers,
    )
    assert resp.status == 200, await resp.text()
    return QueueItemList.model_validate(await resp.json()).items


async def _events(ws: ClientWebSocketResponse[bool], count: int) -> list[EventEnvelope]:
    """The next ``count`` chat events (queue events, which also flow, are skipped)."""
    found: list[EventEnvelope] = []
    while len(found) < count:
        msg = await ws.receive(timeout=10.0)
        assert msg.type is WSMsgType.TEXT, msg
        envelope = parse_server_event(msg.data)
        if isinstance(envelope.event, ConversationUpdated | NoteAdded):
            found.append(envelope)
    return found


async def test_agent_transfers_to_a_queue_with_a_note(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    sales, billing = await _queue(api, tenant, "Sales"), await _queue(api, tenant, "Billing")
    (conv,) = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 1)
    await _attended(api, tenant, sales, conv, Role.AGENT)

    async with api.ws_connect("/api/v1/ws", headers=tenant[Role.SUPERVISOR].headers) as ws:
        hello = parse_server_event((await ws.receive(timeout=10.0)).data)
        assert isinstance(hello.event, Hello)
        status, body = await _transfer(
            api, tenant, Role.AGENT, conv, queue_id=billing.id, note="wants a refund of #12"
        )
        assert status == 200, body
        out = ConversationOut.model_validate(body)
        assert out.assigned_user_id is None  # left the agent; waits in Billing
        assert out.notes_count == 1
        updated, added = await _events(ws, 2)
    assert isinstance(updated.event, ConversationUpdated)
    assert updated.event.conversation.assigned_user_id is None
    assert isinstance(added.event, NoteAdded)
    assert added.event.note.body == "wants a refund of #12"
    assert added.event.note.author_id == agent.id

    (waiting,) = await _items(api, tenant, billing.id, "waiting")
    assert waiting.conversation_id == conv
    assert await _items(api, tenant, sales.id, "active") == []
    # The note is internal: listed as a note, never as a message (nor queued to WhatsApp).
    resp = await api.get(f"{BASE}/{conv}/notes", headers=agent.headers)
    assert [n.body for n in NoteList.model_validate(await resp.json()).items] == [
        "wants a refund of #12"
    ]
    resp = await api.get(f"{BASE}/{conv}/messages", headers=agent.headers)
    texts = [m.text for m in MessageList.model_validate(await resp.json()).items]
    assert "wants a refund of #12" not in texts
    queued = await admin_conn.fetchval(
        "SELECT count(*) FROM messages WHERE tenant_id = $1 AND text LIKE '%refund%'", tenant.id
    )
    assert queued == 0
    entry = await admin_conn.fetchrow(
        "SELECT actor_id, diff FROM audit_entries WHERE tenant_id = $1"
        " AND action = 'conversation.transfer' AND target_id = $2",
        tenant.id,
        str(conv),
    )
    assert entry is not None
    assert entry["actor_id"] == agent.id
    assert entry["diff"] == {
        "queue_id": {"before": str(sales.id), "after": str(billing.id)},
        "agent_id": {"before": str(agent.id), "after": None},
    }

    # Into the queue it already waits in: nothing to do.
    status, body = await _transfer(api, tenant, Role.SUPERVISOR, conv, queue_id=billing.id)
    assert status == 409, body


async def test_agent_transfers_to_an_agent_within_capacity(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    agent, supervisor = tenant[Role.AGENT], tenant[Role.SUPERVISOR]
    sales = await _queue(api, tenant, "Sales")
    first, second = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 2)
    await _attended(api, tenant, sales, first, Role.AGENT)
    await _attended(api, tenant, sales, second, Role.AGENT)

    # The supervisor can take no more: 409, and nothing moved.
    resp = await api.put(
        f"/api/v1/agents/{supervisor.id}/status",
        json={"status": "online", "capacity": 0},
        headers=supervisor.headers,
    )
    assert resp.status == 200, await resp.text()
    status, body = await _transfer(api, tenant, Role.AGENT, first, agent_id=supervisor.id)
    assert status == 409, body
    assert "capacity" in (Problem.model_validate(body).detail or "")
    resp = await api.get(f"{BASE}/{first}", headers=agent.headers)
    assert ConversationOut.model_validate(await resp.json()).assigned_user_id == agent.id

    resp = await api.put(
        f"/api/v1/agents/{supervisor.id}/status",
        json={"status": "online", "capacity": 1},
        headers=supervisor.headers,
    )
    assert resp.status == 200, await resp.text()
    status, body = await _transfer(api, tenant, Role.AGENT, first, agent_id=supervisor.id)
    assert status == 200, body
    assert ConversationOut.model_validate(body).assigned_user_id == supervisor.id
    (item,) = [
        i for i in await _items(api, tenant, sales.id, "assigned") if i.conversation_id == first
    ]
    assert item.agent_id == supervisor.id

    # The agent no longer attends it: they can't move it again; the supervisor still can.
    status, body = await _transfer(api, tenant, Role.AGENT, first, agent_id=agent.id)
    assert status == 403, body
    status, body = await _transfer(api, tenant, Role.SUPERVISOR, first, agent_id=agent.id)
    assert status == 200, body
    assert ConversationOut.model_validate(body).assigned_user_id == agent.id


async def test_transfer_errors_are_clear(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    sales = await _queue(api, tenant, "Sales")
    theirs = await _queue(api, other, "Theirs")
    attended, unqueued = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 2)
    await _attended(api, tenant, sales, attended, Role.AGENT)

    # Neither or both targets: 422 before anything is looked up.
    for body in ({}, {"queue_id": sales.id, "agent_id": tenant[Role.AGENT].id}):
        status, problem = await _transfer(api, tenant, Role.AGENT, attended, **body)
        assert status == 422, problem
    # Another tenant's queue or user is unknown here.
    status, problem = await _transfer(api, tenant, Role.AGENT, attended, queue_id=theirs.id)
    assert (status, problem["detail"]) == (422, "queue_id: no such queue")
    status, problem = await _transfer(
        api, tenant, Role.AGENT, attended, agent_id=other[Role.AGENT].id
    )
    assert (status, problem["detail"]) == (422, "agent_id: no such agent")
    # Another tenant's conversation doesn't exist.
    (foreign,) = await conversations(admin_conn, other.id, api.app[SECRET_BOX], 1)
    status, _ = await _transfer(api, tenant, Role.SUPERVISOR, foreign, queue_id=sales.id)
    assert status == 404
    # Nobody attends the unqueued one: only a supervisor may place it; an agent may not.
    status, _ = await _transfer(api, tenant, Role.AGENT, unqueued, queue_id=sales.id)
    assert status == 403
    # (A supervisor may also give it straight to an agent: tests/queues/test_conversation_life.py.)
    status, body = await _transfer(api, tenant, Role.SUPERVISOR, unqueued, queue_id=sales.id)
    assert status == 200, body
    waiting = await _items(api, tenant, sales.id, "waiting")
    assert [i.conversation_id for i in waiting] == [unqueued]
