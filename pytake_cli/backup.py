"""``pytake backup create|list|show|verify|restore|prune|schedule|drill``.

Exit codes scripts can trust: 0 done (verify: the backup is good; drill: tables match),
1 failed (verify: the backup is bad; drill: differences found), 2 bad input or configuration.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from pytake_cli.context import (
    EXIT_CONFIG,
    console,
    err_console,
    fail,
    handle_errors,
    print_json,
    run,
    services,
    settings,
)
from pytake_cli.i18n import _
from pytake_daemon.backups import db
from pytake_daemon.backups.catalog import get_manifest, list_backups
from pytake_daemon.backups.context import BackupContext, Reporter, SilentReporter
from pytake_daemon.backups.create import create_backup
from pytake_daemon.backups.cron import CronError, expand, next_after
from pytake_daemon.backups.drill import DrillResult, run_drill
from pytake_daemon.backups.health import backup_health
from pytake_daemon.backups.restore import restore_in_place, restore_into, restore_tenant
from pytake_daemon.backups.retention import Retention
from pytake_daemon.backups.scheduler import prune as prune_backups
from pytake_daemon.backups.verify import verify_backup
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import connect
from pytake_daemon.protocol.backups import BackupManifest, BackupScheduleOut

app = typer.Typer(
    help="Backups: create, verify, restore, retention, schedule, drills.", no_args_is_help=True
)
schedule_app = typer.Typer(
    help="When the daemon backs up and drills, and what it keeps.", no_args_is_help=True
)
app.add_typer(schedule_app, name="schedule")

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


class RichReporter:
    """Progress bars on stderr (stdout stays clean for --json)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def phase(self, description: str, *, total: int | None = None, unit: str = "bytes") -> None:
        if self._task is not None:
            task = self._progress.tasks[self._task]
            self._progress.update(self._task, total=task.completed or 1, completed=task.completed)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)


@contextmanager
def _reporter(quiet: bool) -> Iterator[Reporter]:
    if quiet or not err_console.is_terminal:
        yield SilentReporter()
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        yield RichReporter(progress)


def _context(cfg: Settings, endpoints: Endpoints) -> BackupContext:
    return BackupContext.build(cfg, endpoints)


async def _schema_ready(cfg: Settings, endpoints: Endpoints) -> None:
    from pytake_daemon.runtime import prepare_schema

    await prepare_schema(cfg, endpoints)


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


