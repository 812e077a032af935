"""The attendance domain's resources for the app's ``cleanup_ctx``: presence, the runtime
(distributors, sweep, hourly aggregation) and the satisfaction answers' ingest hook."""

from __future__ import annotations

import uuid
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
from pytake_daemon.roles import on_bell, queue_bell, runs_jobs, serves_api


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
        forward=queue_bell(app),
    )
    app[QUEUES] = runtime
    app[INGEST_FANOUT].add_inbound_hook(runtime.on_inbound)
    on_bell(app, "queue", lambda hint: _wake(runtime, hint))
    runtime.start(app[LOOPS], distribute=runs_jobs(app), consoles=serves_api(app))
    yield
    await runtime.stop()


def _wake(runtime: QueueRuntime, hint: str) -> None:
    """A web process's hint (``tenant`` or ``tenant:queue``, roles.py); none: the sweep's."""
    tenant, _, queue = hint.partition(":")
    if tenant:
        runtime.wake(uuid.UUID(tenant), [uuid.UUID(queue)] if queue else None)
