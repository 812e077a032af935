"""Meta's Graph API bodies for the outbound side, and ``to_graph`` from our protocol to them.

Request models are ours to build, so they refuse unknown fields and ``to_json()`` (a dump without
``None``) is exactly the JSON Meta documents. Response models accept unknown keys, because Meta
adds fields without notice. The request shapes follow Meta's OpenAPI contract
(``pytake_simulator/contract``); the tests validate built bodies against it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from pytake_daemon.protocol.outgoing import (
    AudioOut,
    ButtonsOut,
    DocumentOut,
    ImageOut,
    ListOut,
    LocationOut,
    OutgoingContent,
    ReactionOut,
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
from pytake_daemon.whatsapp.webhook_wire import IdString, MetaModel


class GraphRequestModel(BaseModel):
    """A body we send to Meta: our own construction, so unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_json(self) -> dict[str, Any]:
        """The body as Meta expects it: absent optional fields are left out, not ``null``."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.to_json())


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
    """Reply buttons (``buttons``) or a list (``button`` label + ``sections``)."""

    buttons: list[GraphReplyButton] | None = None
    button: str | None = None
    sections: list[GraphSection] | None = None


class GraphInteractive(GraphRequestModel):
    type: Literal["button", "list"]
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
    recipient_type: Literal["individual"] = "individual"
    # wa_id digits, optionally with a leading '+' (Meta normalises it).
    to: str = Field(pattern=r"^\+?[0-9]{5,20}$")
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


# ---- Responses ------------------------------------------------------------------------------


class GraphSuccess(MetaModel):
    """``{"success": true}`` (mark as read, delete media, delete template)."""

    success: bool


class GraphContact(MetaModel):
    input: str | None = None
    wa_id: str | None = None


class GraphMessageId(MetaModel):
    id: str
    # accepted | held_for_quality_assessment | paused (marketing messages); absent otherwise.
    message_status: str | None = None


class GraphSendResponse(MetaModel):
    messaging_product: str | None = None
    contacts: list[GraphContact] = []
    messages: list[GraphMessageId] = Field(min_length=1)


class SendResult(BaseModel):
    """What a successful send tells us: the wamid statuses will refer to, and the customer's
    WhatsApp id as Meta resolved it (it may differ from the number we sent to)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wamid: str
    wa_id: str | None
    input: str | None
    message_status: str | None

    @classmethod
    def from_response(cls, response: GraphSendResponse) -> SendResult:
        message = response.messages[0]
        contact = response.contacts[0] if response.contacts else GraphContact()
        return cls(
            wamid=message.id,
            wa_id=contact.wa_id.strip() if contact.wa_id else None,
            input=contact.input,
            message_status=message.message_status,
        )


class MediaUploadResponse(MetaModel):
    id: IdString


def _int_from_string(value: object) -> object:
    # Meta documents file_size as a string in its examples and sends a number in practice.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return value


class MediaInfo(MetaModel):
    """GET /{Media-ID}: ``url`` is valid for 5 minutes and needs the bearer token."""

    url: str
    mime_type: str | None = None
    sha256: str | None = None
    file_size: Annotated[int, BeforeValidator(_int_from_string)] | None = None
    id: IdString | None = None
    messaging_product: str | None = None


# ---- Templates: /{WABA-ID}/message_templates ----------------------------------------------------


class TemplateButtonDef(MetaModel):
    """A button of a template definition (``QUICK_REPLY``, ``URL``, ``PHONE_NUMBER``, ``OTP``,
    ``COPY_CODE``, ``FLOW``…); the URL of a dynamic ``URL`` button contains ``{{1}}``."""

    type: str
    text: str | None = None
    url: str | None = None
    phone_number: str | None = None
    otp_type: str | None = None
    example: list[str] | str | None = None


class TemplateComponentDef(MetaModel):
    """``HEADER`` (``format`` TEXT/IMAGE/VIDEO/DOCUMENT/LOCATION), ``BODY``, ``FOOTER`` or
    ``BUTTONS``; ``example`` holds the sample values approved with the template."""

    type: str
    format: str | None = None
    text: str | None = None
    example: dict[str, Any] | None = None
    buttons: list[TemplateButtonDef] | None = None


class Template(MetaModel):
    id: IdString
    name: str
    language: str
    status: str | None = None
    category: str | None = None
    components: list[TemplateComponentDef] = []
    # POSITIONAL ({{1}}) or NAMED ({{first_name}}); Meta leaves it out for older templates.
    parameter_format: str | None = None


class Cursors(MetaModel):
    before: str | None = None
    after: str | None = None


class Paging(MetaModel):
    cursors: Cursors | None = None
    # Present only when there is another page. It embeds the access token: never log it.
    next: str | None = None
    previous: str | None = None


class TemplatePage(MetaModel):
    data: list[Template]
    paging: Paging | None = None


class CreateTemplateRequest(GraphRequestModel):
    name: str = Field(min_length=1, max_length=512, pattern=r"^[a-z0-9_]+$")
    language: str = Field(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    category: Literal["MARKETING", "UTILITY", "AUTHENTICATION"]
    components: list[TemplateComponentDef] = Field(min_length=1)
    parameter_format: Literal["POSITIONAL", "NAMED"] | None = None
    allow_category_change: bool | None = None


class CreateTemplateResponse(MetaModel):
    id: IdString
    status: str | None = None
    category: str | None = None


# ---- Phone numbers: GET /{Phone-Number-ID} -------------------------------------------------------


class PhoneNumber(MetaModel):
    id: IdString
    display_phone_number: str | None = None
    verified_name: str | None = None
    quality_rating: str | None = None
    code_verification_status: str | None = None
    name_status: str | None = None
    platform_type: str | None = None
    messaging_limit_tier: str | None = None
    throughput: dict[str, Any] | None = None


# ---- Errors ----------------------------------------------------------------------------------


class GraphErrorData(MetaModel):
    messaging_product: str | None = None
    details: str | None = None


class GraphErrorBody(MetaModel):
    message: str = ""
    type: str | None = None
    code: int | None = None
    error_subcode: int | None = None
    # Template management errors carry ``error_data`` as a plain string.
    error_data: GraphErrorData | str | None = None
    fbtrace_id: str | None = None
    is_transient: bool | None = None
    error_user_title: str | None = None
    error_user_msg: str | None = None

    @property
    def details(self) -> str | None:
        if isinstance(self.error_data, str):
            return self.error_data
        return self.error_data.details if self.error_data else None


class GraphErrorEnvelope(MetaModel):
    error: GraphErrorBody


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


def to_graph(content: OutgoingContent, to: str, *, reply_to_wamid: str | None) -> GraphSendRequest:
    """Meta's send body for ``content`` to the customer ``to`` (their wa_id).

    ``reply_to_wamid`` is the WhatsApp id of the message this one refers to: the quoted message of
    a reply (sent as ``context.message_id``), or, for a reaction, the message reacted to. The
    caller resolves our UUIDs (``SendMessageRequest.referenced_message``) to wamids first.
    """
    fields: dict[str, Any] = {"to": to, "type": content.type}
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
    else:
        fields["template"] = _template(content)
    return GraphSendRequest(**fields)


def mark_read_body(wamid: str, *, typing: bool = False) -> GraphMarkReadRequest:
    return GraphMarkReadRequest(
        message_id=wamid, typing_indicator=GraphTypingIndicator() if typing else None
    )
