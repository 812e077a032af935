"""The content model of each inbound message type (``messages[].type`` → the object under the
key of the same name). Every model accepts unknown keys: Meta adds fields without notice."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError

from pytake_daemon.whatsapp.webhook_wire import MetaModel, NormalModel, one_line


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
    phones: list[dict[str, Any]] = Field(default_factory=list)
    emails: list[dict[str, Any]] = Field(default_factory=list)
    urls: list[dict[str, Any]] = Field(default_factory=list)
    addresses: list[dict[str, Any]] = Field(default_factory=list)
    org: dict[str, Any] | None = None
    # Kapso's samples put ``origin`` here; Meta's at message level (both are read).
    origin: str | None = None
    vcard: str | None = None


class ContactsContent(MetaModel):
    """Shared contact cards. ``origin`` ``contact_request`` means the customer answered our
    request for their phone: the first card is their own, verified by WhatsApp."""

    contacts: list[SharedContact]
    origin: str | None = None

    @property
    def requested_phone(self) -> str | None:
        """The customer's own phone (digits) when this answers a contact request."""
        if self.origin != "contact_request" or not self.contacts:
            return None
        for phone in self.contacts[0].phones:
            for key in ("wa_id", "phone"):
                value = phone.get(key)
                if isinstance(value, str):
                    digits = "".join(ch for ch in value if ch.isdigit())
                    if 0 < len(digits) <= 32 and digits.isascii():
                        return digits
        return None


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
    product_items: list[OrderItem] = Field(default_factory=list)
    text: str | None = None


# Meta's system types that change who the customer is (2026); ``customer_changed_number`` and
# ``customer_identity_changed`` are the older phone-only ones, shown but not re-keyed.
IDENTITY_CHANGES = frozenset({"user_changed_number", "user_changed_user_id"})


class SystemContent(MetaModel):
    """A notice about the customer, e.g. a new number (``wa_id``) or a new BSUID (``user_id``,
    the old one in ``previous_user_id``). System messages carry no ``contacts`` array."""

    body: str | None = None
    type: str | None = None
    customer: str | None = None
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    previous_user_id: str | None = None
    previous_parent_user_id: str | None = None


class EditContent(MetaModel):
    """The customer edited ``original_message_id``; ``message`` is the new version (its own
    ``type`` and type object), ``content`` its parsed form."""

    original_message_id: str
    message: dict[str, Any] = {}
    content: Any = None


class RevokeContent(MetaModel):
    """The customer deleted ``original_message_id`` for everyone."""

    original_message_id: str


class UnsupportedContent(NormalModel):
    """A type Meta marks unsupported, one we do not know, or a known one we could not parse.

    ``payload`` is the type's object as sent (if any); ``reason`` says why it was not parsed, in
    words an agent can read (Meta's own explanation when it gave one).
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
    | EditContent
    | RevokeContent
    | UnsupportedContent
)

_MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")

# Message type -> model of the object stored under the key of the same name.
# Listed as a union (not ``type[MetaModel]``) so a parsed payload is known to be MessageContent.
_CONTENT_MODELS: dict[
    str,
    type[TextContent | MediaContent | LocationContent | ButtonContent | ReactionContent]
    | type[OrderContent | SystemContent | RevokeContent],
] = {
    "text": TextContent,
    **dict.fromkeys(_MEDIA_TYPES, MediaContent),
    "location": LocationContent,
    "button": ButtonContent,
    "reaction": ReactionContent,
    "order": OrderContent,
    "system": SystemContent,
    "revoke": RevokeContent,
}

# ``unknown`` is what Meta sent before ``unsupported`` replaced it (2026); both mean the same.
_UNSUPPORTED_TYPES = frozenset({"unsupported", "unknown"})


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


def _contacts(raw: dict[str, Any], payload: object) -> ContactsContent:
    content = ContactsContent.model_validate({"contacts": payload})
    origin = raw.get("origin")
    if not isinstance(origin, str):
        origin = next((c.origin for c in content.contacts if c.origin), None)
    return content.model_copy(update={"origin": origin}) if origin else content


def _edit(payload: object) -> EditContent:
    edit = EditContent.model_validate(payload)
    new_type = edit.message.get("type")
    if isinstance(new_type, str) and new_type not in ("edit", "revoke"):
        return edit.model_copy(update={"content": content_of(new_type, edit.message, [])})
    return edit


def unsupported_reason(payload: object, errors: list[Any]) -> str:
    """Why Meta could not deliver a message's content: its error's details (or message, which
    error 131051 sometimes uses instead), and the unsupported type when it names one."""
    words: str | None = None
    for error in errors:
        if isinstance(error, dict):
            data = error.get("error_data")
            details = data.get("details") if isinstance(data, dict) else None
            found = details or error.get("message") or error.get("title")
            if isinstance(found, str) and found:
                words = found
                break
    kind = payload.get("type") if isinstance(payload, dict) else None
    if words and isinstance(kind, str):
        return f"{words} ({kind})"
    if words:
        return words
    if isinstance(kind, str):
        return f"WhatsApp does not support this kind of message yet ({kind})"
    return "WhatsApp does not support this kind of message yet"


def content_of(msg_type: str, raw: dict[str, Any], errors: list[Any]) -> MessageContent:
    """Parse the type's own object; anything not understood degrades to UnsupportedContent.

    A customer's message must never be dropped because of one odd field, so a known type with a
    malformed object is kept (raw) rather than failing the whole notification.
    """
    payload = raw.get(msg_type)
    try:
        if msg_type == "interactive":
            return _interactive(payload)
        if msg_type == "contacts":
            return _contacts(raw, payload)
        if msg_type == "edit":
            return _edit(payload)
        model = _CONTENT_MODELS.get(msg_type)
        if model is None:
            if msg_type in _UNSUPPORTED_TYPES:
                reason = unsupported_reason(payload, errors)
            else:
                reason = f"PyTake does not know messages of type {msg_type!r} yet"
            return UnsupportedContent(type=msg_type, payload=payload, reason=reason)
        content: MessageContent = model.model_validate(payload)
    except (ValidationError, TypeError) as exc:
        return UnsupportedContent(type=msg_type, payload=payload, reason=one_line(exc))
    return content
