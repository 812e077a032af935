"""Fan-out rules through the real domains: what a supervisor, an agent or the customer does
reaches the people it concerns, by role, queue membership and ownership, and nobody else."""

from __future__ import annotations

import uuid
from typing import Any

from pytake_daemon.attendance.entry import enqueue
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.keys import DB_POOL, QUEUES, SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.queues import QueueOut
from tests.conftest import ApiClient, MakeTenant
from tests.notifications.support import add_agent, center, settled, titles
from tests.queues.support import conversations
from tests.support import Member, TenantData

BASE = "/api/v1/conversations"


async def _post(api: ApiClient, path: str, who: Member, **body: Any) -> Any:
    body = {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in body.items()}
    resp = await api.post(path, json=body, headers=who.headers)
    assert resp.status in (200, 201), await resp.text()
    return await resp.json()


async def _billing(api: ApiClient, tenant: TenantData) -> QueueOut:
    body = await _post(
        api, "/api/v1/queues", tenant[Role.ADMIN], name="Billing", required_skills=["billing"]
    )
    return QueueOut.model_validate(body)


async def _attend(
    api: ApiClient, tenant: TenantData, queue: QueueOut, conversation: uuid.UUID, agent: Member
) -> None:
    """The conversation enters ``queue`` and a supervisor assigns it to ``agent``."""
    effects = Effects()
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        entered = await enqueue(
            conn, conversation_id=conversation, queue_id=queue.id, effects=effects
        )
    await api.app[QUEUES].after_commit(tenant.id, effects)
    await _post(api, f"/api/v1/queues/{queue.id}/assign", tenant[Role.SUPERVISOR],
                item_id=entered.item_id, agent_id=agent.id)  # fmt: skip


async def test_assignment_transfer_and_mentions_reach_owner_and_queue_members_only(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    supervisor = tenant[Role.SUPERVISOR]
    billing = await _billing(api, tenant)
    general = QueueOut.model_validate(
        await _post(api, "/api/v1/queues", tenant[Role.ADMIN], name="General")
    )
    # Offline: they belong to Billing (skills) but distribution leaves the waiting items alone.
    ana = await add_agent(admin_conn, tenant.id, "Ana", skills=["billing"])
    carla = await add_agent(admin_conn, tenant.id, "Carla", skills=["billing"])
    bob = await add_agent(admin_conn, tenant.id, "Bob")
    await admin_conn.execute("UPDATE agents SET status = 'offline' WHERE tenant_id = $1", tenant.id)
    first, second = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 2)

    await _attend(api, tenant, general, first, ana)
    await settled(api)
    [assigned] = (await center(api, ana)).items
    assert assigned.title == "Assigned to you: Customer 0"
    assert assigned.link is not None
    assert (assigned.category, assigned.link.id) == ("assignment", first)

    await _post(api, f"{BASE}/{first}/transfer", ana, queue_id=billing.id)
    await _post(api, f"{BASE}/{first}/notes", ana, body="@carla @bob can one of you check?")
    await settled(api)
    # Carla is in Billing: told of the transfer and of the mention. Bob sees neither the queue
    # nor the conversation, so nothing; Ana did both herself.
    assert await titles(api, carla) == [
        "Ana mentioned you: Customer 0", "Transferred to Billing: Customer 0",
    ]  # fmt: skip
    assert await titles(api, bob) == []
    assert await titles(api, ana) == ["Assigned to you: Customer 0"]
    assert await titles(api, supervisor) == []

    # Removed from the queue (skills changed): nothing more about it, at once.
    await admin_conn.execute(
        "UPDATE agents SET skills = '{}' WHERE tenant_id = $1 AND id = $2", tenant.id, carla.id
    )
    await _attend(api, tenant, general, second, ana)
    await _post(api, f"{BASE}/{second}/transfer", ana, queue_id=billing.id)
    await _post(api, f"{BASE}/{second}/notes", ana, body="@carla still there?")
    await settled(api)
    assert len(await titles(api, carla)) == 2
    assert await titles(api, ana) == ["Assigned to you: Customer 1", "Assigned to you: Customer 0"]
