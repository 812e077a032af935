"""The inbound stage: what webhooks carried, stored, told to clients and answered.

Runs as the ``ingest`` job kind in batches (``JobRunner.register_batch``): each pass takes
whatever the webhook writer committed since the last one, per tenant, and handles it in **one**
transaction: the webhooks' items are parsed and stored (``ingest_items.store_webhooks``), the
new messages and their conversations read once, every hook (the flow step and its outbox rows,
satisfaction answers, the AI's job) writes in that transaction, the events of all of it are
numbered there (one call to the tenant's sequence; status callbacks by their own statement),
and the jobs are completed there too. The events go out after the commit, then each hook's
best-effort follow-ups (waking the sender, the distributors).

A crash between the webhook's commit and this one leaves the job, claimed again when its lease
runs out; a crash after it left nothing to redo (storing is idempotent either way). Delivery to
clients is at-least-once across such a crash; clients ignore sequence numbers they have already
seen.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
import structlog

from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.conversations.inbound import InboundBatch, InboundHook
from pytake_daemon.conversations.views import conversation_out, message_out
from pytake_daemon.db.pool import Pool, tenant_transaction
from pytake_daemon.jobs.job import Job
from pytake_daemon.metrics import families as metrics
from pytake_daemon.protocol import (
    ConversationOut,
    ConversationUpdated,
    MessageReceived,
    MessageStatusUpdated,
    MessageUpdated,
    ServerEvent,
)
from pytake_daemon.realtime.bus import EventBus, number_events
from pytake_daemon.whatsapp import outbox_db
from pytake_daemon.whatsapp.ingest_items import TenantBatchResult, store_webhooks

log = structlog.get_logger("pytake.whatsapp")


CountInvalid = Callable[[int], Awaitable[None]]


class IngestFanout:
    def __init__(
        self,
        pool: Pool,
        bus: EventBus,
        *,
        on_work: Callable[[], None] | None = None,
        count_invalid: CountInvalid | None = None,
    ) -> None:
        self._pool = pool
        self._bus = bus
        self._on_work = on_work
        """Wakes the loops of jobs the stage queued (template syncs), after its commit."""
        self._count_invalid = count_invalid
        self._hooks: list[InboundHook] = []

    def add_inbound_hook(self, hook: InboundHook) -> None:
        self._hooks.append(hook)

    async def __call__(self, tenant_id: uuid.UUID, jobs: list[Job]) -> None:
        # Jobs of the webhook writer carry webhooks ("entry"); jobs queued before it did (an
        # upgrade with work in flight) carry the ids of messages stored already.
        webhooks = [job.payload for job in jobs if "entry" in job.payload]
        message_ids = _ids(jobs, "messages")
        status_ids = _ids(jobs, "statuses")
        # Edited or deleted by the customer (jobs written before 0016 have no such key).
        updated_ids = _ids(jobs, "updated")
        now = datetime.now(UTC)
        stored = TenantBatchResult()
        async with tenant_transaction(self._pool, tenant_id, generic_plans=True) as conn:
            if webhooks:
                stored = await store_webhooks(conn, tenant_id, webhooks)
                message_ids = stored.new_messages + message_ids
                updated_ids = stored.edited + updated_ids
            wanted = message_ids + status_ids + updated_ids
            # Status callbacks alone (three webhooks of every reply) read nothing back.
            rows = await conversations_db.get_messages(conn, wanted) if wanted else []
            by_id = {r["id"]: message_out(r) for r in rows}
            messages = [by_id[i] for i in message_ids if i in by_id]
            changed = [by_id[i] for i in status_ids if i in by_id]
            updated = [by_id[i] for i in updated_ids if i in by_id]
            conversation_ids = sorted({m.conversation_id for m in messages + updated})
            conversations = {
                c.id: c
                for c in (
                    conversation_out(r, now=now)
                    for r in (
                        await conversations_db.get_conversations(conn, conversation_ids)
                        if conversation_ids
                        else []
                    )
                )
            }
            inbound = [
                (conversations[m.conversation_id], m)
                for m in sorted(
                    messages, key=lambda m: (m.wa_timestamp or m.created_at, m.created_at)
                )
                if m.conversation_id in conversations
            ]
            events: list[ServerEvent] = [
                MessageReceived(conversation=c, message=m) for c, m in inbound
            ]
            events.extend(
                MessageStatusUpdated(
                    conversation_id=m.conversation_id,
                    message_id=m.id,
                    wa_message_id=m.wa_message_id,
                    status=m.status,
                    error=m.error,
                )
                for m in changed
            )
            events.extend(
                MessageUpdated(conversation_id=m.conversation_id, message=m) for m in updated
            )
            # An edit or deletion of the latest message changed the list's preview: a deleted
            # text must not linger in the agents' inbox.
            events.extend(
                ConversationUpdated(conversation=conversations[c])
                for c in sorted({m.conversation_id for m in updated})
                if c in conversations
            )
            batch = InboundBatch(conn, tenant_id, inbound, now)
            if inbound:
                for hook in self._hooks:
                    await hook(batch)
            touched = await outbox_db.touch_previews(conn, batch.deferred_previews)
            # Last, just before the commit: a number taken long before its commit would hold
            # the clients' ordering point back (realtime/ordering) until the commit lands.
            envelopes = stored.statuses.numbered + await number_events(
                conn,
                tenant_id,
                stored.events() + events + _with_previews(batch.events, touched, now),
            )
        await self._bus.deliver(envelopes)
        await self._after_storing(stored)
        for follow_up in batch.follow_ups:
            try:
                await follow_up()
            except Exception:  # committed: a failed wake-up is caught up by the next poll
                log.exception("fan-out follow-up failed", tenant_id=str(tenant_id))

    async def _after_storing(self, stored: TenantBatchResult) -> None:
        if stored.jobs and self._on_work is not None:
            self._on_work()
        if stored.invalid:
            # After the commit: the count is of items kept raw, not of attempts.
            metrics.WEBHOOK_INVALID_ITEMS.inc(stored.invalid)
            if self._count_invalid is not None:
                await self._count_invalid(stored.invalid)


def _with_previews(
    events: list[ServerEvent], touched: dict[uuid.UUID, asyncpg.Record], now: datetime
) -> list[ServerEvent]:
    """The hooks' events with their conversations as the batch leaves them: a step's
    ``message_sent`` carries the conversation its step read, before its preview was set."""
    if not touched:
        return events
    patched: list[ServerEvent] = []
    fresh = {i: conversation_out(row, now=now) for i, row in touched.items()}
    for event in events:
        conversation = getattr(event, "conversation", None)
        if isinstance(conversation, ConversationOut) and conversation.id in fresh:
            patched.append(event.model_copy(update={"conversation": fresh[conversation.id]}))
        else:
            patched.append(event)
    return patched


def _ids(jobs: list[Job], key: str) -> list[uuid.UUID]:
    return [uuid.UUID(i) for job in jobs for i in job.payload.get(key, [])]
