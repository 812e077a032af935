"""``pytake templates sync|list|delete``: message templates of a tenant's WhatsApp accounts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import aiohttp
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
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.db.pool import Pool, create_pool, tenant_transaction
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol.whatsapp import MessageTemplateOut, TemplateSyncResult
from pytake_daemon.tenancy.db import tenant_id
from pytake_daemon.whatsapp import db, templates
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.meta_errors import GraphError, explain
from pytake_daemon.whatsapp.secretbox import SecretBox, load_secret_box

app = typer.Typer(help="WhatsApp message templates.", no_args_is_help=True)


@dataclass(frozen=True)
class _Meta:
    """What a command that calls the Graph API for a tenant holds."""

    pool: Pool
    graph: GraphClient
    box: SecretBox
    tenant_id: uuid.UUID


@asynccontextmanager
async def _meta(backend: Backend, tenant: str) -> AsyncIterator[_Meta]:
    """The tenant's id, a small pool and a Graph client; Meta's refusals as one sentence."""
    cfg = backend.cfg
    box = load_secret_box(cfg)
    async with backend.admin() as admin:
        found: uuid.UUID | None = await tenant_id(admin, tenant)
    if found is None:
        raise PyTakeError(
            _("no tenant {tenant!r} (see 'pytake tenant list')").format(tenant=tenant)
        )
    pool = await create_pool(
        backend.endpoints.app_dsn.get_secret_value(),
        min_size=1,
        max_size=2,
        statement_cache_size=cfg.database.statement_cache_size,
    )
    timeout = aiohttp.ClientTimeout(total=cfg.whatsapp.http_timeout_seconds)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            graph = GraphClient(
                session, base_url=cfg.whatsapp.graph_base_url, api_version=cfg.whatsapp.api_version
            )
            yield _Meta(pool, graph, box, found)
    except GraphError as exc:
        raise PyTakeError(explain(exc.code, exc.details, message=exc.message)) from None
    finally:
        await pool.close()


@app.command("sync")
@handle_errors
def sync(tenant: TenantOpt, as_json: JsonOpt = False) -> None:
    """Fetch every template of the tenant's WABAs from the Graph API."""

    async def apply(backend: Backend) -> TemplateSyncResult:
        async with _meta(backend, tenant) as meta:
            return await templates.sync_templates(meta.pool, meta.graph, meta.box, meta.tenant_id)

    respond(perform(apply), as_json=as_json, show=_show_result)


@app.command("list")
@handle_errors
def list_(
    tenant: TenantOpt,
    status: Annotated[str | None, typer.Option(help="APPROVED, PENDING, REJECTED…")] = None,
    language: Annotated[str | None, typer.Option(help="e.g. en_US")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the local copy of the tenant's templates."""

    async def fetch(backend: Backend) -> list[MessageTemplateOut]:
        async with backend.tenant(tenant) as conn:
            return await db.list_templates(conn, status=status, language=language)

    respond(perform(fetch), as_json=as_json, show=_show_items)


@app.command("delete")
@handle_errors
def delete(
    name: Annotated[str, typer.Argument(help="The template's name.")],
    tenant: TenantOpt,
    language: Annotated[
        str | None, typer.Option(help="Only this language (e.g. en_US); default: every one.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete a template at Meta, then its local copy (Meta blocks the name for new content in
    that language for four weeks)."""

    async def go(backend: Backend) -> list[MessageTemplateOut]:
        async with backend.tenant(tenant) as conn:
            rows = await db.list_templates(conn, name=name, language=language)
        chosen = [r for r in rows if r.name == name]
        if not chosen:
            where = f" in {language}" if language else ""
            raise PyTakeError(
                _("no template {name!r}{where} (see 'pytake templates list')").format(
                    name=name, where=where
                )
            )
        listed = ", ".join(f"{t.language} ({t.status})" for t in chosen)
        if not yes and not typer.confirm(
            _("Delete {name}: {listed}, at Meta too?").format(name=name, listed=listed), err=True
        ):
            raise typer.Exit(1)
        deleted: list[MessageTemplateOut] = []
        async with _meta(backend, tenant) as meta:
            for template in chosen:
                gone = await templates.delete_at_meta(
                    meta.pool, meta.graph, meta.box, meta.tenant_id, template.id
                )
                # One transaction per language: each follows Meta's own yes.
                async with tenant_transaction(meta.pool, meta.tenant_id) as conn:
                    await templates.forget(conn, gone)
                    await record_cli_action(
                        conn,
                        "template.delete",
                        target_type="template",
                        target_id=gone.id,
                        diff={
                            "name": gone.name,
                            "language": gone.language,
                            "waba_id": gone.waba_id,
                        },
                    )
                deleted.append(gone)
        return deleted

    respond(perform(go), as_json=as_json, show=_show_deleted)


def _show_result(result: TemplateSyncResult) -> None:
    console.print(
        _(
            "synced {templates} template(s) from {wabas} account(s): {created} "
            "new, {updated} updated"
        ).format(
            templates=result.templates,
            wabas=result.wabas,
            created=result.created,
            updated=result.updated,
        )
    )


def _show_items(items: list[MessageTemplateOut]) -> None:
    table = Table(_("name"), _("language"), _("status"), _("category"), _("waba"))
    for t in items:
        table.add_row(t.name, t.language, t.status, t.category, t.waba_id)
    console.print(table)


def _show_deleted(deleted: list[MessageTemplateOut]) -> None:
    for t in deleted:
        console.print(
            _("deleted {name} ({language}) at Meta and here").format(
                name=t.name, language=t.language
            ),
            highlight=False,
        )
