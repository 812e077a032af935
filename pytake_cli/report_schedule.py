"""``pytake report schedule add|list|remove``: scheduled e-mail reports of a tenant.

The same rows and rules as ``/api/v1/reports/schedules`` (``pytake_daemon.reports``), as the
daemon's role under row-level security; adding and removing are audited as the CLI's.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from pytake_cli.context import (
    Backend,
    console,
    handle_errors,
    perform,
    respond,
)
from pytake_cli.i18n import _
from pytake_cli.options import JsonOpt, TenantOpt
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.report_schedules import (
    MAILABLE,
    Audience,
    Frequency,
    ScheduleCreate,
    ScheduleOut,
)
from pytake_daemon.reports import schedule_db
from pytake_daemon.reports.schedule import next_slot

app = typer.Typer(help="Scheduled e-mail reports: add, list, remove.", no_args_is_help=True)

_USER = """
SELECT id, role FROM users
 WHERE tenant_id = current_tenant_id() AND email = lower($1) AND disabled_at IS NULL
"""
_DATASETS = ", ".join(d.value for d in MAILABLE)
# The wire model's field names as this command's options.
_OPTION = {"datasets": "reports", "frequency": "every"}


def _body(**fields: object) -> ScheduleCreate:
    try:
        return ScheduleCreate.model_validate(fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "schedule"
        where = _OPTION.get(field, field.replace("_", "-"))
        raise PyTakeError(f"--{where}: {err['msg']}") from None


@app.command("add")
@handle_errors
def add(
    tenant: TenantOpt,
    frequency: Annotated[
        Frequency, typer.Option("--every", help="daily, weekly or monthly.")
    ] = Frequency.WEEKLY,
    user: Annotated[
        str | None,
        typer.Option("--user", help="E-mail of the supervisor+ who gets it (else: --team)."),
    ] = None,
    team: Annotated[
        bool, typer.Option("--team", help="Every supervisor, admin and owner of the tenant.")
    ] = False,
    reports: Annotated[
        str, typer.Option("--reports", help=f"Comma-separated tables to attach: {_DATASETS}.")
    ] = "summary,breakdown",
    tz: Annotated[str, typer.Option("--tz", help="IANA zone of the hour and days.")] = "UTC",
    hour: Annotated[int, typer.Option("--hour", help="Local hour it leaves (0-23).")] = 8,
    weekday: Annotated[int, typer.Option("--weekday", help="Weekly: 0 is Monday.")] = 0,
    month_day: Annotated[int, typer.Option("--month-day", help="Monthly: 1-28.")] = 1,
    queue: Annotated[str | None, typer.Option("--queue", help="One queue's report: id.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Subscribe a supervisor (--user) or the team (--team) to a report by e-mail."""
    if team == (user is not None):
        raise PyTakeError(_("give either --user EMAIL or --team"))
    try:
        queue_id = None if queue is None else uuid.UUID(queue)
    except ValueError:
        raise PyTakeError(_("--queue: not a queue id: {queue!r}").format(queue=queue)) from None
    body = _body(
        audience=Audience.TEAM if team else Audience.USER,
        frequency=frequency,
        datasets=[d.strip() for d in reports.split(",") if d.strip()],
        tz=tz,
        hour=hour,
        weekday=weekday,
        month_day=month_day,
        queue_id=queue_id,
    )

    async def create(backend: Backend) -> ScheduleOut:
        async with backend.tenant(tenant) as conn:
            owner = None
            if user is not None:
                row = await conn.fetchrow(_USER, user)
                if row is None:
                    raise PyTakeError(_("no user {user!r}").format(user=user))
                if not Role(row["role"]).at_least(Role.SUPERVISOR):
                    raise PyTakeError(
                        _("{user} is an agent: reports are for supervisors and up").format(
                            user=user
                        )
                    )
                owner = row["id"]
            if queue_id is not None and not await schedule_db.queue_exists(conn, queue_id):
                raise PyTakeError(_("no queue {queue!r}").format(queue=queue))
            next_at = next_slot(schedule_db.when_of(body), datetime.now(UTC))
            created = await schedule_db.create(conn, body, owner, next_at)
            await record_cli_action(
                conn,
                "report.schedule.create",
                target_type="report_schedule",
                target_id=created.id,
                diff={"schedule": {"before": None, "after": body.model_dump(mode="json")}},
            )
            return created

    respond(perform(create), as_json=as_json, show=_show_created)


def _when(s: ScheduleOut) -> str:
    at = f"{s.hour:02d}:00 {s.tz}"
    if s.frequency is Frequency.WEEKLY:
        return f"weekly, {['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][s.weekday]} {at}"
    if s.frequency is Frequency.MONTHLY:
        return f"monthly, day {s.month_day} {at}"
    return f"daily {at}"


@app.command("list")
@handle_errors
def list_schedules(tenant: TenantOpt, as_json: JsonOpt = False) -> None:
    """Every scheduled e-mail report of the tenant."""

    async def fetch(backend: Backend) -> list[ScheduleOut]:
        async with backend.tenant(tenant) as conn:
            return await schedule_db.listing(conn, None)

    respond(perform(fetch), as_json=as_json, show=_show_items)


@app.command("remove")
@handle_errors
def remove(
    tenant: TenantOpt,
    schedule_id: Annotated[str, typer.Argument(help="The schedule's id (see list).")],
) -> None:
    """Remove a scheduled e-mail report."""
    try:
        wanted = uuid.UUID(schedule_id)
    except ValueError:
        raise PyTakeError(
            _("not a schedule id: {schedule_id!r}").format(schedule_id=schedule_id)
        ) from None

    async def delete(backend: Backend) -> None:
        async with backend.tenant(tenant) as conn:
            found = await schedule_db.get(conn, wanted)
            if found is None:
                raise PyTakeError(_("no schedule {schedule_id}").format(schedule_id=schedule_id))
            await schedule_db.delete(conn, wanted)
            await record_cli_action(
                conn,
                "report.schedule.delete",
                target_type="report_schedule",
                target_id=wanted,
                diff={"schedule": {"before": found.model_dump(mode="json"), "after": None}},
            )

    perform(delete)
    console.print(_("removed {schedule_id}").format(schedule_id=schedule_id))


def _show_created(created: ScheduleOut) -> None:
    console.print(
        _("scheduled {id}: next e-mail {next_at:%Y-%m-%d %H:%M} UTC").format(
            id=created.id, next_at=created.next_at
        )
    )


def _show_items(items: list[ScheduleOut]) -> None:
    table = Table(_("id"), _("to"), _("when"), _("reports"), _("next (UTC)"), _("last"))
    for s in items:
        to = "team" if s.audience is Audience.TEAM else (s.owner_email or "?")
        last = "-" if s.last_status is None else f"{s.last_status} {s.last_slot:%Y-%m-%d}"
        table.add_row(
            str(s.id), to, _when(s), ",".join(d.value for d in s.datasets),
            f"{s.next_at:%Y-%m-%d %H:%M}", last,
        )  # fmt: skip
    console.print(table)
