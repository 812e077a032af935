"""``/api/v1/reports/schedules``: scheduled e-mail reports.

Supervisors and above (agents can't read reports, so they can't subscribe to them either).
Each one manages their own ``user`` schedules; ``team`` schedules are everyone's of that rank;
admins see and remove all. Another person's ``user`` schedule is an unknown id (404), as
another tenant's is (row-level security). Creating and removing are audited.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from pytake_daemon.audit.http import audit_in
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.errors import NotFound, UnprocessableEntity
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL
from pytake_daemon.protocol import ProblemField, Role
from pytake_daemon.protocol.report_schedules import (
    Audience,
    ScheduleCreate,
    ScheduleList,
    ScheduleOut,
)
from pytake_daemon.reports import schedule_db
from pytake_daemon.reports.schedule import next_slot

routes = RouteTable(tag="reports")

_SCHEDULES = "/api/v1/reports/schedules"


@routes.get(
    _SCHEDULES,
    summary="Scheduled e-mail reports: the team's and mine (admins: every one)",
    response=ScheduleList,
    role=Role.SUPERVISOR,
)
async def list_schedules(request: web.Request) -> ScheduleList:
    caller = identity(request)
    mine = None if caller.role.at_least(Role.ADMIN) else caller.user_id
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return ScheduleList(items=await schedule_db.listing(conn, mine))


@routes.post(
    _SCHEDULES,
    summary="Subscribe me (audience user) or the team (audience team) to a report by e-mail: "
    "daily, weekly or monthly at a local hour, with the chosen tables as CSV",
    body=ScheduleCreate,
    response=ScheduleOut,
    status=201,
    role=Role.SUPERVISOR,
    errors=(422,),
)
async def create_schedule(request: web.Request, body: ScheduleCreate) -> ScheduleOut:
    caller = identity(request)
    next_at = next_slot(schedule_db.when_of(body), datetime.now(UTC))
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        if body.queue_id is not None and not await schedule_db.queue_exists(conn, body.queue_id):
            raise _no_queue()
        created = await schedule_db.create(conn, body, caller.user_id, next_at)
        await audit_in(
            request,
            conn,
            "report.schedule.create",
            target_type="report_schedule",
            target_id=created.id,
            diff={"schedule": {"before": None, "after": body.model_dump(mode="json")}},
        )
    return created


def _no_queue() -> UnprocessableEntity:
    return UnprocessableEntity(
        "invalid queue_id: no such queue",
        errors=[ProblemField(loc="body.queue_id", msg="no such queue", type="value_error")],
    )


@routes.delete(
    f"{_SCHEDULES}/{{id}}",
    summary="Remove a scheduled e-mail report (mine, the team's; admins: any)",
    role=Role.SUPERVISOR,
    errors=(404,),
)
async def delete_schedule(request: web.Request) -> None:
    caller = identity(request)
    schedule_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        found = await schedule_db.get(conn, schedule_id)
        if found is None or not _may_manage(found, caller.user_id, caller.role):
            raise NotFound("no such schedule")
        await schedule_db.delete(conn, schedule_id)
        await audit_in(
            request,
            conn,
            "report.schedule.delete",
            target_type="report_schedule",
            target_id=schedule_id,
            diff={"schedule": {"before": found.model_dump(mode="json"), "after": None}},
        )


def _may_manage(schedule: ScheduleOut, user_id: object, role: Role) -> bool:
    return (
        role.at_least(Role.ADMIN)
        or schedule.audience is Audience.TEAM
        or schedule.user_id == user_id
    )
