"""Preferences (N4): what a user's settings say about one notification at one instant.

Every function that decides by the clock takes ``now`` (docs/testing.md): quiet hours are local
times in the user's zone, so the same instant is inside them for one user and outside for
another, and a DST change moves them against UTC; tests pin the instant.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pytake_daemon.protocol.notifications import (
    ChannelSwitches,
    Delivery,
    Digest,
    NotificationCategory,
    NotificationSeverity,
    Preferences,
    QuietHours,
)

Source = Literal["user", "tenant", "default"]

# What a category does before anyone chose: the center and a toast for everything; e-mail for
# what an admin must know even when no console is open.
_EMAILED = {NotificationCategory.SECURITY, NotificationCategory.BACKUP, NotificationCategory.SYSTEM}
DEFAULT_SWITCHES: dict[NotificationCategory, ChannelSwitches] = {
    c: ChannelSwitches(email=c in _EMAILED) for c in NotificationCategory
}
# A daily digest goes out at the first pass after this local hour.
DAILY_DIGEST_HOUR = 8


def effective(
    user_doc: dict[str, Any] | None, tenant_doc: dict[str, Any] | Preferences | None
) -> tuple[Preferences, Source]:
    """The preferences in force: the user's document, else the tenant's defaults, else ours;
    a category the user didn't set falls back to the tenant's switches for it. (The fan-out
    passes the tenant's defaults validated once for all its users.)"""
    tenant = tenant_doc if isinstance(tenant_doc, Preferences) else None
    if tenant is None and tenant_doc:
        tenant = Preferences.model_validate(tenant_doc)
    if user_doc is not None:
        mine = Preferences.model_validate(user_doc)
        if tenant is not None:
            merged = {**tenant.categories, **mine.categories}
            mine = mine.model_copy(update={"categories": merged})
        return mine, "user"
    if tenant is not None:
        return tenant, "tenant"
    return Preferences(), "default"


def switches(prefs: Preferences, category: NotificationCategory) -> ChannelSwitches:
    return prefs.categories.get(category) or DEFAULT_SWITCHES[category]


def complete(prefs: Preferences) -> Preferences:
    """``prefs`` with every category's switches spelled out, ours where nobody chose: what the
    API shows, so a form shows what is in force (the console can't know our defaults)."""
    every = {c: switches(prefs, c) for c in NotificationCategory}
    return prefs.model_copy(update={"categories": every})


def in_quiet_hours(quiet: QuietHours | None, zone: str, now: datetime) -> bool:
    """Is ``now`` inside the quiet hours, read on the user's wall clock?"""
    if quiet is None:
        return False
    local = now.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None)
    return _within(local, quiet.start, quiet.end)


def _within(moment: time, start: time, end: time) -> bool:
    if start < end:
        return start <= moment < end
    # Across midnight: 22:00-07:00 holds 23:30 and 06:59.
    return moment >= start or moment < end


def dnd_active(prefs: Preferences, now: datetime) -> bool:
    return prefs.dnd_until is not None and now < prefs.dnd_until


def delivery(
    prefs: Preferences,
    category: NotificationCategory,
    severity: NotificationSeverity,
    now: datetime,
) -> Delivery:
    """Toast, desktop, sound for a new notification now (the center always has it)."""
    urgent = severity is NotificationSeverity.URGENT
    muted = (in_quiet_hours(prefs.quiet_hours, prefs.timezone, now) and not urgent) or (
        dnd_active(prefs, now) and not (urgent and prefs.dnd_allow_urgent)
    )
    chosen = switches(prefs, category)
    return Delivery(
        console=chosen.console and not muted,
        desktop=chosen.desktop and not muted,
        sound=chosen.sound and not muted,
    )


def email_mode(
    prefs: Preferences, category: NotificationCategory, severity: NotificationSeverity
) -> tuple[str, bool]:
    """(email_status, in a digest) for a new notification: urgent ones don't wait for one."""
    if not switches(prefs, category).email or prefs.digest is Digest.OFF:
        return "none", False
    if prefs.digest is Digest.IMMEDIATE or severity is NotificationSeverity.URGENT:
        return "pending", False
    return "pending", True


def digest_due(prefs: Preferences, last_sent: datetime | None, now: datetime) -> bool:
    """Is the user's digest due at ``now``? Hourly: an hour after the last one. Daily: the
    first pass from 08:00 on a local day that has none yet (a DST day is still one day)."""
    if prefs.digest is Digest.HOURLY:
        return last_sent is None or now - last_sent >= timedelta(hours=1)
    if prefs.digest is Digest.DAILY:
        zone = ZoneInfo(prefs.timezone)
        local = now.astimezone(zone)
        if local.hour < DAILY_DIGEST_HOUR:
            return False
        return last_sent is None or last_sent.astimezone(zone).date() < local.date()
    return False
