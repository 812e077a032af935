"""Committed events in, delivery rows out, off the message path.

``EventBus.deliver`` hands this process's committed events to :meth:`Collector.offer`, which
keeps those of tenants with a subscribed endpoint and returns: the ingest transaction, the
flows' and the webhook's answer gain nothing. A loop takes whatever gathered and, per tenant,
writes one delivery per (event, endpoint that wants it) in one statement, then wakes the
delivery loop.

Which tenants subscribe to what is kept in memory from ``webhook_subscriptions()``, refreshed
every few seconds and at once after a change made through this process: an endpoint added on
another replica starts getting events within ``REFRESH_SECONDS``. The insert itself joins the
enabled endpoints again, so a stale map never delivers to an endpoint that was disabled.

As with the notifications' fan-out (docs/notifications.md), events gathered and not yet
written are lost if the process dies in between (one pass, normally well under a second);
once written, a delivery is durable and retried for a day.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime

import orjson
import structlog

from pytake_daemon.db.pool import Pool, tenant_transaction
from pytake_daemon.outbound_webhooks import db
from pytake_daemon.outbound_webhooks.events import outgoing, relevant
from pytake_daemon.protocol import EventEnvelope
from pytake_daemon.protocol.outbound_webhooks import WebhookPayload

log = structlog.get_logger("pytake.outbound_webhooks")

Clock = Callable[[], datetime]

REFRESH_SECONDS = 5.0
# A batching window: a burst's events share a pass's statement per tenant.
GATHER_SECONDS = 0.1
# A database outage must not grow memory without bound (the sources keep the facts).
_MAX_WAITING = 100_000


class Collector:
    def __init__(self, pool: Pool, *, clock: Clock, on_queued: Callable[[], None]) -> None:
        self._pool = pool
        self.clock = clock
        self._on_queued = on_queued
        self._wanted: dict[uuid.UUID, set[str]] = {}
        self._refreshed_at: float | None = None
        self._waiting: list[EventEnvelope] = []
        self._ready = asyncio.Event()
        self.enabled = True
        self.idle = asyncio.Event()
        """Set while nothing gathered waits to be written (tests wait on it, never sleep)."""
        self.idle.set()

    def offer(self, envelopes: Sequence[EventEnvelope]) -> None:
        """The bus's listener: keep what a subscribed tenant may want; never waits."""
        if not self.enabled or not self._wanted:
            return
        kept = [e for e in envelopes if e.tenant_id in self._wanted and relevant(e)]
        if not kept:
            return
        self._waiting.extend(kept)
        self.idle.clear()
        if len(self._waiting) > _MAX_WAITING:
            dropped = len(self._waiting) - _MAX_WAITING
            del self._waiting[:dropped]
            log.warning("outbound webhooks behind: oldest events dropped", dropped=dropped)
        self._ready.set()

    def subscribed(self, tenant_id: uuid.UUID) -> bool:
        """Whether this process currently gathers ``tenant_id``'s events."""
        return tenant_id in self._wanted

    def changed(self) -> None:
        """An endpoint was added, changed or removed here: refresh the map now."""
        self._refreshed_at = None
        self._ready.set()

    async def refresh(self) -> None:
        async with self._pool.acquire() as conn:
            rows = await db.subscriptions(conn)
        wanted: dict[uuid.UUID, set[str]] = defaultdict(set)
        for row in rows:
            wanted[row["tenant_id"]].update(row["event_types"])
        self._wanted = dict(wanted)
        self._refreshed_at = asyncio.get_running_loop().time()

    async def run_pass(self) -> None:
        """Refresh the map when due, wait for events (a second at most), write what gathered."""
        loop = asyncio.get_running_loop()
        if self._refreshed_at is None or loop.time() - self._refreshed_at > REFRESH_SECONDS:
            await self.refresh()
        try:
            async with asyncio.timeout(1.0):
                await self._ready.wait()
        except TimeoutError:
            return
        self._ready.clear()
        if not self._waiting:
            return
        # A batching window, not synchronisation (see GATHER_SECONDS).
        await asyncio.sleep(GATHER_SECONDS)
        taken, self._waiting = self._waiting, []
        by_tenant: dict[uuid.UUID, list[EventEnvelope]] = defaultdict(list)
        for envelope in taken:
            by_tenant[envelope.tenant_id].append(envelope)
        queued = 0
        for tenant_id, envelopes in by_tenant.items():
            try:
                queued += await self.write(tenant_id, envelopes)
            except Exception:
                # One tenant's failure must not cost the others their deliveries.
                log.exception("webhook deliveries not queued", tenant_id=str(tenant_id))
        if queued:
            self._on_queued()
        if not self._waiting:
            self.idle.set()

    async def write(self, tenant_id: uuid.UUID, envelopes: Sequence[EventEnvelope]) -> int:
        """Queue one tenant's deliveries for ``envelopes``; how many rows were written."""
        wanted = self._wanted.get(tenant_id, set())
        items = [
            (envelope, item)
            for envelope in envelopes
            for item in outgoing(envelope)
            if item.type.value in wanted
        ]
        if not items:
            return 0
        async with tenant_transaction(self._pool, tenant_id) as conn:
            candidates = [
                (item.if_first[0], item.conversation_id, item.if_first[1])
                for _, item in items
                if item.if_first is not None and item.conversation_id is not None
            ]
            firsts = await db.first_messages(conn, candidates)
            events: list[tuple[uuid.UUID, str, uuid.UUID | None, str]] = []
            for envelope, item in items:
                if item.if_first is not None and item.if_first[0] not in firsts:
                    continue
                event_id = uuid.uuid4()
                payload = WebhookPayload(
                    id=event_id,
                    type=item.type,
                    created_at=envelope.at,
                    tenant_id=tenant_id,
                    data=item.data,
                )
                body = orjson.dumps(payload.model_dump(mode="json")).decode()
                events.append((event_id, item.type.value, item.conversation_id, body))
            return await db.insert_deliveries(conn, events, self.clock())
