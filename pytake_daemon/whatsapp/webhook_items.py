"""The normalised items of a webhook notification: what ``webhook.parse_notification`` makes
of Meta's shapes, and what the writer stores."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pytake_daemon.whatsapp.webhook_content import MessageContent
from pytake_daemon.whatsapp.webhook_identity import Rekey, Who
from pytake_daemon.whatsapp.webhook_wire import Context, ErrorDetail, NormalModel, Referral

# ---- Normalised items -------------------------------------------------------------------------


class _FromNumber(NormalModel):
    """Where a ``messages`` change came from: the business number and its account."""

    waba_id: str
    phone_number_id: str
    display_phone_number: str | None


class InboundMessage(_FromNumber):
    """A customer's message. ``wa_id`` is their phone and ``bsuid`` their business-scoped user
    id; at least one of the two is set. ``verified_phone`` is the phone they shared answering
    our contact request; ``rekey`` the identity change a system message announces."""

    kind: Literal["message"] = "message"
    wa_id: str | None
    bsuid: str | None = None
    parent_bsuid: str | None = None
    username: str | None = None
    profile_name: str | None
    verified_phone: str | None = None
    rekey: Rekey | None = None
    message_id: str
    timestamp: datetime
    type: str
    content: MessageContent
    context: Context | None
    referral: Referral | None
    errors: list[ErrorDetail]
    raw: dict[str, Any]

    @property
    def who(self) -> Who:
        return Who(
            bsuid=self.bsuid,
            phone=self.wa_id,
            parent_bsuid=self.parent_bsuid,
            username=self.username,
            profile_name=self.profile_name,
        )


class StatusUpdate(_FromNumber):
    kind: Literal["status"] = "status"
    message_id: str
    status: str
    timestamp: datetime
    recipient_id: str | None
    recipient_user_id: str | None = None
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


class NumberQualityUpdate(NormalModel):
    """A ``phone_number_quality_update``: a number's quality event and messaging limit. The
    number is named by its display digits only (Meta gives no phone_number_id here)."""

    kind: Literal["number_quality"] = "number_quality"
    waba_id: str
    time: datetime | None
    display_phone_number: str
    event: str
    limit: str | None
    """The limit now: ``max_daily_conversations_per_business``, else ``current_limit``."""
    old_limit: str | None
    quality_rating: str | None
    raw: dict[str, Any]

    @property
    def digits(self) -> str:
        return "".join(ch for ch in self.display_phone_number if ch.isdigit())


class OtherChange(NormalModel):
    """A ``changes[].field`` not normalised here (quality, account_update…): kept to record."""

    kind: Literal["other"] = "other"
    waba_id: str
    time: datetime | None
    field: str
    raw: dict[str, Any]


class InvalidItem(NormalModel):
    """One item (or one change) that can't be understood: kept raw, with why, so that its
    neighbours are stored as usual and an operator can see what was refused.

    Routed by ``phone_number_id`` when the change's metadata named one, else by the WABA.
    """

    kind: Literal["invalid"] = "invalid"
    waba_id: str
    phone_number_id: str | None
    field: str
    reason: str
    raw: Any


NotificationItem = (
    InboundMessage
    | StatusUpdate
    | WebhookError
    | TemplateStatusUpdate
    | NumberQualityUpdate
    | OtherChange
    | InvalidItem
)


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
    def number_quality_updates(self) -> list[NumberQualityUpdate]:
        return [i for i in self.items if isinstance(i, NumberQualityUpdate)]

    @property
    def other_changes(self) -> list[OtherChange]:
        return [i for i in self.items if isinstance(i, OtherChange)]

    @property
    def invalid(self) -> list[InvalidItem]:
        return [i for i in self.items if isinstance(i, InvalidItem)]
