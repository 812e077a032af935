"""What an agent or an API client asks the daemon to send to a customer on WhatsApp.

These are our shapes, not Meta's: ``pytake_daemon.whatsapp.graph_send.to_graph`` turns them into
Graph API bodies. The limits are WhatsApp's, checked here so a send Meta would refuse is refused
with a 422 naming the field before it ever reaches the outbox. Where Meta's documentation and
its OpenAPI contract disagree on a limit, the stricter one is used (e.g. interactive bodies are
limited to 1,024 characters, which the contract states for every interactive type). Templates
are in ``outgoing_templates`` and the shared field types in ``outgoing_fields``; both are
re-exported here, so ``protocol.outgoing`` stays the one place to import from.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import WireModel
from pytake_daemon.protocol.outgoing_fields import (
    GraphId,
    HttpsUrl,
    Latitude,
    Longitude,
    MediaSource,
    MessageRef,
    Wamid,
    not_blank,
    refuse_duplicates,
)
from pytake_daemon.protocol.outgoing_templates import (
    ButtonIndex,
    ExpectedParameters,
    TemplateBodyOut,
    TemplateButtonOut,
    TemplateComponentOut,
    TemplateHeaderOut,
    TemplateLocation,
    TemplateMedia,
    TemplateOut,
)

# Re-exported: callers import every outgoing shape from this module.
__all__ = [
    "MEDIA_TYPES",
    "AudioOut",
    "ButtonIndex",
    "ButtonsOut",
    "DocumentOut",
    "ExpectedParameters",
    "GraphId",
    "HttpsUrl",
    "ImageOut",
    "ListOut",
    "ListRow",
    "ListSection",
    "LocationOut",
    "OutgoingContent",
    "PhoneRequest",
    "ReactionOut",
    "ReplyButton",
    "RequestContactInfoOut",
    "SendMessageRequest",
    "StickerOut",
    "TemplateBodyOut",
    "TemplateButtonOut",
    "TemplateComponentOut",
    "TemplateHeaderOut",
    "TemplateLocation",
    "TemplateMedia",
    "TemplateOut",
    "TextOut",
    "VideoOut",
    "Wamid",
]

# ---- Free-form messages (inside the 24-hour window) ---------------------------------------------


class TextOut(WireModel):
    type: Literal["text"] = "text"
    body: Annotated[
        str, StringConstraints(min_length=1, max_length=4096), AfterValidator(not_blank)
    ]
    preview_url: bool = False


Caption = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class ImageOut(MediaSource):
    type: Literal["image"] = "image"
    caption: Caption | None = None


class VideoOut(MediaSource):
    type: Literal["video"] = "video"
    caption: Caption | None = None


class AudioOut(MediaSource):
    """Voice notes must be ``audio/ogg; codecs=opus``; Meta refuses other types with 131053."""

    type: Literal["audio"] = "audio"


class DocumentOut(MediaSource):
    type: Literal["document"] = "document"
    caption: Caption | None = None
    filename: (
        Annotated[str, StringConstraints(min_length=1, max_length=240), AfterValidator(not_blank)]
        | None
    ) = None


class StickerOut(MediaSource):
    type: Literal["sticker"] = "sticker"


class LocationOut(WireModel):
    type: Literal["location"] = "location"
    latitude: Latitude
    longitude: Longitude
    name: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None
    address: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None


def _emoji(value: str) -> str:
    if value == "":
        return value
    if any(ch.isspace() for ch in value) or value.isascii():
        raise refusal("outgoing_must_be_a_single")
    return value


class ReactionOut(WireModel):
    """React to a message; an empty ``emoji`` removes the reaction sent earlier."""

    type: Literal["reaction"] = "reaction"
    message_id: MessageRef
    # Emoji sequences (skin tones, families, flags) take several code points.
    emoji: Annotated[str, StringConstraints(max_length=32), AfterValidator(_emoji)]


# ---- Interactive messages -----------------------------------------------------------------------

InteractiveBody = Annotated[
    str, StringConstraints(min_length=1, max_length=1024), AfterValidator(not_blank)
]
HeaderText = Annotated[
    str, StringConstraints(min_length=1, max_length=60), AfterValidator(not_blank)
]
FooterText = Annotated[
    str, StringConstraints(min_length=1, max_length=60), AfterValidator(not_blank)
]


class ReplyButton(WireModel):
    id: Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(not_blank)]
    title: Annotated[str, StringConstraints(min_length=1, max_length=20), AfterValidator(not_blank)]


class ButtonsOut(WireModel):
    """Up to three reply buttons; the customer's tap comes back as a ``button_reply``."""

    type: Literal["buttons"] = "buttons"
    body: InteractiveBody
    buttons: list[ReplyButton] = Field(min_length=1, max_length=3)
    header: HeaderText | None = None
    footer: FooterText | None = None

    @model_validator(mode="after")
    def _unique(self) -> ButtonsOut:
        refuse_duplicates("button titles", [b.title for b in self.buttons])
        refuse_duplicates("button ids", [b.id for b in self.buttons])
        return self


