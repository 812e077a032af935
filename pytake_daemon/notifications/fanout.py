"""The fan-out: committed events in, notifications out, off the message path.

``EventBus.deliver`` hands this process's committed events to :meth:`Fanout.offer`, which keeps
the few kinds a rule reads and returns: nothing is added to the ingest transaction or to the
webhook's answer. A loop takes whatever has gathered and, per tenant, writes the notifications
in one transaction that also numbers their events, then delivers them. Under a burst, one pass
covers many events (and a customer's messages in one conversation grow one unread row).

What this costs in durability, and why it is accepted (docs/notifications.md): events gathered
here and not yet written are lost if the process dies in between (at most one pass, normally
well under a second). The sources stay durable on their own: the conversation, its timeline
and notes, the AI alert, the audit log's security alert, the backup catalog. A job per event,
queued in each causing transaction, would add a write and a wake-up to every message.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import structlog

from pytake_daemon.db.pool import Pool, tenant_transaction
from pytake_daemon.notifications import audience, rules, service
from pytake_daemon.protocol import EventEnvelope
from pytake_daemon.realtime.bus import EventBus, number_events

log = structlog.get_logger("pytake.notifications")

Clock = Callable[[], datetime]

# How long a pass lets events gather after the first one: each pass's fixed cost (the audience,
# the preferences, the counts: about ten statements) is shared by everything that came in
# meanwhile, and a burst's messages of one conversation become one row update. bench/notify.py
# measured 15 % more CPU per message without it (a pass per few events at 500 messages/s).
GATHER_SECONDS = 0.25

# Beyond this many waiting events the oldest are dropped with a warning (a database outage
# must not grow memory without bound; the sources keep the facts).
_MAX_WAITING = 100_000


def utc_now() -> datetime:
    return datetime.now(UTC)


class Fanout:
    def __init__(
        self,
        pool: Pool,
        bus: EventBus,
        *,
        clock: Clock = utc_now,
        on_email: Callable[[], None] = lambda: None,
    ) -> None:
        self._pool = pool
        self._bus = bus
        self._clock = clock
        self.on_email = on_email
        """Wakes the mailer after a write (a test driving the mailer itself replaces it)."""
        self._waiting: list[EventEnvelope] = []
        self._ready = asyncio.Event()
        self.enabled = True
        """Off: nothing is gathered (the benchmark's baseline)."""
        self.idle = asyncio.Event()
        """Set while nothing gathered waits to be written (tests wait on it, never sleep)."""
        self.idle.set()

    def offer(self, envelopes: Sequence[EventEnvelope]) -> None:
        """The bus's listener: keep what a rule reads; never waits."""
        if not self.enabled:
            return
        kept = [e for e in envelopes if rules.relevant(e)]
        if not kept:
            return
        self._waiting.extend(kept)
        self.idle.clear()
        if len(self._waiting) > _MAX_WAITING:
            dropped = len(self._waiting) - _MAX_WAITING
            del self._waiting[:dropped]
            log.warning("notification fan-out behind: oldest events dropped", dropped=dropped)
        self._ready.set()

    async def run_pass(self) -> None:
        """Wait for events (a second at most, for the heartbeat), then fan out all gathered."""
        try:
            async with asyncio.timeout(1.0):
                await self._ready.wait()
        except TimeoutError:
            return
        # A batching window, not synchronisation (see GATHER_SECONDS).
        await asyncio.sleep(GATHER_SECONDS)
        self._ready.clear()
        taken, self._waiting = self._waiting, []
        by_tenant: dict[uuid.UUID, list[EventEnvelope]] = defaultdict(list)
        for envelope in taken:
            by_tenant[envelope.tenant_id].append(envelope)
        for tenant_id, envelopes in by_tenant.items():
            try:
                await self.fan_out(tenant_id, envelopes)
            except Exception:
                # One tenant's failure (a bad row, a constraint) must not silence the others.
                log.exception("notifications not written", tenant_id=str(tenant_id))
        if not self._waiting:
            self.idle.set()

    async def fan_out(self, tenant_id: uuid.UUID, envelopes: Sequence[EventEnvelope]) -> int:
        """Write one tenant's notifications for ``envelopes``; how many rows were written."""
        async with tenant_transaction(self._pool, tenant_id) as conn:
            who = await audience.load(conn, rules.conversations_named(envelopes))
            events = await service.write(conn, list(rules.intents(envelopes, who)), self._clock())
            numbered = await number_events(conn, tenant_id, events)
        await self._bus.deliver(numbered)
        if events:  # some may wait for an e-mail
            self.on_email()
        return len(events)


async def notify(
    pool: Pool, bus: EventBus, tenant_id: uuid.UUID, intents: Sequence[rules.Intent]
) -> int:
    """Write notifications from anywhere (a system notice), in a transaction of their own."""
    async with tenant_transaction(pool, tenant_id) as conn:
        events = await service.write(conn, intents, utc_now())
        numbered = await number_events(conn, tenant_id, events)
    await bus.deliver(numbered)
    return len(events)
