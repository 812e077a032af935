"""Business numbers and message templates as the API shows them (secrets never leave)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from pytake_daemon.protocol.common import WireModel

_DIGITS = r"^[0-9]{1,32}$"


class NumberOut(WireModel):
    """A WhatsApp business number of the tenant. Its token and secrets are write-only."""

    id: uuid.UUID
    phone_number_id: str
    waba_id: str
    display_phone_number: str
    label: str
    throughput_mps: int
    created_at: datetime
    quality_event: str | None = Field(
        default=None, description="Meta's last phone_number_quality_update event (FLAGGED…)"
    )
    quality_rating: str | None = Field(default=None, description="GREEN, YELLOW, RED or NA")
    messaging_limit: str | None = Field(default=None, description="the limit tier, e.g. TIER_2K")
    quality_at: datetime | None = None


class NumberList(WireModel):
    items: list[NumberOut]


class NumberCreate(WireModel):
    """``POST /api/v1/whatsapp/numbers`` (admins) and ``pytake numbers add``."""

    phone_number_id: str = Field(pattern=_DIGITS)
    waba_id: str = Field(pattern=_DIGITS)
    display_phone_number: str = Field(default="", max_length=40)
    label: str = Field(default="", max_length=100)
    access_token: str = Field(min_length=1, max_length=4096)
    app_secret: str = Field(min_length=1, max_length=512)
    verify_token: str = Field(min_length=1, max_length=512)
    throughput_mps: int = Field(default=80, ge=20, le=1000)


TemplateStatus = Literal[
    "APPROVED",
    "PENDING",
    "REJECTED",
    "PAUSED",
    "DISABLED",
    "IN_APPEAL",
    "DELETED",
    "LIMIT_EXCEEDED",
]
TemplateCategory = Literal["MARKETING", "UTILITY", "AUTHENTICATION"]


class MessageTemplateOut(WireModel):
    id: uuid.UUID
    waba_id: str
    meta_id: str | None
    name: str
    language: str
    status: str
    category: str
    parameter_format: str
    components: list[dict[str, Any]] = Field(description="Meta's component definitions")
    reason: str | None
    synced_at: datetime | None
    updated_at: datetime


class TemplateList(WireModel):
    items: list[MessageTemplateOut]


class TemplateQuery(WireModel):
    """``GET /api/v1/whatsapp/templates`` filters."""

    status: str | None = Field(default=None, max_length=40)
    category: str | None = Field(default=None, max_length=40)
    language: str | None = Field(default=None, max_length=20)
    name: str | None = Field(default=None, max_length=512, description="substring of the name")
    waba_id: str | None = Field(default=None, pattern=_DIGITS)


class TemplateButtonIn(WireModel):
    """A button of a submitted template (``QUICK_REPLY``, ``URL``, ``PHONE_NUMBER``, ``OTP``…);
    other keys Meta defines are passed through."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(min_length=1, max_length=40)
    text: str | None = None
    url: str | None = None
    phone_number: str | None = None
    otp_type: str | None = None
    example: list[str] | str | None = None


class TemplateComponentIn(WireModel):
    """A component of a submitted template: ``HEADER`` (with ``format``), ``BODY``, ``FOOTER``
    or ``BUTTONS``; other keys Meta defines are passed through."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(min_length=1, max_length=40)
    format: str | None = None
    text: str | None = None
    example: dict[str, Any] | None = None
    buttons: list[TemplateButtonIn] | None = None


class TemplateCreate(WireModel):
    """``POST /api/v1/whatsapp/templates``: submitted to Meta for review (starts PENDING)."""

    number_id: uuid.UUID = Field(description="whose WABA the template belongs to")
    name: str = Field(pattern=r"^[a-z0-9_]{1,512}$")
    language: str = Field(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$", description="en, pt_BR…")
    category: TemplateCategory
    parameter_format: Literal["POSITIONAL", "NAMED"] = "POSITIONAL"
    components: list[TemplateComponentIn] = Field(
        min_length=1, description="Meta's component definitions (HEADER, BODY, FOOTER, BUTTONS)"
    )


class TemplateSyncResult(WireModel):
    """``POST /api/v1/whatsapp/templates/sync`` and ``pytake templates sync``."""

    wabas: int
    templates: int
    created: int
    updated: int


class MediaUploaded(WireModel):
    """``POST /api/v1/whatsapp/numbers/{id}/media``: send it with ``media_id`` (valid 30 days)."""

    media_id: str
    mime_type: str
    size: int


class NumberChanged(WireModel):
    """A business number was added, had its secrets replaced, or was removed: the admins'
    Numbers page reads them again (Meta's quality changes are :class:`NumberQualityChanged`)."""

    type: Literal["number_changed"] = "number_changed"
    number_id: uuid.UUID
    phone_number_id: str
    removed: bool = False


QualityTrend = Literal["dropped", "improved", "unchanged"]


class NumberQualityChanged(WireModel):
    """Meta said a number's quality or messaging limit changed (``phone_number_quality_update``):
    a drop is a system notification to admins and owners."""

    type: Literal["number_quality_changed"] = "number_quality_changed"
    number_id: uuid.UUID
    display_phone_number: str
    label: str
    event: str = Field(description="Meta's event: FLAGGED, UNFLAGGED, DOWNGRADE, UPGRADE…")
    quality_rating: str | None
    messaging_limit: str | None
    previous_limit: str | None
    trend: QualityTrend
    limit_lowered: bool = Field(description="the messaging limit is lower than before")


class TemplateChanged(WireModel):
    """An admin submitted, deleted or synced templates: the admins' pages read them again
    (Meta's own status changes are :class:`TemplateStatusChanged`)."""

    type: Literal["template_changed"] = "template_changed"
    template_id: uuid.UUID | None = Field(description="None: a sync, which may change several")
    name: str | None = None
    language: str | None = None
    removed: bool = False


class TemplateStatusChanged(WireModel):
    """Meta changed a template's status (``message_template_status_update``); REJECTED, PAUSED
    and DISABLED are system notifications to admins and owners."""

    type: Literal["template_status_changed"] = "template_status_changed"
    template_id: uuid.UUID | None = Field(description="None: not synced from Meta yet")
    meta_id: str
    name: str
    language: str
    status: str
    previous_status: str | None
    reason: str | None
