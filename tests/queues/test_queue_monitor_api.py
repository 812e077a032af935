"""What the live queue monitor needs from the API: a waiting item's priority changed by a
supervisor (audited, told to the monitor), and the mood, latest message and rating beside each
listed item."""

from __future__ import annotations

import uuid
from typing import Any

from pytake_daemon.attendance import entry
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.keys import DB_POOL, QUEUES, SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.queues import QueueItemList, QueueItemOut, QueueOut
from tests.conftest import ApiClient, MakeTenant
from tests.queues.support import conversations, eventually, queue_body
from tests.support import TenantData


async def _queue(api: ApiClient, tenant: TenantData, name: str) -> QueueOut:
    resp = await api.post(
        "/api/v1/queues", json=queue_body(name), headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 201, await resp.text()
    return QueueOut.model_validate(await resp.json())


async def _enqueue(
    api: ApiClient, tenant: TenantData, queue_id: uuid.UUID, conversation_id: uuid.UUID
) -> None:
    effects = Effects()
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        result = await entry.enqueue(
            conn, conversation_id=conversation_id, queue_id=queue_id, effects=effects
        )
    assert result.outcome == "entered"
    await api.app[QUEUES].after_commit(tenant.id, effects)


async def _waiting(api: ApiClient, tenant: TenantData, queue_id: uuid.UUID) -> list[QueueItemOut]:
    resp = await api.get(
        f"/api/v1/queues/{queue_id}/items",
        params={"status": "waiting"},
        headers=tenant[Role.AGENT].headers,
    )
    assert resp.status == 200, await resp.text()
    return QueueItemList.model_validate(await resp.json()).items


async def _patch(
    api: ApiClient, tenant: TenantData, role: Role, queue_id: uuid.UUID, item: Any, body: Any
) -> tuple[int, Any]:
    resp = await api.patch(
        f"/api/v1/queues/{queue_id}/items/{item}", json=body, headers=tenant[role].headers
    )
    return resp.status, await resp.json()


async def test_change_priority(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    queue = await _queue(api, tenant, "Care")
    convs = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 3)
    for conversation_id in convs:
        await _enqueue(api, tenant, queue.id, conversation_id)
    last = (await _waiting(api, tenant, queue.id))[-1]
    assert (last.conversation_id, last.position) == (convs[2], 3)

    status, body = await _patch(api, tenant, Role.SUPERVISOR, queue.id, last.id, {"priority": 2})
    assert status == 200, body
    changed = QueueItemOut.model_validate(body)
    assert (changed.priority, changed.position) == (2, 1)
    waiting = await _waiting(api, tenant, queue.id)
    assert [i.conversation_id for i in waiting] == [convs[2], convs[0], convs[1]]
    assert [i.position for i in waiting] == [1, 2, 3]

    # The audit log has who changed what; an unchanged priority records nothing more.
    status, _ = await _patch(api, tenant, Role.SUPERVISOR, queue.id, last.id, {"priority": 2})
    assert status == 200
    audited = await admin_conn.fetch(
        "SELECT actor_id, diff FROM audit_entries WHERE tenant_id = $1"
        " AND action = 'queue.item.priority'",
        tenant.id,
    )
    assert len(audited) == 1
    assert audited[0]["actor_id"] == tenant[Role.SUPERVISOR].id

    # Agents can't; unknown items, other queues' items and bad priorities are refused clearly.
    status, _ = await _patch(api, tenant, Role.AGENT, queue.id, last.id, {"priority": 0})
    assert status == 403
    status, _ = await _patch(api, tenant, Role.SUPERVISOR, queue.id, uuid.uuid4(), {"priority": 1})
    assert status == 404
    other = await _queue(api, tenant, "Other")
    status, _ = await _patch(api, tenant, Role.SUPERVISOR, other.id, last.id, {"priority": 1})
    assert status == 404
    status, body = await _patch(api, tenant, Role.SUPERVISOR, queue.id, last.id, {"priority": 7})
    assert status == 422, body

    # An ended item can't move anymore.
    await admin_conn.execute(
        "UPDATE queue_items SET status = 'abandoned', ended_at = now() WHERE id = $1", last.id
    )
    status, body = await _patch(api, tenant, Role.SUPERVISOR, queue.id, last.id, {"priority": 0})
    assert status == 409, body


async def test_items_carry_mood_last_message_and_rating(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    queue = await _queue(api, tenant, "Care")
    angry, calm = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 2)
    for conversation_id in (angry, calm):
        await _enqueue(api, tenant, queue.id, conversation_id)

    async def welcomed() -> bool:
        # The distribution pass after the commit welcomes them (nobody is online); the preview
        # below must come after that message.
        told = await admin_conn.fetchval(
            "SELECT count(*) FROM messages WHERE tenant_id = $1 AND direction = 'out'", tenant.id
        )
        return bool(told == 2)

    await eventually(welcomed, what="both customers welcomed")
    await admin_conn.execute(
        "INSERT INTO ai_conversation_mood (tenant_id, conversation_id, language, score, label,"
        " trend, messages) VALUES ($1, $2, 'en', -0.8, 'negative', -0.2, 3)",
        tenant.id,
        angry,
    )
    await admin_conn.execute(
        "UPDATE conversations SET last_message_preview = 'where is my order??' WHERE id = $1",
        angry,
    )
    by_conversation = {i.conversation_id: i for i in await _waiting(api, tenant, queue.id)}
    assert by_conversation[angry].sentiment == "negative"
    assert by_conversation[angry].last_message == "where is my order??"
    assert by_conversation[calm].sentiment is None
    assert by_conversation[calm].rating is None

    # A rated attendance shows its rating among the ended items.
    item = by_conversation[calm]
    agent = tenant[Role.AGENT].id
    await admin_conn.execute(
        "INSERT INTO agents (tenant_id, id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        tenant.id,
        agent,
    )
    await admin_conn.execute(
        "UPDATE queue_items SET status = 'completed', ended_at = now() WHERE id = $1", item.id
    )
    await admin_conn.execute(
        "INSERT INTO conversation_feedback (tenant_id, item_id, conversation_id, agent_id, rating,"
        " answered_at) VALUES ($1, $2, $3, $4, 5, now())",
        tenant.id,
        item.id,
        calm,
        agent,
    )
    resp = await api.get(
        f"/api/v1/queues/{queue.id}/items",
        params={"status": "ended"},
        headers=tenant[Role.AGENT].headers,
    )
    ended = QueueItemList.model_validate(await resp.json()).items
    assert [(i.id, i.rating) for i in ended] == [(item.id, 5)]
