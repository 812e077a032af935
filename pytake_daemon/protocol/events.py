"""WebSocket events.

Every server event travels in an :class:`EventEnvelope` carrying the tenant's sequence number.
Sequence numbers are per tenant and strictly increasing; a client that sees a gap (or has just
reconnected) re-reads the state it shows through the REST API instead of trusting the stream.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from pytake_daemon.protocol.auth import Role
from pytake_daemon.protocol.common import WireModel


class Hello(WireModel):
    """First frame on every connection: the tenant's current sequence number, to resync from."""

    type: Literal["hello"] = "hello"
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role
    server_time: datetime


class UserChanged(WireModel):
    """A user of the tenant was created, changed or disabled."""

    type: Literal["user_changed"] = "user_changed"
    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    disabled: bool


class TokenRevoked(WireModel):
    """A token was revoked; connections authenticated by it are closed right after this."""

    type: Literal["token_revoked"] = "token_revoked"
    token_id: uuid.UUID


ServerEvent = Annotated[Hello | UserChanged | TokenRevoked, Field(discriminator="type")]


class EventEnvelope(WireModel):
    """What one WebSocket text frame from the server holds."""

    seq: int = Field(
        ge=0, description="per-tenant sequence number; 'hello' carries the current one"
    )
    tenant_id: uuid.UUID
    at: datetime
    event: ServerEvent


class Ping(WireModel):
    """Application-level keepalive a client may send; the server answers with nothing."""

    type: Literal["ping"] = "ping"


# A union (with a discriminator) as more client frames are added.
ClientEvent = Ping

_envelope_adapter: TypeAdapter[EventEnvelope] = TypeAdapter(EventEnvelope)


def parse_server_event(raw: str | bytes) -> EventEnvelope:
    """Parse one server frame; raises ``pydantic.ValidationError`` on anything else."""
    return _envelope_adapter.validate_json(raw)
