"""``/api/v1/tenant``: the caller's own tenant."""

from __future__ import annotations

from aiohttp import web

from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.errors import NotFound
from pytake_daemon.http.api import RouteTable, identity
from pytake_daemon.keys import DB_POOL
from pytake_daemon.protocol import TenantOut
from pytake_daemon.tenancy import db

routes = RouteTable(tag="tenancy")


@routes.get("/api/v1/tenant", summary="The caller's tenant", response=TenantOut)
async def current_tenant(request: web.Request) -> TenantOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await db.current_tenant(conn)
    if row is None:
        raise NotFound("no such tenant")
    return row
