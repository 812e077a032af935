"""The root ``pytake`` command; each group lives in its own module."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from pytake_cli import (
    agents_cmd,
    ai_cmd,
    audit_cmd,
    backup_cmd,
    config_cmd,
    contacts_cmd,
    daemon_cmd,
    demo_cmd,
    doctor_cmd,
    flows_cmd,
    migrate,
    notify_cmd,
    numbers,
    queues_cmd,
    replies_cmd,
    report_cmd,
    secrets_cmd,
    simulate,
    templates_cmd,
    tenants,
    tokens,
    tui_cmd,
    users,
    webhooks_cmd,
)
from pytake_cli.context import state
from pytake_cli.i18n import apply_lang_option, localize, resolve_language
from pytake_daemon import __version__
from pytake_daemon.config import LoggingSettings
from pytake_daemon.logs import configure_logging
from pytake_i18n import set_language

app = typer.Typer(
    name="pytake",
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
    config: Annotated[
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
    state.config = config
    # stdout carries the command's answer (often --json); a library's log line must never land
    # in it. Commands that run the daemon configure logging again from its settings.
    configure_logging(LoggingSettings(level="warning", format="console"))


app.command("daemon")(daemon_cmd.daemon)
app.command("tui")(tui_cmd.tui)
app.command("demo")(demo_cmd.demo)
app.command("doctor")(doctor_cmd.doctor)
app.add_typer(config_cmd.app, name="config")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(migrate.app, name="migrate")
app.add_typer(backup_cmd.app, name="backup")
app.add_typer(tenants.app, name="tenant")
app.add_typer(users.app, name="user")
app.add_typer(tokens.app, name="token")
app.add_typer(numbers.app, name="numbers")
app.add_typer(templates_cmd.app, name="templates")
app.add_typer(flows_cmd.app, name="flow")
app.add_typer(simulate.app, name="simulate")
app.add_typer(queues_cmd.app, name="queues")
app.add_typer(agents_cmd.app, name="agents")
app.add_typer(ai_cmd.app, name="ai")
app.add_typer(replies_cmd.app, name="replies")
app.add_typer(contacts_cmd.app, name="contacts")
app.add_typer(secrets_cmd.app, name="secrets")
app.add_typer(report_cmd.app, name="report")
app.add_typer(notify_cmd.app, name="notify")
app.add_typer(webhooks_cmd.app, name="webhooks")


def run() -> None:
    """The ``pytake`` entry point: the language, then the help translated, then the command."""
    set_language(resolve_language(sys.argv[1:], os.environ))
    command = typer.main.get_command(app)
    localize(command)
    command(prog_name="pytake")
