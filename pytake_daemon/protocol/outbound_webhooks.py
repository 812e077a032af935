"""Outbound webhooks: endpoints of other systems that get PyTake's events, signed and retried.

What a receiver gets is documented in docs/webhooks.md: a JSON body (:class:`WebhookPayload`)
and the headers named here; the signature is HMAC-SHA256 over ``f"{t}.{body}"``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import WireModel

SIGNATURE_HEADER = "X-PyTake-Signature"
"""``t=<unix seconds>,v1=<hex>`` (a second ``v1=`` while a rotated secret is still valid)."""
EVENT_HEADER = "X-PyTake-Event"
DELIVERY_HEADER = "X-PyTake-Delivery"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
"""Every signing secret starts with this, so one pasted elsewhere is recognised."""


class WebhookEventType(StrEnum):
    """What an endpoint may subscribe to (docs/webhooks.md maps each to its source)."""

    MESSAGE_RECEIVED = "message.received"
    MESSAGE_SENT = "message.sent"
    MESSAGE_STATUS = "message.status"
    CONVERSATION_OPENED = "conversation.opened"
    CONVERSATION_ASSIGNED = "conversation.assigned"
    CONVERSATION_CLOSED = "conversation.closed"
    RATING_RECEIVED = "rating.received"
    FLOW_COMPLETED = "flow.completed"
    CONTACT_UPDATED = "contact.updated"


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class EndpointCreate(WireModel):
    """``POST /api/v1/webhooks/endpoints`` (admins)."""

    url: str = Field(min_length=8, max_length=2000)
    event_types: list[WebhookEventType] = Field(min_length=1, max_length=20)
    description: str = Field(default="", max_length=200)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise refusal("outbound_webhooks_an_http_s_url")
        if parts.username or parts.password:
            raise refusal("outbound_webhooks_no_credentials_in_the")
        return value.strip()


class EndpointUpdate(WireModel):
    """``PATCH /api/v1/webhooks/endpoints/{id}``: what is given changes."""

    event_types: list[WebhookEventType] | None = Field(default=None, min_length=1, max_length=20)
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = None
    """True re-enables an endpoint disabled by a 410 or by an admin."""


class EndpointOut(WireModel):
    """An endpoint as admins see it (never its secret)."""

    id: uuid.UUID
    url: str
    description: str
    event_types: list[WebhookEventType]
    enabled: bool
    disabled_reason: str | None
    previous_secret_until: datetime | None = Field(
        description="while set, deliveries carry a second signature with the previous secret"
    )
    created_at: datetime
    updated_at: datetime
    pending: int = Field(default=0, description="deliveries waiting or being retried")
    dead: int = Field(default=0, description="dead letters")


class EndpointList(WireModel):
    items: list[EndpointOut]


class EndpointCreated(WireModel):
    """A new endpoint, or a rotated secret: ``secret`` is shown this once."""

    endpoint: EndpointOut
    secret: str


class SecretRotate(WireModel):
    """``POST …/endpoints/{id}/rotate-secret``: how long the previous secret stays valid."""

    overlap_hours: float = Field(default=24.0, ge=0, le=168)


class DeliveryOut(WireModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: WebhookEventType
    conversation_id: uuid.UUID | None
    state: DeliveryState
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="pending only")
    last_attempt_at: datetime | None
    last_status: int | None = Field(description="the receiver's last HTTP status")
    last_error: str | None
    delivered_at: datetime | None
    dead_at: datetime | None
    replay_of: uuid.UUID | None


class DeliveryQuery(WireModel):
    """``GET /api/v1/webhooks/deliveries``."""

    endpoint_id: uuid.UUID | None = None
    state: DeliveryState | None = None
    limit: int = Field(default=50, ge=1, le=200)


class DeliveryList(WireModel):
    items: list[DeliveryOut] = Field(description="newest first")


class WebhookPayload(WireModel):
    """The JSON body every delivery carries."""

    id: uuid.UUID = Field(description="the event's id: the same for every endpoint and retry")
    type: WebhookEventType
    created_at: datetime
    tenant_id: uuid.UUID
    data: dict[str, Any] = Field(description="the event, as the WebSocket stream carries it")


class WebhookEndpointChanged(WireModel):
    """An endpoint was registered, changed, enabled or disabled (by an admin, or by its own 410),
    had its secret rotated, or was removed: the admins' Outbound webhooks page reads them again.
    Only the id: every console of the tenant gets the event, and only admins see endpoints."""

    type: Literal["webhook_endpoint_changed"] = "webhook_endpoint_changed"
    endpoint_id: uuid.UUID
    removed: bool = False
