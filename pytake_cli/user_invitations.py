"""``pytake user invite``, ``pytake user reset-password`` and ``pytake user invitations
list|resend|revoke``.

The same rules as the API (pytake_daemon/invitations/service.py), acting as the owner role like
every tenant command of the CLI; the code is e-mailed through the tenant's SMTP settings after
the invitation commits, or printed once for whoever runs the command to pass on.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

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
from pytake_daemon.attendance import queues_db
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.auth.tokens import token_hash
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import ApiError, PyTakeError
from pytake_daemon.invitations import db, mail, service
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.invitations import (
    InvitationCreate,
    InvitationOut,
    InvitationSent,
    PasswordResetCreate,
)
from pytake_daemon.users import db as users_db
from pytake_daemon.whatsapp.secretbox import load_secret_box

app = typer.Typer(help="Invitations of a tenant.", no_args_is_help=True)


async def _queue_ids(conn: Connection, names: list[str]) -> list[uuid.UUID]:
    """Queues by name or id; an unknown one is an error naming it."""
    if not names:
        return []
    queues = await queues_db.list_queues(conn)
    by_name = {q["name"].lower(): q["id"] for q in queues}
    ids = {str(q["id"]): q["id"] for q in queues}
    found = []
    for name in names:
        queue_id = ids.get(name) or by_name.get(name.lower())
        if queue_id is None:
            raise PyTakeError(
                _("no queue {name!r} in this tenant (see 'pytake queues list')").format(name=name)
            )
        found.append(queue_id)
    return found


async def _find(conn: Connection, which: str) -> uuid.UUID:
    """An invitation by id, or the newest one for an e-mail."""
    for row in await db.list_invitations(conn):
        if str(row["id"]) == which or row["email"] == which.strip().lower():
            found: uuid.UUID = row["id"]
            return found
    raise PyTakeError(
        _("no invitation {which!r} in this tenant (see 'pytake user invitations list')").format(
            which=which
        )
    )


async def _deliver(
    backend: Backend,
    tenant: str,
    invitation: InvitationOut,
    code: str,
    outgoing: mail.Outgoing | None,
) -> InvitationSent:
    if outgoing is None:
        return InvitationSent(invitation=invitation, emailed=False, code=code)
    delivery = await mail.send(outgoing, backend.cfg.notifications)
    if not delivery.emailed:
        return InvitationSent(
            invitation=invitation, emailed=False, code=code, email_error=delivery.error
        )
    now = datetime.now(UTC)
    async with backend.tenant(tenant) as conn:
        row = await db.mark_emailed(conn, invitation.id, token_hash(code), now)
    return InvitationSent(
        invitation=service.to_out(row, now) if row is not None else invitation, emailed=True
    )


def _report(sent: InvitationSent, as_json: bool, verb: str) -> None:
    respond(sent, as_json=as_json, show=lambda said: _show_sent(said, verb))


def _show_sent(sent: InvitationSent, verb: str) -> None:
    invitation = sent.invitation
    until = f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC"
    console.print(
        _("{verb} {value} [bold]{email}[/] (until {until})").format(
            verb=verb, value=invitation.role.value, email=invitation.email, until=until
        )
    )
    if sent.emailed:
        console.print(_("the code was e-mailed to them"))
        return
    if sent.email_error:
        console.print(
            _("[yellow]not e-mailed:[/] {email_error}").format(email_error=sent.email_error),
            highlight=False,
        )
    # Shown this once: only its hash is stored.
    console.print(
        _("code (shown once, pass it on): {code}").format(code=sent.code), highlight=False
    )
    console.print(
        _("they join with: pytake tui --invite {code}").format(code=sent.code), highlight=False
    )


@handle_errors
def invite(
    email: Annotated[str, typer.Argument(help="The person's e-mail (their login).")],
    tenant: TenantOpt,
    role: Annotated[Role, typer.Option(help="Role.")] = Role.AGENT,
    queue: Annotated[
        list[str] | None,
        typer.Option("--queue", "-q", help="A queue they will serve (name or id); repeatable."),
    ] = None,
    ttl_hours: Annotated[int, typer.Option(help="How long the code works.")] = 72,
    as_json: JsonOpt = False,
) -> None:
    """Invite a person: the code is e-mailed (tenant SMTP settings) or printed once."""
    cfg = settings()
    box = load_secret_box(cfg)

    async def create(backend: Backend) -> InvitationSent:
        async with backend.tenant(tenant) as conn:
            try:
                body = InvitationCreate(
                    email=email,
                    role=role,
                    queue_ids=await _queue_ids(conn, queue or []),
                    ttl_hours=ttl_hours,
                )
            except ValidationError as exc:
                err = exc.errors()[0]
                raise PyTakeError(f"{err['loc'][0]}: {err['msg']}") from None
            try:
                invitation, code = await service.invite(
                    conn, body, by_role=Role.OWNER, by_user=None, now=datetime.now(UTC)
                )
            except ApiError as exc:
                raise PyTakeError(str(exc)) from None
            outgoing = await mail.prepare(conn, box, invitation, code)
            await record_cli_action(
                conn, "invitation.create", target_type="invitation", target_id=invitation.id
            )
        return await _deliver(backend, tenant, invitation, code, outgoing)

    sent = perform(create, cfg=cfg)
    _report(sent, as_json, "invited")


@handle_errors
def reset_password(
    email: Annotated[str, typer.Argument(help="The user's e-mail (their login).")],
    tenant: TenantOpt,
    ttl_hours: Annotated[int, typer.Option(help="How long the code works.")] = 24,
    as_json: JsonOpt = False,
) -> None:
    """Send a user a password-reset code (e-mailed, or printed once): with it they choose a new
    password (pytake tui --invite CODE) and their sessions end."""
    cfg = settings()
    box = load_secret_box(cfg)

    async def create(backend: Backend) -> InvitationSent:
        async with backend.tenant(tenant) as conn:
            user = await users_db.get_user_by_email(conn, email.strip().lower())
            if user is None:
                raise PyTakeError(
                    _("no user {email!r} in this tenant (see 'pytake user list')").format(
                        email=email
                    )
                )
            try:
                body = PasswordResetCreate(user_id=user.id, ttl_hours=ttl_hours)
            except ValidationError as exc:
                err = exc.errors()[0]
                raise PyTakeError(f"{err['loc'][0]}: {err['msg']}") from None
            try:
                invitation, code = await service.invite_reset(
                    conn,
                    body.user_id,
                    by_role=Role.OWNER,
                    by_user=None,
                    now=datetime.now(UTC),
                    ttl_hours=body.ttl_hours,
                )
            except ApiError as exc:
                raise PyTakeError(str(exc)) from None
            outgoing = await mail.prepare(conn, box, invitation, code)
            await record_cli_action(
                conn, "user.password_reset_sent", target_type="user", target_id=user.id
            )
        return await _deliver(backend, tenant, invitation, code, outgoing)

    sent = perform(create, cfg=cfg)
    _report(sent, as_json, "password reset for")


@app.command("list")
@handle_errors
def list_(tenant: TenantOpt, as_json: JsonOpt = False) -> None:
    """List a tenant's invitations, newest first (never their codes)."""

    async def fetch(backend: Backend) -> list[InvitationOut]:
        now = datetime.now(UTC)
        async with backend.tenant(tenant) as conn:
            return [service.to_out(r, now) for r in await db.list_invitations(conn)]

    respond(perform(fetch), as_json=as_json, show=_show_invitations)


