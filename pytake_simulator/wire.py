"""Meta's JSON shapes as pydantic models: webhook payloads (Graph responses: wire_graph.py).

Every model dumps to exactly what Meta sends with :meth:`Wire.wire` (aliases, ``None`` fields
left out), so no handler builds a dict by hand. Webhook shapes follow
shared/reference/whatsapp-cloud-api-notes.md and whatsapp-2026-changes.md (Meta publishes no
schema for them).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer


class Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    def wire(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return data


# --- webhooks ------------------------------------------------------------------------------------


class WebhookErrorData(Wire):
    details: str


class WebhookError(Wire):
    code: int
    title: str
    message: str | None = None
    error_data: WebhookErrorData | None = None
    href: str | None = None


class Profile(Wire):
    name: str | None = None
    username: str | None = None


class Contact(Wire):
    """A ``contacts[]`` entry: since April 2026 ``user_id`` (the BSUID) is always there and
    ``wa_id`` only when Meta may show the phone; status contacts may have no ``profile``."""

    profile: Profile | None = None
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None


class Metadata(Wire):
    display_phone_number: str
    phone_number_id: str


class Text(Wire):
    body: str


class Media(Wire):
    id: str
    mime_type: str
    sha256: str
    caption: str | None = None
    filename: str | None = None
    voice: bool | None = None
    animated: bool | None = None


class Location(Wire):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    url: str | None = None


class ButtonReply(Wire):
    id: str
    title: str


class ListReply(Wire):
    id: str
    title: str
    description: str | None = None


class NfmReply(Wire):
    name: str = "flow"
    body: str = "Sent"
    response_json: str


class Interactive(Wire):
    type: Literal["button_reply", "list_reply", "nfm_reply"]
    button_reply: ButtonReply | None = None
    list_reply: ListReply | None = None
    nfm_reply: NfmReply | None = None


class Button(Wire):
    payload: str
    text: str


class Reaction(Wire):
    message_id: str
    # "" (kept: only None is left out) removes the reaction.
    emoji: str


class ProductItem(Wire):
    product_retailer_id: str
    quantity: int
    item_price: float
    currency: str


class Order(Wire):
    catalog_id: str
    text: str | None = None
    product_items: list[ProductItem]


class System(Wire):
    body: str
    type: str
    wa_id: str | None = None
    customer: str | None = None
    # Since Aug 2026 (Meta's changelog): the new ids next to the previous ones.
    user_id: str | None = None
    parent_user_id: str | None = None
    previous_user_id: str | None = None
    previous_parent_user_id: str | None = None


class Unsupported(Wire):
    type: str


class Revoke(Wire):
    original_message_id: str


class Edit(Wire):
    """``edit.message`` is the new content in the shape of an inbound message's own fields."""

    original_message_id: str
    message: dict[str, Any]


class Context(Wire):
    from_: str | None = Field(None, alias="from")
    id: str | None = None
    forwarded: bool | None = None
    frequently_forwarded: bool | None = None


class Referral(Wire):
    source_url: str
    source_id: str
    source_type: Literal["ad", "post"]
    headline: str | None = None
    body: str | None = None
    media_type: Literal["image", "video"] | None = None
    image_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    ctwa_clid: str | None = None


class InboundMessage(Wire):
    # Absent when Meta withholds the phone; from_user_id (the BSUID) is always there.
    from_: str | None = Field(None, alias="from")
    from_user_id: str | None = None
    from_parent_user_id: str | None = None
    id: str
    timestamp: str
    type: str
    text: Text | None = None
    image: Media | None = None
    audio: Media | None = None
    video: Media | None = None
    document: Media | None = None
    sticker: Media | None = None
    location: Location | None = None
    contacts: list[dict[str, Any]] | None = None
    # "contact_request" on a reply to request_contact_info, "other" on a shared card.
    origin: str | None = None
    interactive: Interactive | None = None
    button: Button | None = None
    reaction: Reaction | None = None
    order: Order | None = None
    system: System | None = None
    edit: Edit | None = None
    revoke: Revoke | None = None
    unsupported: Unsupported | None = None
    context: Context | None = None
    referral: Referral | None = None
    errors: list[WebhookError] | None = None


class ConversationOrigin(Wire):
    type: str


class Conversation(Wire):
    id: str
    expiration_timestamp: str | None = None
    origin: ConversationOrigin


class Pricing(Wire):
    billable: bool
    pricing_model: Literal["PMP", "CBP"] = "PMP"
    category: str
    type: Literal["regular", "free_customer_service", "free_entry_point"] | None = None


class Status(Wire):
    """``recipient_id`` when the business sent to a phone, ``recipient_user_id`` to a BSUID;
    the parent field has two spellings in the wild (see ``MetaVariantsConfig``)."""

    id: str
    status: Literal["sent", "delivered", "read", "failed"]
    timestamp: str
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    recipient_parent_user_id: str | None = None
    parent_recipient_user_id: str | None = None
    conversation: Conversation | None = None
    pricing: Pricing | None = None
    errors: list[WebhookError] | None = None
    biz_opaque_callback_data: str | None = None


class MessagesValue(Wire):
    messaging_product: Literal["whatsapp"] = "whatsapp"
    metadata: Metadata
    contacts: list[Contact] | None = None
    messages: list[InboundMessage] | None = None
    statuses: list[Status] | None = None


class TemplateStatusValue(Wire):
    event: Literal["APPROVED", "REJECTED", "PENDING", "PAUSED", "DISABLED", "FLAGGED"]
    message_template_id: int
    message_template_name: str
    message_template_language: str
    reason: str | None = None

    @model_serializer(mode="wrap")
    def _keep_reason(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Meta always sends "reason", null when there is none; exclude_none must not drop it.
        data: dict[str, Any] = handler(self)
        data.setdefault("reason", None)
        return data


class PhoneNumberQualityValue(Wire):
    """``phone_number_quality_update`` (a WABA-level field) as Meta's reference shows it today
    (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/
    phone_number_quality_update, updated 2026-05-21): the number by its display digits only,
    the event, the limit (``max_daily_conversations_per_business``, the portfolio's; the older
    ``current_limit`` is a variant) and ``old_limit`` only when the limit changed."""

    display_phone_number: str
    event: str
    old_limit: str | None = None
    current_limit: str | None = None
    max_daily_conversations_per_business: str | None = None


class Change(Wire):
    field: str
    value: MessagesValue | TemplateStatusValue | PhoneNumberQualityValue


class Entry(Wire):
    id: str
    time: int | None = None
    changes: list[Change]


class WebhookPayload(Wire):
    object: Literal["whatsapp_business_account"] = "whatsapp_business_account"
    entry: list[Entry]
