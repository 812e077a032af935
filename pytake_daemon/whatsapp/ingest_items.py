"""The inbound stage's first step: the webhooks that ``ingest`` jobs carry (``webhook_jobs.py``),
parsed and stored in the stage's tenant transaction: contacts, conversations, messages, edits,
status callbacks and everything else Meta sends.

Idempotency lives in the same transaction (unique keys on message id and on message id +
status), so Meta's redeliveries and jobs run twice after a crash are no-ops. Status callbacks
are numbered as events by their own statement; the stage numbers the rest with its own events.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import ServerEvent
from pytake_daemon.protocol.message_preview import english
from pytake_daemon.whatsapp import ingest_db
from pytake_daemon.whatsapp.ingest_contacts import Sighting, resolve_contacts
from pytake_daemon.whatsapp.ingest_edits import apply_edits
from pytake_daemon.whatsapp.ingest_events import write_other_items
from pytake_daemon.whatsapp.ingest_statuses import StatusesWritten, status_event, write_statuses
from pytake_daemon.whatsapp.render import describe, stored_preview
from pytake_daemon.whatsapp.webhook import InboundMessage, InvalidItem, StatusUpdate
from pytake_daemon.whatsapp.webhook_jobs import Routed, routed_items

# Reactions and system notices don't ask for an answer: they don't count as unread.
_NOT_UNREAD = frozenset({"reaction", "system"})
# Notices about an earlier message, applied to it rather than stored as messages.
_MESSAGE_NOTICES = frozenset({"edit", "revoke"})


@dataclass
class TenantBatchResult:
    new_messages: list[uuid.UUID] = field(default_factory=list)
    statuses: StatusesWritten = field(default_factory=StatusesWritten)
    edited: list[uuid.UUID] = field(default_factory=list)
    jobs: int = 0
    """Jobs queued (template syncs); the caller wakes their loop after its commit."""
    account_events: list[ServerEvent] = field(default_factory=list)
    """Template status and number quality changes (ingest_events.py)."""
    invalid: int = 0
    """Items kept raw because they could not be understood."""

    def events(self) -> list[ServerEvent]:
        """What clients hear of that still needs numbers (new messages and edits are
        announced by the fan-out; most status changes were numbered by their statement)."""
        return self.account_events + [status_event(row) for row in self.statuses.late]


async def store_webhooks(
    conn: Connection, tenant_id: uuid.UUID, payloads: Sequence[dict[str, Any]]
) -> TenantBatchResult:
    """Parse and store the webhooks of a tenant's ``ingest`` jobs, oldest first, in the
    caller's tenant-scoped transaction."""
    items = [r for payload in payloads for r in routed_items(tenant_id, payload)]
    return await write_tenant_items(conn, tenant_id, items)


def _json(model: Any) -> Any:
    if model is None:
        return None
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def write_tenant_items(
    conn: Connection, tenant_id: uuid.UUID, items: list[Routed]
) -> TenantBatchResult:
    """Write one tenant's items in the caller's tenant-scoped transaction."""
    result = TenantBatchResult()
    inbound = [r for r in items if isinstance(r.item, InboundMessage)]
    messages = [r for r in inbound if _msg(r).type not in _MESSAGE_NOTICES]
    notices = [_msg(r) for r in inbound if _msg(r).type in _MESSAGE_NOTICES]
    statuses = [r.item for r in items if isinstance(r.item, StatusUpdate)]
    if messages:
        result.new_messages = await _write_messages(conn, messages)
    if notices:
        # After the messages: an edit may arrive in the same POST as its original.
        result.edited = await apply_edits(conn, notices)
    if statuses:
        result.statuses = await write_statuses(conn, tenant_id, statuses)
    others = [r for r in items if not isinstance(r.item, InboundMessage | StatusUpdate)]
    if others:
        other = await write_other_items(conn, others)
        result.jobs += other.jobs
        result.account_events = other.events
        result.invalid = sum(isinstance(r.item, InvalidItem) for r in others)
    return result


async def _write_messages(conn: Connection, routed: list[Routed]) -> list[uuid.UUID]:
    """New inbound messages, their contacts and conversations."""
    unique: dict[str, Routed] = {}
    for r in routed:
        # A wamid twice in one batch (a duplicate racing its original) is one message.
        unique.setdefault(_msg(r).message_id, r)
    sightings = [
        Sighting(_msg(r).who, verified_phone=_msg(r).verified_phone, rekey=_msg(r).rekey)
        for r in unique.values()
    ]
    resolved = await resolve_contacts(conn, sightings, list(unique))
    # A message stored already (a redelivery) has no contact to resolve and nothing to insert.
    chosen: list[Routed] = []
    contact_ids: list[uuid.UUID] = []
    for r, contact_id in zip(unique.values(), resolved, strict=True):
        if contact_id is not None:
            chosen.append(r)
            contact_ids.append(contact_id)
    if not chosen:
        return []
    pairs = sorted({(r.route.number_id, c) for r, c in zip(chosen, contact_ids, strict=True)})
    conversations = await ingest_db.ensure_conversations(
        conn, [p[0] for p in pairs], [p[1] for p in pairs]
    )
    rows: dict[str, list[Any]] = defaultdict(list)
    for r, contact_id in zip(chosen, contact_ids, strict=True):
        msg = _msg(r)
        described = describe(msg.type, msg.content)
        text = english(described)
        rows["conversation_ids"].append(conversations[(r.route.number_id, contact_id)])
        rows["wa_message_ids"].append(msg.message_id)
        rows["types"].append(msg.type)
        rows["contents"].append(_json(msg.content))
        rows["texts"].append(text)
        rows["raws"].append(msg.raw)
        rows["contexts"].append(_json(msg.context))
        rows["referrals"].append(_json(msg.referral))
        rows["errors"].append([_json(e) for e in msg.errors])
        rows["wa_timestamps"].append(msg.timestamp)
        rows["previews"].append(stored_preview(described))
        rows["unread"].append(msg.type not in _NOT_UNREAD)
    inserted = await ingest_db.insert_inbound_messages(conn, **rows)
    return [row["id"] for row in inserted]


def _msg(r: Routed) -> InboundMessage:
    assert isinstance(r.item, InboundMessage)
    return r.item
