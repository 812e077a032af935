"""``pytake tenant create|list``."""

from __future__ import annotations

from typing import Annotated

import asyncpg
import typer
from rich.table import Table

from pytake_cli.context import Backend, console, handle_errors, perform, respond
from pytake_cli.i18n import _
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.db.pool import set_tenant
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol import TenantOut
from pytake_daemon.tenancy import db

app = typer.Typer(help="Tenants (isolated businesses).", no_args_is_help=True)


@app.command("create")
@handle_errors
def create(
    slug: Annotated[str, typer.Argument(help="Short name: lowercase letters, digits, dashes.")],
    name: Annotated[str | None, typer.Option(help="Display name (defaults to the slug).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Create a tenant."""

    async def create_tenant(backend: Backend) -> TenantOut:
        async with backend.admin() as conn, conn.transaction():
            try:
                row = await db.insert_tenant(conn, slug=slug, name=name or slug)
            except asyncpg.CheckViolationError:
                raise PyTakeError(
                    _(
                        "invalid tenant slug {slug!r}: use 1-63 lowercase letters, digits and "
                        "dashes, starting with a letter or digit"
                    ).format(slug=slug)
                ) from None
            if row is not None:
                await set_tenant(conn, row.id)
                await record_cli_action(
                    conn, "tenant.create", target_type="tenant", target_id=row.id
                )
        if row is None:
            raise PyTakeError(_("tenant {slug!r} already exists").format(slug=slug))
        return row

    respond(perform(create_tenant), as_json=as_json, show=_show_created)


def _show_created(tenant: TenantOut) -> None:
    console.print(_("created tenant [bold]{slug}[/] ({id})").format(slug=tenant.slug, id=tenant.id))


@app.command("list")
@handle_errors
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List tenants."""

    async def fetch(backend: Backend) -> list[TenantOut]:
        async with backend.admin() as conn:
            return await db.list_tenants(conn)

    respond(perform(fetch), as_json=as_json, show=_show_items)


def _show_items(items: list[TenantOut]) -> None:
    table = Table(_("slug"), _("name"), _("id"), _("created"))
    for t in items:
        table.add_row(t.slug, t.name, str(t.id), t.created_at.strftime("%Y-%m-%d %H:%M"))
    console.print(table)