class ListRow(WireModel):
    id: Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(not_blank)]
    title: Annotated[str, StringConstraints(min_length=1, max_length=24), AfterValidator(not_blank)]
    description: Annotated[str, StringConstraints(min_length=1, max_length=72)] | None = None


class ListSection(WireModel):
    title: (
        Annotated[str, StringConstraints(min_length=1, max_length=24), AfterValidator(not_blank)]
        | None
    ) = None
    # The limit of 10 rows is on the whole list, checked there.
    rows: list[ListRow] = Field(min_length=1)


MAX_LIST_ROWS = 10


class ListOut(WireModel):
    """A menu opened by a button; the customer's choice comes back as a ``list_reply``."""

    type: Literal["list"] = "list"
    body: InteractiveBody
    button: Annotated[
        str, StringConstraints(min_length=1, max_length=20), AfterValidator(not_blank)
    ]
    sections: list[ListSection] = Field(min_length=1, max_length=10)
    header: HeaderText | None = None
    footer: FooterText | None = None

    @model_validator(mode="after")
    def _rows(self) -> ListOut:
        rows = [row for section in self.sections for row in section.rows]
        if len(rows) > MAX_LIST_ROWS:
            raise refusal(
                "outgoing_a_list_may_have", max_list_rows=str(MAX_LIST_ROWS), len=str(len(rows))
            )
        refuse_duplicates("row ids", [row.id for row in rows])
        if len(self.sections) > 1 and any(s.title is None for s in self.sections):
            raise refusal("outgoing_every_section_needs_a")
        return self


class RequestContactInfoOut(WireModel):
    """Ask the customer to share their phone number: WhatsApp shows ``body`` with a button whose
    text Meta fixes ("Share contact info"); the answer comes back as a ``contacts`` message with
    ``origin: contact_request``. Only inside the 24-hour window; outside it, a utility template
    with a ``REQUEST_CONTACT_INFO`` button does the same (``whatsapp.phone_request``)."""

    type: Literal["request_contact_info"] = "request_contact_info"
    body: InteractiveBody


# ---- The union and the request ---------------------------------------------------------------

OutgoingContent = Annotated[
    TextOut
    | ImageOut
    | VideoOut
    | AudioOut
    | DocumentOut
    | StickerOut
    | TemplateOut
    | ButtonsOut
    | ListOut
    | LocationOut
    | ReactionOut
    | RequestContactInfoOut,
    Field(discriminator="type"),
]

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")


class SendMessageRequest(WireModel):
    """Send one message in a conversation.

    ``reply_to`` quotes an earlier message (ours by UUID, or a WhatsApp id). A reaction names its
    message in ``content.message_id`` and takes no ``reply_to``. ``idempotency_key`` makes a
    retried request return the first one's message instead of sending twice.
    """

    content: OutgoingContent
    reply_to: MessageRef | None = None
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _reaction_has_no_reply(self) -> SendMessageRequest:
        if isinstance(self.content, ReactionOut) and self.reply_to is not None:
            raise refusal("outgoing_a_reaction_names_its")
        return self

    @property
    def referenced_message(self) -> uuid.UUID | str | None:
        """The message whose wamid ``to_graph`` needs: the quoted one, or the one reacted to."""
        if isinstance(self.content, ReactionOut):
            return self.content.message_id
        return self.reply_to


class PhoneRequest(WireModel):
    """Ask a customer known only by their username (BSUID) to share their phone number.

    Inside the 24-hour window ``text`` is shown above WhatsApp's "Share contact info" button (a
    default sentence when omitted); outside it an approved utility template with that button is
    sent instead, and ``text`` is not used.
    """

    text: InteractiveBody | None = None
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
