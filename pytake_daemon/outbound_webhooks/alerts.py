"""Telling admins that an endpoint was disabled (a 410), through the notification center's
system path: a notification per admin and owner, as for a number's quality drop; and the
consoles, by a ``webhook_endpoint_changed`` event."""

from __future__ import annotations

import uuid

from pytake_daemon.db.pool import Pool, tenant_transaction
from pytake_daemon.notifications import audience
from pytake_daemon.notifications.fanout import notify
from pytake_daemon.notifications.intent import Intent
from pytake_daemon.protocol.notifications import NotificationCategory as Cat
from pytake_daemon.protocol.notifications import NotificationSeverity as Sev
from pytake_daemon.protocol.outbound_webhooks import WebhookEndpointChanged
from pytake_daemon.realtime.bus import EventBus


async def endpoint_gone(
    pool: Pool, bus: EventBus, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, url: str
) -> None:
    async with tenant_transaction(pool, tenant_id) as conn:
        admins = (await audience.load(conn, ())).admins()
    title = f"Webhook endpoint disabled: {url}"[:200]
    body = (
        "It answered 410 Gone, so nothing more is sent to it; its waiting deliveries are dead "
        "letters. Enable it again (pytake webhooks enable, or the console's Webhooks screen) "
        "and replay them once the receiver is back."
    )
    intents = [
        Intent(admin.id, Cat.SYSTEM, Sev.WARNING, title, body, group_key=f"webhook:{endpoint_id}")
        for admin in admins
    ]
    await notify(pool, bus, tenant_id, intents)
    # Disabled by the delivery loop, not an admin: the Outbound webhooks pages show it at once.
    await bus.publish(tenant_id, WebhookEndpointChanged(endpoint_id=endpoint_id))
