"""Meta's webhook shapes as Meta sends them (every model accepts unknown keys).

Identity fields follow Meta's 2026 changes (shared/reference/whatsapp-2026-changes.md): a
customer is named by a business-scoped user id (``user_id``, ``from_user_id``) and, only when
Meta may share it, by phone (``wa_id``, ``from``). None of them is required here; which one names
the sender is decided in ``webhook.py``. The content of each message type is in
``webhook_content.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

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
    """Base for Meta's shapes: unknown keys are kept, because Meta adds fields without notice.

    List defaults are ``default_factory=list``: pydantic deep-copies a ``[]`` default for every
    instance (three ``copy.deepcopy`` calls per status callback, a sixth of its parsing).
    """

    model_config = ConfigDict(extra="allow", frozen=True)


class NormalModel(BaseModel):
    """Base for our normalised items: our own shape, so unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_N = TypeVar("_N", bound=NormalModel)
_LAYOUTS: dict[type[NormalModel], tuple[tuple[str, ...], dict[str, Any]]] = {}


def built(cls: type[_N], **values: Any) -> _N:
    """Exactly what ``cls.model_construct(**values)`` gives, at a fifth of its cost (which was
    half of a webhook's parsing): our items have no aliases, default factories, private
    attributes or post-init, so their field order and defaults are read once per class.
    For values that were validated already (webhook.py), as model_construct is."""
    layout = _LAYOUTS.get(cls)
    if layout is None:
        layout = _LAYOUTS[cls] = _layout(cls)
    order, defaults = layout
    fields = {
        name: values[name] if name in values else defaults[name]
        for name in order
        if name in values or name in defaults
    }
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", fields)
    object.__setattr__(model, "__pydantic_fields_set__", {n for n in values if n in fields})
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


def _layout(cls: type[NormalModel]) -> tuple[tuple[str, ...], dict[str, Any]]:
    fields = cls.__pydantic_fields__
    plain = (
        cls.model_config.get("extra") == "forbid"
        and not cls.__private_attributes__
        and not cls.__pydantic_post_init__
        and all(f.alias is None and f.default_factory is None for f in fields.values())
    )
    if not plain:
        raise TypeError(f"{cls.__name__} needs model_construct")
    defaults = {n: f.get_default() for n, f in fields.items() if not f.is_required()}
    return tuple(fields), defaults


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
    # Only for customers who adopted a WhatsApp username; display only (they can change it).
    username: str | None = None


class Contact(MetaModel):
    """A ``contacts[]`` item: ``user_id`` (BSUID) is always sent since April 2026, ``wa_id``
    (the phone) only when Meta may share it; a status's contacts may have no ``profile``."""

    profile: Profile | None = None
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None


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
    """The fields every ``messages[]`` item shares; the type's own object is parsed separately.

    ``from`` (the phone) is absent when the customer's phone is hidden; ``from_user_id`` (BSUID)
    is absent only in payloads older than April 2026 and in some system messages."""

    from_: str | None = Field(default=None, alias="from")
    from_user_id: str | None = None
    from_parent_user_id: str | None = None
    id: str
    timestamp: UnixTime
    type: str
    # Parsed leniently on their own (webhook.py): an odd context must not lose the message.
    context: Any = None
    referral: Any = None
    errors: Any = None


class StatusWire(MetaModel):
    """``recipient_id`` is the phone (absent for a send to a BSUID); ``recipient_user_id`` the
    BSUID (absent on failed statuses of phone sends). The parent field has two spellings."""

    id: str
    status: str
    timestamp: UnixTime
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    recipient_parent_user_id: str | None = None
    parent_recipient_user_id: str | None = None
    errors: list[ErrorDetail] = Field(default_factory=list)
    # Meta changed these over time (per-message pricing): stored as opaque JSON, never branched on.
    pricing: dict[str, Any] | None = None
    conversation: dict[str, Any] | None = None


class MessagesValue(MetaModel):
    """``value`` of a ``messages`` change; items stay raw here and are parsed one by one."""

    messaging_product: str | None = None
    metadata: Metadata
    # Items of any shape: each is understood (or kept raw with a reason) on its own, so one odd
    # item never costs its neighbours.
    contacts: list[Any] = Field(default_factory=list)
    messages: list[Any] = Field(default_factory=list)
    statuses: list[Any] = Field(default_factory=list)
    errors: list[Any] = Field(default_factory=list)


class TemplateStatusValue(MetaModel):
    event: str
    message_template_id: IdString
    message_template_name: str | None = None
    message_template_language: str | None = None
    reason: str | None = None


