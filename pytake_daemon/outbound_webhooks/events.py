"""Which committed realtime events become which webhook events (docs/webhooks.md, the table).

The bus carries everything the consoles see; receivers get a smaller, stable vocabulary. A
customer's first message opens a conversation (as a reopening does): whether a message is the
conversation's first is asked of the database by the collector, for the tenants that want
``conversation.opened`` only (:attr:`Outgoing.if_first`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pytake_daemon.protocol import EventEnvelope
from pytake_daemon.protocol.agents import SatisfactionReceived
from pytake_daemon.protocol.conversations import TimelineKind
from pytake_daemon.protocol.events import (
    ContactUpdated,
    ConversationEventAdded,
    FlowCompleted,
    MessageReceived,
    MessageSent,
    MessageStatusUpdated,
)
from pytake_daemon.protocol.outbound_webhooks import WebhookEventType as T

_TIMELINE = {
    TimelineKind.ASSIGNED: T.CONVERSATION_ASSIGNED,
    TimelineKind.CLOSED: T.CONVERSATION_CLOSED,
    TimelineKind.REOPENED: T.CONVERSATION_OPENED,
}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One webhook event from one realtime event."""

    type: T
    conversation_id: uuid.UUID | None
    data: dict[str, Any]
    if_first: tuple[uuid.UUID, datetime] | None = None
    """Only if this message (id, created_at) is its conversation's first."""


def _data(event: Any) -> dict[str, Any]:
    data: dict[str, Any] = event.model_dump(mode="json", exclude={"type"})
    return data


def outgoing(envelope: EventEnvelope) -> Iterator[Outgoing]:
    """The webhook events ``envelope`` stands for (most stand for none)."""
    event = envelope.event
    if isinstance(event, MessageReceived):
        conversation = event.conversation.id
        first = (event.message.id, event.message.created_at)
        yield Outgoing(T.CONVERSATION_OPENED, conversation, _data(event.conversation), first)
        yield Outgoing(T.MESSAGE_RECEIVED, conversation, _data(event))
    elif isinstance(event, MessageSent):
        yield Outgoing(T.MESSAGE_SENT, event.conversation.id, _data(event))
    elif isinstance(event, MessageStatusUpdated):
        yield Outgoing(T.MESSAGE_STATUS, event.conversation_id, _data(event))
    elif isinstance(event, ConversationEventAdded):
        kind = _TIMELINE.get(event.event.kind)
        if kind is not None:
            yield Outgoing(kind, event.event.conversation_id, _data(event.event))
    elif isinstance(event, SatisfactionReceived):
        yield Outgoing(T.RATING_RECEIVED, event.conversation_id, _data(event))
    elif isinstance(event, FlowCompleted):
        yield Outgoing(T.FLOW_COMPLETED, event.conversation_id, _data(event))
    elif isinstance(event, ContactUpdated):
        # No conversation: a contact's changes have no lane (docs/webhooks.md, Order).
        yield Outgoing(T.CONTACT_UPDATED, None, _data(event))


def relevant(envelope: EventEnvelope) -> bool:
    """Cheap pre-filter for the bus listener (it runs on the commit path)."""
    return isinstance(
        envelope.event,
        MessageReceived
        | MessageSent
        | MessageStatusUpdated
        | ConversationEventAdded
        | SatisfactionReceived
        | FlowCompleted
        | ContactUpdated,
    )
