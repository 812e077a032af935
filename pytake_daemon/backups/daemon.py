"""The backups' part of the daemon: maintenance watch, scheduler, alerts (one cleanup_ctx)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from aiohttp import web

from pytake_daemon.backups.context import BackupContext
from pytake_daemon.backups.maintenance import DEADLINE_SECONDS, MaintenanceWatch
from pytake_daemon.backups.scheduler import BackupScheduler
from pytake_daemon.db.pool import connect
from pytake_daemon.errors import PyTakeError
from pytake_daemon.keys import BACKUPS, ENDPOINTS, EVENT_BUS, LOOPS, MAINTENANCE, REDIS, SETTINGS
from pytake_daemon.protocol.backups import BackupAlert
from pytake_daemon.roles import runs_jobs

log = structlog.get_logger("pytake.backups")

_TENANTS = "SELECT id FROM tenants"


async def backups_ctx(app: web.Application) -> AsyncIterator[None]:
    """Watch the maintenance flag; run the schedule when the owner role's DSN is known."""
    settings = app[SETTINGS]
    watch = MaintenanceWatch(app[REDIS], settings.redis.key_prefix)
    app[MAINTENANCE] = watch
    with contextlib.suppress(Exception):
        await watch.poll()  # a daemon starting mid-restore must not answer even once
    # Supervised: it ignores Redis errors itself; anything else restarts it after a backoff.
    poller = app[LOOPS].start("maintenance-watch", watch.watch_pass, deadline=DEADLINE_SECONDS)
    scheduler: BackupScheduler | None = None
    try:
        ctx = BackupContext.build(settings, app[ENDPOINTS])
    except PyTakeError as exc:
        log.warning("scheduled backups disabled", reason=str(exc))
    else:
        app[BACKUPS] = ctx

    if BACKUPS in app and runs_jobs(app):  # a jobs process's schedule (roles.py)

        async def alert(event: BackupAlert) -> None:
            await broadcast_alert(app, event)

        scheduler = BackupScheduler(app[BACKUPS], alert)
        scheduler.start()
    yield
    if scheduler is not None:
        scheduler.shutdown()
    poller.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await poller


async def broadcast_alert(app: web.Application, event: BackupAlert) -> None:
    """Every tenant's clients get it: the installation's backups protect them all."""
    log.warning("backup alert", reason=event.reason, message=event.message)
    ctx = app.get(BACKUPS)
    if ctx is None:
        return
    conn = await connect(ctx.admin_dsn)
    try:
        tenants = [r["id"] for r in await conn.fetch(_TENANTS)]
    finally:
        await conn.close()
    for tenant_id in tenants:
        try:
            await app[EVENT_BUS].publish(tenant_id, event)
        except Exception:  # one tenant's failure must not silence the others
            log.exception("backup alert not delivered", tenant_id=str(tenant_id))
