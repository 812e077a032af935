"""The outbound webhooks' resources for the app's ``cleanup_ctx``: the collector (a listener on
the event bus and its loop) and the delivery loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from pytake_daemon.flows.http_call import HttpPolicy
from pytake_daemon.keys import DB_POOL, EVENT_BUS, LOOPS, SECRET_BOX, SETTINGS
from pytake_daemon.outbound_webhooks.alerts import endpoint_gone
from pytake_daemon.outbound_webhooks.collector import Collector
from pytake_daemon.outbound_webhooks.delivery import DeliveryRunner
from pytake_daemon.roles import bell, on_bell, runs_jobs


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class OutboundWebhooks:
    collector: Collector
    runner: DeliveryRunner
    policy: HttpPolicy

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        """One clock for both (tests pin it and move it past a retry's time)."""
        self.collector.clock = clock
        self.runner.clock = clock

    def now(self) -> datetime:
        return self.runner.clock()

    def changed(self) -> None:
        """An endpoint changed here: refresh the subscriptions and look for work now."""
        self.collector.changed()
        self.runner.wake()


# Owned here, not in keys.py: nothing below this domain may know it.
OUTBOUND_WEBHOOKS = web.AppKey("outbound_webhooks", OutboundWebhooks)


async def outbound_webhooks_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS].outbound_webhooks
    pool, bus, loops = app[DB_POOL], app[EVENT_BUS], app[LOOPS]

    async def gone(tenant_id: uuid.UUID, endpoint_id: uuid.UUID, url: str) -> None:
        await endpoint_gone(pool, bus, tenant_id, endpoint_id, url)

    policy = HttpPolicy(settings.http_allowed)
    runner = DeliveryRunner(
        pool,
        app[SECRET_BOX],
        settings,
        policy=policy,
        clock=utc_now,
        on_gone=gone,
        forward=bell(app, "webhook-delivery"),
    )
    on_bell(app, "webhook-delivery", lambda _: runner.wake())
    collector = Collector(pool, clock=utc_now, on_queued=runner.wake)
    collector.enabled = settings.enabled
    app[OUTBOUND_WEBHOOKS] = OutboundWebhooks(collector, runner, policy)
    bus.on_delivered(collector.offer)
    tasks = []
    if settings.enabled:
        tasks = [
            # A pass waits a second at most for events, then writes what gathered. In every
            # role: it listens to this process's committed events.
            loops.start("webhook-collector", collector.run_pass, deadline=30.0),
        ]
    if settings.enabled and runs_jobs(app):
        # A pass claims and waits a poll at most; tries run in tasks of their own.
        tasks.append(loops.start("webhook-delivery", runner.run_pass, deadline=30.0))
    yield
    collector.enabled = False
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for name in ("webhook-collector", "webhook-delivery"):
        loops.forget(name)
    await runner.close()
