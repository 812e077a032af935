"""``pytake contacts search|show|tag|set-attr``: a tenant's customers as the team knows them.

Same rules and checks as the API (``pytake_daemon.contacts.service``); changes are audited as
the CLI's actions.
"""

from __future__ import annotations

import uuid
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
)
from pytake_cli.i18n import _
from pytake_cli.options import JsonOpt, TenantOpt
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.audit.entries import difference
from pytake_daemon.contacts import service
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.contacts import (
    ContactPage,
    ContactProfile,
    ContactQuery,
    ContactUpdate,
)
from pytake_daemon.protocol.conversations import TagsUpdate

app = typer.Typer(
    help="Contacts: search, show a profile, tag, set attributes.", no_args_is_help=True
)

ContactArg = Annotated[
    str, typer.Argument(metavar="CONTACT", help="Id, or a search (phone, @username, BSUID…).")
]
OPERATOR = service.Viewer(None, Role.OWNER)


def _invalid(exc: ValidationError) -> PyTakeError:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "contact"
    return PyTakeError(f"{where}: {err['msg']}")


async def _resolve(conn: Connection, contact: str) -> uuid.UUID:
    """An id as given, or the one contact a search finds."""
    try:
        return uuid.UUID(contact)
    except ValueError:
        pass
    try:
        query = ContactQuery(q=contact, limit=2)
    except ValidationError as exc:
        raise _invalid(exc) from None
    found = (await service.search(conn, query)).items
    if len(found) != 1:
        many = "no contact" if not found else "more than one contact"
        raise PyTakeError(
            _("{many} matches {contact!r}: give the id (see 'pytake contacts search')").format(
                many=many, contact=contact
            )
        )
    return found[0].contact.id


@app.command("search")
@handle_errors
def search(
    tenant: TenantOpt,
    text: Annotated[str | None, typer.Argument(help="Name, @username, phone or BSUID.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="Contacts at most.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The newest contacts, or those matching TEXT."""
    try:
        query = ContactQuery(q=text, limit=limit)
    except ValidationError as exc:
        raise _invalid(exc) from None

    async def fetch(backend: Backend) -> ContactPage:
        async with backend.tenant(tenant) as conn:
            return await service.search(conn, query)

    respond(perform(fetch), as_json=as_json, show=_show_page)


@app.command("show")
@handle_errors
def show(contact: ContactArg, tenant: TenantOpt, as_json: JsonOpt = False) -> None:
    """A contact's profile: identity, tags, attributes, notes, attendances, ratings."""

    async def fetch(backend: Backend) -> ContactProfile:
        async with backend.tenant(tenant) as conn:
            return await service.profile(conn, await _resolve(conn, contact), OPERATOR)

    respond(perform(fetch), as_json=as_json, show=_show_profile)


@app.command("tag")
@handle_errors
def tag(
    contact: ContactArg,
    tags: Annotated[list[str], typer.Argument(metavar="TAG...", help="Tags to add.")],
    tenant: TenantOpt,
    remove: Annotated[bool, typer.Option("--remove", help="Remove these tags instead.")] = False,
) -> None:
    """Add tags to a contact (or remove them with --remove)."""
    try:
        given = TagsUpdate(tags=tags).tags
    except ValidationError as exc:
        raise _invalid(exc) from None

    async def apply(backend: Backend) -> list[str]:
        async with backend.tenant(tenant) as conn:
            contact_id = await _resolve(conn, contact)
            current = (await service.visible_contact(conn, contact_id, OPERATOR))["tags"]
            wanted = set(current) - set(given) if remove else set(current) | set(given)
            try:
                new = TagsUpdate(tags=sorted(wanted)).tags
            except ValidationError as exc:
                raise _invalid(exc) from None
            before, changed = await service.set_tags(conn, contact_id, new, OPERATOR)
            if changed:
                await record_cli_action(
                    conn,
                    "contact.tags",
                    target_type="contact",
                    target_id=contact_id,
                    diff=difference({"tags": before}, {"tags": new}),
                )
            return new

    result = perform(apply)
    console.print(_("tags: {value}").format(value=", ".join(result) or "(none)"), highlight=False)


@app.command("set-attr")
@handle_errors
def set_attr(
    contact: ContactArg,
    assignments: Annotated[
        list[str], typer.Argument(metavar="KEY=VALUE...", help="'key=' removes the attribute.")
    ],
    tenant: TenantOpt,
) -> None:
    """Set (or remove) a contact's custom attributes."""
    values: dict[str, str | None] = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep:
            raise PyTakeError(
                _("{assignment!r}: write key=value ('key=' removes it)").format(
                    assignment=assignment
                )
            )
        values[key.strip()] = value.strip() or None
    try:
        body = ContactUpdate(attributes=values)
    except ValidationError as exc:
        raise _invalid(exc) from None

    async def apply(backend: Backend) -> dict[str, str]:
        async with backend.tenant(tenant) as conn:
            contact_id = await _resolve(conn, contact)
            before, after = await service.update(conn, contact_id, body, OPERATOR)
            if after is not before:
                await record_cli_action(
                    conn,
                    "contact.update",
                    target_type="contact",
                    target_id=contact_id,
                    diff=difference(service.audit_view(before), service.audit_view(after)),
                )
            return dict(after["attributes"])

    attributes = perform(apply)
    shown = ", ".join(f"{k}={v}" for k, v in attributes.items()) or "(none)"
    console.print(_("attributes: {shown}").format(shown=shown), highlight=False)


def _show_page(page: ContactPage) -> None:
    table = Table(_("name"), _("phone"), _("username"), _("tags"), _("id"))
    for c in page.items:
        table.add_row(
            c.name, c.phone, c.contact.username or "", ", ".join(c.tags), str(c.contact.id)
        )
    console.print(table)


def _show_profile(profile: ContactProfile) -> None:
    c = profile.contact
    for label, value in (
        ("name", profile.name),
        ("phone", profile.phone),
        ("username", c.username or ""),
        ("bsuid", c.bsuid or ""),
        ("tags", ", ".join(profile.tags)),
        ("rating", "" if profile.rating_average is None else f"{profile.rating_average:g}/5"),
    ):
        console.print(f"[bold]{label}[/]: {value}", highlight=False)
    for key, value in profile.attributes.items():
        console.print(f"[bold]{key}[/] = {value}", highlight=False)
    for a in profile.attendances:
        rating = f" ★{a.rating}" if a.rating is not None else ""
        console.print(
            f"{a.entered_at:%Y-%m-%d %H:%M} {a.queue_name}: {a.outcome.value}"
            f" ({a.agent_name or 'no agent'}){rating}",
            highlight=False,
        )
    for n in profile.notes:
        console.print(
            _("note {created_at:%Y-%m-%d} {value}: {body}").format(
                created_at=n.created_at, value=n.author_name or "?", body=n.body
            )
        )
