"""Meta's webhook shapes as Meta sends them (every model accepts unknown keys), and the content
model of each inbound message type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError


class WebhookPayloadError(ValueError):
    """The notification's envelope is malformed: the POST cannot be understood at all."""


def _unix_seconds(value: object) -> datetime:
    """Meta sends timestamps as strings of Unix seconds; integers are accepted too."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("timestamp must be a string of Unix seconds")
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("timestamp must be a string of Unix seconds")
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        # Out-of-range values must surface as a validation error, not escape as OverflowError.
        raise ValueError("timestamp out of range") from None


def _id_string(value: object) -> object:
    """Some ids arrive as JSON numbers (template ids); they are opaque, so keep them as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


UnixTime = Annotated[datetime, BeforeValidator(_unix_seconds)]
IdString = Annotated[str, BeforeValidator(_id_string)]


class MetaModel(BaseModel):
    """Base for Meta's shapes: unknown keys are kept, because Meta adds fields without notice."""

    model_config = ConfigDict(extra="allow", frozen=True)


class NormalModel(BaseModel):
    """Base for our normalised items: our own shape, so unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- Meta's wire shapes ---------------------------------------------------------------------


class ErrorData(MetaModel):
    details: str | None = None


class ErrorDetail(MetaModel):
    """One ``errors[]`` item; handle it by ``code`` (and ``details``), never by ``title``."""

    code: int | None = None
    title: str | None = None
    message: str | None = None
    error_data: ErrorData | None = None
    href: str | None = None

    @property
    def details(self) -> str | None:
        return self.error_data.details if self.error_data else None


class Metadata(MetaModel):
    display_phone_number: str | None = None
    phone_number_id: str


class Profile(MetaModel):
    name: str | None = None


class Contact(MetaModel):
    profile: Profile | None = None
    wa_id: str | None = None


class Context(MetaModel):
    """Set when the customer replies to (``from``/``id``) or forwards a message."""

    from_: str | None = Field(default=None, alias="from")
    id: str | None = None
    forwarded: bool = False
    frequently_forwarded: bool = False


class Referral(MetaModel):
    """Click-to-WhatsApp ad the conversation started from."""

    source_url: str | None = None
    source_type: str | None = None
    source_id: str | None = None
    headline: str | None = None
    body: str | None = None
    media_type: str | None = None
    image_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    ctwa_clid: str | None = None


class MessageWire(MetaModel):
    """The fields every ``messages[]`` item shares; the type's own object is parsed separately."""

    from_: str = Field(alias="from")
    id: str
    timestamp: UnixTime
    type: str
    context: Context | None = None
    referral: Referral | None = None
    errors: list[ErrorDetail] = []


class StatusWire(MetaModel):
    id: str
    status: str
    timestamp: UnixTime
    recipient_id: str | None = None
    errors: list[ErrorDetail] = []
    # Meta changed these over time (per-message pricing): stored as opaque JSON, never branched on.
    pricing: dict[str, Any] | None = None
    conversation: dict[str, Any] | None = None


class MessagesValue(MetaModel):
    """``value`` of a ``messages`` change; items stay raw here and are parsed one by one."""

    messaging_product: str | None = None
    metadata: Metadata
    contacts: list[Contact] = []
    messages: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []


class TemplateStatusValue(MetaModel):
    event: str
    message_template_id: IdString
    message_template_name: str | None = None
    message_template_language: str | None = None
    reason: str | None = None


class ChangeWire(MetaModel):
    field: str
    value: dict[str, Any]


class EntryWire(MetaModel):
    id: IdString
    time: UnixTime | None = None
    changes: list[ChangeWire]


class EnvelopeWire(MetaModel):
    object: str
    entry: list[EntryWire]


# ---- Message contents (one model per ``messages[].type``) ---------------------------------------


class TextContent(MetaModel):
    body: str


class MediaContent(MetaModel):
    """image, audio, video, document and sticker; fetch bytes via GET /{id} then its url."""

    id: str
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    voice: bool = False
    animated: bool = False


class LocationContent(MetaModel):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    url: str | None = None


class SharedContactName(MetaModel):
    formatted_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class SharedContact(MetaModel):
    name: SharedContactName | None = None
    phones: list[dict[str, Any]] = []
    emails: list[dict[str, Any]] = []
    urls: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    org: dict[str, Any] | None = None


