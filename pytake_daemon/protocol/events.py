"""WebSocket events.

Every server event travels in an :class:`EventEnvelope` carrying the tenant's sequence number.
Sequence numbers are per tenant and strictly increasing; a client that sees a gap (or has just
reconnected) re-reads the state it shows through the REST API instead of trusting the stream.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from pytake_daemon.protocol.agents import AgentStatusChanged, GoalReached, SatisfactionReceived
from pytake_daemon.protocol.ai import AlertRaised, MessageAnalyzed
from pytake_daemon.protocol.audit import SecurityAlertRaised
from pytake_daemon.protocol.auth import Role
from pytake_daemon.protocol.backups import BackupAlert
from pytake_daemon.protocol.common import WireModel
from pytake_daemon.protocol.conversations import (
    ContactOut,
    ConversationEventOut,
    ConversationOut,
    MessageError,
    MessageOut,
    MessageStatus,
    NoteOut,
)
from pytake_daemon.protocol.invitations import InvitationChanged
from pytake_daemon.protocol.notifications import NotificationCreated, NotificationsRead
from pytake_daemon.protocol.outbound_webhooks import WebhookEndpointChanged
from pytake_daemon.protocol.queues import QueueChanged, QueueItemChanged
from pytake_daemon.protocol.whatsapp import (
    NumberChanged,
    NumberQualityChanged,
    TemplateChanged,
    TemplateStatusChanged,
)


class Hello(WireModel):
    """First frame on every connection: the tenant's current sequence number, to resync from."""

    type: Literal["hello"] = "hello"
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role
    server_time: datetime


class UserChanged(WireModel):
    """A user of the tenant was created, changed or disabled."""

    type: Literal["user_changed"] = "user_changed"
    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    disabled: bool


class TokenRevoked(WireModel):
    """A token was revoked; connections authenticated by it are closed right after this."""

    type: Literal["token_revoked"] = "token_revoked"
    token_id: uuid.UUID
    kind: str | None = Field(default=None, description="session or api; null: not found")
    name: str | None = Field(default=None, description="the token's name (an API token's label)")
    owner: str | None = Field(default=None, description="the e-mail of the user it belonged to")


class MessageReceived(WireModel):
    """A customer's message was stored (after the webhook's commit)."""

    type: Literal["message_received"] = "message_received"
    conversation: ConversationOut
    message: MessageOut


class MessageSent(WireModel):
    """An outbound message was queued (status pending); its progress follows as
    ``message_status_updated``."""

    type: Literal["message_sent"] = "message_sent"
    conversation: ConversationOut
    message: MessageOut


class MessageStatusUpdated(WireModel):
    """A message's delivery state moved forward (never backwards)."""

    type: Literal["message_status_updated"] = "message_status_updated"
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    wa_message_id: str | None
    status: MessageStatus
    error: MessageError | None


class MessageUpdated(WireModel):
    """The customer edited or deleted a message: ``message`` is its new state (a deleted
    message carries no text or content)."""

    type: Literal["message_updated"] = "message_updated"
    conversation_id: uuid.UUID
    message: MessageOut


class ConversationUpdated(WireModel):
    """A conversation's status, assignment, unread count or window changed."""

    type: Literal["conversation_updated"] = "conversation_updated"
    conversation: ConversationOut


class NoteAdded(WireModel):
    """An agent wrote an internal note on a conversation (agents only; never sent to WhatsApp)."""

    type: Literal["note_added"] = "note_added"
    conversation: ConversationOut
    note: NoteOut


class ConversationEventAdded(WireModel):
    """A system line joined a conversation's thread (assigned, transferred, closed, reopened,
    rated, note added…): consoles showing the thread append it."""

    type: Literal["conversation_event_added"] = "conversation_event_added"
    event: ConversationEventOut


class FlowCompleted(WireModel):
    """A flow session reached an end of its flow (not expired, replaced or failed): announced
    with the step's other events after its commit."""

    type: Literal["flow_completed"] = "flow_completed"
    conversation_id: uuid.UUID
    flow_id: uuid.UUID
    flow_version: int
    session_id: uuid.UUID


class ContactUpdated(WireModel):
    """The team changed a contact's name, custom attributes or tags."""

    type: Literal["contact_updated"] = "contact_updated"
    contact: ContactOut
    name: str
    tags: list[str]
    attributes: dict[str, str]


class Withheld(WireModel):
    """Stands in for a numbered event meant for another user (a notification): nothing to
    show, but the sequence stays continuous, so no resync."""

    type: Literal["withheld"] = "withheld"


class TypingStart(WireModel):
    """Someone is typing in a conversation (an agent, seen by the other agents)."""

    type: Literal["typing_start"] = "typing_start"
    conversation_id: uuid.UUID
    user_id: uuid.UUID


class TypingStop(WireModel):
    type: Literal["typing_stop"] = "typing_stop"
    conversation_id: uuid.UUID
    user_id: uuid.UUID


ServerEvent = Annotated[
    Hello
    | UserChanged
    | TokenRevoked
    | MessageReceived
    | MessageSent
    | MessageStatusUpdated
    | MessageUpdated
    | ConversationUpdated
    | NoteAdded
    | ConversationEventAdded
    | TypingStart
    | TypingStop
    | SecurityAlertRaised
    | BackupAlert
    | MessageAnalyzed
    | AlertRaised
    | QueueItemChanged
    | QueueChanged
    | AgentStatusChanged
    | GoalReached
    | SatisfactionReceived
    | NotificationCreated
    | NotificationsRead
    | NumberQualityChanged
    | TemplateStatusChanged
    | TemplateChanged
    | InvitationChanged
    | NumberChanged
    | WebhookEndpointChanged
    | FlowCompleted
    | ContactUpdated
    | Withheld,
    Field(discriminator="type"),
]


class EventEnvelope(WireModel):
    """What one WebSocket text frame from the server holds."""

    seq: int = Field(
        ge=0, description="per-tenant sequence number; 'hello' carries the current one"
    )
    tenant_id: uuid.UUID
    at: datetime
    event: ServerEvent


class Ping(WireModel):
    """Application-level keepalive a client may send; the server answers with nothing."""

    type: Literal["ping"] = "ping"


class Typing(WireModel):
    """A client says its user started or stopped typing in a conversation."""

    type: Literal["typing"] = "typing"
    conversation_id: uuid.UUID
    typing: bool


ClientEvent = Annotated[Ping | Typing, Field(discriminator="type")]

_envelope_adapter: TypeAdapter[EventEnvelope] = TypeAdapter(EventEnvelope)


def parse_server_event(raw: str | bytes) -> EventEnvelope:
    """Parse one server frame; raises ``pydantic.ValidationError`` on anything else."""
    return _envelope_adapter.validate_json(raw)
