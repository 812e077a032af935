"""``/api/v1/queues``: queues, their items, manual assignment and the live dashboard."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

from pytake_daemon.attendance import agents_db, items_db, moves, queues_db
from pytake_daemon.attendance.removal import remove_queue
from pytake_daemon.attendance.views import (
    item_out,
    optional_float,
    queue_open,
    queue_out,
    settings_values,
)
from pytake_daemon.audit.entries import difference
from pytake_daemon.audit.http import audit_in
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.errors import Conflict, NotFound, UnprocessableEntity
from pytake_daemon.flows import db as flows_db
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL, EVENT_BUS, QUEUES
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.queues import (
    AgentLoad,
    AssignRequest,
    AssignResult,
    Dashboard,
    ItemQuery,
    PriorityUpdate,
    QueueChanged,
    QueueItemList,
    QueueItemOut,
    QueueList,
    QueueOut,
    QueueSettings,
    QueueSummary,
)

routes = RouteTable(tag="queues")

_NOT_FOUND = "no such queue"
_STATUSES = {"active": ["waiting", "assigned"], "waiting": ["waiting"], "assigned": ["assigned"]}


async def _check_targets(conn: Connection, body: QueueSettings, queue_id: uuid.UUID | None) -> None:
    for name in ("timeout_queue_id", "overflow_queue_id", "out_of_hours_queue_id"):
        target = getattr(body, name)
        if target is None:
            continue
        if target == queue_id:
            raise UnprocessableEntity(f"{name} can't be the queue itself")
        if await queues_db.get_queue(conn, target) is None:
            raise UnprocessableEntity(f"{name}: no such queue")
    if body.timeout_flow_id is not None:
        flow = await flows_db.get_flow(conn, body.timeout_flow_id)
        if flow is None:
            raise UnprocessableEntity("timeout_flow_id: no such flow")
        if flow["published_version"] is None or flow["archived_at"] is not None:
            raise UnprocessableEntity(
                f"timeout_flow_id: flow {flow['name']!r} is not published (publish it first)"
            )


@routes.get("/api/v1/queues", summary="The tenant's queues", response=QueueList)
async def list_queues(request: web.Request) -> QueueList:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        found = await queues_db.list_queues(conn)
    now = datetime.now(UTC)
    return QueueList(items=[queue_out(r, now=now) for r in found])


@routes.post(
    "/api/v1/queues",
    summary="Create a queue",
    body=QueueSettings,
    response=QueueOut,
    status=201,
    role=Role.ADMIN,
    errors=(409, 422),
)
async def create_queue(request: web.Request, body: QueueSettings) -> QueueOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await _check_targets(conn, body, None)
        queue_id = await queues_db.insert_queue(conn, settings_values(body))
        if queue_id is None:
            raise Conflict(f"a queue named {body.name!r} already exists")
        row = await queues_db.get_queue(conn, queue_id)
    assert row is not None
    await request.app[EVENT_BUS].publish(caller.tenant_id, _changed(row))
    return queue_out(row, now=datetime.now(UTC))


def _changed(row: asyncpg.Record, *, removed: bool = False) -> QueueChanged:
    """What the admins' pages are told after the commit (they read the queues again)."""
    return QueueChanged(queue_id=row["id"], name=row["name"], removed=removed)


# Registered before "/{id}" so "dashboard" is never read as an id.
@routes.get(
    "/api/v1/queues/dashboard",
    summary="Live monitor: every queue's load, agents' load, the latest transitions",
    response=Dashboard,
    role=Role.AGENT,
)
async def dashboard(request: web.Request) -> Dashboard:
    caller = identity(request)
    now = datetime.now(UTC)
    since = now.replace(hour=0, minute=0, second=0, microsecond=0)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        queues = await queues_db.dashboard(conn, now, since)
        await agents_db.ensure_all(conn)
        agents = await agents_db.list_agents(conn)
        recent = await queues_db.recent_history(conn, 50)
    return Dashboard(
        queues=[
            rows.of(
                QueueSummary,
                q,
                queue_id=q["id"],
                oldest_wait_seconds=optional_float(q["oldest_wait_seconds"]),
                open_now=queue_open(q, now),
                avg_wait_seconds_today=optional_float(q["avg_wait_seconds_today"]),
            )
            for q in queues
        ],
        agents=[rows.of(AgentLoad, a, agent_id=a["id"], active=a["active_count"]) for a in agents],
        recent=recent,
    )


@routes.get("/api/v1/queues/{id}", summary="One queue", response=QueueOut, errors=(404,))
async def get_queue(request: web.Request) -> QueueOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await queues_db.get_queue(conn, path_uuid(request))
    if row is None:
        raise NotFound(_NOT_FOUND)
    return queue_out(row, now=datetime.now(UTC))


@routes.put(
    "/api/v1/queues/{id}",
    summary="Change a queue's settings (the whole settings object)",
    body=QueueSettings,
    response=QueueOut,
    role=Role.ADMIN,
    errors=(404, 409, 422),
)
async def update_queue(request: web.Request, body: QueueSettings) -> QueueOut:
    caller = identity(request)
    queue_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        if await queues_db.get_queue(conn, queue_id) is None:
            raise NotFound(_NOT_FOUND)
        await _check_targets(conn, body, queue_id)
        if await queues_db.name_taken(conn, body.name, queue_id):
            raise Conflict(f"a queue named {body.name!r} already exists")
        await queues_db.update_queue(conn, queue_id, settings_values(body))
        row = await queues_db.get_queue(conn, queue_id)
    assert row is not None
    # New hours or skills may make waiting items assignable.
    request.app[QUEUES].wake(caller.tenant_id, [queue_id])
    await request.app[EVENT_BUS].publish(caller.tenant_id, _changed(row))
    return queue_out(row, now=datetime.now(UTC))


