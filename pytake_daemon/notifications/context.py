"""The notifications' resources for the app's ``cleanup_ctx``: the fan-out (a listener on the
event bus and its loop), the mailer and the retention sweep."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from aiohttp import web

from pytake_daemon.keys import DB_POOL, EVENT_BUS, LOOPS, REDIS, SECRET_BOX, SETTINGS
from pytake_daemon.notifications import retention, sla
from pytake_daemon.notifications.fanout import Fanout, notify, utc_now
from pytake_daemon.notifications.mailer import Mailer
from pytake_daemon.notifications.rules import Intent
from pytake_daemon.roles import bell, on_bell, runs_jobs


@dataclass
class Notifications:
    fanout: Fanout
    mailer: Mailer


# Owned here, not in keys.py: nothing below the notifications may know them (import-linter).
NOTIFICATIONS = web.AppKey("notifications", Notifications)


async def notifications_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS].notifications
    pool, bus, loops = app[DB_POOL], app[EVENT_BUS], app[LOOPS]

    async def tell(tenant_id: uuid.UUID, intents: Sequence[Intent]) -> int:
        return await notify(pool, bus, tenant_id, intents)

    mailer = Mailer(pool, app[SECRET_BOX], settings, clock=utc_now, notify=tell)
    # In a web process (server.role) the mailer runs in the jobs process: its wake-up goes there.
    fanout = Fanout(pool, bus, on_email=bell(app, "notification-mailer") or mailer.wake)
    on_bell(app, "notification-mailer", lambda _: mailer.wake())
    app[NOTIFICATIONS] = Notifications(fanout, mailer)
    fanout.enabled = settings.fanout
    bus.on_delivered(fanout.offer)

    async def sweep() -> None:
        # A timer between passes, not synchronisation: the sweep has nothing to wait on.
        await asyncio.sleep(settings.retention_sweep_seconds)
        await retention.prune(pool, utc_now())

    prefix = app[SETTINGS].redis.key_prefix

    async def sla_pass() -> None:
        # Until the next slot's end (a timer, not synchronisation), then the slot before it.
        now = utc_now()
        await asyncio.sleep((sla.slot_end(now) + sla.SLOT - now).total_seconds() + 0.5)
        if settings.fanout:
            await sla.sweep(pool, bus, app[REDIS], prefix=prefix, now=utc_now())

    tasks = [
        # A pass waits a second at most for events, then writes what gathered. In every role:
        # it listens to this process's committed events.
        loops.start("notification-fanout", fanout.run_pass, deadline=30.0),
    ]
    if runs_jobs(app):
        tasks += [
            # A pass may spend minutes retrying a server that is away: alive is what counts.
            loops.start("notification-mailer", mailer.run_pass, deadline=None),
            loops.start("notification-sla", sla_pass, deadline=sla.SLOT.total_seconds() * 3),
            loops.start(
                "notification-retention",
                sweep,
                deadline=settings.retention_sweep_seconds * 2 + 60,
            ),
        ]
    yield
    fanout.enabled = False
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
