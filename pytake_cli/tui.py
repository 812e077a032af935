"""``pytake tui``."""

from __future__ import annotations

from typing import Annotated

import typer

from pytake_cli.context import fail, handle_errors
from pytake_cli.i18n import _, asked_language


@handle_errors
def tui(
    server: Annotated[
        str | None,
        typer.Option(help="Daemon URL, e.g. http://127.0.0.1:8420.", envvar="PYTAKE_SERVER"),
    ] = None,
    invite: Annotated[
        str | None,
        typer.Option(
            help="An invitation code: choose your password and join (the code works once).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Open the terminal console."""
    from pytake_tui import diagnostics
    from pytake_tui.app import build_app
    from pytake_tui.terminal_size import forget_inherited_size

    forget_inherited_size()
    try:
        app = build_app(server=server, invite=invite, language=asked_language())
    except ValueError as exc:
        fail(_("--server: {exc}").format(exc=exc), code=2)
    diagnostics.install(app)
    app.run()
