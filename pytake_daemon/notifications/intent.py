"""What a rule asks for: something to tell one user. Its own module so that the rules of
several modules (rules.py, system_rules.py) share it without importing each other in a circle."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pytake_daemon.protocol.notifications import (
    NotificationCategory,
    NotificationLink,
)
from pytake_daemon.protocol.notifications import NotificationSeverity as Sev


@dataclass(frozen=True, slots=True)
class Intent:
    """Something to tell one user (before their preferences and the per-minute cap)."""

    user_id: uuid.UUID
    category: NotificationCategory
    severity: Sev
    title: str
    body: str = ""
    link: NotificationLink | None = None
    group_key: str | None = None
    many_title: str | None = None
    """The title once the unread group stands for several ({n} is the count)."""
    scope: str = ""
    """Where it happened, for the per-minute cap's summary ("in Support")."""
    email: bool = True
    """False: never e-mailed, whatever the preferences (e-mail trouble itself)."""
