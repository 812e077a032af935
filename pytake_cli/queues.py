"""``pytake queues list|create|show``: a tenant's human queues."""

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
from pytake_daemon.attendance import queues_db
from pytake_daemon.attendance.views import queue_out, settings_values
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol.queues import Policy, QueueOut, QueueSettings

app = typer.Typer(help="Human queues: list, create, show.", no_args_is_help=True)


def _invalid(exc: ValidationError) -> PyTakeError:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "queue"
    return PyTakeError(f"{where}: {err['msg']}")


@app.command("list")
@handle_errors
def list_(tenant: TenantOpt, as_json: JsonOpt = False) -> None:
    """List the tenant's queues with what is waiting and being attended now."""

    async def fetch(backend: Backend) -> list[QueueOut]:
        async with backend.tenant(tenant) as conn:
            now = datetime.now(UTC)
            return [queue_out(r, now=now) for r in await queues_db.list_queues(conn)]

    respond(perform(fetch), as_json=as_json, show=_show_queues)


@app.command("create")
@handle_errors
def create(
    name: Annotated[str, typer.Argument(help="Queue name (unique in the tenant).")],
    tenant: TenantOpt,
    policy: Annotated[Policy, typer.Option(help="How agents are picked.")] = Policy.ROUND_ROBIN,
    department: Annotated[str | None, typer.Option(help="Department agents must have.")] = None,
    skill: Annotated[
        list[str] | None, typer.Option("--skill", help="Required skill (repeatable).")
    ] = None,
    max_wait: Annotated[int, typer.Option(help="Minutes before the wait times out.")] = 30,
    max_size: Annotated[int, typer.Option(help="Waiting items at most.")] = 1000,
    timezone: Annotated[str, typer.Option(help="IANA time zone of business hours.")] = "UTC",
    welcome: Annotated[str, typer.Option(help="Welcome text ({position}, {wait_minutes}).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Create a queue (always open; set business hours with PUT /api/v1/queues/{id})."""
    try:
        body = QueueSettings(
            name=name,
            policy=policy,
            department=department,
            required_skills=skill or [],
            max_wait_minutes=max_wait,
            max_size=max_size,
            timezone=timezone,
            welcome_message=welcome,
        )
    except ValidationError as exc:
        raise _invalid(exc) from None

    async def insert(backend: Backend) -> QueueOut:
        async with backend.tenant(tenant) as conn:
            queue_id = await queues_db.insert_queue(conn, settings_values(body))
            if queue_id is None:
                raise PyTakeError(_("a queue named {name!r} already exists").format(name=name))
            await record_cli_action(conn, "queue.create", target_type="queue", target_id=queue_id)
            row = await queues_db.get_queue(conn, queue_id)
            assert row is not None
            return queue_out(row, now=datetime.now(UTC))

    respond(perform(insert), as_json=as_json, show=_show_queue)


@app.command("show")
@handle_errors
def show(
    queue: Annotated[str, typer.Argument(help="Queue id or name.")],
    tenant: TenantOpt,
    as_json: JsonOpt = False,
) -> None:
    """Show one queue's settings and load."""

    async def fetch(backend: Backend) -> QueueOut:
        async with backend.tenant(tenant) as conn:
            rows = await queues_db.list_queues(conn)
            found = [r for r in rows if r["name"] == queue or str(r["id"]) == _as_id(queue)]
            if not found:
                raise PyTakeError(
                    _("no queue {queue!r} (see 'pytake queues list -t {tenant}')").format(
                        queue=queue, tenant=tenant
                    )
                )
            return queue_out(found[0], now=datetime.now(UTC))

    respond(perform(fetch), as_json=as_json, show=_show_out)


def _as_id(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def _show_queues(queues: list[QueueOut]) -> None:
    table = Table(
        _("id"), _("name"), _("policy"), _("waiting"), _("assigned"), _("open now"), _("max wait")
    )
    for q in queues:
        table.add_row(
            str(q.id),
            q.name,
            q.policy.value,
            str(q.waiting),
            str(q.assigned),
            "yes" if q.open_now else "no",
            f"{q.max_wait_minutes} min",
        )
    console.print(table)


def _show_queue(queue: QueueOut) -> None:
    console.print(_("created queue {name} (id {id})").format(name=queue.name, id=queue.id))


def _show_out(out: QueueOut) -> None:
    for field, value in out.model_dump(mode="json").items():
        console.print(f"[bold]{field}[/]: {value}", highlight=False)
