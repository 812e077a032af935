"""The rules of endpoints and deliveries, shared by the API (routes.py) and the CLI.

A secret is generated here, encrypted by the secret box, and returned once; nothing reads it
back except the delivery loop. An endpoint whose URL names a private or local address literally
is refused at registration (the same policy as the flows' HTTP node); a name that resolves to
one is refused at delivery time by the guarded resolver.
"""

from __future__ import annotations

import ipaddress
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict, NotFound, UnprocessableEntity
from pytake_daemon.flows.http_call import AddressRefused, HttpPolicy
from pytake_daemon.outbound_webhooks import db
from pytake_daemon.outbound_webhooks.signing import new_secret
from pytake_daemon.protocol import ProblemField
from pytake_daemon.protocol.outbound_webhooks import (
    DeliveryList,
    DeliveryOut,
    DeliveryQuery,
    DeliveryState,
    EndpointCreate,
    EndpointCreated,
    EndpointOut,
    EndpointUpdate,
    WebhookEventType,
)
from pytake_daemon.whatsapp.secretbox import SecretBox

DISABLED_BY_ADMIN = "disabled by an admin"
# The same sentence whatever the id: another tenant's id must look like one nobody has.
NO_ENDPOINT = "no such webhook endpoint"
NO_DELIVERY = "no such webhook delivery"


def delivery_out(row: asyncpg.Record) -> DeliveryOut:
    pending = row["state"] == DeliveryState.PENDING
    return rows.of(DeliveryOut, row, next_attempt_at=row["next_attempt_at"] if pending else None)


def check_url(policy: HttpPolicy, url: str) -> None:
    """422 naming ``url`` when it points at a private or local IP literal not allowed."""
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return  # a name: checked on every connection by the guarded resolver
    try:
        policy.check(host, host)
    except AddressRefused as exc:
        raise UnprocessableEntity(
            "1 invalid field(s)",
            errors=[ProblemField(loc="body.url", msg=_refusal(str(exc)), type="value_error")],
        ) from None


def _refusal(message: str) -> str:
    return message.replace("flows.http_allowed", "outbound_webhooks.http_allowed")


def _dedupe(types: list[WebhookEventType]) -> list[str]:
    return sorted({t.value for t in types})


async def _get(conn: Connection, endpoint_id: uuid.UUID) -> EndpointOut:
    endpoint = await db.get_endpoint(conn, endpoint_id)
    if endpoint is None:
        raise NotFound(NO_ENDPOINT)
    return endpoint


async def get(conn: Connection, endpoint_id: uuid.UUID) -> EndpointOut:
    return await _get(conn, endpoint_id)


async def list_endpoints(conn: Connection) -> list[EndpointOut]:
    return await db.list_endpoints(conn)


async def create(
    conn: Connection,
    box: SecretBox,
    policy: HttpPolicy,
    body: EndpointCreate,
    *,
    by_user: uuid.UUID | None,
    now: datetime,
) -> EndpointCreated:
    """Register an endpoint; its secret is in the answer, this once."""
    check_url(policy, body.url)
    secret = new_secret()
    endpoint = await db.insert_endpoint(
        conn,
        url=body.url,
        description=body.description,
        event_types=_dedupe(body.event_types),
        secret_enc=box.encrypt(secret),
        created_by=by_user,
        now=now,
    )
    return EndpointCreated(endpoint=endpoint, secret=secret)


async def update(
    conn: Connection, endpoint_id: uuid.UUID, body: EndpointUpdate, *, now: datetime
) -> EndpointOut:
    """Change types, description or enabled; disabling dead-letters what was pending."""
    found = await db.update_endpoint(
        conn,
        endpoint_id,
        event_types=None if body.event_types is None else _dedupe(body.event_types),
        description=body.description,
        enabled=body.enabled,
        disabled_reason=DISABLED_BY_ADMIN,
        now=now,
    )
    if not found:
        raise NotFound(NO_ENDPOINT)
    if body.enabled is False:
        await db.dead_letter_pending(conn, endpoint_id, now, DISABLED_BY_ADMIN)
    return await _get(conn, endpoint_id)


async def remove(conn: Connection, endpoint_id: uuid.UUID) -> str:
    """Delete an endpoint and its deliveries; its URL."""
    url = await db.delete_endpoint(conn, endpoint_id)
    if url is None:
        raise NotFound(NO_ENDPOINT)
    return url


async def rotate(
    conn: Connection,
    box: SecretBox,
    endpoint_id: uuid.UUID,
    *,
    overlap_hours: float,
    now: datetime,
) -> EndpointCreated:
    """A new secret (shown once); the previous one stays valid ``overlap_hours`` (0: not)."""
    secret = new_secret()
    until = now + timedelta(hours=overlap_hours) if overlap_hours > 0 else None
    if not await db.rotate_secret(conn, endpoint_id, box.encrypt(secret), until, now):
        raise NotFound(NO_ENDPOINT)
    return EndpointCreated(endpoint=await _get(conn, endpoint_id), secret=secret)


async def deliveries(conn: Connection, query: DeliveryQuery) -> DeliveryList:
    if query.endpoint_id is not None:
        await _get(conn, query.endpoint_id)
    found = await db.list_deliveries(
        conn,
        endpoint_id=query.endpoint_id,
        state=None if query.state is None else query.state.value,
        limit=query.limit,
    )
    return DeliveryList(items=[delivery_out(r) for r in found])


async def replay(conn: Connection, delivery_id: uuid.UUID, *, now: datetime) -> DeliveryOut:
    """Queue a dead letter again, as a new delivery of the same event and bytes."""
    row = await db.get_delivery(conn, delivery_id)
    if row is None:
        raise NotFound(NO_DELIVERY)
    if row["state"] != DeliveryState.DEAD:
        raise Conflict(f"delivery {delivery_id} is {row['state']}: only dead letters are replayed")
    endpoint = await _get(conn, row["endpoint_id"])
    if not endpoint.enabled:
        raise Conflict(
            f"endpoint {endpoint.url} is disabled ({endpoint.disabled_reason}): enable it first"
        )
    return delivery_out(await db.replay(conn, delivery_id, now))
