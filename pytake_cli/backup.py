"""``pytake backup create|list|show|verify|restore|prune|schedule|drill|status``.

Exit codes scripts can trust: 0 done (verify: the backup is good; drill: tables match),
1 failed (verify: the backup is bad; drill: differences found), 2 bad input or configuration.
Restores and drills live in ``backup_restore``, the schedule in ``backup_schedule``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from pytake_cli import backup_restore, backup_schedule
from pytake_cli.backup_context import backup_context, human_size, ready_backup_context, reporter
from pytake_cli.context import Backend, console, fail, handle_errors, perform, respond
from pytake_cli.i18n import _
from pytake_cli.options import JsonOpt
from pytake_daemon.backups import db
from pytake_daemon.backups.catalog import get_manifest, list_backups
from pytake_daemon.backups.create import create_backup
from pytake_daemon.backups.health import backup_health
from pytake_daemon.backups.retention import Retention
from pytake_daemon.backups.scheduler import prune as prune_backups
from pytake_daemon.backups.verify import verify_backup
from pytake_daemon.protocol.backups import BackupManifest

app = typer.Typer(
    help="Backups: create, verify, restore, retention, schedule, drills.", no_args_is_help=True
)


@handle_errors
def create(
    tenant: Annotated[
        str | None, typer.Option("--tenant", "-t", help="Back up only this tenant (slug or id).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="A note kept in the manifest.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Back up everything (pg_dump) or one tenant (its rows), compressed and encrypted."""

    async def go(backend: Backend) -> tuple[BackupManifest | None, str]:
        ctx = await ready_backup_context(backend)
        with reporter(as_json) as progress:
            made = await create_backup(ctx, progress, tenant=tenant, note=note)
        return made, ctx.storage.describe()

    manifest, where = perform(go)
    assert manifest is not None, "only slotted runs are skipped"
    respond(manifest, as_json=as_json, show=lambda made: _show_created(made, where))


def _show_created(manifest: BackupManifest, where: str) -> None:
    console.print(
        _(
            "backup {id}: {size} stored ({size2} before compression) in "
            "{duration_seconds:.1f} s → {describe}"
        ).format(
            id=manifest.id,
            size=human_size(manifest.stored_bytes),
            size2=human_size(manifest.payload_bytes),
            duration_seconds=manifest.duration_seconds,
            describe=where,
        )
    )


@handle_errors
def list_(as_json: JsonOpt = False) -> None:
    """Backups in the configured storage, oldest first."""

    async def fetch(backend: Backend) -> tuple[list[BackupManifest], str]:
        ctx = backup_context(backend)
        return await list_backups(ctx), ctx.storage.describe()

    items, where = perform(fetch)
    respond(items, as_json=as_json, show=lambda found: _show_backups(found, where))


def _show_backups(items: list[BackupManifest], where: str) -> None:
    table = Table(_("id"), _("scope"), _("created (UTC)"), _("stored"), _("schema"), _("note"))
    for m in items:
        scope = f"tenant {m.tenant_slug}" if m.scope == "tenant" else "full"
        table.add_row(
            m.id,
            scope,
            f"{m.created_at:%Y-%m-%d %H:%M:%S}",
            human_size(m.stored_bytes),
            str(m.schema_version),
            m.note or "",
        )
    console.print(table)
    if not items:
        console.print(_("no backups in {describe}").format(describe=where))


@handle_errors
def show(
    backup_id: Annotated[str, typer.Argument(help="Backup id (from 'pytake backup list').")],
    as_json: JsonOpt = False,
) -> None:
    """A backup's manifest: sizes, checksums, versions, keys, tables."""

    async def fetch(backend: Backend) -> BackupManifest:
        return await get_manifest(backup_context(backend), backup_id)

    respond(perform(fetch), as_json=as_json, show=_show_manifest)


def _show_manifest(manifest: BackupManifest) -> None:
    for field, value in manifest.model_dump(exclude={"tables"}).items():
        console.print(f"[bold]{field}[/]: {value}", highlight=False)
    table = Table(_("table"), _("rows"), _("checksum"))
    for stat in manifest.tables:
        table.add_row(stat.table, str(stat.rows), stat.checksum)
    console.print(table)


@handle_errors
def verify(
    backup_id: Annotated[str, typer.Argument(help="Backup id.")],
    as_json: JsonOpt = False,
) -> None:
    """Download, check size + SHA-256, decrypt and decompress; exit 1 if anything is wrong."""

    async def go(backend: Backend) -> Any:
        ctx = backup_context(backend)
        manifest = await get_manifest(ctx, backup_id)
        with reporter(as_json) as progress:
            return await verify_backup(ctx, manifest, progress, trigger="manual")

    result = perform(go)
    respond(result, as_json=as_json, show=_show_verified)
    if not result.ok:
        fail(
            _("backup {backup_id} is NOT good: {detail}").format(
                backup_id=result.backup_id, detail=result.detail
            )
        )


def _show_verified(result: Any) -> None:
    if result.ok:
        console.print(
            _("backup {backup_id} is good: {detail}").format(
                backup_id=result.backup_id, detail=result.detail
            )
        )


@handle_errors
def prune(as_json: JsonOpt = False) -> None:
    """Delete the backups retention no longer keeps (see 'schedule show')."""

    async def go(backend: Backend) -> list[str]:
        ctx = await ready_backup_context(backend)
        conn = await backend.connect(ctx.admin_dsn)
        try:
            s = await db.get_schedule(conn)
        finally:
            await conn.close()
        policy = Retention(s.keep_last, s.keep_daily, s.keep_weekly, s.keep_monthly)
        return await prune_backups(ctx, policy)

    removed = perform(go)
    respond({"removed": removed}, as_json=as_json, show=lambda _answer: _show_pruned(removed))


def _show_pruned(removed: list[str]) -> None:
    console.print(
        f"removed {len(removed)} backup(s)" + (": " + ", ".join(removed) if removed else "")
    )


@handle_errors
def status(as_json: JsonOpt = False) -> None:
    """Monitoring: last success and its age, trend, failures, overdue, last drill."""

    async def go(backend: Backend) -> Any:
        ctx = await ready_backup_context(backend)
        conn = await backend.connect(ctx.admin_dsn)
        try:
            return await backup_health(
                conn, datetime.now(UTC), grace_minutes=backend.cfg.backups.overdue_grace_minutes
            )
        finally:
            await conn.close()

    health = perform(go)
    respond(health, as_json=as_json, show=_show_health)
    if health.overdue:
        raise typer.Exit(1)


def _show_health(health: Any) -> None:
    for field, value in health.model_dump().items():
        console.print(f"[bold]{field}[/]: {value}", highlight=False)


# In the order --help lists them.
app.command("create")(create)
app.command("list")(list_)
app.command("show")(show)
app.command("verify")(verify)
app.command("restore")(backup_restore.restore)
app.command("prune")(prune)
app.command("drill")(backup_restore.drill)
app.command("status")(status)
app.add_typer(backup_schedule.app, name="schedule")
