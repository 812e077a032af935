"""``pytake webhooks list|add|remove|enable|disable|rotate-secret|deliveries|replay``.

The same rules as the API (pytake_daemon/outbound_webhooks/service.py), run in a tenant
transaction as the daemon's role and audited as CLI actions. A running daemon sees a new or
changed endpoint within seconds (its subscriptions refresh) and a replay at its next poll.
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
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import ApiError, PyTakeError
from pytake_daemon.flows.http_call import HttpPolicy
from pytake_daemon.outbound_webhooks import service
from pytake_daemon.protocol.outbound_webhooks import (
    DeliveryOut,
    DeliveryQuery,
    DeliveryState,
    EndpointCreate,
    EndpointCreated,
    EndpointOut,
    EndpointUpdate,
    WebhookEventType,
)
from pytake_daemon.whatsapp.secretbox import load_secret_box

app = typer.Typer(help="Outbound webhooks: other systems' endpoints and deliveries.")

EndpointArg = Annotated[str, typer.Argument(help="Endpoint id or URL.", show_default=False)]


def _problem(exc: ApiError) -> PyTakeError:
    """An API error as one line: the field and its message when there is one."""
    if exc.errors:
        first = exc.errors[0]
        return PyTakeError(f"{first.loc.removeprefix('body.')}: {first.msg}")
    return PyTakeError(str(exc))


async def _endpoint(conn: Connection, which: str) -> EndpointOut:
    for endpoint in await service.list_endpoints(conn):
        if str(endpoint.id) == which or endpoint.url == which:
            return endpoint
    raise PyTakeError(
        _("no webhook endpoint {which!r} in this tenant (see 'pytake webhooks list')").format(
            which=which
        )
    )


def _types(endpoint: EndpointOut) -> str:
    return ", ".join(t.value for t in endpoint.event_types)


def _show_secret(created: EndpointCreated, as_json: bool, verb: str) -> None:
    respond(created, as_json=as_json, show=lambda made: _print_secret(made, verb))


def _print_secret(created: EndpointCreated, verb: str) -> None:
    endpoint = created.endpoint
    console.print(f"{verb} [bold]{endpoint.url}[/] ({endpoint.id})", highlight=False)
    if endpoint.previous_secret_until is not None:
        until = f"{endpoint.previous_secret_until:%Y-%m-%d %H:%M} UTC"
        console.print(
            _("the previous secret stays valid until {until}").format(until=until), highlight=False
        )
    # Shown this once: it is stored encrypted and never returned again.
    console.print(
        _("signing secret (shown once): {secret}").format(secret=created.secret), highlight=False
    )


@app.command("list")
@handle_errors
def list_(tenant: TenantOpt, as_json: JsonOpt = False) -> None:
    """The tenant's endpoints, with waiting and dead-letter counts (never their secrets)."""

    async def read(backend: Backend) -> list[EndpointOut]:
        async with backend.tenant(tenant) as conn:
            return await service.list_endpoints(conn)

    respond(perform(read), as_json=as_json, show=_show_endpoints)


def _show_endpoints(items: list[EndpointOut]) -> None:
    if not items:
        console.print(_("no webhook endpoints (add one: pytake webhooks add URL -e TYPE)"))
        return
    table = Table(_("id"), _("url"), _("events"), _("state"), _("pending"), _("dead"))
    for e in items:
        state = "enabled" if e.enabled else f"disabled: {e.disabled_reason}"
        table.add_row(str(e.id), e.url, _types(e), state, str(e.pending), str(e.dead))
    console.print(table)


