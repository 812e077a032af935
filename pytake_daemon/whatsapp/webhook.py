"""Meta's webhook notifications, parsed and normalised into one flat list of items.

Meta publishes no schema for webhooks and keeps adding fields, so every model accepts unknown
keys and every normalised item keeps the JSON it came from (``raw``): nothing Meta sends is lost,
even when this module does not understand it yet.

To support a new inbound message type, add a content model and one entry to ``_CONTENT_MODELS``
(``webhook_content.py``); to support a new ``changes[].field``, add a branch to
``_parse_change``. Everything else already arrives as ``UnsupportedContent`` or ``OtherChange``
with its raw JSON, and an item that can't be understood at all as an ``InvalidItem``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from pytake_daemon.whatsapp.status_rank import STATUS_RANK, advances
from pytake_daemon.whatsapp.webhook_content import (
    ButtonContent,
    ContactsContent,
    EditContent,
    InteractiveContent,
    LocationContent,
    MediaContent,
    MessageContent,
    OrderContent,
    ReactionContent,
    RevokeContent,
    SystemContent,
    TextContent,
    UnsupportedContent,
    content_of,
)
from pytake_daemon.whatsapp.webhook_identity import (
    Rekey,
    Who,
    parse_contacts,
    recipient,
    rekey,
    sender,
    system_sender,
)
from pytake_daemon.whatsapp.webhook_items import (
    InboundMessage,
    InvalidItem,
    Notification,
    NotificationItem,
    NumberQualityUpdate,
    OtherChange,
    StatusUpdate,
    TemplateStatusUpdate,
    WebhookError,
)
from pytake_daemon.whatsapp.webhook_wire import (
    Change,
    ChangeWire,
    Contact,
    Context,
    Entry,
    EntryWire,
    EnvelopeWire,
    ErrorDetail,
    MessagesValue,
    MessageWire,
    NormalModel,
    PhoneNumberQualityValue,
    Referral,
    StatusWire,
    TemplateStatusValue,
    WebhookPayloadError,
    built,
    one_line,
    read_envelope,
    read_messages_value,
)

# ---- Parsing ----------------------------------------------------------------------------------


class _ItemError(ValueError):
    """This one item can't be stored; the message says why."""


def _lenient(model: type[Context] | type[Referral], value: object) -> Any:
    """An optional part of a message: unreadable means absent (the raw JSON keeps it)."""
    if value is None:
        return None
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def _errors(value: object) -> list[ErrorDetail]:
    found: list[ErrorDetail] = []
    for item in value if isinstance(value, list) else []:
        try:
            found.append(ErrorDetail.model_validate(item))
        except ValidationError:
            continue
    return found


def _message(origin: dict[str, Any], raw: object, contacts: list[Contact]) -> InboundMessage:
    if not isinstance(raw, dict):
        raise _ItemError("a message must be a JSON object")
    try:
        msg = MessageWire.model_validate(raw)
    except ValidationError as exc:
        raise _ItemError(one_line(exc)) from None
    raw_errors = raw.get("errors")
    content = content_of(msg.type, raw, raw_errors if isinstance(raw_errors, list) else [])
    change = rekey(content) if isinstance(content, SystemContent) else None
    who = sender(msg, contacts)
    if msg.type == "system":
        # Named by the previous id (or the old phone); older payloads still had a contact.
        named = system_sender(msg, change)
        if named is not None and who is not None and named.phone == who.phone:
            named = replace(named, profile_name=who.profile_name, username=who.username)
        who = named
    if who is None:
        raise _ItemError("no sender: none of from_user_id, contacts[].user_id, from, wa_id")
    verified = content.requested_phone if isinstance(content, ContactsContent) else None
    # Built from validated parts (see _status): construct, don't validate again.
    return built(
        InboundMessage,
        **origin,
        wa_id=who.phone,
        bsuid=who.bsuid,
        parent_bsuid=who.parent_bsuid,
        username=who.username,
        profile_name=who.profile_name,
        verified_phone=verified,
        rekey=change,
        message_id=msg.id,
        timestamp=msg.timestamp,
        type=msg.type,
        content=content,
        context=_lenient(Context, msg.context),
        referral=_lenient(Referral, msg.referral),
        errors=_errors(msg.errors),
        raw=raw,
    )


def _status(origin: dict[str, Any], raw: object, contacts: list[Contact]) -> StatusUpdate:
    if not isinstance(raw, dict):
        raise _ItemError("a status must be a JSON object")
    try:
        st = StatusWire.model_validate(raw)
    except ValidationError as exc:
        raise _ItemError(one_line(exc)) from None
    # Failed statuses may name nobody (no contacts, or only [{wa_id}]): the wamid is enough.
    who = recipient(st, contacts)
    # Every value below comes from a validated wire model (or is the dict it was validated
    # from): validating the item again copied ``raw``, ``pricing`` and ``conversation`` and was
    # a third of a status callback's parsing, three callbacks per automated reply.
    # tests/whatsapp/test_webhook_parse.py checks the constructed items equal validated ones.
    return built(
        StatusUpdate,
        **origin,
        message_id=st.id,
        status=st.status,
        timestamp=st.timestamp,
        recipient_id=who.phone if who else None,
        recipient_user_id=who.bsuid if who else None,
        errors=st.errors,
        pricing=st.pricing,
        conversation=st.conversation,
        raw=raw,
    )


