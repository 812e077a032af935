"""``pytake replies list|add|edit|remove``: a tenant's canned responses (the console inserts one
with ``/shortcut`` in the composer, or picks one with ctrl+b).

The CLI acts as the operator (owner role): it manages the team's replies, and a user's personal
ones when ``--user`` names them. Same rules and checks as the API (``pytake_daemon.ai.replies``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from pytake_cli.context import Backend, console, handle_errors, perform, respond
from pytake_cli.i18n import _
from pytake_cli.options import JsonOpt, TenantOpt
from pytake_daemon.ai import replies
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.audit.entries import difference
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.ai import ReplyCreate, ReplyKind, ReplyOut, ReplyScope, ReplyUpdate
from pytake_daemon.users import db as users_db

app = typer.Typer(
    help="Canned responses: list, add, edit, remove (personal ones with --user).",
    no_args_is_help=True,
)

UserOpt = Annotated[
    str | None,
    typer.Option(
        "--user",
        "-u",
        help="Act for this user (e-mail): their personal replies, and what they may use.",
    ),
]
ReplyArg = Annotated[str, typer.Argument(metavar="REPLY", help="The reply's id or /shortcut.")]


def _invalid(exc: ValidationError) -> PyTakeError:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "reply"
    return PyTakeError(f"{where}: {err['msg']}")


async def _caller(conn: Connection, tenant: str, email: str | None) -> replies.ReplyCaller:
    if email is None:
        return replies.ReplyCaller(None, Role.OWNER)
    user = await users_db.get_user_by_email(conn, email)
    if user is None:
        raise PyTakeError(
            _("no user {email!r} in tenant {tenant!r}").format(email=email, tenant=tenant)
        )
    return replies.ReplyCaller(user.id, Role.OWNER)


async def _resolve(conn: Connection, caller: replies.ReplyCaller, reply: str) -> uuid.UUID:
    """An id as given, or the reply a /shortcut names (the user's own before the team's)."""
    try:
        return uuid.UUID(reply)
    except ValueError:
        pass
    shortcut = reply.strip().removeprefix("/").lower()
    found = [r for r in await replies.usable(conn, caller) if r.shortcut == shortcut]
    if not found:
        raise PyTakeError(
            _("no reply /{shortcut} (see 'pytake replies list')").format(shortcut=shortcut)
        )
    return found[0].id


@app.command("list")
@handle_errors
def list_(
    tenant: TenantOpt,
    user: UserOpt = None,
    shortcut: Annotated[str | None, typer.Option(help="Only shortcuts starting with this.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the team's replies, or what --user may use (their own first)."""

    async def fetch(backend: Backend) -> list[ReplyOut]:
        async with backend.tenant(tenant) as conn:
            caller = await _caller(conn, tenant, user)
            return await replies.usable(conn, caller, shortcut_prefix=shortcut)

    respond(perform(fetch), as_json=as_json, show=_show_replies)


def _show_replies(items: list[ReplyOut]) -> None:
    if not items:
        console.print(_("no canned responses yet: add one with 'pytake replies add'"))
        return
    table = Table(_("shortcut"), _("title"), _("scope"), _("kind"), _("language"), _("id"))
    for r in items:
        scope = r.scope.value if r.department is None else f"team: {r.department}"
        table.add_row(
            f"/{r.shortcut}" if r.shortcut else "",
            r.title,
            scope,
            r.kind.value,
            r.language or "any",
            str(r.id),
        )
    console.print(table)


