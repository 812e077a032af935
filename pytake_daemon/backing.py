"""The app's backing services for its ``cleanup_ctx``: the PostgreSQL pool, Redis (with the
login throttle on it) and the event bus with its publisher and subscriber loops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import structlog
from aiohttp import web
from redis.asyncio import Redis

from pytake_daemon.auth.ratelimit import LoginThrottle
from pytake_daemon.db.pool import create_pool
from pytake_daemon.keys import (
    CLAIMER,
    DB_POOL,
    ENDPOINTS,
    EVENT_BUS,
    HUB,
    LOGIN_THROTTLE,
    LOOPS,
    REDIS,
    SETTINGS,
)
from pytake_daemon.realtime.bus import CENSUS_DEADLINE, EventBus
from pytake_daemon.roles import serves_api

log = structlog.get_logger("pytake.app")


async def postgres_ctx(app: web.Application) -> AsyncIterator[None]:
    db = app[SETTINGS].database
    app[DB_POOL] = await create_pool(
        app[ENDPOINTS].app_dsn.get_secret_value(),
        min_size=db.pool_min_size,
        max_size=db.pool_max_size,
        command_timeout=db.command_timeout,
        statement_cache_size=db.statement_cache_size,
        application_name=app[CLAIMER].application_name,
    )
    yield
    pool = app[DB_POOL]
    try:
        # close() waits for every connection to come back; a task stuck holding one must not
        # keep the process from exiting.
        await asyncio.wait_for(pool.close(), timeout=app[SETTINGS].server.shutdown_timeout)
    except TimeoutError:
        log.warning("database connections still busy at shutdown; closing them")
        pool.terminate()


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    url = app[ENDPOINTS].redis_url.get_secret_value()
    redis = Redis.from_url(
        url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=10, **keepalive(url)
    )
    app[REDIS] = redis
    app[LOGIN_THROTTLE] = LoginThrottle(redis, settings.auth, prefix=settings.redis.key_prefix)
    yield
    await redis.aclose()


async def realtime_ctx(app: web.Application) -> AsyncIterator[None]:
    url = app[ENDPOINTS].redis_url.get_secret_value()
    subscriber = Redis.from_url(
        url, socket_timeout=None, socket_connect_timeout=2, **keepalive(url)
    )
    bus = EventBus(
        app[DB_POOL],
        app[REDIS],
        app[HUB],
        channel=f"{app[SETTINGS].redis.key_prefix}events",
        subscriber=subscriber,
    )
    app[EVENT_BUS] = bus
    tasks = [app[LOOPS].start("event-publisher", bus.run_publisher, deadline=None, repeat=False)]
    # Other processes' events are for this process's consoles: a jobs process has none, and
    # parsing every frame of the installation would only cost it CPU.
    if serves_api(app):
        # It resubscribes after Redis errors itself; the supervisor restarts it after anything
        # else. No deadline: an idle subscriber blocks on its read.
        tasks.append(
            app[LOOPS].start("event-subscriber", bus.run_subscriber, deadline=None, repeat=False)
        )
        # Who else listens (a process publishes only to others): a pass every few seconds.
        tasks.append(app[LOOPS].start("event-census", bus.run_census, deadline=CENSUS_DEADLINE))
        # Serve no client before the processes already listening publish to this one.
        await bus.settle_join()
    yield
    await bus.stop(*tasks)
    await subscriber.aclose()


def keepalive(url: str) -> dict[str, bool]:
    # Keepalive lets a blocked read notice a peer that vanished without a FIN; UNIX sockets
    # have no such failure (and redis-py refuses the option for them).
    return {} if url.startswith("unix:") else {"socket_keepalive": True}
