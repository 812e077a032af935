"""``pytake migrate status|up``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from pytake_cli.context import Backend, console, fail, handle_errors, perform, print_json
from pytake_cli.i18n import _
from pytake_daemon.db import migrations

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@app.command("status")
@handle_errors
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show known and applied migrations."""

    async def read(backend: Backend) -> list[migrations.MigrationState]:
        dsn = backend.endpoints.admin_dsn or backend.endpoints.app_dsn
        conn = await backend.connect(dsn.get_secret_value())
        try:
            return await migrations.status(conn)
        finally:
            await conn.close()

    states = perform(read)
    if as_json:
        print_json(
            [
                {
                    "version": s.version,
                    "name": s.name,
                    "applied_at": s.applied_at.isoformat() if s.applied_at else None,
                    "known": s.migration is not None,
                    "checksum_matches": s.checksum_matches,
                }
                for s in states
            ]
        )
        return
    table = Table(_("version"), _("name"), _("applied at"), _("note"))
    for s in states:
        note = ""
        if s.migration is None:
            note = "[red]unknown to this PyTake[/]"
        elif s.checksum_matches is False:
            note = "[yellow]file changed since applied[/]"
        elif s.applied_at is None:
            note = "[cyan]pending[/]"
        table.add_row(f"{s.version:04d}", s.name, str(s.applied_at or "—"), note)
    console.print(table)
    waiting = [s for s in states if s.migration is not None and s.applied_at is None]
    if waiting:
        names = ", ".join(s.migration.path.name for s in waiting if s.migration)
        console.print(
            _("{len} pending: {names} (apply with 'pytake migrate up')").format(
                len=len(waiting), names=names
            )
        )
    else:
        console.print(_("schema is up to date"))


@app.command("up")
@handle_errors
def up(
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the SQL that would run instead of running it.")
    ] = False,
) -> None:
    """Apply every pending migration, each in its own transaction."""

    async def apply(backend: Backend) -> list[migrations.Migration]:
        endpoints = backend.endpoints
        if endpoints.admin_dsn is None:
            fail(_("migrations need database.admin_url (the owner role) when database.url is set"))
        conn = await backend.connect(endpoints.admin_dsn.get_secret_value())
        try:
            if sql:
                migrations.check_not_newer(await migrations.current_version(conn))
                known = migrations.discover()
                recorded = await migrations.applied_checksums(conn)
                migrations.check_checksums(known, recorded)
                pending = migrations.pending_sql(known, recorded, endpoints.app_role)
                typer.echo(migrations.script(pending))
                return []
            return await migrations.upgrade(conn, endpoints.app_role)
        finally:
            await conn.close()

    applied = perform(apply)
    if sql:
        return
    if not applied:
        console.print(_("schema is up to date"))
    for migration in applied:
        console.print(_("applied {name}").format(name=migration.path.name))
