"""``GET /api/v1/system/checks``: the connectivity checks, run by the daemon (admins only).

The installation's own checks (database, Redis, storage, SMTP…) and this tenant's numbers and
accounts: row-level security keeps the other tenants' out. ``pytake doctor`` checks every
tenant's from the command line.
"""

from __future__ import annotations

import aiohttp
from aiohttp import web

from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.http.api import RouteTable, identity
from pytake_daemon.keys import DB_POOL, GRAPH, REDIS, SECRET_BOX, SETTINGS
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.system import SystemChecks
from pytake_daemon.system import db
from pytake_daemon.system.checks import CHECK_TIMEOUT, Targets, run_checks

routes = RouteTable(tag="system")


@routes.get(
    "/api/v1/system/checks",
    summary="Run every connectivity check (database, Redis, Graph API per number, webhook, "
    "storage, SMTP, outbound HTTP, clock, disk); ok is false when one failed",
    response=SystemChecks,
    role=Role.ADMIN,
)
async def system_checks(request: web.Request) -> SystemChecks:
    app = request.app
    pool = app[DB_POOL]
    async with tenant_transaction(pool, identity(request).tenant_id) as conn:
        numbers = await db.live_numbers(conn)
        smtp = await db.smtp_settings(conn)
    timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        return await run_checks(
            Targets(
                settings=app[SETTINGS],
                pool=pool,
                redis=app[REDIS],
                graph=app[GRAPH],
                http=http,
                box=app[SECRET_BOX],
                numbers=numbers,
                smtp=smtp,
            )
        )
