"""Who is calling: set on the request by the auth middleware, read by handlers.

It sits in ``http``, below ``auth``, because the route table checks it on every route."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.auth import Scope


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated bearer token and the user behind it."""

    token_id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    kind: str
    expires_at: datetime
    scopes: frozenset[Scope] | None = None
    """An API token's scopes; ``None`` for a login session, which its role alone governs."""
    rate_limit_per_minute: int | None = None
    """An API token's own request limit; ``None``: the configured default."""


IDENTITY = web.RequestKey("identity", Identity)
