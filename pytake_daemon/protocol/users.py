"""Users of a tenant."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from pytake_daemon.protocol.auth import Role
from pytake_daemon.protocol.common import EMAIL_PATTERN, WireModel


class UserOut(WireModel):
    """A user as the API shows it (never the password hash)."""

    id: uuid.UUID
    email: str
    name: str
    role: Role
    disabled: bool
    created_at: datetime


class UserList(WireModel):
    """Users of the caller's tenant."""

    items: list[UserOut]


class UserCreate(WireModel):
    """``POST /api/v1/users`` (admins)."""

    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.AGENT
    password: str = Field(min_length=10, max_length=1024)


class UserUpdate(WireModel):
    """``PATCH /api/v1/users/{id}`` (admins): only the fields given change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=1024)
