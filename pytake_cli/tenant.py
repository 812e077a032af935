"""``pytake tenant create|list``."""

from __future__ import annotations

from typing import Annotated

import asyncpg
import typer
from rich.table import Table

from pytake_cli.context import (
    admin_connection,
    console,
    handle_errors,
    print_json,
    run,
    services,
    settings,
)
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
    cfg = settings()

    async def create_tenant() -> TenantOut:
        async with admin_connection(cfg, endpoints) as conn, conn.transaction():
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
                await set_tenant(conn, row["id"])
                await record_cli_action(
                    conn, "tenant.create", target_type="tenant", target_id=row["id"]
                )
        if row is None:
            raise PyTakeError(_("tenant {slug!r} already exists").format(slug=slug))
        return TenantOut.model_validate(dict(row))

    with services(cfg) as endpoints:
        tenant = run(create_tenant())
    if as_json:
        print_json(tenant)
    else:
        console.print(
            _("created tenant [bold]{slug}[/] ({id})").format(slug=tenant.slug, id=tenant.id)
        )


@app.command("list")
@handle_errors
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List tenants."""
    cfg = settings()

    async def fetch() -> list[TenantOut]:
        async with admin_connection(cfg, endpoints) as conn:
            return [TenantOut.model_validate(dict(r)) for r in await db.list_tenants(conn)]

    with services(cfg) as endpoints:
        items = run(fetch())
    if as_json:
        print_json(items)
        return
    table = Table(_("slug"), _("name"), _("id"), _("created"))
    for t in items:
        table.add_row(t.slug, t.name, str(t.id), t.created_at.strftime("%Y-%m-%d %H:%M"))
    console.print(table)
