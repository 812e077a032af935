"""``/api/v1/webhooks``: admins register endpoints of other systems, rotate their secrets, read
the deliveries and replay dead letters. Every change is audited in its own transaction; the
secret is in the answer of a creation or a rotation only, never again (nor in the audit log).
"""

from __future__ import annotations

import uuid

from aiohttp import web

from pytake_daemon.audit.http import audit_in
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL, EVENT_BUS, SECRET_BOX
from pytake_daemon.outbound_webhooks import service
from pytake_daemon.outbound_webhooks.context import OUTBOUND_WEBHOOKS
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.outbound_webhooks import (
    DeliveryList,
    DeliveryOut,
    DeliveryQuery,
    EndpointCreate,
    EndpointCreated,
    EndpointList,
    EndpointOut,
    EndpointUpdate,
    SecretRotate,
    WebhookEndpointChanged,
)

routes = RouteTable(tag="webhooks")

_ENDPOINTS = "/api/v1/webhooks/endpoints"


async def _announce(request: web.Request, endpoint_id: uuid.UUID, *, removed: bool = False) -> None:
    """After the commit: the admins' Outbound webhooks pages read the endpoints again."""
    event = WebhookEndpointChanged(endpoint_id=endpoint_id, removed=removed)
    await request.app[EVENT_BUS].publish(identity(request).tenant_id, event)


@routes.get(
    _ENDPOINTS,
    summary="The tenant's outbound webhook endpoints, with pending and dead-letter counts",
    response=EndpointList,
    role=Role.ADMIN,
    errors=(403,),
)
async def list_endpoints(request: web.Request) -> EndpointList:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return EndpointList(items=await service.list_endpoints(conn))


@routes.post(
    _ENDPOINTS,
    summary="Register an endpoint and the event types it wants; its signing secret is in the "
    "answer, this once",
    body=EndpointCreate,
    response=EndpointCreated,
    status=201,
    role=Role.ADMIN,
    errors=(403, 422),
)
async def create_endpoint(request: web.Request, body: EndpointCreate) -> EndpointCreated:
    caller = identity(request)
    hooks = request.app[OUTBOUND_WEBHOOKS]
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        created = await service.create(
            conn,
            request.app[SECRET_BOX],
            hooks.policy,
            body,
            by_user=caller.user_id,
            now=hooks.now(),
        )
        await audit_in(
            request,
            conn,
            "webhook_endpoint.create",
            target_type="webhook_endpoint",
            target_id=created.endpoint.id,
            diff={"url": created.endpoint.url, "event_types": body.event_types},
        )
    hooks.changed()
    await _announce(request, created.endpoint.id)
    return created


@routes.get(
    f"{_ENDPOINTS}/{{id}}",
    summary="One endpoint",
    response=EndpointOut,
    role=Role.ADMIN,
    errors=(403, 404),
)
async def get_endpoint(request: web.Request) -> EndpointOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return await service.get(conn, path_uuid(request))


@routes.patch(
    f"{_ENDPOINTS}/{{id}}",
    summary="Change an endpoint's event types or description, disable or enable it (disabling "
    "turns its waiting deliveries into dead letters)",
    body=EndpointUpdate,
    response=EndpointOut,
    role=Role.ADMIN,
    errors=(403, 404, 422),
)
async def update_endpoint(request: web.Request, body: EndpointUpdate) -> EndpointOut:
    caller = identity(request)
    hooks = request.app[OUTBOUND_WEBHOOKS]
    endpoint_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        updated = await service.update(conn, endpoint_id, body, now=hooks.now())
        await audit_in(
            request,
            conn,
            "webhook_endpoint.update",
            target_type="webhook_endpoint",
            target_id=endpoint_id,
            diff=body.model_dump(mode="json", exclude_none=True),
        )
    hooks.changed()
    await _announce(request, endpoint_id)
    return updated


@routes.delete(
    f"{_ENDPOINTS}/{{id}}",
    summary="Remove an endpoint and its deliveries",
    role=Role.ADMIN,
    errors=(403, 404),
)
async def remove_endpoint(request: web.Request) -> None:
    caller = identity(request)
    endpoint_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        url = await service.remove(conn, endpoint_id)
        await audit_in(
            request,
            conn,
            "webhook_endpoint.remove",
            target_type="webhook_endpoint",
            target_id=endpoint_id,
            diff={"url": url},
        )
    request.app[OUTBOUND_WEBHOOKS].changed()
    await _announce(request, endpoint_id, removed=True)


@routes.post(
    f"{_ENDPOINTS}/{{id}}/rotate-secret",
    summary="A new signing secret (in the answer, this once); the previous one stays valid "
    "for the overlap, both signatures sent meanwhile",
    body=SecretRotate,
    response=EndpointCreated,
    role=Role.ADMIN,
    errors=(403, 404, 422),
)
async def rotate_secret(request: web.Request, body: SecretRotate) -> EndpointCreated:
    caller = identity(request)
    hooks = request.app[OUTBOUND_WEBHOOKS]
    endpoint_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        rotated = await service.rotate(
            conn,
            request.app[SECRET_BOX],
            endpoint_id,
            overlap_hours=body.overlap_hours,
            now=hooks.now(),
        )
        await audit_in(
            request,
            conn,
            "webhook_endpoint.rotate_secret",
            target_type="webhook_endpoint",
            target_id=endpoint_id,
            diff={"overlap_hours": body.overlap_hours},
        )
    await _announce(request, endpoint_id)
    return rotated


@routes.get(
    "/api/v1/webhooks/deliveries",
    summary="Deliveries, newest first: of one endpoint, or the dead letters, or all",
    query=DeliveryQuery,
    response=DeliveryList,
    role=Role.ADMIN,
    errors=(403, 404, 422),
)
async def list_deliveries(request: web.Request, query: DeliveryQuery) -> DeliveryList:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return await service.deliveries(conn, query)


@routes.post(
    "/api/v1/webhooks/deliveries/{id}/replay",
    summary="Send a dead letter again: a new delivery of the same event and bytes",
    response=DeliveryOut,
    status=201,
    role=Role.ADMIN,
    errors=(403, 404, 409),
)
async def replay_delivery(request: web.Request) -> DeliveryOut:
    caller = identity(request)
    hooks = request.app[OUTBOUND_WEBHOOKS]
    delivery_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        replayed = await service.replay(conn, delivery_id, now=hooks.now())
        await audit_in(
            request,
            conn,
            "webhook_delivery.replay",
            target_type="webhook_delivery",
            target_id=delivery_id,
            diff={"replay": str(replayed.id)},
        )
    hooks.runner.wake()
    await _announce(request, replayed.endpoint_id)  # its dead and waiting counts moved
    return replayed
