"""Meta's Graph API JSON shapes: errors and responses, following the OpenAPI contract (tests
validate them against it)."""

from __future__ import annotations

from typing import Any, Literal

from pytake_simulator.wire import Wire

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
    """``input`` echoes what was sent; ``wa_id`` answers a phone, ``user_id`` a BSUID."""

    input: str
    wa_id: str | None = None
    user_id: str | None = None


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
