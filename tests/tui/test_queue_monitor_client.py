"""The queue monitor's DaemonClient calls against the real daemon (app, PostgreSQL, Redis):
queues, dashboard, items with mood, assignment, transfer, priority, AI alerts, and refusals."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from pytake_daemon.attendance import entry
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.keys import DB_POOL, QUEUES, SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.ai import AlertQuery
from pytake_daemon.protocol.queues import ItemQuery, ItemStatus, Priority
from pytake_tui.client import DaemonClient, DaemonError
from tests.conftest import ApiClient, MakeTenant
from tests.queues.conftest import settle
from tests.queues.support import conversations, queue_body
from tests.support import Member, TenantData


@pytest.fixture
async def tenant(make_tenant: MakeTenant, admin_conn: Connection) -> AsyncIterator[TenantData]:
    made = await make_tenant()
    yield made
    await settle(admin_conn, [made.id])  # nothing left waiting for later tests' sweeps


def _client(api: ApiClient, member: Member) -> DaemonClient:
    return DaemonClient(str(api.make_url("/")), token=member.token)


async def _queue(api: ApiClient, tenant: TenantData, name: str) -> uuid.UUID:
    resp = await api.post(
        "/api/v1/queues", json=queue_body(name), headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 201, await resp.text()
    return uuid.UUID((await resp.json())["id"])


async def _enqueue(
    api: ApiClient, tenant: TenantData, queue_id: uuid.UUID, conversation_id: uuid.UUID
) -> None:
    effects = Effects()
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        await entry.enqueue(
            conn, conversation_id=conversation_id, queue_id=queue_id, effects=effects
        )
    await api.app[QUEUES].after_commit(tenant.id, effects)


async def test_monitor_calls(api: ApiClient, tenant: TenantData, admin_conn: Connection) -> None:
    support = await _queue(api, tenant, "Support")
    billing = await _queue(api, tenant, "Billing")
    first, second, third = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 3)
    for conversation_id in (first, second, third):
        await _enqueue(api, tenant, support, conversation_id)
    await admin_conn.execute(
        "INSERT INTO ai_conversation_mood (tenant_id, conversation_id, language, score, label,"
        " trend, messages) VALUES ($1, $2, 'en', -0.9, 'negative', -0.3, 2)",
        tenant.id,
        second,
    )
    supervisor = tenant[Role.SUPERVISOR]

    async with _client(api, supervisor) as client:
        assert [q.name for q in (await client.queues()).items] == ["Billing", "Support"]
        board = await client.queue_dashboard()
        assert {s.name: s.waiting for s in board.queues} == {"Billing": 0, "Support": 3}
        assert {a.agent_id for a in board.agents} >= {supervisor.id}

        items = (await client.queue_items(support, ItemQuery(status="active"))).items
        assert [i.conversation_id for i in items] == [first, second, third]
        assert [i.sentiment for i in items] == [None, "negative", None]

        raised = await client.set_item_priority(support, items[2].id, Priority.URGENT)
        assert (raised.priority, raised.position) == (Priority.URGENT, 1)

        assigned = (await client.assign_item(support, items[0].id, supervisor.id)).items
        assert [(i.id, i.status, i.agent_id) for i in assigned] == [
            (items[0].id, ItemStatus.ASSIGNED, supervisor.id)
        ]
        (moved,) = (await client.transfer_item(support, items[1].id, billing)).items
        assert (moved.queue_id, moved.status, moved.conversation_id) == (
            billing,
            ItemStatus.WAITING,
            second,
        )
        ended = (await client.queue_items(support, ItemQuery(status="ended"))).items
        assert [(i.id, i.status) for i in ended] == [(items[1].id, ItemStatus.TRANSFERRED)]
        assert (await client.ai_alerts(AlertQuery(limit=5))).items == []

        # Refusals are one-line errors: an assigned item's priority, an unknown item.
        with pytest.raises(DaemonError) as refused:
            await client.set_item_priority(support, items[0].id, Priority.HIGH)
        assert refused.value.status == 409
        assert "only a waiting item" in refused.value.message
        with pytest.raises(DaemonError) as missing:
            await client.transfer_item(support, uuid.uuid4(), billing)
        assert missing.value.status == 404

    # Agents watch but don't move items.
    async with _client(api, tenant[Role.AGENT]) as client:
        with pytest.raises(DaemonError) as forbidden:
            await client.set_item_priority(support, items[2].id, Priority.NORMAL)
        assert forbidden.value.status == 403
