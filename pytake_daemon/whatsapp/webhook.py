"""Meta's webhook notifications, parsed and normalised into one flat list of items.

Meta publishes no schema for webhooks and keeps adding fields, so every model accepts unknown
keys and every normalised item keeps the JSON it came from (``raw``): nothing Meta sends is lost,
even when this module does not understand it yet.

To support a new inbound message type, add a content model and one entry to ``_CONTENT_MODELS``;
to support a new ``changes[].field``, add a branch to ``_parse_change``. Everything else already
arrives as ``UnsupportedContent`` or ``OtherChange`` with its raw JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError

from pytake_daemon.whatsapp.status_rank import STATUS_RANK, advances
from pytake_daemon.whatsapp.webhook_wire import (
    ButtonContent,
    ChangeWire,
    ContactsContent,
    Context,
    EntryWire,
    EnvelopeWire,
    ErrorDetail,
    InteractiveContent,
    LocationContent,
    MediaContent,
    MessageContent,
    MessagesValue,
    MessageWire,
    NormalModel,
    OrderContent,
    ReactionContent,
    Referral,
    StatusWire,
    SystemContent,
    TemplateStatusValue,
    TextContent,
    UnsupportedContent,
    WebhookPayloadError,
    _content,
    _one_line,
)

# ---- Normalised items -------------------------------------------------------------------------


class _FromNumber(NormalModel):
    """Where a ``messages`` change came from: the business number and its account."""

    waba_id: str
    phone_number_id: str
    display_phone_number: str | None


class InboundMessage(_FromNumber):
    kind: Literal["message"] = "message"
    wa_id: str
    profile_name: str | None
    message_id: str
    timestamp: datetime
    type: str
    content: MessageContent
    context: Context | None
    referral: Referral | None
    errors: list[ErrorDetail]
    raw: dict[str, Any]


class StatusUpdate(_FromNumber):
    kind: Literal["status"] = "status"
    message_id: str
    status: str
    timestamp: datetime
    recipient_id: str | None
    errors: list[ErrorDetail]
    pricing: dict[str, Any] | None
    conversation: dict[str, Any] | None
    raw: dict[str, Any]


class WebhookError(_FromNumber):
    """A value-level ``errors[]`` item: a problem not tied to one message or status."""

    kind: Literal["error"] = "error"
    error: ErrorDetail
    raw: dict[str, Any]


class TemplateStatusUpdate(NormalModel):
    kind: Literal["template_status"] = "template_status"
    waba_id: str
    time: datetime | None
    event: str
    message_template_id: str
    message_template_name: str | None
    message_template_language: str | None
    reason: str | None
    raw: dict[str, Any]


class OtherChange(NormalModel):
    """A ``changes[].field`` not normalised here (quality, account_update…): kept to record."""

    kind: Literal["other"] = "other"
    waba_id: str
    time: datetime | None
    field: str
    raw: dict[str, Any]


NotificationItem = InboundMessage | StatusUpdate | WebhookError | TemplateStatusUpdate | OtherChange


class Notification(NormalModel):
    """One POST: every item of every entry and change, in the order Meta sent them."""

    object: str
    items: list[NotificationItem]

    @property
    def messages(self) -> list[InboundMessage]:
        return [i for i in self.items if isinstance(i, InboundMessage)]

    @property
    def statuses(self) -> list[StatusUpdate]:
        return [i for i in self.items if isinstance(i, StatusUpdate)]

    @property
    def errors(self) -> list[WebhookError]:
        return [i for i in self.items if isinstance(i, WebhookError)]

    @property
    def template_status_updates(self) -> list[TemplateStatusUpdate]:
        return [i for i in self.items if isinstance(i, TemplateStatusUpdate)]

    @property
    def other_changes(self) -> list[OtherChange]:
        return [i for i in self.items if isinstance(i, OtherChange)]


# ---- Parsing ----------------------------------------------------------------------------------


def _profile_name(value: MessagesValue, wa_id: str) -> str | None:
    for contact in value.contacts:
        if contact.wa_id == wa_id and contact.profile is not None:
            return contact.profile.name
    return None


def _parse_messages(waba_id: str, raw_value: dict[str, Any]) -> list[NotificationItem]:
    value = MessagesValue.model_validate(raw_value)
    origin = {
        "waba_id": waba_id,
        "phone_number_id": value.metadata.phone_number_id,
        "display_phone_number": value.metadata.display_phone_number,
    }
    items: list[NotificationItem] = []
    for raw in value.messages:
        msg = MessageWire.model_validate(raw)
        items.append(
            InboundMessage(
                **origin,
                wa_id=msg.from_,
                profile_name=_profile_name(value, msg.from_),
                message_id=msg.id,
                timestamp=msg.timestamp,
                type=msg.type,
                content=_content(msg.type, raw),
                context=msg.context,
                referral=msg.referral,
                errors=msg.errors,
                raw=raw,
            )
        )
    for raw in value.statuses:
        st = StatusWire.model_validate(raw)
        items.append(
            StatusUpdate(
                **origin,
                message_id=st.id,
                status=st.status,
                timestamp=st.timestamp,
                recipient_id=st.recipient_id,
                errors=st.errors,
                pricing=st.pricing,
                conversation=st.conversation,
                raw=raw,
            )
        )
    items.extend(
        WebhookError(**origin, error=ErrorDetail.model_validate(raw), raw=raw)
        for raw in value.errors
    )
    return items


def _parse_change(entry: EntryWire, change: ChangeWire) -> list[NotificationItem]:
    waba_id = entry.id
    if change.field == "messages":
        return _parse_messages(waba_id, change.value)
    if change.field == "message_template_status_update":
        tpl = TemplateStatusValue.model_validate(change.value)
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
    return [OtherChange(waba_id=waba_id, time=entry.time, field=change.field, raw=change.value)]


def parse_notification(data: dict[str, Any]) -> Notification:
    """Normalise one webhook POST body (already JSON-decoded, signature already checked).

    Raises WebhookPayloadError (one line) when the envelope or an item's identity fields
    (ids, timestamps, phone number) are malformed; unknown types, fields and statuses never raise.
    """
    if not isinstance(data, dict):
        raise WebhookPayloadError("webhook payload must be a JSON object")
    try:
        envelope = EnvelopeWire.model_validate(data)
    except ValidationError as exc:
        raise WebhookPayloadError(f"invalid webhook payload: {_one_line(exc)}") from None
    items: list[NotificationItem] = []
    for i, entry in enumerate(envelope.entry):
        for j, change in enumerate(entry.changes):
            try:
                items.extend(_parse_change(entry, change))
            except ValidationError as exc:
                # Values are validated per change, so say where in the envelope this one was.
                where = f"entry.{i}.changes.{j}.value"
                raise WebhookPayloadError(
                    f"invalid webhook payload: {where}.{_one_line(exc)}"
                ) from None
    return Notification(object=envelope.object, items=items)


# Callers import everything webhook-related from here.
__all__ = [
    "STATUS_RANK",
    "ButtonContent",
    "ChangeWire",
    "ContactsContent",
    "Context",
    "EntryWire",
    "EnvelopeWire",
    "ErrorDetail",
    "InboundMessage",
    "InteractiveContent",
    "LocationContent",
    "MediaContent",
    "MessageContent",
    "MessageWire",
    "MessagesValue",
    "NormalModel",
    "Notification",
    "NotificationItem",
    "OrderContent",
    "OtherChange",
    "ReactionContent",
    "Referral",
    "StatusUpdate",
    "StatusWire",
    "SystemContent",
    "TemplateStatusUpdate",
    "TemplateStatusValue",
    "TextContent",
    "UnsupportedContent",
    "WebhookError",
    "WebhookPayloadError",
    "advances",
    "parse_notification",
]
