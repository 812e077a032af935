"""The notification preferences form's words and values, without Textual: what a field shows for
a stored value, what the typed text becomes in the document the daemon judges, and which field a
422's ``loc`` names.

The form checks nothing itself: a time zone, a quiet-hours time or a cap it can't read is sent
as typed, and the daemon's 422 says why under that field (one place words each rule:
``pytake_daemon/protocol/notifications.py``). It only turns what a person types for
do-not-disturb (``18:00``, ``2026-12-24 09:00``) into an instant in their zone, which the wire
needs and a person doesn't write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pytake_daemon.protocol.notifications import (
    ChannelSwitches,
    Digest,
    NotificationCategory,
    Preferences,
)
from pytake_tui.i18n import N_

CHANNELS: list[tuple[str, str]] = [
    ("console", N_("console")),
    ("desktop", N_("desktop")),
    ("email", N_("e-mail")),
    ("sound", N_("sound")),
]
"""Each switch of a category: its wire name and its column's title (an ``N_`` msgid)."""
DIGEST_LABELS: dict[Digest, str] = {
    Digest.IMMEDIATE: N_("immediate"),
    Digest.HOURLY: N_("hourly"),
    Digest.DAILY: N_("daily (after 08:00)"),
    Digest.OFF: N_("off (no e-mail)"),
}
"""``N_`` msgids, translated where shown."""
FIELDS = ("categories", "timezone", "quiet_hours", "dnd_until", "per_minute_cap", "digest")
"""The form's fields a 422 can name, in the order the form shows them."""

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_LOCAL = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})\s*$")


@dataclass
class FormValues:
    """What the form holds: the switches as toggled, every other field as typed."""

    switches: dict[NotificationCategory, ChannelSwitches] = field(default_factory=dict)
    timezone: str = "UTC"
    quiet_start: str = ""
    quiet_end: str = ""
    dnd_until: str = ""
    dnd_allow_urgent: bool = True
    per_minute_cap: str = "10"
    digest: Digest = Digest.HOURLY


def zone_of(name: str) -> ZoneInfo | None:
    """The zone named, or None for a name that isn't one (the daemon will say so)."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def clock_text(at: time) -> str:
    return f"{at:%H:%M}"


def dnd_text(until: datetime | None, zone: str, now: datetime) -> str:
    """The stored instant on the user's wall clock; empty when it has passed (DND is off)."""
    if until is None or until <= now:
        return ""
    where = zone_of(zone)
    local = until.astimezone(where) if where is not None else until
    return f"{local:%Y-%m-%d %H:%M}"


def values_of(prefs: Preferences, now: datetime) -> FormValues:
    """The form's fields for preferences in force (the daemon spells out every category)."""
    quiet = prefs.quiet_hours
    return FormValues(
        switches={c: prefs.categories.get(c, ChannelSwitches()) for c in NotificationCategory},
        timezone=prefs.timezone,
        quiet_start=clock_text(quiet.start) if quiet else "",
        quiet_end=clock_text(quiet.end) if quiet else "",
        dnd_until=dnd_text(prefs.dnd_until, prefs.timezone, now),
        dnd_allow_urgent=prefs.dnd_allow_urgent,
        per_minute_cap=str(prefs.per_minute_cap),
        digest=prefs.digest,
    )


def dnd_instant(text: str, zone: str, now: datetime) -> str | None:
    """``HH:MM``: the next such time on the user's clock; ``YYYY-MM-DD HH:MM``: that local
    time; empty: none. As ISO 8601 with its offset; anything else as typed, for the daemon."""
    text = text.strip()
    if not text:
        return None
    where = zone_of(zone)
    if where is None:
        return text
    clock, local = _CLOCK.match(text), _LOCAL.match(text)
    try:
        if clock is not None:
            at = time(int(clock.group(1)), int(clock.group(2)))
            today = now.astimezone(where).date()
            candidate = datetime.combine(today, at, tzinfo=where)
            if candidate <= now:
                candidate = datetime.combine(today + timedelta(days=1), at, tzinfo=where)
            return candidate.isoformat()
        if local is not None:
            day = datetime.fromisoformat(f"{local.group(1)}T{local.group(2).zfill(5)}")
            return day.replace(tzinfo=where).isoformat()
    except ValueError:
        pass  # 25:00 or February 30th: the daemon says what is wrong with it
    return text


def document(values: FormValues, now: datetime) -> dict[str, Any]:
    """The preferences body, every field as the daemon reads it (nothing checked here)."""
    start, end = values.quiet_start.strip(), values.quiet_end.strip()
    cap = values.per_minute_cap.strip()
    return {
        "categories": {c.value: s.model_dump() for c, s in values.switches.items()},
        "timezone": values.timezone.strip(),
        "quiet_hours": {"start": start, "end": end} if start or end else None,
        "dnd_until": dnd_instant(values.dnd_until, values.timezone, now),
        "dnd_allow_urgent": values.dnd_allow_urgent,
        "per_minute_cap": int(cap) if cap.isdigit() else cap,
        "digest": values.digest.value,
    }


def field_named(loc: str) -> str | None:
    """The form's field a 422's ``loc`` names (``body.quiet_hours.start`` → ``quiet_hours``;
    the tenant's ``body.defaults.timezone`` → ``timezone``), None for one it doesn't show."""
    parts = loc.split(".")
    if parts[:1] == ["body"]:
        parts = parts[1:]
    if parts[:1] == ["defaults"]:
        parts = parts[1:]
    if not parts:
        return None
    return parts[0] if parts[0] in FIELDS else None


def sentence(msg: str) -> str:
    """Pydantic's ``Value error, unknown time zone …`` without its prefix."""
    return msg.removeprefix("Value error, ")
