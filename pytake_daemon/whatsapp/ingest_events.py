"""The webhook items that are neither messages nor statuses: value-level errors, template
status updates, other fields, and items that could not be understood (kept raw with why)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
import structlog

from pytake_daemon.db.pool import Connection
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.whatsapp import db as whatsapp_db
from pytake_daemon.whatsapp import ingest_db
from pytake_daemon.whatsapp.routing import NumberRoute
from pytake_daemon.whatsapp.webhook import (
    InvalidItem,
    NotificationItem,
    OtherChange,
    TemplateStatusUpdate,
    WebhookError,
)

log = structlog.get_logger("pytake.whatsapp")

TEMPLATE_SYNC_JOB = "template_sync"
_SORTED = orjson.OPT_SORT_KEYS


@dataclass(frozen=True)
class Routed:
    """One notification item and the number (hence tenant) it belongs to."""

    route: NumberRoute
    item: NotificationItem


async def write_other_items(conn: Connection, routed: list[Routed]) -> int:
    """Record what isn't a message or a status once each (by digest) and apply template
    status updates; returns how many jobs it queued."""
    kinds: list[str] = []
    fields: list[str] = []
    wabas: list[str] = []
    phones: list[str | None] = []
    digests: list[bytes] = []
    payloads: list[Any] = []
    reasons: list[str | None] = []
    seen: set[bytes] = set()
    for r in routed:
        item = r.item
        reason: str | None = None
        phone: str | None
        if isinstance(item, WebhookError):
            field_name, phone = "messages", item.phone_number_id
        elif isinstance(item, InvalidItem):
            field_name, phone, reason = item.field, item.phone_number_id, item.reason
        elif isinstance(item, TemplateStatusUpdate):
            field_name, phone = "message_template_status_update", None
        elif isinstance(item, OtherChange):
            field_name, phone = item.field, None
        else:  # pragma: no cover - messages and statuses are written elsewhere
            continue
        digest = hashlib.sha256(
            orjson.dumps([item.kind, field_name, item.waba_id, phone, item.raw], option=_SORTED)
        ).digest()
        if digest in seen:
            continue
        seen.add(digest)
        kinds.append(item.kind)
        fields.append(field_name)
        wabas.append(item.waba_id)
        phones.append(phone)
        digests.append(digest)
        payloads.append(item.raw)
        reasons.append(reason)
    new = await ingest_db.insert_webhook_events(
        conn,
        kinds=kinds,
        fields=fields,
        waba_ids=wabas,
        phone_number_ids=phones,
        digests=digests,
        payloads=payloads,
        reasons=reasons,
    )
    jobs = 0
    for r in routed:
        item = r.item
        if not isinstance(item, TemplateStatusUpdate):
            continue
        # Idempotent (it sets, not toggles), so a redelivery may apply it again.
        known = await whatsapp_db.set_template_status(
            conn, item.message_template_id, item.event, item.reason
        )
        if not known:
            # A template created outside PyTake (Meta's UI): fetch the WABA's list.
            await jobs_db.insert_job(conn, TEMPLATE_SYNC_JOB, {"number_id": str(r.route.number_id)})
            jobs += 1
    for row in new:
        if row["kind"] == "error":
            log.warning("whatsapp reported an error", payload=row["payload"])
        elif row["kind"] == "invalid":
            log.warning("webhook item not understood, kept raw", event_id=row["id"])
    return jobs