@app.command("add")
@handle_errors
def add(
    title: Annotated[str, typer.Argument(help="What the console's picker shows.")],
    body: Annotated[
        str, typer.Argument(help="The text; {{customer_name}}, {{first_name}}, {{agent_name}}.")
    ],
    tenant: TenantOpt,
    shortcut: Annotated[
        str | None, typer.Option(help="Typed as /shortcut in the composer.")
    ] = None,
    user: UserOpt = None,
    department: Annotated[str | None, typer.Option(help="Share with this department only.")] = None,
    snippet: Annotated[
        bool, typer.Option("--snippet", help="A knowledge snippet (suggestions only).")
    ] = False,
    intent: Annotated[
        list[str] | None, typer.Option("--intent", help="Suggest it for this intent.")
    ] = None,
    language: Annotated[str | None, typer.Option(help="pt or en (default: any).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a reply: the team's, or the personal one of --user."""
    try:
        create = ReplyCreate.model_validate(
            {
                "title": title,
                "body": body,
                "shortcut": shortcut,
                "kind": ReplyKind.SNIPPET if snippet else ReplyKind.CANNED,
                "intents": intent or [],
                "language": language,
                "department": department,
                "scope": ReplyScope.PERSONAL if user else ReplyScope.TEAM,
            }
        )
    except ValidationError as exc:
        raise _invalid(exc) from None

    async def insert(backend: Backend) -> ReplyOut:
        async with backend.tenant(tenant) as conn:
            row = await replies.create(conn, create, await _caller(conn, tenant, user))
            await record_cli_action(
                conn,
                "ai.reply.create",
                target_type="reply",
                target_id=row.id,
                diff=difference(None, replies.audit_view(row)),
            )
            return row

    respond(perform(insert), as_json=as_json, show=_show_reply)


@app.command("edit")
@handle_errors
def edit(
    reply: ReplyArg,
    tenant: TenantOpt,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    body: Annotated[str | None, typer.Option(help="New text.")] = None,
    shortcut: Annotated[str | None, typer.Option(help="New shortcut ('' removes it).")] = None,
    department: Annotated[
        str | None, typer.Option(help="Share with this department only ('' for everyone).")
    ] = None,
    user: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a reply's title, text, shortcut or department."""
    fields: dict[str, Any] = {"title": title, "body": body}
    changes = {k: v for k, v in fields.items() if v is not None}
    for key, value in (("shortcut", shortcut), ("department", department)):
        if value is not None:
            changes[key] = value.strip() or None
    if not changes:
        raise PyTakeError(_("nothing to change: give --title, --body, --shortcut or --department"))
    try:
        update = ReplyUpdate.model_validate(changes)
    except ValidationError as exc:
        raise _invalid(exc) from None

    async def apply(backend: Backend) -> ReplyOut:
        async with backend.tenant(tenant) as conn:
            caller = await _caller(conn, tenant, user)
            reply_id = await _resolve(conn, caller, reply)
            before, after = await replies.update(conn, reply_id, update, caller)
            await record_cli_action(
                conn,
                "ai.reply.update",
                target_type="reply",
                target_id=reply_id,
                diff=difference(replies.audit_view(before), replies.audit_view(after)),
            )
            return after

    respond(perform(apply), as_json=as_json, show=_show_out)


@app.command("remove")
@handle_errors
def remove(reply: ReplyArg, tenant: TenantOpt, user: UserOpt = None) -> None:
    """Remove a reply."""

    async def apply(backend: Backend) -> str:
        async with backend.tenant(tenant) as conn:
            caller = await _caller(conn, tenant, user)
            reply_id = await _resolve(conn, caller, reply)
            before = await replies.delete(conn, reply_id, caller)
            await record_cli_action(
                conn,
                "ai.reply.delete",
                target_type="reply",
                target_id=reply_id,
                diff=difference(replies.audit_view(before), None),
            )
            title: str = before.title
            return title

    title = perform(apply)
    console.print(_("removed reply {title!r}").format(title=title), highlight=False)


def _show_reply(reply: ReplyOut) -> None:
    name = f"/{reply.shortcut}" if reply.shortcut else repr(reply.title)
    console.print(
        _("added {value} reply {name} (id {id})").format(
            value=reply.scope.value, name=name, id=reply.id
        ),
        highlight=False,
    )


def _show_out(out: ReplyOut) -> None:
    console.print(
        _("changed reply {title!r} (id {id})").format(title=out.title, id=out.id), highlight=False
    )
