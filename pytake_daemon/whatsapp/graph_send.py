"""Meta's send bodies (POST /{Phone-Number-ID}/messages) and ``to_graph`` from our protocol to
them, addressed by phone (``to``) or by business-scoped user id (``recipient``).

Request models are ours to build, so they refuse unknown fields; ``to_json()`` is exactly the
JSON Meta documents. The tests validate built bodies against Meta's OpenAPI contract.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field, model_validator

from pytake_daemon.protocol.outgoing import (
    AudioOut,
    ButtonsOut,
    DocumentOut,
    ImageOut,
    ListOut,
    LocationOut,
    OutgoingContent,
    ReactionOut,
    RequestContactInfoOut,
    StickerOut,
    TemplateBodyOut,
    TemplateButtonOut,
    TemplateHeaderOut,
    TemplateLocation,
    TemplateMedia,
    TemplateOut,
    TextOut,
    VideoOut,
)
from pytake_daemon.whatsapp.graph_models import GraphRequestModel
from pytake_daemon.whatsapp.recipient import BSUID_PATTERN, PHONE_PATTERN, Recipient

# ---- Send message: POST /{Phone-Number-ID}/messages ---------------------------------------------


class GraphContext(GraphRequestModel):
    message_id: str


class GraphText(GraphRequestModel):
    body: str
    preview_url: bool | None = None


class GraphMedia(GraphRequestModel):
    id: str | None = None
    link: str | None = None
    caption: str | None = None
    filename: str | None = None


class GraphLocation(GraphRequestModel):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


class GraphReaction(GraphRequestModel):
    message_id: str
    emoji: str


class GraphTextObject(GraphRequestModel):
    text: str


class GraphInteractiveHeader(GraphRequestModel):
    type: Literal["text"] = "text"
    text: str


class GraphReply(GraphRequestModel):
    id: str
    title: str


class GraphReplyButton(GraphRequestModel):
    type: Literal["reply"] = "reply"
    reply: GraphReply


class GraphRow(GraphRequestModel):
    id: str
    title: str
    description: str | None = None


class GraphSection(GraphRequestModel):
    title: str | None = None
    rows: list[GraphRow]


class GraphAction(GraphRequestModel):
    """Reply buttons (``buttons``), a list (``button`` label + ``sections``), or the named action
    of a ``request_contact_info`` message."""

    name: Literal["request_contact_info"] | None = None
    buttons: list[GraphReplyButton] | None = None
    button: str | None = None
    sections: list[GraphSection] | None = None


class GraphInteractive(GraphRequestModel):
    type: Literal["button", "list", "request_contact_info"]
    header: GraphInteractiveHeader | None = None
    body: GraphTextObject
    footer: GraphTextObject | None = None
    action: GraphAction


class GraphLanguage(GraphRequestModel):
    code: str
    # The only policy Meta has; its contract lists the field as required, so it is always sent.
    policy: Literal["deterministic"] = "deterministic"


class GraphTemplateParameter(GraphRequestModel):
    type: Literal["text", "image", "video", "document", "location", "payload"]
    parameter_name: str | None = None
    text: str | None = None
    payload: str | None = None
    image: GraphMedia | None = None
    video: GraphMedia | None = None
    document: GraphMedia | None = None
    location: GraphLocation | None = None


class GraphTemplateComponent(GraphRequestModel):
    type: Literal["header", "body", "button"]
    sub_type: Literal["quick_reply", "url"] | None = None
    # Meta's contract types the button index as a string.
    index: str | None = None
    parameters: list[GraphTemplateParameter]


class GraphTemplate(GraphRequestModel):
    name: str
    language: GraphLanguage
    components: list[GraphTemplateComponent] | None = None


GraphMessageType = Literal[
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "reaction",
    "interactive",
    "template",
]


class GraphSendRequest(GraphRequestModel):
    """The body of a send: the object named by ``type`` carries the content."""

    messaging_product: Literal["whatsapp"] = "whatsapp"
    # Always "individual", for a BSUID too: an invented value is refused with code 100.
    recipient_type: Literal["individual"] = "individual"
    # Exactly one of the two (see ``Recipient``); a BSUID doesn't match the phone pattern.
    to: str | None = Field(default=None, pattern=PHONE_PATTERN)
    recipient: str | None = Field(default=None, pattern=BSUID_PATTERN)
    type: GraphMessageType
    context: GraphContext | None = None
    text: GraphText | None = None
    image: GraphMedia | None = None
    video: GraphMedia | None = None
    audio: GraphMedia | None = None
    document: GraphMedia | None = None
    sticker: GraphMedia | None = None
    location: GraphLocation | None = None
    reaction: GraphReaction | None = None
    interactive: GraphInteractive | None = None
    template: GraphTemplate | None = None

    @model_validator(mode="after")
    def _one_content_object(self) -> GraphSendRequest:
        if (self.to is None) == (self.recipient is None):
            raise ValueError("give exactly one of to (a phone) or recipient (a BSUID)")
        present = [t for t in _GRAPH_TYPES if getattr(self, t) is not None]
        if present != [self.type]:
            raise ValueError(f"type {self.type!r} needs exactly its own object, got {present}")
        return self


_GRAPH_TYPES: tuple[str, ...] = get_args(GraphMessageType)


# ---- Mark as read: POST /{Phone-Number-ID}/messages --------------------------------------------


class GraphTypingIndicator(GraphRequestModel):
    type: Literal["text"] = "text"


class GraphMarkReadRequest(GraphRequestModel):
    """Blue ticks for ``message_id`` (and all before it); ``typing_indicator`` shows "typing…"
    until we reply or for 25 seconds."""

    messaging_product: Literal["whatsapp"] = "whatsapp"
    status: Literal["read"] = "read"
    message_id: str
    typing_indicator: GraphTypingIndicator | None = None


# ---- Our protocol → Meta's body --------------------------------------------------------------


def _media(content: ImageOut | VideoOut | AudioOut | DocumentOut | StickerOut) -> GraphMedia:
    caption = getattr(content, "caption", None)
    filename = content.filename if isinstance(content, DocumentOut) else None
    return GraphMedia(id=content.media_id, link=content.link, caption=caption, filename=filename)


def _template_media(media: TemplateMedia) -> GraphMedia:
    return GraphMedia(id=media.media_id, link=media.link, filename=media.filename)


def _location(place: LocationOut | TemplateLocation) -> GraphLocation:
    return GraphLocation(
        latitude=place.latitude, longitude=place.longitude, name=place.name, address=place.address
    )


def _text_parameters(values: list[str] | dict[str, str]) -> list[GraphTemplateParameter]:
    if isinstance(values, dict):
        return [
            GraphTemplateParameter(type="text", parameter_name=name, text=value)
            for name, value in values.items()
        ]
    return [GraphTemplateParameter(type="text", text=value) for value in values]


def _header(header: TemplateHeaderOut) -> GraphTemplateComponent:
    kind = header.kind
    if kind == "text":
        assert header.text is not None
        parameters = _text_parameters(header.text)
    elif kind == "location":
        assert header.location is not None
        parameters = [GraphTemplateParameter(type="location", location=_location(header.location))]
    else:
        media = getattr(header, kind)
        parameters = [
            GraphTemplateParameter.model_validate({"type": kind, kind: _template_media(media)})
        ]
    return GraphTemplateComponent(type="header", parameters=parameters)


def _button(button: TemplateButtonOut) -> GraphTemplateComponent:
    if button.sub_type == "quick_reply":
        parameter = GraphTemplateParameter(type="payload", payload=button.payload)
    else:
        parameter = GraphTemplateParameter(type="text", text=button.text)
    return GraphTemplateComponent(
        type="button", sub_type=button.sub_type, index=str(button.index), parameters=[parameter]
    )


def _template(content: TemplateOut) -> GraphTemplate:
    components: list[GraphTemplateComponent] = []
    for component in content.components:
        if isinstance(component, TemplateHeaderOut):
            components.append(_header(component))
        elif isinstance(component, TemplateBodyOut):
            components.append(
                GraphTemplateComponent(
                    type="body", parameters=_text_parameters(component.parameters)
                )
            )
        else:
            components.append(_button(component))
    return GraphTemplate(
        name=content.name,
        language=GraphLanguage(code=content.language),
        components=components or None,
    )


def _interactive(content: ButtonsOut | ListOut) -> GraphInteractive:
    header = GraphInteractiveHeader(text=content.header) if content.header else None
    footer = GraphTextObject(text=content.footer) if content.footer else None
    if isinstance(content, ButtonsOut):
        action = GraphAction(
            buttons=[
                GraphReplyButton(reply=GraphReply(id=b.id, title=b.title)) for b in content.buttons
            ]
        )
        kind: Literal["button", "list"] = "button"
    else:
        action = GraphAction(
            button=content.button,
            sections=[
                GraphSection(
                    title=section.title,
                    rows=[
                        GraphRow(id=row.id, title=row.title, description=row.description)
                        for row in section.rows
                    ],
                )
                for section in content.sections
            ],
        )
        kind = "list"
    return GraphInteractive(
        type=kind,
        header=header,
        body=GraphTextObject(text=content.body),
        footer=footer,
        action=action,
    )


def _request_contact_info(content: RequestContactInfoOut) -> GraphInteractive:
    return GraphInteractive(
        type="request_contact_info",
        body=GraphTextObject(text=content.body),
        action=GraphAction(name="request_contact_info"),
    )


def to_graph(
    content: OutgoingContent, recipient: Recipient, *, reply_to_wamid: str | None
) -> GraphSendRequest:
    """Meta's send body for ``content`` to ``recipient`` (by phone if known, else by BSUID).

    ``reply_to_wamid`` is the WhatsApp id of the message this one refers to: the quoted message of
    a reply (sent as ``context.message_id``), or, for a reaction, the message reacted to. The
    caller resolves our UUIDs (``SendMessageRequest.referenced_message``) to wamids first.
    """
    fields: dict[str, Any] = {**recipient.address(), "type": content.type}
    if isinstance(content, ReactionOut):
        target = reply_to_wamid
        if target is None and isinstance(content.message_id, str):
            target = content.message_id
        if target is None:
            raise ValueError("a reaction to one of our messages needs its wamid as reply_to_wamid")
        fields["reaction"] = GraphReaction(message_id=target, emoji=content.emoji)
        return GraphSendRequest(**fields)
    if reply_to_wamid is not None:
        fields["context"] = GraphContext(message_id=reply_to_wamid)
    if isinstance(content, TextOut):
        fields["text"] = GraphText(body=content.body, preview_url=content.preview_url or None)
    elif isinstance(content, ImageOut | VideoOut | AudioOut | DocumentOut | StickerOut):
        fields[content.type] = _media(content)
    elif isinstance(content, LocationOut):
        fields["location"] = _location(content)
    elif isinstance(content, ButtonsOut | ListOut):
        fields["type"] = "interactive"
        fields["interactive"] = _interactive(content)
    elif isinstance(content, RequestContactInfoOut):
        fields["type"] = "interactive"
        fields["interactive"] = _request_contact_info(content)
    else:
        fields["template"] = _template(content)
    return GraphSendRequest(**fields)


def mark_read_body(wamid: str, *, typing: bool = False) -> GraphMarkReadRequest:
    return GraphMarkReadRequest(
        message_id=wamid, typing_indicator=GraphTypingIndicator() if typing else None
    )
