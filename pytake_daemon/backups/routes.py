"""``/api/v1/backups``: what the TUI shows (health, list, runs) and what it may start.

Full backups are the installation's and are shown to every tenant's supervisors (metadata
only); per-tenant backups only to their own tenant. A tenant admin can back up and verify
their own tenant; full backups and every restore stay with the operator's CLI.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from pytake_daemon.backups import db
from pytake_daemon.backups.catalog import BackupNotFoundError, get_manifest, list_backups
from pytake_daemon.backups.context import BackupContext, SilentReporter
from pytake_daemon.backups.create import create_backup
from pytake_daemon.backups.health import backup_health
from pytake_daemon.backups.storage import StorageError
from pytake_daemon.backups.verify import verify_backup
from pytake_daemon.errors import NotFound, ServiceUnavailable
from pytake_daemon.http.api import RouteTable, identity
from pytake_daemon.keys import BACKUPS, DB_POOL, SETTINGS
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.backups import (
    BackupCreate,
    BackupHealth,
    BackupList,
    BackupManifest,
    BackupRunList,
    VerifyResult,
)

routes = RouteTable(tag="backups")


def _ctx(request: web.Request) -> BackupContext:
    ctx = request.app.get(BACKUPS)
    if ctx is None:
        raise ServiceUnavailable(
            "backups are not configured on this daemon (database.admin_url is needed)",
            retry_after=3600,
        )
    return ctx


def _visible(manifest: BackupManifest, request: web.Request) -> bool:
    return manifest.tenant_id is None or manifest.tenant_id == identity(request).tenant_id


@routes.get(
    "/api/v1/backups",
    summary="Full backups and this tenant's own backups, oldest first",
    response=BackupList,
    role=Role.SUPERVISOR,
    errors=(503,),
)
async def list_(request: web.Request) -> BackupList:
    ctx = _ctx(request)
    try:
        found = await list_backups(ctx)
    except StorageError as exc:
        raise ServiceUnavailable(str(exc)) from None
    return BackupList(items=[m for m in found if _visible(m, request)])


@routes.get(
    "/api/v1/backups/health",
    summary="Last success and its age, size and duration trend, failures, overdue, last drill",
    response=BackupHealth,
    role=Role.SUPERVISOR,
)
async def health(request: web.Request) -> BackupHealth:
    async with request.app[DB_POOL].acquire() as conn:
        return await backup_health(
            conn,
            datetime.now(UTC),
            grace_minutes=request.app[SETTINGS].backups.overdue_grace_minutes,
            tenant_id=identity(request).tenant_id,
        )


@routes.get(
    "/api/v1/backups/runs",
    summary="Recent backup, restore, verify and drill runs, latest first",
    response=BackupRunList,
    role=Role.SUPERVISOR,
)
async def runs(request: web.Request) -> BackupRunList:
    async with request.app[DB_POOL].acquire() as conn:
        items = await db.recent_runs(conn, visible_to=identity(request).tenant_id, limit=50)
    return BackupRunList(items=items)


@routes.post(
    "/api/v1/backups",
    summary="Back up this tenant now (a per-tenant backup)",
    body=BackupCreate,
    response=BackupManifest,
    status=201,
    role=Role.ADMIN,
    errors=(503,),
)
async def create(request: web.Request, body: BackupCreate) -> BackupManifest:
    ctx = _ctx(request)
    try:
        manifest = await create_backup(
            ctx,
            SilentReporter(),
            tenant=str(identity(request).tenant_id),
            note=body.note,
            trigger="api",
        )
    except StorageError as exc:
        raise ServiceUnavailable(str(exc)) from None
    assert manifest is not None, "only slotted runs are skipped"
    return manifest


@routes.post(
    "/api/v1/backups/{id}/verify",
    summary="Download, check and decrypt a backup without restoring it",
    response=VerifyResult,
    role=Role.ADMIN,
    errors=(404, 503),
)
async def verify(request: web.Request) -> VerifyResult:
    ctx = _ctx(request)
    backup_id = request.match_info["id"]
    try:
        manifest = await get_manifest(ctx, backup_id)
    except BackupNotFoundError:
        raise NotFound("no such backup") from None
    if not _visible(manifest, request):
        raise NotFound("no such backup")
    return await verify_backup(ctx, manifest, SilentReporter(), trigger="api")