@app.command()
@handle_errors
def add(
    url: Annotated[str, typer.Argument(help="The receiver's http(s) URL.", show_default=False)],
    tenant: TenantOpt,
    event: Annotated[
        list[WebhookEventType],
        typer.Option("--event", "-e", help="An event type it wants; repeatable."),
    ],
    description: Annotated[str, typer.Option(help="What it is, for the lists.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Register an endpoint; its signing secret is printed this once."""
    cfg = settings()
    box = load_secret_box(cfg)
    policy = HttpPolicy(cfg.outbound_webhooks.http_allowed)
    try:
        body = EndpointCreate(url=url, event_types=event, description=description)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise PyTakeError(f"{err['loc'][0]}: {err['msg']}") from None

    async def create(backend: Backend) -> EndpointCreated:
        async with backend.tenant(tenant) as conn:
            try:
                created = await service.create(
                    conn, box, policy, body, by_user=None, now=datetime.now(UTC)
                )
            except ApiError as exc:
                raise _problem(exc) from None
            await record_cli_action(
                conn,
                "webhook_endpoint.create",
                target_type="webhook_endpoint",
                target_id=created.endpoint.id,
                diff={"url": body.url, "event_types": [t.value for t in body.event_types]},
            )
            return created

    created = perform(create, cfg=cfg)
    _show_secret(created, as_json, "added")


def _set_enabled(tenant: str, which: str, enabled: bool) -> EndpointOut:

    async def change(backend: Backend) -> EndpointOut:
        async with backend.tenant(tenant) as conn:
            found = await _endpoint(conn, which)
            updated = await service.update(
                conn, found.id, EndpointUpdate(enabled=enabled), now=datetime.now(UTC)
            )
            await record_cli_action(
                conn,
                "webhook_endpoint.update",
                target_type="webhook_endpoint",
                target_id=found.id,
                diff={"enabled": enabled},
            )
            return updated

    return perform(change)


@app.command()
@handle_errors
def enable(endpoint: EndpointArg, tenant: TenantOpt) -> None:
    """Enable an endpoint again (after a 410 or a disable); then replay its dead letters."""
    out = _set_enabled(tenant, endpoint, True)
    console.print(
        _("enabled {url} ({dead} dead letter(s) to replay)").format(url=out.url, dead=out.dead),
        highlight=False,
    )


@app.command()
@handle_errors
def disable(endpoint: EndpointArg, tenant: TenantOpt) -> None:
    """Stop sending to an endpoint; what was waiting becomes dead letters."""
    out = _set_enabled(tenant, endpoint, False)
    console.print(_("disabled {url}").format(url=out.url), highlight=False)


@app.command()
@handle_errors
def remove(endpoint: EndpointArg, tenant: TenantOpt) -> None:
    """Remove an endpoint and its deliveries."""

    async def delete(backend: Backend) -> str:
        async with backend.tenant(tenant) as conn:
            found = await _endpoint(conn, endpoint)
            url = await service.remove(conn, found.id)
            await record_cli_action(
                conn,
                "webhook_endpoint.remove",
                target_type="webhook_endpoint",
                target_id=found.id,
                diff={"url": url},
            )
            return url

    url = perform(delete)
    console.print(_("removed {url}").format(url=url), highlight=False)


@app.command("rotate-secret")
@handle_errors
def rotate_secret(
    endpoint: EndpointArg,
    tenant: TenantOpt,
    overlap_hours: Annotated[
        float,
        typer.Option(min=0, max=168, help="How long the previous secret stays valid (0: not)."),
    ] = 24.0,
    as_json: JsonOpt = False,
) -> None:
    """A new signing secret, printed once; both are sent during the overlap."""
    cfg = settings()
    box = load_secret_box(cfg)

    async def rotate(backend: Backend) -> EndpointCreated:
        async with backend.tenant(tenant) as conn:
            found = await _endpoint(conn, endpoint)
            rotated = await service.rotate(
                conn, box, found.id, overlap_hours=overlap_hours, now=datetime.now(UTC)
            )
            await record_cli_action(
                conn,
                "webhook_endpoint.rotate_secret",
                target_type="webhook_endpoint",
                target_id=found.id,
                diff={"overlap_hours": overlap_hours},
            )
            return rotated

    rotated = perform(rotate, cfg=cfg)
    _show_secret(rotated, as_json, "rotated")


@app.command()
@handle_errors
def deliveries(
    tenant: TenantOpt,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", "-E", help="Only this endpoint (id or URL).")
    ] = None,
    state: Annotated[
        DeliveryState | None, typer.Option(help="Only this state (dead: the dead letters).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many, newest first.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Deliveries, newest first: what was sent, retried or dead-lettered, and why."""

    async def read(backend: Backend) -> list[DeliveryOut]:
        async with backend.tenant(tenant) as conn:
            endpoint_id = None if endpoint is None else (await _endpoint(conn, endpoint)).id
            query = DeliveryQuery(endpoint_id=endpoint_id, state=state, limit=limit)
            return (await service.deliveries(conn, query)).items

    respond(perform(read), as_json=as_json, show=_show_deliveries)


def _show_deliveries(items: list[DeliveryOut]) -> None:
    if not items:
        console.print(_("no deliveries"))
        return
    table = Table(_("id"), _("event"), _("state"), _("tries"), _("created"), _("last answer"))
    for d in items:
        answer = d.last_error or ("" if d.last_status is None else f"HTTP {d.last_status}")
        table.add_row(str(d.id), d.event_type.value, d.state.value, str(d.attempts),
                      f"{d.created_at:%Y-%m-%d %H:%M:%S}", answer)  # fmt: skip
    console.print(table)


@app.command()
@handle_errors
def replay(
    tenant: TenantOpt,
    delivery: Annotated[
        list[str] | None, typer.Argument(help="Dead letters' ids.", show_default=False)
    ] = None,
    all_dead: Annotated[
        bool, typer.Option("--all-dead", help="Every dead letter (of --endpoint, if given).")
    ] = False,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", "-E", help="With --all-dead: this endpoint only.")
    ] = None,
) -> None:
    """Send dead letters again: new deliveries of the same events and bytes."""
    if not delivery and not all_dead:
        raise PyTakeError(_("name the dead letters to replay, or pass --all-dead"))

    async def queue(backend: Backend) -> list[DeliveryOut]:
        async with backend.tenant(tenant) as conn:
            ids: list[uuid.UUID] = []
            for text in delivery or []:
                try:
                    ids.append(uuid.UUID(text))
                except ValueError:
                    raise PyTakeError(
                        _("{text!r} is not a delivery id").format(text=text)
                    ) from None
            if all_dead:
                endpoint_id = None if endpoint is None else (await _endpoint(conn, endpoint)).id
                query = DeliveryQuery(endpoint_id=endpoint_id, state=DeliveryState.DEAD, limit=200)
                # Oldest first, so each lane keeps its order.
                dead = (await service.deliveries(conn, query)).items
                ids.extend(d.id for d in reversed(dead))
            replayed = []
            for delivery_id in ids:
                try:
                    out = await service.replay(conn, delivery_id, now=datetime.now(UTC))
                except ApiError as exc:
                    raise _problem(exc) from None
                await record_cli_action(
                    conn,
                    "webhook_delivery.replay",
                    target_type="webhook_delivery",
                    target_id=delivery_id,
                    diff={"replay": str(out.id)},
                )
                replayed.append(out)
            return replayed

    replayed = perform(queue)
    console.print(_("{len} delivery(ies) queued again").format(len=len(replayed)), highlight=False)
