"""``pytake notify smtp|test-email``: a tenant's e-mail channel for notifications.

Same rules as the API (``PUT /api/v1/notifications/smtp``, ``POST …/test-email``): the password
is stored encrypted with the numbers' secret box and never printed; a test e-mail is retried
like any other and a failure is one line.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from pydantic import ValidationError

from pytake_cli.context import (
    Backend,
    console,
    handle_errors,
    perform,
    respond,
    settings,
)
from pytake_cli.i18n import _
from pytake_cli.options import JsonOpt, TenantOpt
from pytake_daemon.errors import PyTakeError
from pytake_daemon.notifications import email_channel, settings_db
from pytake_daemon.protocol.notifications import SmtpSettingsIn, TestEmailResult
from pytake_daemon.whatsapp.secretbox import load_secret_box

app = typer.Typer(
    help="Notifications' e-mail channel: SMTP settings and a test e-mail.", no_args_is_help=True
)

_OWNER_EMAIL = (
    "SELECT email FROM users WHERE tenant_id = current_tenant_id() AND disabled_at IS NULL"
    " ORDER BY role = 'owner' DESC, role = 'admin' DESC, created_at LIMIT 1"
)


def _invalid(exc: ValidationError) -> PyTakeError:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "smtp"
    return PyTakeError(f"{where}: {err['msg']}")


@app.command("smtp")
@handle_errors
def smtp(
    tenant: TenantOpt,
    host: Annotated[str, typer.Option(help="The SMTP server's name or address.")],
    sender: Annotated[str, typer.Option("--from", help="The From address of every e-mail.")],
    port: Annotated[int, typer.Option(help="587 for STARTTLS, 465 for TLS.")] = 587,
    security: Annotated[str, typer.Option(help="starttls, tls or none.")] = "starttls",
    username: Annotated[str | None, typer.Option(help="Login, if the server asks.")] = None,
    password_env: Annotated[
        str | None,
        typer.Option(help="Name of an environment variable holding the password (never argv)."),
    ] = None,
) -> None:
    """Set the tenant's SMTP server (a password left out keeps the stored one)."""
    password = None
    if password_env is not None:
        password = os.environ.get(password_env)
        if password is None:
            raise PyTakeError(
                _("environment variable {password_env} is not set").format(
                    password_env=password_env
                )
            )
    try:
        body = SmtpSettingsIn(
            host=host, port=port, security=security, username=username,
            password=password, from_address=sender,
        )  # fmt: skip
    except ValidationError as exc:
        raise _invalid(exc) from None
    cfg = settings()
    box = load_secret_box(cfg)

    async def store(backend: Backend) -> None:
        async with backend.tenant(tenant) as conn:
            await settings_db.put_smtp(
                conn,
                host=body.host,
                port=body.port,
                security=body.security,
                username=body.username,
                password_enc=box.encrypt(body.password) if body.password else None,
                from_address=body.from_address,
            )

    perform(store, cfg=cfg)
    console.print(
        _("SMTP for {tenant}: {host}:{port} ({security})").format(
            tenant=tenant, host=body.host, port=body.port, security=body.security
        )
    )


@app.command("test-email")
@handle_errors
def send_test_email(
    tenant: TenantOpt,
    to: Annotated[str | None, typer.Option(help="Recipient (default: the tenant's owner).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send a test e-mail through the tenant's SMTP settings (retried like any other)."""
    cfg = settings()
    box = load_secret_box(cfg)

    async def send(backend: Backend) -> TestEmailResult:
        async with backend.tenant(tenant) as conn:
            row = await settings_db.tenant_settings(conn)
            recipient = to or await conn.fetchval(_OWNER_EMAIL)
        config = email_channel.smtp_config(row, box)
        attempts = await email_channel.send_test(config, recipient, backend.cfg.notifications)
        return TestEmailResult(to=recipient, attempts=attempts)

    respond(perform(send, cfg=cfg), as_json=as_json, show=_show_result)


def _show_result(result: TestEmailResult) -> None:
    tries = "1 try" if result.attempts == 1 else f"{result.attempts} tries"
    console.print(_("test e-mail sent to {to} ({tries})").format(to=result.to, tries=tries))
