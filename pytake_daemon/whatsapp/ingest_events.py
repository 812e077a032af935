"""The webhook items that are neither messages nor statuses: value-level errors, template
status updates, number quality updates, other fields, and items that could not be understood
(kept raw with why)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog

from pytake_daemon.db.pool import Connection
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.protocol import ServerEvent
from pytake_daemon.protocol.whatsapp import TemplateStatusChanged
from pytake_daemon.whatsapp import db as whatsapp_db
from pytake_daemon.whatsapp import ingest_db, number_quality
from pytake_daemon.whatsapp.webhook import (
    InvalidItem,
    NotificationItem,
    NumberQualityUpdate,
    OtherChange,
    TemplateStatusUpdate,
    WebhookError,
)
from pytake_daemon.whatsapp.webhook_jobs import Routed

log = structlog.get_logger("pytake.whatsapp")

TEMPLATE_SYNC_JOB = "template_sync"
_SORTED = orjson.OPT_SORT_KEYS


@dataclass
class OtherResult:
    jobs: int = 0
    """How many jobs were queued (template syncs)."""
    events: list[ServerEvent] = field(default_factory=list)
    """What to number in the inbound stage's transaction: template status and number quality
    changes."""


def _digest(item: NotificationItem, field_name: str, phone: str | None) -> bytes:
    return hashlib.sha256(
        orjson.dumps([item.kind, field_name, item.waba_id, phone, item.raw], option=_SORTED)
    ).digest()


async def write_other_items(conn: Connection, routed: list[Routed]) -> OtherResult:
    """Record what isn't a message or a status once each (by digest), apply template status
    and number quality updates; the jobs queued and the events to publish."""
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
        elif isinstance(item, NumberQualityUpdate):
            field_name, phone = "phone_number_quality_update", None
        elif isinstance(item, OtherChange):
            field_name, phone = item.field, None
        else:  # pragma: no cover - messages and statuses are written elsewhere
            continue
        digest = _digest(item, field_name, phone)
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
    fresh = {row["digest"] for row in new}
    result = OtherResult()
    for r in routed:
        item = r.item
        if isinstance(item, NumberQualityUpdate):
            result.events.extend(await number_quality.apply(conn, item))
        elif isinstance(item, TemplateStatusUpdate):
            digest = _digest(item, "message_template_status_update", None)
            first_time = digest in fresh
            fresh.discard(digest)  # the same payload twice in one batch is told once
            result.events.extend(await _apply_template_status(conn, r, item, first_time, result))
    for row in new:
        if row["kind"] == "error":
            log.warning("whatsapp reported an error", payload=row["payload"])
        elif row["kind"] == "invalid":
            log.warning("webhook item not understood, kept raw", event_id=row["id"])
    return result


async def _apply_template_status(
    conn: Connection,
    routed: Routed,
    item: TemplateStatusUpdate,
    first_time: bool,
    result: OtherResult,
) -> list[TemplateStatusChanged]:
    """Set a template's status (idempotent: it sets, not toggles); the change to announce, if
    it is one. A template not known yet is announced from the webhook alone, once per payload
    (by digest), and fetched by a sync job."""
    row = await whatsapp_db.set_template_status(
        conn, item.message_template_id, item.event, item.reason
    )
    if row is None:
        # A template created outside PyTake (Meta's UI): fetch the WABA's list.
        await jobs_db.insert_job(
            conn, TEMPLATE_SYNC_JOB, {"number_id": str(routed.route.number_id)}
        )
        result.jobs += 1
        if not first_time:
            return []
        template_id, name, language, previous = None, None, None, None
    else:
        if (row["previous_status"], row["previous_reason"]) == (item.event, item.reason):
            return []  # a redelivery: told already
        template_id, name, language = row["id"], row["name"], row["language"]
        previous = row["previous_status"]
    return [
        TemplateStatusChanged(
            template_id=template_id,
            meta_id=item.message_template_id,
            name=name or item.message_template_name or item.message_template_id,
            language=language or item.message_template_language or "",
            status=item.event,
            previous_status=previous,
            reason=item.reason,
        )
    ]
