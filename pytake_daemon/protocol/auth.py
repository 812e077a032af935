"""Login, sessions and API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from pytake_daemon.protocol.common import WireModel


class Role(StrEnum):
    """Roles, from most to least privileged."""

    OWNER = "owner"
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"

    @property
    def rank(self) -> int:
        """Higher is more privileged; used for "at least this role" checks."""
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        """True when this role has every permission ``other`` has."""
        return self.rank >= other.rank


_RANKS = {Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3, Role.OWNER: 4}


class Scope(StrEnum):
    """What an API token may do, on top of its user's role (rights = role ∩ scopes).

    Every route states one (``pytake_daemon/http/scopes.py`` derives it; the OpenAPI document
    shows it as ``x-pytake-scope``). Login sessions are checked by role only.
    """

    READ = "read"
    """Every GET: lists, details, reports, exports, the WebSocket."""
    MESSAGES_SEND = "messages:send"
    """Send a message or a media file to a customer, ask for a phone number."""
    CONVERSATIONS_WRITE = "conversations:write"
    """Work on conversations: status, read marks, notes, tags, transfers, assignment, queue
    items, contacts, agent status and goals, quick replies."""
    FLOWS_WRITE = "flows:write"
    """Create, edit, validate, test, publish and archive flows."""
    ADMIN = "admin"
    """Every other change: users, invitations, tokens, passwords, queues, numbers, templates,
    settings, webhooks, backups, onboarding, notifications, report schedules."""


ALL_SCOPES: tuple[Scope, ...] = tuple(Scope)


class LoginRequest(WireModel):
    """``POST /api/v1/auth/login``. ``tenant`` (a slug) is needed only when the e-mail exists in
    several tenants."""

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    tenant: str | None = Field(default=None, max_length=63)


class PasswordChange(WireModel):
    """``POST /api/v1/auth/password``: your own password. Your other sessions and API tokens end;
    the session that made the change stays."""

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=10, max_length=1024)


UserLanguage = Literal["en", "pt_BR"]
"""The console's catalogs (pytake_i18n.LANGUAGES), as ``users.language`` allows them."""


class ProfileUpdate(WireModel):
    """``PUT /api/v1/auth/me``: what a user sets on their own profile (``null``: not chosen)."""

    language: UserLanguage | None


class Me(WireModel):
    """Who the bearer of a token is."""

    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    tenant_id: uuid.UUID
    tenant_slug: str
    tenant_name: str
    token_id: uuid.UUID
    token_expires_at: datetime
    language: UserLanguage | None = Field(
        default=None, description="the language the user reads the console in; null: not chosen"
    )
    tenant_language: UserLanguage | None = Field(
        default=None, description="the tenant profile's language; null: no profile saved yet"
    )


class LoginResponse(WireModel):
    """A new session token; it is shown once and stored by the daemon only as a hash."""

    token: str
    expires_at: datetime
    me: Me


class TokenCreate(WireModel):
    """``POST /api/v1/tokens``: an API token for scripts, acting as the calling user."""

    name: str = Field(min_length=1, max_length=100)
    ttl_days: int = Field(default=90, ge=1, le=366)
    scopes: list[Scope] = Field(default=[Scope.READ], min_length=1, max_length=len(Scope))
    """What the token may do (its user's role still applies); read-only unless asked."""
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=100_000)
    """Requests a minute for this token; none: the daemon's ``auth.api_token_rate_per_minute``."""


class TokenOut(WireModel):
    """An API token or login session, without its secret."""

    id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    scopes: list[Scope] | None = None
    """An API token's scopes; none for a login session (its role decides)."""
    rate_limit_per_minute: int | None = None


class TokenCreated(WireModel):
    """A created token: ``token`` is the secret, shown this once."""

    token: str
    info: TokenOut


class TokenList(WireModel):
    """The tokens of a tenant (admins) or of the caller."""

    items: list[TokenOut]
