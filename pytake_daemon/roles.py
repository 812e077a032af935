"""Process roles (``server.role``): which loops this process runs, the way a Rails app runs Puma
and Sidekiq side by side.

- ``all`` (the default): everything in one process, as before roles existed.
- ``web``: the REST API, the WebSocket, the webhook acknowledgements (the webhook writer and
  its group commit), and what must run where an event is committed or a console is connected:
  the event publisher and subscriber, the notifications' fan-out and the outbound webhooks'
  collector (both listen to this process's committed events), the presence refresher (this
  process's consoles), the maintenance watch and the event-loop and system probes.
- ``jobs``: everything that claims work or talks to the outside: the job claimers (ingest
  fan-out with its flow step, flows' timers and starts, template sync, the AI's analysis and
  its model process), the outbox sender and its acceptance writer, the queue distributors and
  sweep, the mailers, the outbound webhooks' delivery, the roll-ups, scoring and the backup
  schedule. Its port serves /healthz, /readyz and /metrics only (a supervisor's probes), no
  API, WebSocket or webhook.

Why: the daemon is one Python process, so one core, and an acknowledgement's own CPU (≈ 0.4 ms)
shared the event loop with its follow-up work (≈ 0.5 ms more). Split, the acknowledgements have
a core of their own and a ``jobs`` process at a lower priority (``server.nice``) takes what CPU
they leave. Both kinds of processes coordinate as replicas always have (PostgreSQL claims under
SKIP LOCKED, Redis for events); a ``web`` process forwards its wake-ups to the ``jobs`` process
through :mod:`pytake_daemon.wakeups` instead of waking loops it doesn't run.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from redis.asyncio import Redis

from pytake_daemon.keys import ENDPOINTS, LOOPS, REDIS, SETTINGS, WAKEUPS
from pytake_daemon.wakeups import Wakeups


def role(app: web.Application) -> str:
    return app[SETTINGS].server.role


def serves_api(app: web.Application) -> bool:
    """The REST API, WebSocket and webhooks are served here (``all`` and ``web``)."""
    return role(app) != "jobs"


def runs_jobs(app: web.Application) -> bool:
    """The claimers, senders, sweepers and schedulers run here (``all`` and ``jobs``)."""
    return role(app) != "web"


def bell(app: web.Application, name: str) -> Callable[[], None] | None:
    """In a ``web`` process, the wake-up that rings ``name`` in the ``jobs`` process (to pass
    as an object's ``forward``); ``None`` where the loop runs in this process."""
    wakeups = app.get(WAKEUPS)
    return wakeups.bell(name) if wakeups is not None and not runs_jobs(app) else None


def job_bell(app: web.Application) -> Callable[[str], None] | None:
    """:func:`bell` for a job runner's kinds (``job:<kind>``)."""
    wakeups = app.get(WAKEUPS)
    if wakeups is None or runs_jobs(app):
        return None
    return lambda kind: wakeups.ring("job", kind)


def queue_bell(app: web.Application) -> Callable[[uuid.UUID, list[uuid.UUID] | None], None] | None:
    """:func:`bell` for the queue distributors' hints (``queue:<tenant>[:<queue>]``)."""
    wakeups = app.get(WAKEUPS)
    if wakeups is None or runs_jobs(app):
        return None

    def ring(tenant_id: uuid.UUID, queue_ids: list[uuid.UUID] | None) -> None:
        if queue_ids is None:
            wakeups.ring("queue", str(tenant_id))
        for queue_id in queue_ids or ():
            wakeups.ring("queue", f"{tenant_id}:{queue_id}")

    return ring


def on_bell(app: web.Application, name: str, handler: Callable[[str], None]) -> None:
    """In a ``jobs`` process, call ``handler`` when a ``web`` process rings ``name``."""
    wakeups = app.get(WAKEUPS)
    if wakeups is not None and runs_jobs(app):
        wakeups.on(name, handler)


async def wakeups_ctx(app: web.Application) -> AsyncIterator[None]:
    """The wake-ups' publisher (``web``) or subscriber (``jobs``); nothing for ``all``."""
    if role(app) == "all":
        yield
        return
    url = app[ENDPOINTS].redis_url.get_secret_value()
    prefix = app[SETTINGS].redis.key_prefix
    subscriber: Redis | None = None
    if runs_jobs(app):
        keepalive = {} if url.startswith("unix:") else {"socket_keepalive": True}
        subscriber = Redis.from_url(url, socket_timeout=None, socket_connect_timeout=2, **keepalive)
    wakeups = Wakeups(app[REDIS], channel=f"{prefix}wakeups", subscriber=subscriber)
    app[WAKEUPS] = wakeups
    loops = app[LOOPS]
    if subscriber is not None:
        # Supervised: after a Redis error it subscribes again after a backoff (the claimers'
        # polls cover the gap). No deadline: an idle subscriber blocks on its read.
        name = "wakeup-subscriber"
        task = loops.start(name, wakeups.run_subscriber, deadline=None, repeat=False)
    else:
        name = "wakeup-publisher"
        task = loops.start(name, wakeups.run_publisher, deadline=None, repeat=False)
    yield
    await wakeups.stop(task)
    loops.forget(name)
    if subscriber is not None:
        await subscriber.aclose()