class ContactsContent(MetaModel):
    contacts: list[SharedContact]


class InteractiveContent(MetaModel):
    """A reply to our interactive message; ``reply`` is the object named by ``type``.

    ``id``/``title``/``description`` are filled for button and list replies; other subtypes
    (``nfm_reply`` from Flows, future ones) keep their object in ``reply`` untouched.
    """

    type: str
    reply: dict[str, Any] | None = None
    id: str | None = None
    title: str | None = None
    description: str | None = None


class ButtonContent(MetaModel):
    """A tap on a template quick-reply button."""

    payload: str | None = None
    text: str | None = None


class ReactionContent(MetaModel):
    message_id: str
    emoji: str | None = None

    @property
    def removed(self) -> bool:
        """An empty or missing emoji means the customer removed their reaction."""
        return not self.emoji


class OrderItem(MetaModel):
    product_retailer_id: str | None = None
    quantity: int | None = None
    item_price: float | None = None
    currency: str | None = None


class OrderContent(MetaModel):
    catalog_id: str | None = None
    product_items: list[OrderItem] = []
    text: str | None = None


class SystemContent(MetaModel):
    """E.g. the customer changed number: ``wa_id``/``customer`` name the new/old identity."""

    body: str | None = None
    type: str | None = None
    customer: str | None = None
    wa_id: str | None = None


class UnsupportedContent(NormalModel):
    """A type Meta marks unsupported, one we do not know, or a known one we could not parse.

    ``payload`` is the type's object as sent (if any); ``reason`` says why it was not parsed.
    """

    type: str
    payload: Any = None
    reason: str


MessageContent = (
    TextContent
    | MediaContent
    | LocationContent
    | ContactsContent
    | InteractiveContent
    | ButtonContent
    | ReactionContent
    | OrderContent
    | SystemContent
    | UnsupportedContent
)

_MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")

# Message type -> model of the object stored under the key of the same name.
# Listed as a union (not ``type[MetaModel]``) so a parsed payload is known to be MessageContent.
_CONTENT_MODELS: dict[
    str,
    type[TextContent | MediaContent | LocationContent | ButtonContent | ReactionContent]
    | type[OrderContent | SystemContent],
] = {
    "text": TextContent,
    **dict.fromkeys(_MEDIA_TYPES, MediaContent),
    "location": LocationContent,
    "button": ButtonContent,
    "reaction": ReactionContent,
    "order": OrderContent,
    "system": SystemContent,
}


def _interactive(payload: object) -> InteractiveContent:
    if not isinstance(payload, dict):
        raise TypeError("interactive must be an object")
    subtype = payload.get("type")
    if not isinstance(subtype, str):
        raise TypeError("interactive.type must be a string")
    reply = payload.get(subtype)
    if not isinstance(reply, dict):
        return InteractiveContent(type=subtype)
    if subtype in ("button_reply", "list_reply"):
        return InteractiveContent.model_validate({"type": subtype, "reply": reply, **_pick(reply)})
    return InteractiveContent(type=subtype, reply=reply)


def _pick(reply: dict[str, Any]) -> dict[str, Any]:
    return {k: reply[k] for k in ("id", "title", "description") if k in reply}


def _content(msg_type: str, raw: dict[str, Any]) -> MessageContent:
    """Parse the type's own object; anything not understood degrades to UnsupportedContent.

    A customer's message must never be dropped because of one odd field, so a known type with a
    malformed object is kept (raw) rather than failing the whole notification.
    """
    payload = raw.get(msg_type)
    try:
        if msg_type == "interactive":
            return _interactive(payload)
        if msg_type == "contacts":
            return ContactsContent.model_validate({"contacts": payload})
        model = _CONTENT_MODELS.get(msg_type)
        if model is None:
            reason = "unsupported by Meta" if msg_type == "unsupported" else "unknown type"
            return UnsupportedContent(type=msg_type, payload=payload, reason=reason)
        content: MessageContent = model.model_validate(payload)
    except (ValidationError, TypeError) as exc:
        return UnsupportedContent(type=msg_type, payload=payload, reason=_one_line(exc))
    return content


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False, include_input=False)[0]
        loc = ".".join(str(part) for part in first["loc"]) or "(root)"
        text = f"{loc}: {first['msg']} ({exc.error_count()} error(s))"
    else:
        text = str(exc)
    return " ".join(text.split())
