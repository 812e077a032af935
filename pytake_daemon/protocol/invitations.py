"""Invitations: an admin invites a person by e-mail; the person joins with a one-time code."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from pytake_daemon.protocol.auth import Role
from pytake_daemon.protocol.common import EMAIL_PATTERN, WireModel

# The same rules as a password set by an admin or changed by its owner (UserCreate,
# PasswordChange): one place to read them from for the console's form.
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
CODE_PREFIX = "pti_"
"""Every invitation code starts with this, so a pasted session token is told apart."""


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class InvitationCreate(WireModel):
    """``POST /api/v1/invitations`` (admins; nobody invites a role above their own)."""

    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)
    role: Role = Role.AGENT
    queue_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    """Queues an agent will serve: their required skills and department become the agent's."""
    ttl_hours: int = Field(default=72, ge=1, le=720)
    """How long the code works."""


class InvitationOut(WireModel):
    """An invitation as admins see it (never the code)."""

    id: uuid.UUID
    email: str
    role: Role
    queue_ids: list[uuid.UUID]
    status: InvitationStatus
    invited_by: uuid.UUID | None
    created_at: datetime
    sent_at: datetime
    expires_at: datetime
    emailed_at: datetime | None
    accepted_at: datetime | None
    revoked_at: datetime | None
    resets_user_id: uuid.UUID | None = Field(
        default=None,
        description="a password reset: accepting sets this user's password instead of joining",
    )


class PasswordResetCreate(WireModel):
    """``POST /api/v1/invitations/password-resets`` (admins): a new code for an existing user,
    who chooses a new password with it (as an invitee does); their sessions end then."""

    user_id: uuid.UUID
    ttl_hours: int = Field(default=24, ge=1, le=720)
    """How long the code works."""


class InvitationSent(WireModel):
    """A new or resent invitation. ``code`` is there only when it was not e-mailed (no SMTP
    settings, or the server refused): it is shown this once, for the admin to pass on."""

    invitation: InvitationOut
    emailed: bool
    code: str | None = None
    email_error: str | None = None
    """Why the e-mail was not sent, when the tenant has SMTP settings and it failed."""


class InvitationList(WireModel):
    """The tenant's invitations, newest first."""

    items: list[InvitationOut]


class InvitationAccept(WireModel):
    """``POST /api/v1/invitations/accept``: the code is the credential. The answer is a session,
    as after a login."""

    code: str = Field(
        min_length=1,
        max_length=200,
        # The shape the service checks (a 400 otherwise), said in the document too.
        json_schema_extra={"pattern": f"^{CODE_PREFIX}[A-Za-z0-9_-]{{32}}$"},
    )
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    """Display name; the e-mail when left out."""


class InvitationChanged(WireModel):
    """An invitation was sent, resent, revoked or accepted: the admins' Invitations page reads
    them again (an acceptance also has its ``user_changed``). No e-mail in it: every console of
    the tenant gets the event, and only admins may list invitations."""

    type: Literal["invitation_changed"] = "invitation_changed"
    invitation_id: uuid.UUID
    status: InvitationStatus
