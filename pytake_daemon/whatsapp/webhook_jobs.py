"""A webhook's changes on their way from the acknowledgement to the inbound stage.

The web side acknowledges as little as it can: it checks the envelope, routes each change by
its number (or, for account-level changes, by its WABA to every tenant with a number there) and
commits each tenant's share of the POST as one ``ingest`` job (``IngestWriter``). Everything
else (parsing the items, contacts, conversations, messages, statuses, events, the flow step)
happens in the inbound stage (``fanout.py``), many webhooks per transaction. Parsing, storing
and fanning out cost a webhook several times what its acknowledgement now costs, so a burst no
longer waits for them (bench/ingest.py).

Both halves of the job's payload live here, so its format has one owner:

- ``object`` and ``entry``: the POST's envelope with only this tenant's changes, as Meta sent
  them (``parse_notification`` reads it again; parsing is per change, so the items are the ones
  the whole POST would have given);
- ``numbers``: for each change's routing key (its ``phone_number_id``, or ``waba:<id>``), the
  number it was routed to when it was acknowledged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import structlog

from pytake_daemon.whatsapp.routing import NumberRoute, RoutingTable
from pytake_daemon.whatsapp.webhook import (
    InboundMessage,
    InvalidItem,
    NotificationItem,
    StatusUpdate,
    WebhookError,
    parse_notification,
)
from pytake_daemon.whatsapp.webhook_wire import Change, Entry

log = structlog.get_logger("pytake.whatsapp")

# Longer ids or statuses than this are not Meta's: keep them out of unique indexes (whose
# entries PostgreSQL caps near 2.7 kB) by recording the item as an invalid change instead.
_MAX_ID = 512


@dataclass(frozen=True, slots=True)
class Destination:
    """Where an item is stored: its tenant and the number it came to (for account-level
    changes, one of the tenant's numbers on that WABA)."""

    tenant_id: uuid.UUID
    number_id: uuid.UUID


@dataclass
class TenantShare:
    """One tenant's changes of one POST: the ``ingest`` job's payload."""

    tenant_id: uuid.UUID
    payload: dict[str, Any]


@dataclass
class RoutedChanges:
    shares: list[TenantShare] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)
    """Routing keys nobody configured (or whose number's app didn't sign the POST)."""


def change_key(waba_id: str, change: Change) -> str:
    """A change's routing key: the number a ``messages`` change names, else its WABA (what
    ``parse_notification`` gives its items as ``phone_number_id``, or None)."""
    if change.field == "messages":
        metadata = change.value.get("metadata")
        number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
        if isinstance(number, str):
            return number
    return f"waba:{waba_id}"


async def route_changes(
    routing: RoutingTable, secret: bytes, obj: str, entries: list[Entry]
) -> RoutedChanges:
    """Each tenant's share of a POST whose envelope was read (``read_envelope``)."""
    routed = RoutedChanges()
    shares: dict[uuid.UUID, TenantShare] = {}
    for entry in entries:
        # Per tenant, this entry's changes (an entry keeps its id and time in every share).
        parts: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for change in entry.changes:
            key = change_key(entry.id, change)
            found = await _routes(routing, key, entry.id)
            allowed = [r for r in found if routing.accepts(r, secret)]
            if not allowed:
                routed.unknown.add(key)
                continue
            for route in allowed:
                share = shares.get(route.tenant_id)
                if share is None:
                    share = TenantShare(
                        route.tenant_id, {"object": obj, "entry": [], "numbers": {}}
                    )
                    shares[route.tenant_id] = share
                share.payload["numbers"][key] = str(route.number_id)
                parts.setdefault(route.tenant_id, []).append(
                    {"field": change.field, "value": change.value}
                )
        for tenant_id, changes in parts.items():
            stored: dict[str, Any] = {"id": entry.id, "changes": changes}
            if entry.time is not None:
                stored["time"] = int(entry.time.timestamp())
            shares[tenant_id].payload["entry"].append(stored)
    routed.shares = list(shares.values())
    return routed


async def _routes(routing: RoutingTable, key: str, waba_id: str) -> list[NumberRoute]:
    if not key.startswith("waba:"):
        found = await routing.route(key)
        return [found] if found is not None else []
    # Account-level changes name only the WABA; one per tenant owning a number of it.
    by_tenant = {r.tenant_id: r for r in routing.routes_for_waba(waba_id)}
    return list(by_tenant.values())


@dataclass(frozen=True)
class Routed:
    """One notification item and the number (hence tenant) it belongs to."""

    route: Destination
    item: NotificationItem


def routed_items(tenant_id: uuid.UUID, payload: dict[str, Any]) -> list[Routed]:
    """The items of one ``ingest`` job's payload, each with the number it was routed to."""
    notification = parse_notification({"object": payload["object"], "entry": payload["entry"]})
    numbers: dict[str, str] = payload["numbers"]
    routed: list[Routed] = []
    for item in notification.items:
        number = numbers.get(_item_key(item))
        if number is None:  # not written by route_changes: nothing to store it under
            log.error("webhook item without a number in its job", kind=item.kind)
            continue
        routed.append(Routed(Destination(tenant_id, uuid.UUID(number)), _storable(item)))
    return routed


def _item_key(item: NotificationItem) -> str:
    if (
        isinstance(item, InboundMessage | StatusUpdate | WebhookError | InvalidItem)
        and item.phone_number_id is not None
    ):
        return item.phone_number_id
    return f"waba:{item.waba_id}"


def _storable(item: NotificationItem) -> NotificationItem:
    """The item, or an ``InvalidItem`` holding its raw JSON when its ids can't be stored.

    Identity fields were checked when parsed (a BSUID or phone of the right shape); what is
    left is their length.
    """
    if isinstance(item, InboundMessage):
        bad, field_name = len(item.message_id) > _MAX_ID or len(item.type) > _MAX_ID, "messages"
    elif isinstance(item, StatusUpdate):
        bad, field_name = len(item.message_id) > _MAX_ID or len(item.status) > _MAX_ID, "statuses"
    else:
        return item
    if not bad:
        return item
    return InvalidItem(
        waba_id=item.waba_id,
        phone_number_id=item.phone_number_id,
        field=field_name,
        reason=f"{item.kind}: an id or type longer than {_MAX_ID} characters",
        raw=item.raw,
    )