def _parse_messages(waba_id: str, raw_value: dict[str, Any]) -> list[NotificationItem]:
    try:
        value = read_messages_value(raw_value)
    except ValidationError as exc:
        # No usable metadata: nothing in it can be routed to a number, so all of it is kept raw.
        return [_invalid(waba_id, raw_value, "messages", one_line(exc), raw_value)]
    phone_number_id = value.phone_number_id
    origin = {
        "waba_id": waba_id,
        "phone_number_id": phone_number_id,
        "display_phone_number": value.display_phone_number,
    }
    # Once per value, not per item: a value's messages and statuses share its contacts.
    contacts = parse_contacts(value.contacts)
    items: list[NotificationItem] = []
    for raw in value.messages:
        try:
            items.append(_message(origin, raw, contacts))
        except _ItemError as exc:
            items.append(_invalid(waba_id, raw_value, "messages", f"message: {exc}", raw))
    for raw in value.statuses:
        try:
            items.append(_status(origin, raw, contacts))
        except _ItemError as exc:
            items.append(_invalid(waba_id, raw_value, "statuses", f"status: {exc}", raw))
    for raw in value.errors:
        try:
            items.append(WebhookError(**origin, error=ErrorDetail.model_validate(raw), raw=raw))
        except ValidationError as exc:
            items.append(_invalid(waba_id, raw_value, "errors", one_line(exc), raw))
    return items


def _invalid(waba_id: str, value: object, field: str, reason: str, raw: object) -> InvalidItem:
    metadata = value.get("metadata") if isinstance(value, dict) else None
    phone_number_id = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    return InvalidItem(
        waba_id=waba_id,
        phone_number_id=phone_number_id if isinstance(phone_number_id, str) else None,
        field=field,
        reason=reason,
        raw=raw,
    )


def _parse_change(entry: Entry, change: Change) -> list[NotificationItem]:
    waba_id = entry.id
    if change.field == "messages":
        return _parse_messages(waba_id, change.value)
    if change.field == "message_template_status_update":
        try:
            tpl = TemplateStatusValue.model_validate(change.value)
        except ValidationError as exc:
            return [_invalid(waba_id, None, change.field, one_line(exc), change.value)]
        return [
            TemplateStatusUpdate(
                waba_id=waba_id,
                time=entry.time,
                event=tpl.event,
                message_template_id=tpl.message_template_id,
                message_template_name=tpl.message_template_name,
                message_template_language=tpl.message_template_language,
                reason=tpl.reason,
                raw=change.value,
            )
        ]
    if change.field == "phone_number_quality_update":
        try:
            quality = PhoneNumberQualityValue.model_validate(change.value)
        except ValidationError as exc:
            return [_invalid(waba_id, None, change.field, one_line(exc), change.value)]
        return [
            NumberQualityUpdate(
                waba_id=waba_id,
                time=entry.time,
                display_phone_number=quality.display_phone_number,
                event=quality.event,
                limit=quality.max_daily_conversations_per_business or quality.current_limit,
                old_limit=quality.old_limit,
                quality_rating=quality.quality_rating,
                raw=change.value,
            )
        ]
    # Everything else is recorded as it came, including the legacy ``user_id_update`` field
    # (Meta said in August 2026 it never was a webhook field; some partners still relay it).
    return [OtherChange(waba_id=waba_id, time=entry.time, field=change.field, raw=change.value)]


def read_notification_envelope(data: object) -> tuple[str, list[Entry]]:
    """``object`` and the entries of a POST body, its items still raw; raises
    WebhookPayloadError (one line) when no entry can be attributed to an account."""
    if not isinstance(data, dict):
        raise WebhookPayloadError("webhook payload must be a JSON object")
    try:
        return read_envelope(data)
    except ValidationError as exc:
        raise WebhookPayloadError(f"invalid webhook payload: {one_line(exc)}") from None


def parse_notification(data: dict[str, Any]) -> Notification:
    """Normalise one webhook POST body (already JSON-decoded, signature already checked).

    Raises WebhookPayloadError (one line) only when the envelope itself is malformed (no
    ``entry`` list, an entry without an id or ``changes``): then nothing in it can be attributed
    to an account. Inside a change, an item that can't be understood becomes an
    :class:`InvalidItem` and never costs its neighbours; unknown types, fields and statuses are
    normal items.
    """
    obj, entries = read_notification_envelope(data)
    items: list[NotificationItem] = []
    for entry in entries:
        for change in entry.changes:
            items.extend(_parse_change(entry, change))
    # The items were built above; the envelope's fields are validated already.
    return built(Notification, object=obj, items=items)


# Callers import everything webhook-related from here.
__all__ = [
    "STATUS_RANK",
    "ButtonContent",
    "ChangeWire",
    "ContactsContent",
    "Context",
    "EditContent",
    "EntryWire",
    "EnvelopeWire",
    "ErrorDetail",
    "InboundMessage",
    "InteractiveContent",
    "InvalidItem",
    "LocationContent",
    "MediaContent",
    "MessageContent",
    "MessageWire",
    "MessagesValue",
    "NormalModel",
    "Notification",
    "NotificationItem",
    "NumberQualityUpdate",
    "OrderContent",
    "OtherChange",
    "PhoneNumberQualityValue",
    "ReactionContent",
    "Referral",
    "Rekey",
    "RevokeContent",
    "StatusUpdate",
    "StatusWire",
    "SystemContent",
    "TemplateStatusUpdate",
    "TemplateStatusValue",
    "TextContent",
    "UnsupportedContent",
    "WebhookError",
    "WebhookPayloadError",
    "Who",
    "advances",
    "parse_notification",
    "read_notification_envelope",
]