WhichArg = Annotated[str, typer.Argument(help="The invitation's id, or the invited e-mail.")]


@app.command("resend")
@handle_errors
def resend(which: WhichArg, tenant: TenantOpt, as_json: JsonOpt = False) -> None:
    """A new code and expiry (e-mailed or printed once); the old code stops working."""
    cfg = settings()
    box = load_secret_box(cfg)

    async def again(backend: Backend) -> InvitationSent:
        async with backend.tenant(tenant) as conn:
            try:
                invitation, code = await service.resend(
                    conn, await _find(conn, which), by_role=Role.OWNER, now=datetime.now(UTC)
                )
            except ApiError as exc:
                raise PyTakeError(str(exc)) from None
            outgoing = await mail.prepare(conn, box, invitation, code)
            await record_cli_action(
                conn, "invitation.resend", target_type="invitation", target_id=invitation.id
            )
        return await _deliver(backend, tenant, invitation, code, outgoing)

    sent = perform(again, cfg=cfg)
    _report(sent, as_json, "sent again to")


@app.command("revoke")
@handle_errors
def revoke(which: WhichArg, tenant: TenantOpt) -> None:
    """Revoke an invitation: its code stops working."""

    async def apply(backend: Backend) -> InvitationOut:
        async with backend.tenant(tenant) as conn:
            try:
                invitation, revoked = await service.revoke(
                    conn, await _find(conn, which), by_role=Role.OWNER, now=datetime.now(UTC)
                )
            except ApiError as exc:
                raise PyTakeError(str(exc)) from None
            if revoked:
                await record_cli_action(
                    conn, "invitation.revoke", target_type="invitation", target_id=invitation.id
                )
            return invitation

    invitation = perform(apply)
    console.print(
        _("the invitation of {email} is revoked; its code no longer works").format(
            email=invitation.email
        )
    )


def _show_invitations(invitations: list[InvitationOut]) -> None:
    table = Table(_("e-mail"), _("role"), _("status"), _("expires"), _("e-mailed"), _("id"))
    for i in invitations:
        table.add_row(
            i.email,
            i.role.value,
            i.status.value,
            f"{i.expires_at:%Y-%m-%d %H:%M}",
            "yes" if i.emailed_at else "no",
            str(i.id),
        )
    console.print(table)
