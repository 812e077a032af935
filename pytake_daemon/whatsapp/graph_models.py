"""Meta's Graph API bodies: what its answers look like (sends, media, templates, numbers, errors)
and the base of the requests we build. The send request itself and ``to_graph`` are in
``graph_send``.

Request models are ours to build, so they refuse unknown fields and ``to_json()`` (a dump without
``None``) is exactly the JSON Meta documents. Response models accept unknown keys, because Meta
adds fields without notice. The request shapes follow Meta's OpenAPI contract
(``pytake_simulator/contract``); the tests validate built bodies against it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from pytake_daemon.whatsapp.webhook_wire import IdString, MetaModel


class GraphRequestModel(BaseModel):
    """A body we send to Meta: our own construction, so unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_json(self) -> dict[str, Any]:
        """The body as Meta expects it: absent optional fields are left out, not ``null``."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.to_json())


# ---- Responses ------------------------------------------------------------------------------


class GraphSuccess(MetaModel):
    """``{"success": true}`` (mark as read, delete media, delete template)."""

    success: bool


class GraphContact(MetaModel):
    """Who Meta resolved the send to: ``input`` echoes our ``to`` or ``recipient``; ``wa_id``
    comes back only for a send to a phone and ``user_id`` (the BSUID) only for a send to a
    BSUID, so neither is required."""

    input: str | None = None
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None


class GraphMessageId(MetaModel):
    id: str
    # accepted | held_for_quality_assessment | paused (marketing messages); absent before 2025.
    message_status: str | None = None


class GraphSendResponse(MetaModel):
    messaging_product: str | None = None
    contacts: list[GraphContact] = []
    messages: list[GraphMessageId] = Field(min_length=1)


class SendResult(BaseModel):
    """What a successful send tells us: the wamid statuses will refer to, the customer as Meta
    resolved them (the phone may differ from the one we sent to), and whether Meta accepted the
    message outright or holds it for a quality check (``held_for_quality_assessment``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wamid: str
    wa_id: str | None
    user_id: str | None = None
    input: str | None
    message_status: str | None

    @classmethod
    def from_response(cls, response: GraphSendResponse) -> SendResult:
        message = response.messages[0]
        contact = response.contacts[0] if response.contacts else GraphContact()
        return cls(
            wamid=message.id,
            wa_id=contact.wa_id.strip() if contact.wa_id else None,
            user_id=contact.user_id.strip() if contact.user_id else None,
            input=contact.input,
            message_status=message.message_status,
        )

    @property
    def held(self) -> bool:
        """Meta took the message but holds it for a quality check; it may never be delivered."""
        return self.message_status == "held_for_quality_assessment"


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
