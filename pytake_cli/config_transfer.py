"""``pytake config export|import``: a tenant's configuration as one YAML document
(docs/configuration-transfer.md). Registered on ``pytake config`` by ``config_cmd``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from pytake_cli.context import (
    EXIT_CONFIG,
    Backend,
    console,
    fail,
    handle_errors,
    perform,
    respond,
)
from pytake_cli.i18n import _
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.i18n import translate
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.tenant_config import ChangeKind, ImportResult
from pytake_daemon.tenant_config import service
from pytake_daemon.tenant_config.diff import summary

TenantOpt = Annotated[str, typer.Option("--tenant", "-t", help="Tenant slug or id.")]

_COLOURS = {
    ChangeKind.CREATED: "green",
    ChangeKind.CHANGED: "yellow",
    ChangeKind.UNCHANGED: "dim",
    ChangeKind.DELETED: "red",
}


@handle_errors
def export(
    tenant: TenantOpt,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: stdout.")] = None,
) -> None:
    """Write the tenant's configuration (no secrets) as YAML: pytake config export -t T > t.yaml"""

    async def fetch(backend: Backend) -> str:
        async with backend.tenant(tenant) as conn:
            text = await service.export_text(conn)
            await record_cli_action(conn, "config.export", target_type="tenant_config")
            return text

    text = perform(fetch)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(
            _("wrote {tenant}'s configuration to {output}").format(tenant=tenant, output=output)
        )


@handle_errors
def import_(
    file: Annotated[Path, typer.Argument(help="The YAML document (from 'pytake config export').")],
    tenant: TenantOpt,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the diff only.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Apply it, all or nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Compare a document with the tenant (--dry-run) or apply it in one transaction (--apply).

    A document with problems lists each with its path in the file and exits 2; nothing is applied.
    """
    if dry_run == apply:
        fail(_("give exactly one of --dry-run or --apply"), code=EXIT_CONFIG)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{file}: {getattr(exc, 'strerror', None) or exc}", code=EXIT_CONFIG)

    async def go(backend: Backend) -> ImportResult:
        async with backend.tenant(tenant) as conn:
            result = await service.import_text(
                conn, text, apply=apply, passwords=Passwords(backend.cfg.auth), by_role=Role.OWNER
            )
            if apply:
                await record_cli_action(
                    conn,
                    "config.import",
                    target_type="tenant_config",
                    diff={"import": {"before": None, "after": summary(result.changes)}},
                )
            return result

    try:
        result = perform(go)
    except service.InvalidDocument as exc:
        for problem in exc.problems:
            # The daemon's sentence, said in the CLI's language.
            said = translate(problem.msg) or problem.msg
            typer.echo(f"{file}: {problem.loc}: {said}", err=True)
        fail(
            _("{file}: {len} problem(s); nothing applied").format(file=file, len=len(exc.problems)),
            code=EXIT_CONFIG,
        )
    respond(result, as_json=as_json, show=lambda done: _show_changes(done, applied=apply))


def _show_changes(result: ImportResult, *, applied: bool) -> None:
    for change in result.changes:
        word = change.kind.word(applied=applied)
        console.print(
            f"[{_COLOURS[change.kind]}]{change.kind.mark} {word:<12}[/] {escape(change.item)}",
            highlight=False,
        )
    console.print(f"{result.summary}; " + ("applied" if applied else "nothing applied (dry run)"))
