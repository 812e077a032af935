"""``pytake backup restore|drill``: getting a backup's data back, for real or as a rehearsal.

Exit codes: restore 0 done, 1 declined at the prompt; drill 0 the tables match, 1 differences.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pytake_cli.backup_context import backup_context, ready_backup_context, reporter
from pytake_cli.context import EXIT_CONFIG, Backend, console, fail, handle_errors, perform, respond
from pytake_cli.i18n import _
from pytake_cli.options import JsonOpt
from pytake_daemon.backups.catalog import get_manifest
from pytake_daemon.backups.drill import DrillResult, run_drill
from pytake_daemon.backups.restore import restore_in_place, restore_into, restore_tenant


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

    async def go(backend: Backend) -> dict[str, Any]:
        ctx = backup_context(backend)
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
        with reporter(as_json) as progress:
            if tenant is not None:
                loaded = await restore_tenant(ctx, manifest, tenant, progress)
                return {"backup_id": manifest.id, "tenant": tenant, "rows": loaded}
            if into is not None:
                await restore_into(ctx, manifest, into, progress)
                return {"backup_id": manifest.id, "into": _redacted(into)}
            safety = await restore_in_place(ctx, manifest, progress)
            return {"backup_id": manifest.id, "in_place": True, "safety_backup": safety.id}

    respond(perform(go), as_json=as_json, show=lambda done: _show_restored(done, backup_id))


def _show_restored(outcome: dict[str, Any], backup_id: str) -> None:
    if "rows" in outcome:
        total = sum(outcome["rows"].values())
        console.print(
            _("tenant {tenant}: {total} rows restored from {backup_id}").format(
                tenant=outcome["tenant"], total=total, backup_id=backup_id
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


@handle_errors
def drill(as_json: JsonOpt = False) -> None:
    """Restore the latest full backup into a scratch database and compare every table."""

    async def go(backend: Backend) -> DrillResult | None:
        ctx = await ready_backup_context(backend)
        with reporter(as_json) as progress:
            return await run_drill(ctx, progress)

    result = perform(go)
    assert result is not None, "only slotted runs are skipped"
    summary = {
        "backup_id": result.backup_id,
        "ok": result.ok,
        "tables": result.tables,
        "rows": result.rows,
        "differences": result.differences,
    }
    respond(summary, as_json=as_json, show=lambda _summary: _show_drill(result))
    if not result.ok:
        fail(
            _("drill of {backup_id} found differences: {join}").format(
                backup_id=result.backup_id, join="; ".join(result.differences)
            )
        )


def _show_drill(result: DrillResult) -> None:
    if result.ok:
        console.print(
            _(
                "drill of {backup_id}: {tables} tables, {rows} rows, counts and checksums match"
            ).format(backup_id=result.backup_id, tables=result.tables, rows=result.rows)
        )
