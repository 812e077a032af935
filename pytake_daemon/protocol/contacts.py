"""Contact profiles as the API shows them: the console's side panel and contact search.

A profile is the customer as the team knows them: Meta's identity (``ContactOut``), a name an
agent chose, tags, custom attributes, notes, past attendances with their outcome and rating, and
the AI's reading of their mood over time.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import Field, field_validator

from pytake_daemon.protocol.ai import Language, LanguageSource, SentimentLabel
from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import WireModel
from pytake_daemon.protocol.conversations import ContactOut, ConversationStatus
from pytake_daemon.protocol.queues import ItemStatus

HIDDEN_PHONE = "hidden"
"""``phone`` of a customer Meta names only by BSUID (a username user who hides their number)."""

ATTRIBUTE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ATTRIBUTES = 50
ATTRIBUTE_VALUE_LENGTH = 500
NAME_LENGTH = 120


class ContactQuery(WireModel):
    """``GET /api/v1/contacts``: newest first; ``q`` searches."""

    q: str | None = Field(
        default=None,
        min_length=3,
        max_length=200,
        description="part of the name (Meta's or the team's), @username, phone digits ('+', "
        "spaces and dashes allowed) or BSUID; at least 3 characters (a trigram index serves it)",
    )
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class ContactSummary(WireModel):
    """A row of the contact list."""

    contact: ContactOut
    name: str = Field(description="the team's name for them, else how Meta names them")
    phone: str = Field(description=f"'+' and digits, or '{HIDDEN_PHONE}'")
    tags: list[str]
    created_at: datetime


class ContactPage(WireModel):
    items: list[ContactSummary] = Field(description="newest contacts first")
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class ContactUpdate(WireModel):
    """``PATCH /api/v1/contacts/{id}``: only what is given changes.

    ``name`` null removes the team's name (Meta's shows again). ``attributes`` are merged into
    the contact's: a key set to null is removed. Keys are slugs (``^[a-z][a-z0-9_]{0,39}$``),
    values strings of at most 500 characters, at most 50 attributes per contact."""

    name: str | None = Field(default=None, min_length=1, max_length=NAME_LENGTH)
    attributes: dict[str, str | None] | None = Field(
        default=None,
        max_length=MAX_ATTRIBUTES,
        # What _attributes checks, said in the document too.
        json_schema_extra={
            "propertyNames": {"pattern": ATTRIBUTE_KEY.pattern},
            "additionalProperties": {
                "anyOf": [{"type": "string", "maxLength": ATTRIBUTE_VALUE_LENGTH}, {"type": "null"}]
            },
        },
    )

    @field_validator("name")
    @classmethod
    def _name(cls, name: str | None) -> str | None:
        if name is not None and not name.strip():
            raise refusal("contacts_a_name_can_t")
        return None if name is None else " ".join(name.split())

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, attributes: dict[str, str | None] | None) -> dict[str, str | None] | None:
        if attributes is None:
            return None
        for key, value in attributes.items():
            if not ATTRIBUTE_KEY.fullmatch(key):
                raise refusal("contacts_attribute_key_lower_case", key=repr(key))
            if value is not None and len(value) > ATTRIBUTE_VALUE_LENGTH:
                raise refusal(
                    "contacts_attribute_at_most_characters",
                    key=repr(key),
                    attribute_value_length=str(ATTRIBUTE_VALUE_LENGTH),
                )
        return {k: (v.strip() if v is not None else None) for k, v in attributes.items()}


class ContactNoteOut(WireModel):
    id: uuid.UUID
    contact_id: uuid.UUID
    author_id: uuid.UUID | None = Field(description="null once the author's account is gone")
    author_name: str | None
    body: str
    created_at: datetime


class ContactNoteList(WireModel):
    items: list[ContactNoteOut] = Field(description="newest first")


class ContactConversationOut(WireModel):
    """One of the contact's threads (one per business number)."""

    id: uuid.UUID
    number_id: uuid.UUID
    status: ConversationStatus
    assigned_user_id: uuid.UUID | None
    assignee_name: str | None
    last_message_at: datetime | None
    tags: list[str]
    mood: SentimentLabel | None = Field(description="the AI's current reading, if any")


class AttendanceOut(WireModel):
    """A past (or current) time in a queue: where, who attended, how it ended, the rating."""

    item_id: uuid.UUID
    conversation_id: uuid.UUID
    queue_id: uuid.UUID
    queue_name: str
    agent_id: uuid.UUID | None
    agent_name: str | None
    outcome: ItemStatus = Field(
        description="completed (closed by an agent), abandoned, timed_out, transferred; "
        "waiting or assigned while it lasts"
    )
    entered_at: datetime
    ended_at: datetime | None
    rating: int | None = Field(description="the customer's CSAT, 1 to 5, once they answered")
    rating_comment: str | None


class MoodPoint(WireModel):
    """One analysed customer message."""

    message_id: uuid.UUID
    conversation_id: uuid.UUID
    at: datetime
    sentiment: float = Field(ge=-1, le=1)
    label: SentimentLabel
    language: Language | None = Field(default=None, description="the language it was read in")
    language_source: LanguageSource | None = Field(
        default=None,
        description="how that language was chosen (detected, or for a text too short to detect: "
        "the contact's remembered language, the conversation's, the tenant's default)",
    )


class ContactProfile(WireModel):
    """``GET /api/v1/contacts/{id}``: everything the side panel shows, bounded."""

    contact: ContactOut
    name: str = Field(description="the team's name for them, else how Meta names them")
    name_override: str | None = Field(description="the name an agent chose, if any")
    phone: str = Field(description=f"'+' and digits, or '{HIDDEN_PHONE}' (only a BSUID known)")
    tags: list[str]
    attributes: dict[str, str]
    created_at: datetime
    notes: list[ContactNoteOut] = Field(description="the latest 20, newest first")
    conversations: list[ContactConversationOut] = Field(description="most recent first")
    attendances: list[AttendanceOut] = Field(description="the latest 20, newest first")
    rating_average: float | None = Field(description="of the rated attendances listed")
    mood: list[MoodPoint] = Field(description="the latest 50 analysed messages, oldest first")
