"""The attendance domain's resources for the app's ``cleanup_ctx``: presence, the runtime
(distributors, sweep, hourly aggregation) and the satisfaction answers' ingest hook."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from pytake_daemon.attendance.presence import Presence
from pytake_daemon.attendance.runtime import QueueRuntime
from pytake_daemon.keys import (
    DB_POOL,
    EVENT_BUS,
    INGEST_FANOUT,
    LOOPS,
    QUEUES,
    REDIS,
    SENDER,
    SETTINGS,
)


async def queues_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    presence = Presence(
        app[REDIS],
        prefix=settings.redis.key_prefix,
        grace_seconds=settings.queues.presence_grace_seconds,
    )
    runtime = QueueRuntime(
        app[DB_POOL],
        app[EVENT_BUS],
        presence,
        settings.queues,
        wake_sender=app[SENDER].wake,
    )
    app[QUEUES] = runtime
    app[INGEST_FANOUT].add_inbound_hook(runtime.on_inbound)
    runtime.start(app[LOOPS])
    yield
    await runtime.stop()
