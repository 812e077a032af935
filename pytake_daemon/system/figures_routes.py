"""``GET /api/v1/system/figures``: the console's System screen polls it (admins only).

The daemon's own figures come from the registry ``GET /metrics`` renders (refreshed the same
way, so the two never disagree); the host, PostgreSQL and Redis are read here. PostgreSQL and
Redis each have a deadline: one that doesn't answer gets its one-sentence error in the reading,
and the rest is still answered (the screen is most useful exactly when something is down).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiohttp import web

from pytake_daemon.health.metrics import METRICS, METRICS_REGISTRY
from pytake_daemon.http.api import RouteTable
from pytake_daemon.keys import DB_POOL, REDIS, SETTINGS
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.system_figures import PostgresFigures, RedisFigures, SystemFigures
from pytake_daemon.system.figures import (
    CpuMeter,
    daemon_figures,
    host_figures,
    postgres_figures,
    redis_figures,
    registry_samples,
)

routes = RouteTable(tag="system")

# The registry's own refresh waits up to 5 s (health/metrics.py); both run alongside it, so a
# reading answers within about 5 s, under the console's 10 s HTTP timeout.
READ_TIMEOUT = 3.0
# psutil's CPU percentage is measured between two calls in the process: one meter per process.
_CPU = CpuMeter()


@routes.get(
    "/api/v1/system/figures",
    summary="One reading of the host (CPU, memory, disk), this daemon's figures, PostgreSQL and "
    "Redis, for the console's System screen",
    response=SystemFigures,
    role=Role.ADMIN,
)
async def system_figures(request: web.Request) -> SystemFigures:
    return await read_figures(request.app)


async def read_figures(app: web.Application) -> SystemFigures:
    """One reading (the screen's, and the alerts' in system/alerts.py)."""
    collector = app[METRICS]
    # At once: with a server down, each waits out its own deadline, not one after the other.
    _, (postgres, postgres_error), (redis, redis_error) = await asyncio.gather(
        collector.refresh(), _postgres(app), _redis(app)
    )
    samples = registry_samples(app[METRICS_REGISTRY])
    return SystemFigures(
        read_at=datetime.now(UTC),
        host=host_figures(_CPU, str(app[SETTINGS].state_dir)),
        daemon=daemon_figures(samples, figures_read=collector.figures is not None),
        postgres=postgres,
        postgres_error=postgres_error,
        redis=redis,
        redis_error=redis_error,
    )


async def _postgres(app: web.Application) -> tuple[PostgresFigures | None, str | None]:
    try:
        async with asyncio.timeout(READ_TIMEOUT), app[DB_POOL].acquire() as conn:
            return await postgres_figures(conn), None
    except TimeoutError:
        return None, f"PostgreSQL did not answer within {READ_TIMEOUT:g} s"
    except Exception as exc:  # the reading still answers: this section says why it is empty
        return None, f"PostgreSQL: {exc or type(exc).__name__}"


async def _redis(app: web.Application) -> tuple[RedisFigures | None, str | None]:
    try:
        async with asyncio.timeout(READ_TIMEOUT):
            return await redis_figures(app[REDIS]), None
    except TimeoutError:
        return None, f"Redis did not answer within {READ_TIMEOUT:g} s"
    except Exception as exc:
        return None, f"Redis: {exc or type(exc).__name__}"
