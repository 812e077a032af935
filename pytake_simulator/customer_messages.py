"""What a simulated customer can send: the control API's and the in-process API's request.

A :class:`CustomerMessage` is the body of ``POST /_sim/customers/{customer}/messages`` and the
argument of ``SimCustomer.send``: ``type`` plus the object for that type in Meta's own shape,
with whatever the customer's phone would fill in left optional (media ids and hashes, the
``context`` of a reply to the business's interactive or template message, the message a reaction,
an edit or a revocation is for, the customer's own card in a contact-request reply).
customers.py turns it into the webhook's message.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pytake_simulator.wire import (
    ButtonReply,
    ListReply,
    Location,
    NfmReply,
    ProductItem,
    Referral,
    WebhookError,
)

InboundType = Literal[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "button",
    "reaction",
    "order",
    "system",
    "unsupported",
    "edit",
    "revoke",
]
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
DEFAULT_MIME = {
    "image": "image/jpeg",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "document": "application/pdf",
    "sticker": "image/webp",
}
VOICE_MIME = "audio/ogg; codecs=opus"


class CustomerError(Exception):
    """The requested customer message can't exist (e.g. a reply to nothing)."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextIn(_In):
    body: str = Field(min_length=1, max_length=4096)


class MediaIn(_In):
    id: str | None = None  # an existing media id; otherwise a sample file is made up
    mime_type: str | None = None
    data_base64: str | None = None  # the file's bytes, when a test wants specific content
    caption: str | None = None
    filename: str | None = None
    voice: bool | None = None
    animated: bool | None = None


class InteractiveIn(_In):
    type: Literal["button_reply", "list_reply", "nfm_reply"]
    button_reply: ButtonReply | None = None
    list_reply: ListReply | None = None
    nfm_reply: NfmReply | None = None

    @model_validator(mode="after")
    def _reply_for_type(self) -> InteractiveIn:
        if getattr(self, self.type) is None:
            raise ValueError(f"interactive.{self.type} is required for type {self.type}")
        return self


class ButtonIn(_In):
    text: str
    payload: str | None = None  # Meta echoes the button text when the template set none


class ReactionIn(_In):
    message_id: str | None = None  # default: the business's last message to this customer
    emoji: str = ""  # empty removes the reaction


class OrderIn(_In):
    catalog_id: str = "1537297853620321"
    text: str | None = None
    product_items: list[ProductItem] = Field(min_length=1)


class SystemIn(_In):
    """``user_changed_number`` (needs ``new_wa_id``) or ``user_changed_user_id``: either way the
    customer gets new BSUIDs, and the webhook carries the previous ones."""

    type: Literal["user_changed_number", "user_changed_user_id"] = "user_changed_number"
    new_wa_id: str | None = Field(None, pattern=r"^[0-9]{7,15}$")
    body: str | None = None

    @model_validator(mode="after")
    def _number_for_a_number_change(self) -> SystemIn:
        if self.type == "user_changed_number" and self.new_wa_id is None:
            raise ValueError("system.new_wa_id is required for user_changed_number")
        if self.type == "user_changed_user_id" and self.new_wa_id is not None:
            raise ValueError("system.new_wa_id is only for user_changed_number")
        return self


class UnsupportedIn(_In):
    errors: list[WebhookError] | None = None
    # What the customer really sent (Meta's ``unsupported.type``), e.g. a poll.
    type: str = "poll_creation"


class EditIn(_In):
    """New text for a text message, or a new caption for a media message (within 15 minutes on
    WhatsApp; the simulator doesn't enforce it)."""

    original_message_id: str | None = None  # default: the customer's last text or captioned one
    text: str | None = Field(None, min_length=1, max_length=4096)
    caption: str | None = None

    @model_validator(mode="after")
    def _something_new(self) -> EditIn:
        if (self.text is None) == (self.caption is None):
            raise ValueError("edit needs exactly one of text, caption")
        return self


class RevokeIn(_In):
    original_message_id: str | None = None  # default: the customer's last message


class ContextIn(_In):
    id: str | None = None
    forwarded: bool | None = None
    frequently_forwarded: bool | None = None


class CustomerMessage(_In):
    """One message from a customer; only ``type`` and that type's object are needed."""

    type: InboundType
    phone_number_id: str | None = None
    profile_name: str | None = None
    text: TextIn | Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    image: MediaIn | None = None
    audio: MediaIn | None = None
    video: MediaIn | None = None
    document: MediaIn | None = None
    sticker: MediaIn | None = None
    location: Location | None = None
    contacts: list[dict[str, Any]] | None = None
    interactive: InteractiveIn | None = None
    button: ButtonIn | None = None
    reaction: ReactionIn | None = None
    order: OrderIn | None = None
    system: SystemIn | None = None
    unsupported: UnsupportedIn | None = None
    edit: EditIn | None = None
    revoke: RevokeIn | None = None
    # contacts only: "contact_request" answers the business's request_contact_info (the
    # customer's own card is filled in when ``contacts`` is left out); "other" a shared card.
    origin: Literal["contact_request", "other"] | None = None
    context: ContextIn | None = None
    referral: Referral | None = None

    @model_validator(mode="after")
    def _object_for_type(self) -> CustomerMessage:
        needs_object = ["text", "location", "interactive", "button", "order", "system", "edit"]
        if self.origin != "contact_request":
            needs_object.append("contacts")
        if self.type in needs_object and getattr(self, self.type) is None:
            raise ValueError(f"{self.type} is required for a {self.type} message")
        if self.origin is not None and self.type != "contacts":
            raise ValueError("origin is only for a contacts message")
        others = [
            name
            for name in self.model_fields_set
            if name in _TYPE_OBJECTS and name != self.type and getattr(self, name) is not None
        ]
        if others:
            raise ValueError(f"{', '.join(sorted(others))} given for a {self.type} message")
        return self


# Every inbound type carries an object of its own name.
_TYPE_OBJECTS = frozenset(get_args(InboundType))
