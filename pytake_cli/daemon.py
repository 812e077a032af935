"""``pytake daemon``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pytake_cli.context import handle_errors, settings


@handle_errors
def daemon(
    role: Annotated[
        str | None,
        typer.Option(
            help="What this process does: all, web (API, WebSocket, webhooks) or jobs "
            "(claimers, sender, schedules). Default: server.role.",
            show_default=False,
        ),
    ] = None,
    nice: Annotated[
        int | None,
        typer.Option(
            help="CPU priority to lower this process to (0-19). Default: server.nice.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the daemon (REST API, WebSocket, workers) in the foreground until SIGTERM."""
    from pytake_daemon.daemon import run_daemon

    # Through the settings' own validation: a bad value is one line naming server.role.
    server: dict[str, Any] = {}
    if role is not None:
        server["role"] = role
    if nice is not None:
        server["nice"] = nice
    run_daemon(settings(server=server) if server else settings())