class PhoneNumberQualityValue(MetaModel):
    """``value`` of a ``phone_number_quality_update`` change (a WABA-level field).

    Meta's reference (developers.facebook.com/documentation/business-messaging/whatsapp/
    webhooks/reference/phone_number_quality_update, updated 2026-05-21) names the number only
    by ``display_phone_number`` (digits) and gives ``event``,
    ``max_daily_conversations_per_business`` (the portfolio's limit since October 2025),
    ``current_limit`` (being removed) and ``old_limit`` (only on limit changes). Older
    payloads, still relayed, carry the events FLAGGED, UNFLAGGED, DOWNGRADE and UPGRADE; some
    relays add ``quality_rating``.
    """

    display_phone_number: str = Field(min_length=1, max_length=40)
    event: str = Field(min_length=1, max_length=64)
    current_limit: str | None = Field(default=None, max_length=64)
    old_limit: str | None = Field(default=None, max_length=64)
    max_daily_conversations_per_business: str | None = Field(default=None, max_length=64)
    quality_rating: str | None = Field(default=None, max_length=64)


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


def one_line(exc: Exception) -> str:
    """A validation error (or any exception) as one short line: where, and what."""
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False, include_input=False)[0]
        loc = ".".join(str(part) for part in first["loc"]) or "(root)"
        text = f"{loc}: {first['msg']} ({exc.error_count()} error(s))"
    else:
        text = str(exc)
    return " ".join(text.split())


# ---- Plain reads of the envelope and a messages value -----------------------------------------
# The models above copy every dict and list they validate (a change's ``value`` included), and
# the envelope and the value were a third of a webhook's parsing. Their usual shapes are checked
# here by hand, with exactly the models' rules, into plain slotted records (``model_construct``
# costs more than validating); anything else goes to the models, whose errors are the ones
# reported (tests/whatsapp/test_webhook_parse.py compares both paths).


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    value: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    time: datetime | None
    changes: list[Change]


@dataclass(frozen=True, slots=True)
class Value:
    """A ``messages`` change's value: its number, and its items still raw."""

    phone_number_id: str
    display_phone_number: str | None
    contacts: list[Any]
    messages: list[Any]
    statuses: list[Any]
    errors: list[Any]


def read_envelope(data: dict[str, Any]) -> tuple[str, list[Entry]]:
    """``object`` and the entries; raises ValidationError as ``EnvelopeWire`` would."""
    obj = data.get("object")
    entries = data.get("entry")
    if isinstance(obj, str) and isinstance(entries, list):
        read = [_plain_entry(e) for e in entries]
        if all(e is not None for e in read):
            return obj, [e for e in read if e is not None]
    envelope = EnvelopeWire.model_validate(data)
    return envelope.object, [
        Entry(e.id, e.time, [Change(c.field, c.value) for c in e.changes]) for e in envelope.entry
    ]


def _plain_entry(raw: object) -> Entry | None:
    if not isinstance(raw, dict):
        return None
    waba_id = _id_string(raw.get("id"))
    time = raw.get("time")
    changes = raw.get("changes")
    if not isinstance(waba_id, str) or not isinstance(changes, list):
        return None
    if time is not None:
        try:
            time = _unix_seconds(time)
        except ValueError:
            return None
    plain: list[Change] = []
    for change in changes:
        if not isinstance(change, dict):
            return None
        field, value = change.get("field"), change.get("value")
        if not isinstance(field, str) or not isinstance(value, dict):
            return None
        plain.append(Change(field, value))
    return Entry(waba_id, time, plain)


def read_messages_value(raw: dict[str, Any]) -> Value:
    """A ``messages`` change's value; raises ValidationError as ``MessagesValue`` would."""
    metadata = raw.get("metadata")
    if isinstance(metadata, dict):
        number = metadata.get("phone_number_id")
        display = metadata.get("display_phone_number")
        product = raw.get("messaging_product")
        contacts = raw.get("contacts", [])
        messages = raw.get("messages", [])
        statuses = raw.get("statuses", [])
        errors = raw.get("errors", [])
        if (
            isinstance(number, str)
            and (display is None or isinstance(display, str))
            and (product is None or isinstance(product, str))
            and isinstance(contacts, list)
            and isinstance(messages, list)
            and isinstance(statuses, list)
            and isinstance(errors, list)
        ):
            return Value(number, display, contacts, messages, statuses, errors)
    value = MessagesValue.model_validate(raw)
    return Value(
        value.metadata.phone_number_id,
        value.metadata.display_phone_number,
        value.contacts,
        value.messages,
        value.statuses,
        value.errors,
    )
