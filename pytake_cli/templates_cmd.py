"""``pytake templates sync|list``: message templates of a tenant's WhatsApp accounts."""

from __future__ import annotations

import uuid
from typing import Annotated

import aiohttp
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
    tenant_connection,
)
from pytake_cli.options import JsonOpt, TenantOpt
from pytake_daemon.db.pool import create_pool
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol.whatsapp import MessageTemplateOut, TemplateSyncResult
from pytake_daemon.tenancy.db import tenant_id
from pytake_daemon.whatsapp import db, templates
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.meta_errors import GraphError, explain
from pytake_daemon.whatsapp.secretbox import load_secret_box

app = typer.Typer(help="WhatsApp message templates.", no_args_is_help=True)


@app.command("sync")
@handle_errors
def sync(tenant: TenantOpt, as_json: JsonOpt = False) -> None:
    """Fetch every template of the tenant's WABAs from the Graph API."""
    cfg = settings()
    box = load_secret_box(cfg)

    async def apply() -> TemplateSyncResult:
        async with admin_connection(cfg, endpoints) as admin:
            found: uuid.UUID | None = await tenant_id(admin, tenant)
        if found is None:
            raise PyTakeError(f"no tenant {tenant!r} (see 'pytake tenant list')")
        pool = await create_pool(endpoints.app_dsn.get_secret_value(), min_size=1, max_size=2)
        timeout = aiohttp.ClientTimeout(total=cfg.whatsapp.http_timeout_seconds)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                graph = GraphClient(
                    session,
                    base_url=cfg.whatsapp.graph_base_url,
                    api_version=cfg.whatsapp.api_version,
                )
                return await templates.sync_templates(pool, graph, box, found)
        except GraphError as exc:
            raise PyTakeError(explain(exc.code, exc.details, message=exc.message)) from None
        finally:
            await pool.close()

    with services(cfg) as endpoints:
        result = run(apply())
    if as_json:
        print_json(result)
        return
    console.print(
        f"synced {result.templates} template(s) from {result.wabas} account(s): "
        f"{result.created} new, {result.updated} updated"
    )


@app.command("list")
@handle_errors
def list_(
    tenant: TenantOpt,
    status: Annotated[str | None, typer.Option(help="APPROVED, PENDING, REJECTED…")] = None,
    language: Annotated[str | None, typer.Option(help="e.g. en_US")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the local copy of the tenant's templates."""
    cfg = settings()

    async def fetch() -> list[MessageTemplateOut]:
        async with tenant_connection(cfg, endpoints, tenant) as conn:
            rows = await db.list_templates(conn, status=status, language=language)
            return [templates.template_out(r) for r in rows]

    with services(cfg) as endpoints:
        items = run(fetch())
    if as_json:
        print_json(items)
        return
    table = Table("name", "language", "status", "category", "waba")
    for t in items:
        table.add_row(t.name, t.language, t.status, t.category, t.waba_id)
    console.print(table)
