"""``pytake user add|list|passwd|disable``, and ``invite`` / ``invitations`` (user_invitations)."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from pytake_cli import user_invitations
from pytake_cli.context import Backend, console, handle_errors, perform, respond
from pytake_cli.i18n import _
from pytake_cli.options import JsonOpt, TenantOpt
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.errors import ApiError, PyTakeError
from pytake_daemon.protocol import Role, UserCreate, UserOut, UserUpdate
from pytake_daemon.users import db, service

app = typer.Typer(help="Users of a tenant.", no_args_is_help=True)

PasswordOpt = Annotated[
    str | None,
    typer.Option(
        help="Password (prompted when omitted; prefer the prompt or PYTAKE_USER_PASSWORD, "
        "since arguments show up in the process list).",
        envvar="PYTAKE_USER_PASSWORD",
        show_default=False,
    ),
]


def _password(value: str | None) -> str:
    if value is not None:
        return value
    entered: str = typer.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    return entered


def _validation_message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    return f"{field}: {err['msg']}"


@app.command("add")
@handle_errors
def add(
    email: Annotated[str, typer.Argument(help="Login e-mail.")],
    tenant: TenantOpt,
    name: Annotated[str | None, typer.Option(help="Display name (defaults to the e-mail).")] = None,
    role: Annotated[Role, typer.Option(help="Role.")] = Role.AGENT,
    password: PasswordOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user in a tenant."""
    try:
        body = UserCreate(email=email, name=name or email, role=role, password=_password(password))
    except ValidationError as exc:
        raise PyTakeError(_validation_message(exc)) from None

    async def create(backend: Backend) -> UserOut:
        async with backend.tenant(tenant) as conn:
            try:
                user = await service.create_user(
                    conn, Passwords(backend.cfg.auth), body, by_role=Role.OWNER
                )
            except ApiError as exc:
                raise PyTakeError(str(exc)) from None
            await record_cli_action(conn, "user.create", target_type="user", target_id=user.id)
            return user

    respond(perform(create), as_json=as_json, show=lambda user: _show_created(user, tenant))


def _show_created(user: UserOut, tenant: str) -> None:
    console.print(
        _("created {value} [bold]{email}[/] in {tenant} ({id})").format(
            value=user.role.value, email=user.email, tenant=tenant, id=user.id
        )
    )


@app.command("list")
@handle_errors
def list_(tenant: TenantOpt, as_json: JsonOpt = False) -> None:
    """List a tenant's users."""

    async def fetch(backend: Backend) -> list[UserOut]:
        async with backend.tenant(tenant) as conn:
            return await db.list_users(conn)

    respond(perform(fetch), as_json=as_json, show=_show_users)


def _update(tenant: str, email: str, update: UserUpdate) -> UserOut:

    async def apply(backend: Backend) -> UserOut:
        async with backend.tenant(tenant) as conn:
            row = await db.get_user_by_email(conn, email)
            if row is None:
                raise PyTakeError(
                    _("no user {email!r} in tenant {tenant!r}").format(email=email, tenant=tenant)
                )
            try:
                user, _revoked = await service.update_user(
                    conn, Passwords(backend.cfg.auth), row.id, update, by_role=Role.OWNER
                )
            except ApiError as exc:
                raise PyTakeError(str(exc)) from None
            action = "user.disable" if update.disabled is not None else "user.update"
            await record_cli_action(conn, action, target_type="user", target_id=user.id)
            return user

    return perform(apply)


@app.command("passwd")
@handle_errors
def passwd(
    email: Annotated[str, typer.Argument(help="Login e-mail.")],
    tenant: TenantOpt,
    password: PasswordOpt = None,
) -> None:
    """Set a user's password (their sessions and tokens are revoked)."""
    try:
        update = UserUpdate(password=_password(password))
    except ValidationError as exc:
        raise PyTakeError(_validation_message(exc)) from None
    user = _update(tenant, email, update)
    console.print(
        _("password changed for {email}; their sessions were revoked").format(email=user.email)
    )


@app.command("disable")
@handle_errors
def disable(
    email: Annotated[str, typer.Argument(help="Login e-mail.")],
    tenant: TenantOpt,
    enable: Annotated[bool, typer.Option("--enable", help="Re-enable instead.")] = False,
) -> None:
    """Disable a user (revoking their sessions and tokens), or re-enable with --enable."""
    user = _update(tenant, email, UserUpdate(disabled=not enable))
    console.print(
        _("{email} is now {value}").format(
            email=user.email, value="disabled" if user.disabled else "active"
        )
    )


app.command("invite")(user_invitations.invite)
app.command("reset-password")(user_invitations.reset_password)
app.add_typer(user_invitations.app, name="invitations")


def _show_users(users: list[UserOut]) -> None:
    table = Table(_("e-mail"), _("name"), _("role"), _("state"), _("id"))
    for u in users:
        table.add_row(
            u.email, u.name, u.role.value, "disabled" if u.disabled else "active", str(u.id)
        )
    console.print(table)
