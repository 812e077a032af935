"""``pytake numbers add|list|remove``: WhatsApp business numbers of a tenant."""

from __future__ import annotations

from typing import Annotated, Any

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
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.errors import ApiError, PyTakeError
from pytake_daemon.protocol.whatsapp import NumberCreate, NumberOut
from pytake_daemon.whatsapp import numbers
from pytake_daemon.whatsapp.secretbox import load_secret_box

app = typer.Typer(help="WhatsApp business numbers.", no_args_is_help=True)


def _secret(name: str, envvar: str) -> Any:
    return typer.Option(
        f"--{name}",
        envvar=envvar,
        show_default=False,
        help=f"Prompted when omitted; or set {envvar} (arguments show up in the process list).",
    )


def _ask(value: str | None, label: str) -> str:
    if value:
        return value
    entered: str = typer.prompt(label, hide_input=True)
    return entered


@app.command("add")
@handle_errors
def add(
    phone_number_id: Annotated[str, typer.Argument(help="Meta's phone number id (digits).")],
    tenant: TenantOpt,
    waba_id: Annotated[str, typer.Option("--waba-id", help="WhatsApp Business Account id.")],
    display: Annotated[str, typer.Option(help="Display phone number, e.g. +1 555 0100.")] = "",
    label: Annotated[str, typer.Option(help="A name for agents (e.g. Sales).")] = "",
    throughput: Annotated[
        int, typer.Option(min=20, max=1000, help="Messages per second Meta allows this number.")
    ] = 80,
    access_token: Annotated[
        str | None, _secret("access-token", "PYTAKE_NUMBER_ACCESS_TOKEN")
    ] = None,
    app_secret: Annotated[str | None, _secret("app-secret", "PYTAKE_NUMBER_APP_SECRET")] = None,
    verify_token: Annotated[
        str | None, _secret("verify-token", "PYTAKE_NUMBER_VERIFY_TOKEN")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a number; its token and secrets are encrypted at rest and never printed."""
    cfg = settings()
    try:
        body = NumberCreate(
            phone_number_id=phone_number_id,
            waba_id=waba_id,
            display_phone_number=display,
            label=label,
            throughput_mps=throughput,
            access_token=_ask(access_token, "Access token"),
            app_secret=_ask(app_secret, "App secret"),
            verify_token=_ask(verify_token, "Webhook verify token"),
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        raise PyTakeError(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from None
    box = load_secret_box(cfg)

    async def create(backend: Backend) -> NumberOut:
        async with backend.tenant(tenant) as conn:
            try:
                added = await numbers.add_number(conn, box, body)
            except ApiError as exc:
                raise PyTakeError(str(exc)) from None
            await record_cli_action(conn, "number.add", target_type="number", target_id=added.id)
            return added

    respond(perform(create, cfg=cfg), as_json=as_json, show=_show_number)


@app.command("list")
@handle_errors
def list_(tenant: TenantOpt, as_json: JsonOpt = False) -> None:
    """List a tenant's live numbers."""

    async def fetch(backend: Backend) -> list[NumberOut]:
        async with backend.tenant(tenant) as conn:
            return await numbers.list_numbers(conn)

    respond(perform(fetch), as_json=as_json, show=_show_items)


def _quality(number: NumberOut) -> str:
    """What Meta last said (phone_number_quality_update): event, rating, limit; "-" if nothing."""
    said = [number.quality_event, number.quality_rating, number.messaging_limit]
    return " ".join(s for s in said if s) or "-"


@app.command("remove")
@handle_errors
def remove(
    number: Annotated[str, typer.Argument(help="Number id or phone_number_id.")],
    tenant: TenantOpt,
) -> None:
    """Stop receiving and sending on a number; its conversations stay."""

    async def apply(backend: Backend) -> NumberOut:
        async with backend.tenant(tenant) as conn:
            try:
                gone = await numbers.remove_number(conn, number)
            except ApiError as exc:
                raise PyTakeError(str(exc)) from None
            await record_cli_action(conn, "number.remove", target_type="number", target_id=gone.id)
            return gone

    removed = perform(apply)
    console.print(
        _("removed number {phone_number_id}").format(phone_number_id=removed.phone_number_id)
    )


def _show_number(number: NumberOut) -> None:
    console.print(
        _("added number {phone_number_id} (id {id})").format(
            phone_number_id=number.phone_number_id, id=number.id
        )
    )


def _show_items(items: list[NumberOut]) -> None:
    # The quality column once Meta said something of a number: an 80-column terminal has no
    # room for a column of dashes next to the ids.
    told = any(n.quality_event or n.messaging_limit for n in items)
    table = Table(_("id"), _("phone_number_id"), _("waba_id"), _("display"), _("label"), _("msg/s"))
    if told:
        table.add_column(_("quality"))
    for n in items:
        cells = [str(n.id), n.phone_number_id, n.waba_id, n.display_phone_number, n.label]
        table.add_row(*cells, str(n.throughput_mps), *([_quality(n)] if told else []))
    console.print(table)
