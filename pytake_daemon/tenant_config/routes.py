"""``/api/v1/config``: the tenant's configuration as one YAML document (admins and owners)."""

from __future__ import annotations

from aiohttp import web

from pytake_daemon.audit.http import audit_in
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.errors import BadRequest
from pytake_daemon.http.api import RouteTable, identity
from pytake_daemon.keys import DB_POOL, PASSWORDS, QUEUES
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.tenant_config import ChangeKind, ImportMode, ImportQuery, ImportResult
from pytake_daemon.tenant_config import service
from pytake_daemon.tenant_config.diff import summary
from pytake_daemon.users import db as users_db

routes = RouteTable(tag="config")

YAML_TYPE = "application/yaml"


@routes.get(
    "/api/v1/config/export",
    summary="The tenant's configuration as a YAML document (no secrets; audited)",
    role=Role.ADMIN,
    media_types=(YAML_TYPE,),
)
async def export_config(request: web.Request) -> web.Response:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        text = await service.export_text(conn)
        await audit_in(request, conn, "config.export", target_type="tenant_config")
    return web.Response(text=text, content_type=YAML_TYPE, charset="utf-8")


@routes.post(
    "/api/v1/config/import",
    summary="Compare a YAML document with the tenant (mode=dry-run) or apply it in one "
    "transaction (mode=apply); 422 lists every problem with its path in the document",
    query=ImportQuery,
    response=ImportResult,
    role=Role.ADMIN,
    errors=(400, 403, 409, 422),
)
async def import_config(request: web.Request, query: ImportQuery) -> ImportResult:
    caller = identity(request)
    try:
        text = (await request.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the document must be UTF-8 text") from None
    apply = query.mode is ImportMode.APPLY
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        me = await users_db.get_user(conn, caller.user_id)
        result = await service.import_text(
            conn,
            text,
            apply=apply,
            passwords=request.app[PASSWORDS],
            by_role=caller.role,
            caller=None if me is None else me.email,
        )
        # A dry run is recorded too: like an export, it shows the tenant's configuration.
        after = {"mode": query.mode.value, **summary(result.changes)}
        await audit_in(
            request,
            conn,
            "config.import",
            target_type="tenant_config",
            diff={"import": {"before": None, "after": after}},
        )
    if apply and any(
        c.section in ("queues", "users") and c.kind is not ChangeKind.UNCHANGED
        for c in result.changes
    ):
        # New hours, skills or capacity may make waiting items assignable, as a queue's PUT.
        request.app[QUEUES].wake(caller.tenant_id)
    return result
