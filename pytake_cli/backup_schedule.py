"""``pytake backup schedule show|set``: when the daemons back up and drill, and what they keep."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from pytake_cli.backup_context import ready_backup_context
from pytake_cli.context import EXIT_CONFIG, Backend, console, fail, handle_errors, perform, respond
from pytake_cli.i18n import _
from pytake_cli.options import JsonOpt
from pytake_daemon.backups import db
from pytake_daemon.backups.cron import CronError, expand, next_after
from pytake_daemon.protocol.backups import BackupScheduleOut

app = typer.Typer(
    help="When the daemon backs up and drills, and what it keeps.", no_args_is_help=True
)


async def _schedule_out(backend: Backend) -> BackupScheduleOut:
    ctx = await ready_backup_context(backend)
    conn = await backend.connect(ctx.admin_dsn)
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


def _show_schedule(out: BackupScheduleOut) -> None:
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


@app.command("show")
@handle_errors
def schedule_show(as_json: JsonOpt = False) -> None:
    """The schedule every daemon follows, with the next slots (UTC)."""
    respond(perform(_schedule_out), as_json=as_json, show=_show_schedule)


@app.command("set")
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

    async def go(backend: Backend) -> BackupScheduleOut:
        ctx = await ready_backup_context(backend)
        conn = await backend.connect(ctx.admin_dsn)
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
        return await _schedule_out(backend)

    respond(perform(go), as_json=as_json, show=_show_schedule)
