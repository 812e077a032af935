"""The root ``pytake`` command; each group lives in its own module."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from pytake_cli import (
    agents,
    ai,
    audit,
    backup,
    config,
    contacts,
    daemon,
    demo,
    doctor,
    flow,
    migrate,
    notify,
    numbers,
    queues,
    replies,
    report,
    secrets,
    simulate,
    templates,
    tenant,
    token,
    tui,
    user,
    webhooks,
)
from pytake_cli.context import state
from pytake_cli.i18n import apply_lang_option, localize, resolve_language
from pytake_cli.parse_errors import OneLineErrorsGroup
from pytake_daemon import __version__
from pytake_daemon.config import LoggingSettings
from pytake_daemon.logs import configure_logging
from pytake_i18n import set_language

app = typer.Typer(
    name="pytake",
    cls=OneLineErrorsGroup,
    help="PyTake: terminal-first WhatsApp Business automation and customer support.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pytake {__version__}")
        raise typer.Exit


@app.callback()
def main(
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="TOML config file.", envvar="PYTAKE_CONFIG", show_default=False
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of help and messages: en or pt_BR (default: the system locale).",
            callback=apply_lang_option,
            envvar="PYTAKE_LANG",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Admin and operator commands."""
    state.config = config_file
    # stdout carries the command's answer (often --json); a library's log line must never land
    # in it. Commands that run the daemon configure logging again from its settings.
    configure_logging(LoggingSettings(level="warning", format="console"))


app.command("daemon")(daemon.daemon)
app.command("tui")(tui.tui)
app.command("demo")(demo.demo)
app.command("doctor")(doctor.doctor)
app.add_typer(config.app, name="config")
app.add_typer(audit.app, name="audit")
app.add_typer(migrate.app, name="migrate")
app.add_typer(backup.app, name="backup")
app.add_typer(tenant.app, name="tenant")
app.add_typer(user.app, name="user")
app.add_typer(token.app, name="token")
app.add_typer(numbers.app, name="numbers")
app.add_typer(templates.app, name="templates")
app.add_typer(flow.app, name="flow")
app.add_typer(simulate.app, name="simulate")
app.add_typer(queues.app, name="queues")
app.add_typer(agents.app, name="agents")
app.add_typer(ai.app, name="ai")
app.add_typer(replies.app, name="replies")
app.add_typer(contacts.app, name="contacts")
app.add_typer(secrets.app, name="secrets")
app.add_typer(report.app, name="report")
app.add_typer(notify.app, name="notify")
app.add_typer(webhooks.app, name="webhooks")


def run() -> None:
    """The ``pytake`` entry point: the language, then the help translated, then the command."""
    set_language(resolve_language(sys.argv[1:], os.environ))
    command = typer.main.get_command(app)
    localize(command)
    command(prog_name="pytake")
