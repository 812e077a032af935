"""The invitation e-mail, sent through the tenant's SMTP settings by the notifications' e-mail
channel (the same composer, TLS rules and sender as notifications; no second SMTP client)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.message import EmailMessage

from pytake_daemon.config import NotificationsSettings
from pytake_daemon.db.pool import Connection
from pytake_daemon.notifications import email_channel, settings_db
from pytake_daemon.notifications.email_channel import SmtpConfig, SmtpNotConfigured
from pytake_daemon.protocol.invitations import InvitationOut
from pytake_daemon.tenancy import db as tenancy_db
from pytake_daemon.whatsapp.secretbox import SecretBox

# One try with a short timeout: the admin who invites is waiting, and when the server refuses
# the code is shown to them instead, which is better than a minute of retries.
_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Delivery:
    emailed: bool
    error: str | None = None
    """Why an e-mail was not sent although the tenant has SMTP settings."""


def invitation_email(
    sender: str, invitation: InvitationOut, code: str, tenant_name: str
) -> EmailMessage:
    expires = f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC"
    command = f"pytake tui --invite {code}"
    if invitation.resets_user_id is not None:
        return _reset_email(sender, invitation, code, tenant_name, expires, command)
    text = (
        f"You are invited to {tenant_name} on PyTake as {invitation.role.value}.\n\n"
        f"Your invitation code: {code}\n\n"
        f'Run `{command}` (or choose "I have an invitation code" on the console\'s login '
        f"screen), pick a password, and you are in.\n\n"
        f"The code works once, until {expires}.\n"
    )
    page = (
        f"<p>You are invited to <b>{html.escape(tenant_name)}</b> on PyTake as "
        f"{invitation.role.value}.</p><p>Your invitation code: <code>{code}</code></p>"
        f"<p>Run <code>{html.escape(command)}</code> (or choose <i>I have an invitation "
        f"code</i> on the console's login screen), pick a password, and you are in.</p>"
        f"<p><small>The code works once, until {expires}.</small></p>"
    )
    subject = f"PyTake: you are invited to {tenant_name}"
    return email_channel.compose(sender, invitation.email, subject, text, page)


def _reset_email(
    sender: str,
    invitation: InvitationOut,
    code: str,
    tenant_name: str,
    expires: str,
    command: str,
) -> EmailMessage:
    text = (
        f"An admin of {tenant_name} on PyTake reset your password.\n\n"
        f"Your code: {code}\n\n"
        f'Run `{command}` (or choose "I have an invitation code" on the console\'s login '
        f"screen) and choose a new password. Your open sessions end then.\n\n"
        f"The code works once, until {expires}.\n"
    )
    page = (
        f"<p>An admin of <b>{html.escape(tenant_name)}</b> on PyTake reset your password.</p>"
        f"<p>Your code: <code>{code}</code></p><p>Run <code>{html.escape(command)}</code> (or "
        f"choose <i>I have an invitation code</i> on the console's login screen) and choose a "
        f"new password. Your open sessions end then.</p>"
        f"<p><small>The code works once, until {expires}.</small></p>"
    )
    subject = f"PyTake: reset your password for {tenant_name}"
    return email_channel.compose(sender, invitation.email, subject, text, page)


@dataclass(frozen=True, slots=True)
class Outgoing:
    config: SmtpConfig
    message: EmailMessage


async def prepare(
    conn: Connection, box: SecretBox, invitation: InvitationOut, code: str
) -> Outgoing | None:
    """The e-mail to send after the invitation's transaction commits (never before: the code
    must exist when it arrives), or ``None`` when the tenant has no SMTP settings."""
    try:
        config = email_channel.smtp_config(await settings_db.tenant_settings(conn), box)
    except SmtpNotConfigured:
        return None
    tenant = await tenancy_db.current_tenant(conn)
    name = tenant.name if tenant is not None else "your team"
    return Outgoing(config, invitation_email(config.from_address, invitation, code, name))


async def send(outgoing: Outgoing, settings: NotificationsSettings) -> Delivery:
    """Send once; a failure is reported, never raised (the admin is given the code instead)."""
    once = settings.model_copy(
        update={
            "email_attempts": 1,
            "smtp_timeout_seconds": min(settings.smtp_timeout_seconds, _TIMEOUT_SECONDS),
        }
    )
    try:
        await email_channel.send(outgoing.config, outgoing.message, once)
    except Exception as exc:  # whatever the server or the name did: one sentence, never a 500
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Delivery(False, f"the SMTP server did not take the invitation: {detail}")
    return Delivery(True)
