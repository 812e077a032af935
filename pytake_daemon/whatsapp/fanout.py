"""After a webhook commit: tell clients (WebSocket events) and the automation hooks.

Runs as the ``ingest`` job, so it happens off the request path and survives a crash between the
commit and the work (the job is claimed again when its lease runs out). Delivery to clients is
at-least-once across such a crash; clients ignore sequence numbers they have already seen.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.conversations.views import conversation_out, message_out
from pytake_daemon.db.pool import Pool, tenant_transaction
from pytake_daemon.jobs.runner import Job
from pytake_daemon.protocol import (
    ConversationOut,
    ConversationUpdated,
    MessageOut,
    MessageReceived,
    MessageStatusUpdated,
    MessageUpdated,
    ServerEvent,
)
from pytake_daemon.realtime.bus import EventBus, number_events

InboundHook = Callable[[uuid.UUID, Sequence[tuple[ConversationOut, MessageOut]]], Awaitable[None]]
"""Called with a tenant and its new inbound messages, after the events went out (flows, AI)."""


class IngestFanout:
    def __init__(self, pool: Pool, bus: EventBus) -> None:
        self._pool = pool
        self._bus = bus
        self._hooks: list[InboundHook] = []

    def add_inbound_hook(self, hook: InboundHook) -> None:
        self._hooks.append(hook)

    async def __call__(self, job: Job) -> None:
        message_ids = [uuid.UUID(i) for i in job.payload.get("messages", [])]
        status_ids = [uuid.UUID(i) for i in job.payload.get("statuses", [])]
        # Edited or deleted by the customer (jobs written before 0016 have no such key).
        updated_ids = [uuid.UUID(i) for i in job.payload.get("updated", [])]
        now = datetime.now(UTC)
        async with tenant_transaction(self._pool, job.tenant_id) as conn:
            rows = await conversations_db.get_messages(conn, message_ids + status_ids + updated_ids)
            by_id = {r["id"]: message_out(r) for r in rows}
            messages = [by_id[i] for i in message_ids if i in by_id]
            changed = [by_id[i] for i in status_ids if i in by_id]
            updated = [by_id[i] for i in updated_ids if i in by_id]
            conversation_ids = sorted({m.conversation_id for m in messages + updated})
            conversations = {
                c.id: c
                for c in (
                    conversation_out(r, now=now)
                    for r in await conversations_db.get_conversations(conn, conversation_ids)
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
            envelopes = await number_events(conn, job.tenant_id, events)
        await self._bus.deliver(envelopes)
        if not inbound or not self._hooks:
            return
        # Hooks are independent (flows answer, AI analyses): side by side, so the bot's answer
        # doesn't wait for the analysis. Any failure retries the job; hooks are idempotent.
        results = await asyncio.gather(
            *(hook(job.tenant_id, inbound) for hook in self._hooks), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
