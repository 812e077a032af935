"""Which realtime events become which webhook events (docs/webhooks.md, Event types): the
thread's lines by kind, statuses, ratings; everything else none."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pytake_daemon.outbound_webhooks.events import outgoing, relevant
from pytake_daemon.protocol import EventEnvelope
from pytake_daemon.protocol.agents import SatisfactionReceived
from pytake_daemon.protocol.conversations import ConversationEventOut, MessageStatus, TimelineKind
from pytake_daemon.protocol.events import (
    ConversationEventAdded,
    FlowCompleted,
    MessageStatusUpdated,
    ServerEvent,
    TypingStart,
)
from pytake_daemon.protocol.outbound_webhooks import WebhookEventType as T

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CONVERSATION = uuid.uuid4()


def _envelope(event: ServerEvent) -> EventEnvelope:
    return EventEnvelope(seq=1, tenant_id=uuid.uuid4(), at=AT, event=event)


def _line(kind: TimelineKind) -> ConversationEventAdded:
    return ConversationEventAdded(
        event=ConversationEventOut(id=uuid.uuid4(), conversation_id=CONVERSATION, kind=kind, at=AT)
    )


def test_thread_lines_by_kind() -> None:
    mapped = {
        kind: [(o.type, o.conversation_id) for o in outgoing(_envelope(_line(kind)))]
        for kind in TimelineKind
    }
    assert mapped == {
        TimelineKind.ASSIGNED: [(T.CONVERSATION_ASSIGNED, CONVERSATION)],
        TimelineKind.CLOSED: [(T.CONVERSATION_CLOSED, CONVERSATION)],
        TimelineKind.REOPENED: [(T.CONVERSATION_OPENED, CONVERSATION)],
        TimelineKind.QUEUED: [],
        TimelineKind.TRANSFERRED: [],
        TimelineKind.RATED: [],  # the rating itself comes as rating.received
        TimelineKind.NOTE_ADDED: [],  # internal notes never leave PyTake
        TimelineKind.TIMED_OUT: [],
    }


def test_statuses_ratings_flows_and_the_rest() -> None:
    status = MessageStatusUpdated(
        conversation_id=CONVERSATION, message_id=uuid.uuid4(), wa_message_id="wamid.x",
        status=MessageStatus.DELIVERED, error=None,
    )  # fmt: skip
    [out] = outgoing(_envelope(status))
    assert (out.type, out.conversation_id, out.data["status"]) == (
        T.MESSAGE_STATUS, CONVERSATION, "delivered",
    )  # fmt: skip
    assert "type" not in out.data
    rating = SatisfactionReceived(conversation_id=CONVERSATION, agent_id=uuid.uuid4(), rating=4)
    assert [o.type for o in outgoing(_envelope(rating))] == [T.RATING_RECEIVED]
    flow = FlowCompleted(conversation_id=CONVERSATION, flow_id=uuid.uuid4(), flow_version=3,
                         session_id=uuid.uuid4())  # fmt: skip
    assert [o.type for o in outgoing(_envelope(flow))] == [T.FLOW_COMPLETED]
    typing = _envelope(TypingStart(conversation_id=CONVERSATION, user_id=uuid.uuid4()))
    assert not relevant(typing)
    assert list(outgoing(typing)) == []
