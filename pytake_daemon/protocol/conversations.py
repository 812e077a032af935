"""Contacts, conversations and messages as the API and the WebSocket show them."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import TAG_PATTERN, WireModel


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
    """A customer, known by their business-scoped user id (BSUID), their phone, or both.

    Customers who adopted a WhatsApp username may write without a phone number: then only
    ``bsuid`` (and ``username``) are known until they share it."""

    id: uuid.UUID
    wa_id: str | None = Field(
        description="the customer's phone number (digits, Meta's wa_id); null while hidden"
    )
    profile_name: str | None
    bsuid: str | None = Field(
        default=None,
        description="Meta's business-scoped user id (e.g. US.13491208655302741918); send to it "
        "with `recipient` when there is no phone",
    )
    parent_bsuid: str | None = Field(default=None, description="Meta's parent BSUID, if enabled")
    username: str | None = Field(
        default=None, description="the customer's WhatsApp username: for display, it can change"
    )
    phone_verified: bool = Field(
        default=False, description="the customer shared this phone themselves (contact request)"
    )
    phone_conflict: str | None = Field(
        default=None,
        description="a phone seen for this customer that belongs to another contact or differs "
        "from the linked one: never merged automatically, for an agent to check",
    )

    @property
    def display_name(self) -> str:
        """How agents see the customer: username, else profile name, else phone, else BSUID."""
        if self.username:
            return f"@{self.username.removeprefix('@')}"
        if self.profile_name:
            return self.profile_name
        if self.wa_id:
            return f"+{self.wa_id}"
        return self.bsuid or str(self.id)


class WindowOut(WireModel):
    """The 24-hour customer-service window of a conversation (Meta doesn't expose it)."""

    open: bool
    expires_at: datetime | None = Field(
        description="when free-form messages stop being allowed; null before any inbound message"
    )


class NamedRef(WireModel):
    """Something the console shows by name: an agent or a queue."""

    id: uuid.UUID
    name: str


class ConversationOut(WireModel):
    id: uuid.UUID
    number_id: uuid.UUID
    contact: ContactOut
    status: ConversationStatus
    assigned_user_id: uuid.UUID | None
    unread_count: int
    last_message_at: datetime | None
    last_message_preview: str = Field(
        description="the last message's text, or its kind tagged for the reader to word "
        "(protocol.message_preview.parse)"
    )
    last_inbound_at: datetime | None
    window: WindowOut
    created_at: datetime
    updated_at: datetime
    tags: list[str] = Field(default_factory=list, description="the agents' labels, sorted")
    notes_count: int = Field(default=0, description="internal notes written about it")
    assignee: NamedRef | None = Field(
        default=None, description="the agent attending it (``assigned_user_id`` with a name)"
    )
    queue: NamedRef | None = Field(
        default=None, description="the queue it waits in or was assigned from; null: none"
    )


class MessageError(WireModel):
    """Why a message failed: Meta's code and title, and a sentence for the agent."""

    code: int | None
    title: str | None
    explanation: str


class ReferralOut(WireModel):
    """The ad or post the customer clicked to start writing (click-to-WhatsApp)."""

    model_config = ConfigDict(extra="ignore")

    source_type: str | None = Field(default=None, description="ad or post")
    source_id: str | None = None
    source_url: str | None = None
    headline: str | None = None
    body: str | None = None
    media_type: str | None = None
    ctwa_clid: str | None = None


class MessageEditOut(WireModel):
    """An earlier version of an edited message."""

    text: str
    replaced_at: datetime | None


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
    referral: ReferralOut | None = Field(default=None, description="the ad or post clicked")
    forwarded: bool = Field(default=False, description="the customer forwarded it")
    frequently_forwarded: bool = Field(
        default=False, description="forwarded many times (WhatsApp's double arrow)"
    )
    unsupported_reason: str | None = Field(
        default=None, description="why the content could not be shown (unsupported messages)"
    )
    edited_at: datetime | None = Field(default=None, description="when the customer edited it")
    edits: list[MessageEditOut] = Field(
        default_factory=list, description="earlier versions, oldest first"
    )
    deleted_at: datetime | None = Field(
        default=None,
        description="when the customer deleted it; its text and content are then withheld",
    )


class ConversationList(WireModel):
    items: list[ConversationOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class TimelineKind(StrEnum):
    """A system line of a thread: what happened to the conversation (not a message)."""

    QUEUED = "queued"
    ASSIGNED = "assigned"
    TRANSFERRED = "transferred"
    CLOSED = "closed"
    REOPENED = "reopened"
    RATED = "rated"
    NOTE_ADDED = "note_added"
    TIMED_OUT = "timed_out"


class ConversationEventOut(WireModel):
    """One system line of a thread. ``actor`` did it (null: the system, a flow, the
    customer); ``agent`` is to whom (assigned, transferred to an agent, the agent rated);
    ``queue`` which queue (queued, assigned from, transferred to, reopened into)."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    kind: TimelineKind
    at: datetime = Field(description="sorts with messages' created_at (then id) in the thread")
    actor: NamedRef | None = None
    agent: NamedRef | None = None
    queue: NamedRef | None = None
    detail: dict[str, Any] = Field(
        default_factory=dict,
        description="by kind: rated {rating}, note_added {note_id}, transferred {from_queue, "
        "from_agent}, closed/reopened {reason}, assigned {override: true} past capacity",
    )


class MessageList(WireModel):
    items: list[MessageOut] = Field(description="newest first")
    next_cursor: str | None = Field(description="pass as ?cursor= for older messages")
    events: list[ConversationEventOut] = Field(
        default_factory=list,
        description="the thread's system lines that fall within this page (newer than its "
        "oldest message, older than the cursor; on the last page, all older ones too), newest "
        "first: merge them with the items by (created_at/at, id)",
    )


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
        description="search in the contact's username, name, phone, BSUID and message text",
    )
    unread: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class MessageQuery(WireModel):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class ConversationStatusUpdate(WireModel):
    """``PATCH /api/v1/conversations/{id}/status``. ``snoozed`` sets the conversation aside
    until the customer writes again (which reopens it); there is no timed snooze."""

    status: ConversationStatus


class ConversationStats(WireModel):
    """``GET /api/v1/conversations/stats``: counts for the caller's tenant. "Today" is the
    current UTC day (since 00:00 UTC)."""

    by_status: dict[ConversationStatus, int]
    """Conversations in each status now; ``resolved`` counts those resolved today and still
    resolved (the count of every resolved conversation ever grew without bound)."""
    unassigned_open: int
    unread_conversations: int
    unread_messages: int
    window_open: int
    messages_today_in: int
    messages_today_out: int
    failed_today: int


# --- agents' actions on a conversation -------------------------------------------------------

MAX_TAGS = 20
TAG_LENGTH = 32


_TAG = re.compile(TAG_PATTERN)


class TagsUpdate(WireModel):
    """``PUT /api/v1/conversations/{id}/tags``: the whole set (an empty list removes them all).

    Tags are trimmed, lower-cased, de-duplicated and sorted, so two consoles writing ``VIP`` and
    ``vip `` store the same tag."""

    tags: list[str] = Field(
        max_length=MAX_TAGS,
        # What _normalise checks, said in the document too (a blank or comma'd tag is refused).
        json_schema_extra={
            "items": {"type": "string", "pattern": TAG_PATTERN, "maxLength": TAG_LENGTH}
        },
    )

    @field_validator("tags")
    @classmethod
    def _normalise(cls, tags: list[str]) -> list[str]:
        cleaned = {" ".join(tag.split()).lower() for tag in tags}
        for tag in cleaned:
            # The published pattern, so the document and the check refuse the same tags.
            if not _TAG.fullmatch(tag):
                if "," in tag:
                    raise refusal("conversations_a_tag_can_t_2", tag=repr(tag))
                raise refusal("conversations_a_tag_can_t")
            if len(tag) > TAG_LENGTH:
                raise refusal(
                    "conversations_a_tag_has_at", tag_length=str(TAG_LENGTH), tag=repr(tag)
                )
            if "," in tag:
                raise refusal("conversations_a_tag_can_t_2", tag=repr(tag))
        return sorted(cleaned)


class NoteCreate(WireModel):
    """``POST /api/v1/conversations/{id}/notes``: an internal note, never sent to the customer."""

    body: str = Field(min_length=1, max_length=4096, json_schema_extra={"pattern": r"\S"})

    @field_validator("body")
    @classmethod
    def _not_blank(cls, body: str) -> str:
        body = body.strip()
        if not body:
            raise refusal("conversations_a_note_can_t")
        return body


class NoteOut(WireModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    author_id: uuid.UUID | None = Field(description="null once the author's account is gone")
    author_name: str | None
    body: str
    created_at: datetime


class NoteList(WireModel):
    items: list[NoteOut] = Field(description="oldest first")


class TransferRequest(WireModel):
    """``POST /api/v1/conversations/{id}/transfer``: to a queue (where it waits for the next
    agent) or straight to an agent; exactly one of the two. ``note`` is kept as an internal
    note, for whoever picks it up."""

    queue_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    note: str | None = Field(default=None, max_length=4096)

    @model_validator(mode="after")
    def _one_target(self) -> TransferRequest:
        if (self.queue_id is None) == (self.agent_id is None):
            raise refusal("conversations_give_either_queue_id")
        return self


class AssignmentRequest(WireModel):
    """``POST /api/v1/conversations/{id}/assignment``: a supervisor's move, whether or not the
    conversation is in a queue. Exactly one of ``take`` (to the caller), ``agent_id`` or
    ``queue_id``. ``override_capacity`` assigns past the agent's capacity (audited)."""

    take: bool = False
    agent_id: uuid.UUID | None = None
    queue_id: uuid.UUID | None = None
    override_capacity: bool = False
    note: str | None = Field(default=None, max_length=4096)

    @model_validator(mode="after")
    def _one_target(self) -> AssignmentRequest:
        if sum((self.take, self.agent_id is not None, self.queue_id is not None)) != 1:
            raise refusal("conversations_give_exactly_one_of")
        if self.override_capacity and self.queue_id is not None:
            raise refusal("conversations_override_capacity_applies_to")
        return self
