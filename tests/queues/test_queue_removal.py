"""Removing a queue through the real app: only one nothing points at — no item ever, no queue
diverting or moving conversations to it, no flow transferring to it (by id or by name) — each
refusal a 409 naming what holds it, nothing changed; admins only, in their own tenant; audited."""

from __future__ import annotations

from typing import Any

from pytake_daemon.attendance import entry
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.flows import db as flows_db
from pytake_daemon.keys import DB_POOL, SECRET_BOX
from pytake_daemon.protocol import Problem, Role
from pytake_daemon.protocol.queues import QueueOut
from tests.conftest import ApiClient, MakeTenant
from tests.queues.support import conversations
from tests.support import TenantData


async def _queue(api: ApiClient, tenant: TenantData, name: str, **extra: Any) -> QueueOut:
    body = {"name": name, **extra}
    resp = await api.post("/api/v1/queues", json=body, headers=tenant[Role.ADMIN].headers)
    assert resp.status == 201, await resp.text()
    return QueueOut.model_validate(await resp.json())


async def _delete(
    api: ApiClient, tenant: TenantData, queue: QueueOut, role: Role = Role.ADMIN
) -> tuple[int, str | None]:
    resp = await api.delete(f"/api/v1/queues/{queue.id}", headers=tenant[role].headers)
    if resp.status == 204:
        return 204, None
    return resp.status, Problem.model_validate(await resp.json()).detail


async def _names(api: ApiClient, tenant: TenantData) -> list[str]:
    resp = await api.get("/api/v1/queues", headers=tenant[Role.ADMIN].headers)
    return [q["name"] for q in (await resp.json())["items"]]


async def test_an_unused_queue_goes_and_a_held_one_stays(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    spare = await _queue(api, tenant, "Spare")
    assert await _delete(api, tenant, spare, Role.SUPERVISOR) == (
        403,
        "this needs the admin role or higher",
    )
    assert (await _delete(api, other, spare))[0] == 404  # another tenant's: not there
    assert await _delete(api, tenant, spare) == (204, None)
    assert await _names(api, tenant) == []
    assert (await _delete(api, tenant, spare))[0] == 404
    audited = await admin_conn.fetchval(
        "SELECT count(*) FROM audit_entries WHERE tenant_id = $1 AND action = 'queue.delete'"
        " AND target_id = $2",
        tenant.id,
        str(spare.id),
    )
    assert audited == 1

    # A queue that held a conversation keeps its history: deactivate it instead.
    held = await _queue(api, tenant, "Held")
    (conversation,) = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 1)
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        await entry.enqueue(conn, conversation_id=conversation, queue_id=held.id, effects=Effects())
    status, detail = await _delete(api, tenant, held)
    assert status == 409
    assert detail is not None
    assert "deactivate it instead" in detail
    assert await _names(api, tenant) == ["Held"]


async def test_a_queue_something_sends_conversations_to_stays(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    care = await _queue(api, tenant, "Care")
    await _queue(api, tenant, "Sales", overflow_action="divert", overflow_queue_id=str(care.id))
    assert await _delete(api, tenant, care) == (
        409, "queue 'Sales' diverts its overflow here: change that first",
    )  # fmt: skip

    # A flow naming the queue (flow files may use its name) holds it too.
    billing = await _queue(api, tenant, "Billing")
    definition = {"nodes": [{"id": "t", "type": "action_transfer_to_queue",
                             "queueId": "billing", "queueName": "Billing"}]}  # fmt: skip
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        flow_id = await flows_db.insert_flow(conn, "Pedidos", "")
        assert flow_id is not None
        await flows_db.insert_version(conn, flow_id, 1, definition)
    assert await _delete(api, tenant, billing) == (
        409, "flow 'Pedidos' (version 1) transfers conversations here: change the flow first",
    )  # fmt: skip
    assert sorted(await _names(api, tenant)) == ["Billing", "Care", "Sales"]