@app.command("create")
@handle_errors
def create(
    tenant: Annotated[
        str | None, typer.Option("--tenant", "-t", help="Back up only this tenant (slug or id).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="A note kept in the manifest.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Back up everything (pg_dump) or one tenant (its rows), compressed and encrypted."""
    cfg = settings()

    async def go() -> BackupManifest | None:
        await _schema_ready(cfg, endpoints)
        with _reporter(as_json) as reporter:
            return await create_backup(ctx, reporter, tenant=tenant, note=note)

    with services(cfg) as endpoints:
        ctx = _context(cfg, endpoints)
        manifest = run(go())
    assert manifest is not None, "only slotted runs are skipped"
    if as_json:
        print_json(manifest)
        return
    console.print(
        _(
            "backup {id}: {size} stored ({size2} before compression) in "
            "{duration_seconds:.1f} s → {describe}"
        ).format(
            id=manifest.id,
            size=_size(manifest.stored_bytes),
            size2=_size(manifest.payload_bytes),
            duration_seconds=manifest.duration_seconds,
            describe=ctx.storage.describe(),
        )
    )


@app.command("list")
@handle_errors
def list_(as_json: JsonOpt = False) -> None:
    """Backups in the configured storage, oldest first."""
    cfg = settings()
    with services(cfg) as endpoints:
        ctx = _context(cfg, endpoints)
        items = run(list_backups(ctx))
    if as_json:
        print_json(items)
        return
    table = Table(_("id"), _("scope"), _("created (UTC)"), _("stored"), _("schema"), _("note"))
    for m in items:
        scope = f"tenant {m.tenant_slug}" if m.scope == "tenant" else "full"
        table.add_row(
            m.id,
            scope,
            f"{m.created_at:%Y-%m-%d %H:%M:%S}",
            _size(m.stored_bytes),
            str(m.schema_version),
            m.note or "",
        )
    console.print(table)
    if not items:
        console.print(_("no backups in {describe}").format(describe=ctx.storage.describe()))


@app.command("show")
@handle_errors
def show(
    backup_id: Annotated[str, typer.Argument(help="Backup id (from 'pytake backup list').")],
    as_json: JsonOpt = False,
) -> None:
    """A backup's manifest: sizes, checksums, versions, keys, tables."""
    cfg = settings()
    with services(cfg) as endpoints:
        manifest = run(get_manifest(_context(cfg, endpoints), backup_id))
    if as_json:
        print_json(manifest)
        return
    for field, value in manifest.model_dump(exclude={"tables"}).items():
        console.print(f"[bold]{field}[/]: {value}", highlight=False)
    table = Table(_("table"), _("rows"), _("checksum"))
    for stat in manifest.tables:
        table.add_row(stat.table, str(stat.rows), stat.checksum)
    console.print(table)


@app.command("verify")
@handle_errors
def verify(
    backup_id: Annotated[str, typer.Argument(help="Backup id.")],
    as_json: JsonOpt = False,
) -> None:
    """Download, check size + SHA-256, decrypt and decompress; exit 1 if anything is wrong."""
    cfg = settings()

    async def go() -> Any:
        ctx = _context(cfg, endpoints)
        manifest = await get_manifest(ctx, backup_id)
        with _reporter(as_json) as reporter:
            return await verify_backup(ctx, manifest, reporter, trigger="manual")

    with services(cfg) as endpoints:
        result = run(go())
    if as_json:
        print_json(result)
    elif result.ok:
        console.print(
            _("backup {backup_id} is good: {detail}").format(
                backup_id=result.backup_id, detail=result.detail
            )
        )
    if not result.ok:
        fail(
            _("backup {backup_id} is NOT good: {detail}").format(
                backup_id=result.backup_id, detail=result.detail
            )
        )


@app.command("restore")
@handle_errors
def restore(
    backup_id: Annotated[str, typer.Argument(help="Backup id.")],
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", "-t", help="Replace only this tenant's rows (per-tenant backup)."),
    ] = None,
    into: Annotated[
        str | None,
        typer.Option("--into", help="Restore a full backup into this new database (a DSN)."),
    ] = None,
    in_place: Annotated[
        bool,
        typer.Option("--in-place", help="Replace the live database (safety backup taken first)."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup: --tenant T, --into DSN or --in-place."""
    chosen = [x for x in (tenant is not None, into is not None, in_place) if x]
    if len(chosen) != 1:
        fail(_("choose exactly one of --tenant T, --into DSN or --in-place"), code=EXIT_CONFIG)
    cfg = settings()

    async def go() -> dict[str, Any]:
        ctx = _context(cfg, endpoints)
        manifest = await get_manifest(ctx, backup_id)
        if not yes and (in_place or tenant is not None):
            what = (
                "the WHOLE live database (every tenant)"
                if in_place
                else f"every row of tenant {tenant}"
            )
            prompt = (
                f"Replace {what} with backup {manifest.id} from "
                f"{manifest.created_at:%Y-%m-%d %H:%M} UTC?"
            )
            if not typer.confirm(prompt, err=True):
                raise typer.Exit(1)
        with _reporter(as_json) as reporter:
            if tenant is not None:
                loaded = await restore_tenant(ctx, manifest, tenant, reporter)
                return {"backup_id": manifest.id, "tenant": tenant, "rows": loaded}
            if into is not None:
                await restore_into(ctx, manifest, into, reporter)
                return {"backup_id": manifest.id, "into": _redacted(into)}
            safety = await restore_in_place(ctx, manifest, reporter)
            return {"backup_id": manifest.id, "in_place": True, "safety_backup": safety.id}

    with services(cfg) as endpoints:
        outcome = run(go())
    if as_json:
        print_json(outcome)
        return
    if "rows" in outcome:
        total = sum(outcome["rows"].values())
        console.print(
            _("tenant {tenant}: {total} rows restored from {backup_id}").format(
                tenant=tenant, total=total, backup_id=backup_id
            )
        )
    elif "into" in outcome:
        console.print(
            _("restored {backup_id} into {into}").format(backup_id=backup_id, into=outcome["into"])
        )
    else:
        console.print(
            _("restored {backup_id} in place; the state before is backup {safety_backup}").format(
                backup_id=backup_id, safety_backup=outcome["safety_backup"]
            )
        )


def _redacted(dsn: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


@app.command("prune")
@handle_errors
def prune(as_json: JsonOpt = False) -> None:
    """Delete the backups retention no longer keeps (see 'schedule show')."""
    cfg = settings()

    async def go() -> list[str]:
        ctx = _context(cfg, endpoints)
        conn = await connect(ctx.admin_dsn)
        try:
            s = await db.get_schedule(conn)
        finally:
            await conn.close()
        policy = Retention(s.keep_last, s.keep_daily, s.keep_weekly, s.keep_monthly)
        return await prune_backups(ctx, policy)

    with services(cfg) as endpoints:
        run(_schema_ready(cfg, endpoints))
        removed = run(go())
    if as_json:
        print_json({"removed": removed})
        return
    console.print(
        f"removed {len(removed)} backup(s)" + (": " + ", ".join(removed) if removed else "")
    )


async def _schedule_out(ctx: BackupContext) -> BackupScheduleOut:
    conn = await connect(ctx.admin_dsn)
    try:
        s = await db.get_schedule(conn)
    finally:
        await conn.close()
    now = datetime.now(UTC)
    return BackupScheduleOut(
        enabled=s.enabled,
        backup_cron=s.backup_cron,
        drill_cron=s.drill_cron,
        keep_last=s.keep_last,
        keep_daily=s.keep_daily,
        keep_weekly=s.keep_weekly,
        keep_monthly=s.keep_monthly,
        next_backup_at=next_after(s.backup_cron, now) if s.enabled else None,
        next_drill_at=next_after(s.drill_cron, now) if s.enabled and s.drill_cron else None,
    )


def _print_schedule(out: BackupScheduleOut, as_json: bool) -> None:
    if as_json:
        print_json(out)
        return
    state = "enabled" if out.enabled else "DISABLED"
    console.print(_("schedule {state}").format(state=state), highlight=False)
    console.print(
        _("backup: {backup_cron} ({expand}) next {next_backup_at}").format(
            backup_cron=out.backup_cron,
            expand=expand(out.backup_cron),
            next_backup_at=out.next_backup_at,
        )
    )
    drill = f"{out.drill_cron} ({expand(out.drill_cron)})" if out.drill_cron else "off"
    console.print(
        _("drill:  {drill} next {next_drill_at}").format(
            drill=drill, next_drill_at=out.next_drill_at
        )
    )
    console.print(
        _(
            "keep: last {keep_last}, daily {keep_daily}, weekly {keep_weekly}, "
            "monthly {keep_monthly}"
        ).format(
            keep_last=out.keep_last,
            keep_daily=out.keep_daily,
            keep_weekly=out.keep_weekly,
            keep_monthly=out.keep_monthly,
        )
    )


@schedule_app.command("show")
@handle_errors
def schedule_show(as_json: JsonOpt = False) -> None:
    """The schedule every daemon follows, with the next slots (UTC)."""
    cfg = settings()
    with services(cfg) as endpoints:
        run(_schema_ready(cfg, endpoints))
        out = run(_schedule_out(_context(cfg, endpoints)))
    _print_schedule(out, as_json)


@schedule_app.command("set")
@handle_errors
def schedule_set(
    backup: Annotated[
        str | None,
        typer.Option(help="hourly, daily, weekly, monthly or five cron fields (UTC)."),
    ] = None,
    drill: Annotated[
        str | None, typer.Option(help="When to run the restore drill ('off' to stop).")
    ] = None,
    enable: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Run scheduled work or not.")
    ] = None,
    keep_last: Annotated[int | None, typer.Option(min=1)] = None,
    keep_daily: Annotated[int | None, typer.Option(min=0)] = None,
    keep_weekly: Annotated[int | None, typer.Option(min=0)] = None,
    keep_monthly: Annotated[int | None, typer.Option(min=0)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change the schedule or retention; daemons pick it up within 30 s."""
    try:
        for expression in (backup, drill):
            if expression is not None and expression != "off":
                next_after(expression, datetime.now(UTC))
    except CronError as exc:
        fail(str(exc), code=EXIT_CONFIG)
    cfg = settings()

    async def go() -> BackupScheduleOut:
        ctx = _context(cfg, endpoints)
        conn = await connect(ctx.admin_dsn)
        try:
            s = await db.get_schedule(conn)
            await db.set_schedule(
                conn,
                db.Schedule(
                    enabled=s.enabled if enable is None else enable,
                    backup_cron=s.backup_cron if backup is None else backup,
                    drill_cron=s.drill_cron
                    if drill is None
                    else (None if drill == "off" else drill),
                    keep_last=s.keep_last if keep_last is None else keep_last,
                    keep_daily=s.keep_daily if keep_daily is None else keep_daily,
                    keep_weekly=s.keep_weekly if keep_weekly is None else keep_weekly,
                    keep_monthly=s.keep_monthly if keep_monthly is None else keep_monthly,
                ),
            )
        finally:
            await conn.close()
        return await _schedule_out(ctx)

    with services(cfg) as endpoints:
        run(_schema_ready(cfg, endpoints))
        out = run(go())
    _print_schedule(out, as_json)


@app.command("drill")
@handle_errors
def drill(as_json: JsonOpt = False) -> None:
    """Restore the latest full backup into a scratch database and compare every table."""
    cfg = settings()

    async def go() -> DrillResult | None:
        with _reporter(as_json) as reporter:
            return await run_drill(_context(cfg, endpoints), reporter)

    with services(cfg) as endpoints:
        run(_schema_ready(cfg, endpoints))
        result = run(go())
    assert result is not None, "only slotted runs are skipped"
    if as_json:
        print_json(
            {
                "backup_id": result.backup_id,
                "ok": result.ok,
                "tables": result.tables,
                "rows": result.rows,
                "differences": result.differences,
            }
        )
    elif result.ok:
        console.print(
            _(
                "drill of {backup_id}: {tables} tables, {rows} rows, counts and checksums match"
            ).format(backup_id=result.backup_id, tables=result.tables, rows=result.rows)
        )
    if not result.ok:
        fail(
            _("drill of {backup_id} found differences: {join}").format(
                backup_id=result.backup_id, join="; ".join(result.differences)
            )
        )


@app.command("status")
@handle_errors
def status(as_json: JsonOpt = False) -> None:
    """Monitoring: last success and its age, trend, failures, overdue, last drill."""
    cfg = settings()

    async def go() -> Any:
        ctx = _context(cfg, endpoints)
        conn = await connect(ctx.admin_dsn)
        try:
            return await backup_health(
                conn, datetime.now(UTC), grace_minutes=cfg.backups.overdue_grace_minutes
            )
        finally:
            await conn.close()

    with services(cfg) as endpoints:
        run(_schema_ready(cfg, endpoints))
        health = run(go())
    if as_json:
        print_json(health)
        return
    for field, value in health.model_dump().items():
        console.print(f"[bold]{field}[/]: {value}", highlight=False)
    if health.overdue:
        raise typer.Exit(1)
