"""The notification center on the wire: notifications, their filters and bulk actions, unread
counts, per-user preferences (N4), the tenant's defaults and SMTP settings, and the two events
that keep several consoles of one user in agreement.

A notification belongs to one user; the hub hands ``notification_created`` and
``notifications_read`` only to that user's connections (every other connection gets a
``withheld`` frame in its place, so its sequence has no gap).
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, time
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator, model_validator

from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import EMAIL_PATTERN, WireModel


class NotificationCategory(StrEnum):
    ASSIGNMENT = "assignment"
    """A conversation was assigned to me."""
    TRANSFER = "transfer"
    """A conversation was transferred to me or to a queue of mine."""
    MESSAGE = "message"
    """A customer replied in a conversation assigned to me (grouped per conversation)."""
    MENTION = "mention"
    """Someone wrote ``@me`` in an internal note."""
    SLA = "sla"
    """A customer has waited in a queue of mine beyond the threshold."""
    AI_ALERT = "ai_alert"
    """An AI rule fired (negative mood, cancel/complaint intent, human request ignored)."""
    SECURITY = "security"
    """A security rule fired (admins and owners)."""
    BACKUP = "backup"
    """A backup failed or is overdue, a drill failed (admins and owners)."""
    GOAL = "goal"
    """A goal of mine was reached."""
    SYSTEM = "system"
    """The installation itself: e-mail delivery failed, a number's quality, a template."""


class NotificationSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    URGENT = "urgent"
    """Passes quiet hours and (when the user allows it) do-not-disturb."""


class LinkKind(StrEnum):
    CONVERSATION = "conversation"
    QUEUE = "queue"
    SECURITY_ALERT = "security_alert"
    BACKUP = "backup"
    GOAL = "goal"


class NotificationLink(WireModel):
    """Where Enter in the center goes."""

    kind: LinkKind
    id: uuid.UUID


class NotificationOut(WireModel):
    id: uuid.UUID
    category: NotificationCategory
    severity: NotificationSeverity
    title: str
    body: str
    link: NotificationLink | None
    group_key: str | None = Field(
        description="notifications with one key are one row while unread; it counts them"
    )
    group_count: int = Field(description="how many happenings this row stands for (≥ 1)")
    created_at: datetime = Field(description="the latest happening it stands for")
    read_at: datetime | None


class NotificationQuery(WireModel):
    category: NotificationCategory | None = None
    severity: NotificationSeverity | None = None
    read: bool | None = Field(default=None, description="false: unread only; true: read only")
    since: datetime | None = Field(default=None, description="created at or after")
    until: datetime | None = Field(default=None, description="created before")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _period(self) -> NotificationQuery:
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise refusal("notifications_until_must_be_after")
        return self


class NotificationPage(WireModel):
    items: list[NotificationOut] = Field(description="newest first")
    next_cursor: str | None = Field(description="pass as ?cursor= for older notifications")


class UnreadCounts(WireModel):
    total: int
    by_category: dict[NotificationCategory, int] = Field(
        description="categories with unread notifications (absent: none)"
    )


class ReadStateUpdate(WireModel):
    read: bool


class BulkAction(StrEnum):
    READ = "read"
    UNREAD = "unread"
    DELETE = "delete"


class NotificationBulk(WireModel):
    action: BulkAction
    ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class ReadAllRequest(WireModel):
    category: NotificationCategory | None = Field(default=None, description="null: every one")


class BulkResult(WireModel):
    changed: int = Field(description="how many of the caller's notifications it changed")
    unread: UnreadCounts


class ReadChange(StrEnum):
    READ = "read"
    UNREAD = "unread"
    DELETED = "deleted"


class Delivery(WireModel):
    """What the recipient's preferences say to do with a new notification right now (quiet
    hours, do-not-disturb and the per-category switches applied by the daemon)."""

    console: bool = Field(description="show a toast")
    desktop: bool = Field(description="a desktop notification (OSC 777 / OSC 9 / notify-send)")
    sound: bool = Field(description="ring the terminal bell")


class NotificationCreated(WireModel):
    """A notification for ``user_id`` was written, or an unread group of it grew (same id: the
    console replaces the row it has)."""

    type: Literal["notification_created"] = "notification_created"
    user_id: uuid.UUID
    notification: NotificationOut
    delivery: Delivery
    unread: UnreadCounts


class NotificationsRead(WireModel):
    """``user_id``'s notifications changed read state or were deleted, from any console."""

    type: Literal["notifications_read"] = "notifications_read"
    user_id: uuid.UUID
    change: ReadChange
    ids: list[uuid.UUID] = Field(description="empty with ``all``")
    all: bool = Field(default=False, description="every unread one (of ``category``) was read")
    category: NotificationCategory | None = None
    unread: UnreadCounts


# --- preferences (N4) ------------------------------------------------------------------------


class ChannelSwitches(WireModel):
    console: bool = True
    desktop: bool = True
    email: bool = False
    sound: bool = False


class QuietHours(WireModel):
    """Local times in the user's zone; ``start`` after ``end`` spans midnight."""

    start: time
    end: time

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise refusal("notifications_start_and_end_must")
        return self


class Digest(StrEnum):
    IMMEDIATE = "immediate"
    HOURLY = "hourly"
    DAILY = "daily"
    OFF = "off"


def _check_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise refusal("unknown_time_zone", value=repr(value)) from None
    return value


class Preferences(WireModel):
    categories: dict[NotificationCategory, ChannelSwitches] = Field(
        default_factory=dict, description="categories not listed use the tenant's defaults"
    )
    timezone: str = Field(default="UTC", max_length=64)
    quiet_hours: QuietHours | None = None
    dnd_until: datetime | None = Field(default=None, description="do-not-disturb until then")
    dnd_allow_urgent: bool = Field(default=True, description="urgent ones pass do-not-disturb")
    per_minute_cap: int = Field(
        default=10, ge=1, le=1000, description="beyond this many a minute, new ones are grouped"
    )
    digest: Digest = Digest.HOURLY

    _zone = field_validator("timezone")(_check_zone)

    @field_validator("dnd_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise refusal("notifications_needs_a_utc_offset")
        return value


class PreferencesOut(WireModel):
    preferences: Preferences = Field(description="in effect: the user's, else the tenant's")
    source: Literal["user", "tenant", "default"]


class TenantNotificationSettings(WireModel):
    defaults: Preferences = Field(default_factory=Preferences)
    retention_days: int = Field(default=90, ge=1, le=3650)


SmtpSecurity = Literal["tls", "starttls", "none"]


class SmtpSettingsIn(WireModel):
    host: str = Field(
        min_length=1,
        max_length=253,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9.:-]*$",
        description="a host name or an IP address",
    )
    port: int = Field(default=587, ge=1, le=65535)
    security: SmtpSecurity = "starttls"
    username: str | None = Field(default=None, max_length=320)
    password: str | None = Field(
        default=None, max_length=1024, description="write-only; stored encrypted"
    )
    from_address: str = Field(pattern=EMAIL_PATTERN, max_length=320)


class SmtpSettingsOut(WireModel):
    host: str
    port: int
    security: SmtpSecurity
    username: str | None
    password_set: bool
    from_address: str


class TestEmailRequest(WireModel):
    to: str | None = Field(
        default=None, pattern=EMAIL_PATTERN, description="default: the caller's e-mail"
    )


class TestEmailResult(WireModel):
    to: str
    attempts: int
