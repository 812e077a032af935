"""``GET /healthz`` (the process answers) and ``GET /readyz`` (it can do useful work)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from aiohttp import web

from pytake_daemon import __version__
from pytake_daemon.backups.health import backup_health
from pytake_daemon.db import migrations
from pytake_daemon.health.secrets import secrets_problem
from pytake_daemon.http.api import RouteTable, json_response
from pytake_daemon.keys import DB_POOL, LOOPS, REDIS, SECRET_BOX, SETTINGS, WEBHOOK_ROUTING
from pytake_daemon.loops import Loops
from pytake_daemon.protocol import Health, Readiness
from pytake_daemon.protocol.health import LoopHealth

routes = RouteTable(tag="health")

_PROBE_TIMEOUT = 2.0


@routes.get("/healthz", summary="The process is alive", response=Health, role=None)
async def healthz(request: web.Request) -> Health:
    return Health(version=__version__)


@routes.get(
    "/readyz",
    summary="Database, Redis, schema, secrets key and background loops all usable (503 otherwise)",
    response=Readiness,
    role=None,
    also_ok=(503,),  # not ready: the same document, saying what isn't
)
async def readyz(request: web.Request) -> web.Response:
    expected = migrations.latest_version()
    schema_version: int | None = None
    missing: list[migrations.Migration] | None = None
    database = redis_ok = False
    backups = None
    with contextlib.suppress(Exception):
        async with asyncio.timeout(_PROBE_TIMEOUT), request.app[DB_POOL].acquire() as conn:
            schema_version = await migrations.current_version(conn)
            # Current means nothing known is unrecorded, not "max version matches": a file
            # numbered into a gap would otherwise pass as current.
            missing = await migrations.pending(conn)
            database = True
            backups = await backup_health(
                conn,
                datetime.now(UTC),
                grace_minutes=request.app[SETTINGS].backups.overdue_grace_minutes,
            )
    with contextlib.suppress(Exception):
        async with asyncio.timeout(_PROBE_TIMEOUT):
            redis_ok = bool(await request.app[REDIS].ping())
    current = schema_version == expected and missing == []
    loops = _loops(request.app.get(LOOPS))
    secrets = secrets_problem(request.app.get(WEBHOOK_ROUTING), request.app[SECRET_BOX])
    ready = (
        database
        and redis_ok
        and current
        and secrets is None
        and all(loop.healthy for loop in loops)
    )
    body = Readiness(
        ready=ready,
        role=request.app[SETTINGS].server.role,
        database=database,
        redis=redis_ok,
        migrations_current=current,
        schema_version=schema_version,
        expected_schema_version=expected,
        backups=backups,
        loops=loops,
        secrets_key=secrets,
    )
    response = json_response(body, status=200 if ready else 503)
    if not ready:
        response.headers["Retry-After"] = "5"
    return response


def _loops(registry: Loops | None) -> list[LoopHealth]:
    # A claimer that died while webhooks were still acknowledged once left /readyz at 200 and
    # every new message unprocessed: a loop that stopped or stalled makes the process unready.
    if registry is None:
        return []
    return [
        LoopHealth(
            name=r.name,
            alive=r.alive,
            healthy=r.healthy,
            last_pass_at=r.last_pass_at,
            deadline_seconds=r.deadline_seconds,
            reason=r.reason,
        )
        for r in registry.report()
    ]
