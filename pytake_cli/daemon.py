"""``pytake daemon``."""

from __future__ import annotations

from pytake_cli.context import handle_errors, settings


@handle_errors
def daemon() -> None:
    """Run the daemon (REST API, WebSocket, workers) in the foreground until SIGTERM."""
    from pytake_daemon.daemon import run_daemon

    run_daemon(settings())
