"""Meta's JSON shapes as pydantic models: Graph API responses and webhook payloads.

Every model dumps to exactly what Meta sends with :meth:`Wire.wire` (aliases, ``None`` fields
left out), so no handler builds a dict by hand. Webhook shapes follow
shared/reference/whatsapp-cloud-api-notes.md (Meta publishes no schema for them); Graph responses
follow the OpenAPI contract (tests validate them against it).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer


class Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    def wire(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return data


# --- Graph API: errors ---------------------------------------------------------------------------


class GraphErrorData(Wire):
    messaging_product: Literal["whatsapp"] = "whatsapp"
    details: str


class GraphErrorBody(Wire):
    message: str
    type: str
    code: int
    error_subcode: int | None = None
    error_user_title: str | None = None
    error_user_msg: str | None = None
    error_data: GraphErrorData | None = None
    fbtrace_id: str


class GraphErrorResponse(Wire):
    error: GraphErrorBody


# --- Graph API: responses ------------------------------------------------------------------------


class SendContact(Wire):
    input: str
    wa_id: str


class SentMessageRef(Wire):
    id: str
    message_status: Literal["accepted", "held_for_quality_assessment", "paused"] | None = None


class SendMessageResponse(Wire):
    messaging_product: Literal["whatsapp"] = "whatsapp"
    contacts: list[SendContact]
    messages: list[SentMessageRef]


class SuccessResponse(Wire):
    success: bool = True


class MediaUploadResponse(Wire):
    id: str


class MediaUrlResponse(Wire):
    messaging_product: Literal["whatsapp"] = "whatsapp"
    url: str
    mime_type: str
    sha256: str
    file_size: int
    id: str


class TemplateView(Wire):
    name: str
    parameter_format: str
    components: list[dict[str, Any]]
    language: str
    status: str
    category: str
    id: str
    rejected_reason: str | None = None


class Cursors(Wire):
    before: str
    after: str


class Paging(Wire):
    cursors: Cursors
    next: str | None = None
    previous: str | None = None


class TemplateListResponse(Wire):
    data: list[TemplateView]
    paging: Paging | None = None


class TemplateCreateResponse(Wire):
    id: str
    status: str
    category: str


class Throughput(Wire):
    level: Literal["STANDARD", "HIGH", "NOT_APPLICABLE"]


class WebhookConfiguration(Wire):
    application: str


class PhoneNumberView(Wire):
    """``GET /{phone-number-id}``; fields are optional because ``?fields=`` selects them."""

    verified_name: str | None = None
    code_verification_status: str | None = None
    display_phone_number: str | None = None
    quality_rating: str | None = None
    platform_type: str | None = None
    throughput: Throughput | None = None
    webhook_configuration: WebhookConfiguration | None = None
    name_status: str | None = None
    messaging_limit_tier: str | None = None
    id: str


class PhoneNumberList(Wire):
    data: list[PhoneNumberView]


class BusinessAccountView(Wire):
    id: str
    name: str
    currency: str = "USD"
    timezone_id: str = "1"
    message_template_namespace: str


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
    name: str


class Contact(Wire):
    profile: Profile
    wa_id: str
    # The business-scoped user id Meta added to webhooks in 2025 (alongside wa_id); clients such
    # as pywa 4 require it.
    user_id: str | None = None


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
    from_: str = Field(alias="from")
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
    interactive: Interactive | None = None
    button: Button | None = None
    reaction: Reaction | None = None
    order: Order | None = None
    system: System | None = None
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
    id: str
    status: Literal["sent", "delivered", "read", "failed"]
    timestamp: str
    recipient_id: str
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


class Change(Wire):
    field: str
    value: MessagesValue | TemplateStatusValue


class Entry(Wire):
    id: str
    time: int | None = None
    changes: list[Change]


class WebhookPayload(Wire):
    object: Literal["whatsapp_business_account"] = "whatsapp_business_account"
    entry: list[Entry]
