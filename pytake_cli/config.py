"""``pytake config``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.pretty import Pretty

from pytake_cli import config_transfer
from pytake_cli.context import console, print_json, settings, state
from pytake_cli.i18n import _
from pytake_daemon.config import config_path, example_toml, masked

app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)


@app.command("show")
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the effective configuration (file + PYTAKE_* environment), secrets masked."""
    cfg = settings()
    data = masked(cfg)
    if as_json:
        print_json(data)
        return
    source = config_path(state.config)
    console.print(
        _("[dim]# file: {value}; environment PYTAKE_* overrides it[/]").format(
            value=source or "(none)"
        )
    )
    console.print(Pretty(data, expand_all=True))


@app.command("example")
def example() -> None:
    """Print a TOML file documenting every setting with its default."""
    typer.echo(example_toml(), nl=False)


app.command("export")(config_transfer.export)
app.command("import")(config_transfer.import_)