@routes.delete(
    "/api/v1/queues/{id}",
    summary=(
        "Remove a queue that never held a conversation and that no queue or flow sends "
        "conversations to (409 says which; deactivate it otherwise)"
    ),
    status=204,
    role=Role.ADMIN,
    errors=(404, 409),
)
async def delete_queue(request: web.Request) -> None:
    caller = identity(request)
    queue_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await queues_db.get_queue(conn, queue_id)
        if row is None:
            raise NotFound(_NOT_FOUND)
        await remove_queue(conn, row)
        await audit_in(
            request,
            conn,
            "queue.delete",
            target_type="queue",
            target_id=queue_id,
            diff=difference({"name": row["name"], "active": row["active"]}, None),
        )
    await request.app[EVENT_BUS].publish(caller.tenant_id, _changed(row, removed=True))


@routes.get(
    "/api/v1/queues/{id}/items",
    summary="A queue's items: waiting ones in serving order with their positions",
    query=ItemQuery,
    response=QueueItemList,
    errors=(404,),
)
async def list_items(request: web.Request, query: ItemQuery) -> QueueItemList:
    caller = identity(request)
    queue_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        if await queues_db.get_queue(conn, queue_id) is None:
            raise NotFound(_NOT_FOUND)
        found = await items_db.list_items(conn, queue_id, _STATUSES.get(query.status), query.limit)
        extras = await items_db.item_extras(conn, [r["id"] for r in found])
    now = datetime.now(UTC)
    items = []
    position = 0
    for row in found:
        if row["status"] == "waiting":
            position += 1
        items.append(item_out(row, now=now, position=position, extras=extras.get(row["id"])))
    return QueueItemList(items=items)


@routes.patch(
    "/api/v1/queues/{id}/items/{item_id}",
    summary="Change a waiting item's priority (its place in the line follows)",
    body=PriorityUpdate,
    response=QueueItemOut,
    role=Role.SUPERVISOR,
    errors=(404, 409),
)
async def change_priority(request: web.Request, body: PriorityUpdate) -> QueueItemOut:
    caller = identity(request)
    queue_id = path_uuid(request)
    item_id = path_uuid(request, "item_id")
    now = datetime.now(UTC)
    effects = Effects()
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        previous = await moves.change_priority(
            conn, queue_id, item_id, body.priority, now=now, effects=effects
        )
        if previous is not None:
            await audit_in(
                request,
                conn,
                "queue.item.priority",
                target_type="queue_item",
                target_id=item_id,
                diff=difference({"priority": previous}, {"priority": int(body.priority)}),
            )
        (row,) = await items_db.get_items(conn, [item_id])
        position = await items_db.position_of(conn, item_id)
    await request.app[QUEUES].after_commit(caller.tenant_id, effects)
    return item_out(row, now=now, position=position)


@routes.post(
    "/api/v1/queues/{id}/assign",
    summary=(
        "Distribute now ({}), assign or reassign an item to an agent (item_id + agent_id), "
        "or transfer it to another queue (item_id + to_queue_id)"
    ),
    body=AssignRequest,
    response=AssignResult,
    role=Role.SUPERVISOR,
    errors=(404, 409),
)
async def assign(request: web.Request, body: AssignRequest) -> AssignResult:
    caller = identity(request)
    queue_id = path_uuid(request)
    runtime = request.app[QUEUES]
    now = datetime.now(UTC)
    effects = Effects()
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        if await queues_db.get_queue(conn, queue_id) is None:
            raise NotFound(_NOT_FOUND)
    if body.item_id is None:
        before = await _assigned_ids(request, caller.tenant_id, queue_id)
        await runtime.distribute_queue(caller.tenant_id, queue_id)
        async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
            found = await items_db.list_items(conn, queue_id, ["assigned"], 500)
        return AssignResult(items=[item_out(r, now=now) for r in found if r["id"] not in before])
    try:
        async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
            if body.agent_id is not None:
                item_id = await moves.assign_manually(
                    conn,
                    queue_id,
                    body.item_id,
                    body.agent_id,
                    actor_id=caller.user_id,
                    now=now,
                    effects=effects,
                    override_capacity=body.override_capacity,
                )
            else:
                assert body.to_queue_id is not None
                item_id = await moves.transfer(
                    conn,
                    queue_id,
                    body.item_id,
                    body.to_queue_id,
                    actor_id=caller.user_id,
                    now=now,
                    effects=effects,
                )
            found = await items_db.get_items(conn, [item_id])
    except asyncpg.CheckViolationError:
        raise Conflict("the agent is at capacity") from None
    await runtime.after_commit(caller.tenant_id, effects)
    return AssignResult(items=[item_out(r, now=now) for r in found])


async def _assigned_ids(
    request: web.Request, tenant_id: uuid.UUID, queue_id: uuid.UUID
) -> set[uuid.UUID]:
    async with tenant_transaction(request.app[DB_POOL], tenant_id) as conn:
        found = await items_db.list_items(conn, queue_id, ["assigned"], 500)
    return {r["id"] for r in found}
