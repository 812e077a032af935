"""``pytake agents list|status``: who attends, their status and load."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
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
from pytake_daemon.attendance import agent_status, agents_db
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.effects import Effects
from pytake_daemon.errors import ApiError, PyTakeError
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import AgentOut, AgentStatus, AgentStatusUpdate
from pytake_daemon.users import db as users_db

app = typer.Typer(help="Agents: list, set status.", no_args_is_help=True)


@app.command("list")
@handle_errors
def list_(tenant: TenantOpt, as_json: JsonOpt = False) -> None:
    """List the tenant's agents with status, load and skills."""

    async def fetch(backend: Backend) -> list[AgentOut]:
        async with backend.tenant(tenant) as conn:
            await agents_db.ensure_all(conn)
            return [agent_status.agent_out(r) for r in await agents_db.list_agents(conn)]

    respond(perform(fetch), as_json=as_json, show=_show_agents)


@app.command("status")
@handle_errors
def status(
    email: Annotated[str, typer.Argument(help="The agent's e-mail.")],
    new_status: Annotated[AgentStatus, typer.Argument(metavar="STATUS", help="The new status.")],
    tenant: TenantOpt,
    capacity: Annotated[
        int | None, typer.Option(min=0, max=1000, help="Conversations at once.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set an agent's status (and capacity); running daemons pick it up on their next sweep."""
    fields = {"status": new_status} | ({"capacity": capacity} if capacity is not None else {})
    body = AgentStatusUpdate.model_validate(fields)

    async def apply(backend: Backend) -> AgentOut:
        async with backend.tenant(tenant) as conn:
            user = await users_db.get_user_by_email(conn, email)
            if user is None:
                raise PyTakeError(
                    _("no user {email!r} in tenant {tenant!r}").format(email=email, tenant=tenant)
                )
            try:
                agent = await agent_status.change_status(
                    conn,
                    user.id,
                    body,
                    by_user=user.id,
                    by_role=Role.OWNER,
                    now=datetime.now(UTC),
                    effects=Effects(),
                )
            except ApiError as exc:
                raise PyTakeError(str(exc)) from None
            await record_cli_action(
                conn,
                "agent.status",
                target_type="user",
                target_id=user.id,
                diff={"status": new_status.value},
            )
            return agent

    respond(perform(apply), as_json=as_json, show=_show_agent)


def _show_agents(agents: list[AgentOut]) -> None:
    table = Table(_("id"), _("email"), _("status"), _("load"), _("skills"), _("departments"))
    for a in agents:
        table.add_row(
            str(a.id),
            a.email,
            a.status.value,
            f"{a.active}/{a.capacity}",
            ", ".join(a.skills),
            ", ".join(a.departments),
        )
    console.print(table)


def _show_agent(agent: AgentOut) -> None:
    console.print(
        _("{email} is {value} ({active}/{capacity})").format(
            email=agent.email,
            value=agent.status.value,
            active=agent.active,
            capacity=agent.capacity,
        )
    )
