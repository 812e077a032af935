"""Contacts, conversations and messages as the API and the WebSocket show them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from pytake_daemon.protocol.common import WireModel


class ConversationStatus(StrEnum):
    """Where a conversation stands; a customer's new message reopens a resolved one."""

    OPEN = "open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


class MessageStatus(StrEnum):
    """Delivery states, in rank order; ``received`` marks inbound messages."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    SENT = "sent"
    FAILED = "failed"
    DELIVERED = "delivered"
    READ = "read"
    RECEIVED = "received"


class ContactOut(WireModel):
    id: uuid.UUID
    wa_id: str = Field(description="the customer's WhatsApp id: digits of the phone number")
    profile_name: str | None


class WindowOut(WireModel):
    """The 24-hour customer-service window of a conversation (Meta doesn't expose it)."""

    open: bool
    expires_at: datetime | None = Field(
        description="when free-form messages stop being allowed; null before any inbound message"
    )


class ConversationOut(WireModel):
    id: uuid.UUID
    number_id: uuid.UUID
    contact: ContactOut
    status: ConversationStatus
    assigned_user_id: uuid.UUID | None
    unread_count: int
    last_message_at: datetime | None
    last_message_preview: str
    last_inbound_at: datetime | None
    window: WindowOut
    created_at: datetime
    updated_at: datetime


class MessageError(WireModel):
    """Why a message failed: Meta's code and title, and a sentence for the agent."""

    code: int | None
    title: str | None
    explanation: str


class MessageOut(WireModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    direction: Literal["in", "out"]
    wa_message_id: str | None
    type: str
    text: str = Field(description="a plain-text rendering: the body, a caption or a summary")
    content: dict[str, Any] = Field(description="the normalised content of this type")
    reply_to: str | None = Field(description="the wamid this message replies to, if any")
    status: MessageStatus
    status_at: datetime
    error: MessageError | None
    sent_by: uuid.UUID | None
    created_at: datetime
    wa_timestamp: datetime | None


class ConversationList(WireModel):
    items: list[ConversationOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class MessageList(WireModel):
    items: list[MessageOut] = Field(description="newest first")
    next_cursor: str | None = Field(description="pass as ?cursor= for older messages")


class ConversationQuery(WireModel):
    """``GET /api/v1/conversations`` filters (all optional, combined with AND)."""

    status: ConversationStatus | None = None
    agent: uuid.UUID | Literal["me", "none"] | None = Field(
        default=None, description="assigned user id, 'me', or 'none' for unassigned"
    )
    number_id: uuid.UUID | None = None
    since: datetime | None = Field(default=None, description="last message at or after")
    until: datetime | None = Field(default=None, description="last message before")
    q: str | None = Field(
        default=None,
        min_length=2,
        max_length=200,
        description="search in the contact's name, phone and message text",
    )
    unread: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class MessageQuery(WireModel):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class ConversationStatusUpdate(WireModel):
    """``PATCH /api/v1/conversations/{id}/status``."""

    status: ConversationStatus


class ConversationStats(WireModel):
    """``GET /api/v1/conversations/stats``: counts for the caller's tenant."""

    by_status: dict[ConversationStatus, int]
    unassigned_open: int
    unread_conversations: int
    unread_messages: int
    window_open: int
    messages_today_in: int
    messages_today_out: int
    failed_today: int
