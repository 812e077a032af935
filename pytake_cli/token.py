"""``pytake token create|revoke|list``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
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
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.auth import db
from pytake_daemon.auth.service import scope_list
from pytake_daemon.auth.tokens import new_token
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol import TokenCreated, TokenOut
from pytake_daemon.protocol.auth import Scope
from pytake_daemon.users import db as users_db

app = typer.Typer(help="API tokens and login sessions.", no_args_is_help=True)

_SCOPES = ", ".join(s.value for s in Scope)


def _scopes(given: list[str] | None) -> list[Scope]:
    """The ``--scope`` options as scopes (``read`` when none); a typo is a one-line error."""
    out: list[Scope] = []
    for value in given or [Scope.READ.value]:
        try:
            out.append(Scope(value.strip().lower()))
        except ValueError:
            raise PyTakeError(
                _("unknown scope {value!r}: choose from {SCOPES}").format(
                    value=value, SCOPES=_SCOPES
                )
            ) from None
    return out


@app.command("create")
@handle_errors
def create(
    tenant: TenantOpt,
    user: Annotated[str, typer.Option("--user", "-u", help="E-mail of the user it acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    ttl_days: Annotated[int, typer.Option(min=1, help="Days until it expires.")] = 90,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope", "-s", help=f"What it may do, repeatable ({_SCOPES}); default: read."
        ),
    ] = None,
    rate_limit: Annotated[
        int | None,
        typer.Option(
            "--rate-limit", min=1, help="Requests a minute (default: the daemon's setting)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token; the secret is printed once. Its user's role still applies."""
    cfg = settings()
    ttl_days = min(ttl_days, cfg.auth.api_token_max_ttl_days)
    scopes = scope_list(_scopes(scope))

    async def create_token(backend: Backend) -> TokenCreated:
        async with backend.tenant(tenant) as conn:
            row = await users_db.get_user_by_email(conn, user)
            if row is None:
                raise PyTakeError(
                    _("no user {user!r} in tenant {tenant!r}").format(user=user, tenant=tenant)
                )
            token, hashed = new_token()
            info = await db.insert_token(
                conn,
                user_id=row.id,
                kind="api",
                name=name,
                token_hash=hashed,
                expires_at=datetime.now(UTC) + timedelta(days=ttl_days),
                ip=None,
                scopes=scopes,
                rate_limit_per_minute=rate_limit,
            )
            await record_cli_action(conn, "token.create", target_type="token", target_id=info.id)
            return TokenCreated(token=token, info=info)

    respond(
        perform(create_token, cfg=cfg),
        as_json=as_json,
        show=lambda created: _show_created(created, scopes),
    )


@app.command("revoke")
@handle_errors
def revoke(
    token_id: Annotated[str, typer.Argument(help="Token id (from 'pytake token list').")],
    tenant: TenantOpt,
) -> None:
    """Revoke a token or session."""
    try:
        parsed = uuid.UUID(token_id)
    except ValueError:
        raise PyTakeError(_("{token_id!r} is not a token id").format(token_id=token_id)) from None

    async def apply(backend: Backend) -> bool:
        async with backend.tenant(tenant) as conn:
            revoked = await db.revoke_token(conn, parsed)
            if revoked:
                await record_cli_action(conn, "token.revoke", target_type="token", target_id=parsed)
            return revoked

    if not perform(apply):
        raise PyTakeError(
            _("no live token {token_id} in tenant {tenant!r}").format(
                token_id=token_id, tenant=tenant
            )
        )
    console.print(_("revoked {token_id}").format(token_id=token_id))


@app.command("list")
@handle_errors
def list_(
    tenant: TenantOpt,
    all_: Annotated[bool, typer.Option("--all", help="Include expired and revoked.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List a tenant's tokens and sessions."""

    async def fetch(backend: Backend) -> list[TokenOut]:
        async with backend.tenant(tenant) as conn:
            return await db.list_tokens(conn, include_inactive=all_)

    respond(perform(fetch), as_json=as_json, show=_show_items)


def _show_created(created: TokenCreated, scopes: list[str]) -> None:
    console.print(
        _("token {id} (expires {expires_at:%Y-%m-%d}, scopes {join}):").format(
            id=created.info.id, expires_at=created.info.expires_at, join=", ".join(scopes)
        )
    )
    typer.echo(created.token)


def _show_items(items: list[TokenOut]) -> None:
    table = Table(
        _("id"),
        _("kind"),
        _("name"),
        _("user"),
        _("scopes"),
        _("expires"),
        _("last used"),
        _("state"),
    )
    for t in items:
        state = (
            "revoked"
            if t.revoked_at
            else ("expired" if t.expires_at <= datetime.now(UTC) else "live")
        )
        table.add_row(
            str(t.id),
            t.kind,
            t.name,
            str(t.user_id),
            ", ".join(s.value for s in t.scopes) if t.scopes is not None else "(role)",
            f"{t.expires_at:%Y-%m-%d %H:%M}",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "—",
            state,
        )
    console.print(table)
