"""How messages, delivery states and the 24-hour window read on screen, without Textual.

Kept apart from the widgets so the wording is tested directly, and so a snapshot change means a
layout change rather than a change of words.
"""

from __future__ import annotations

import math
from datetime import datetime

from pytake_daemon.protocol import MessageOut, MessageStatus, WindowOut

MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker"})

_DELIVERY = {
    MessageStatus.PENDING: "◷ pending",
    MessageStatus.ACCEPTED: "◷ pending",
    MessageStatus.SENT: "✓ sent",
    MessageStatus.DELIVERED: "✓✓ delivered",
    MessageStatus.READ: "✓✓ read",
    MessageStatus.FAILED: "✗ failed",
    MessageStatus.RECEIVED: "",
}


def delivery_label(message: MessageOut) -> str:
    """``✓✓ delivered``; empty for a customer's message."""
    return _DELIVERY[message.status]


def failure_reason(message: MessageOut) -> str | None:
    """Meta's reason in plain words for a failed message (None when it did not fail)."""
    if message.status is not MessageStatus.FAILED:
        return None
    if message.error is None:
        return "WhatsApp did not say why"
    return message.error.explanation


def is_media(message: MessageOut) -> bool:
    return message.type in MEDIA_TYPES and bool(message.content.get("id"))


def _text(content: dict[str, object], key: str) -> str | None:
    value = content.get(key)
    return value if isinstance(value, str) and value else None


def media_placeholder(message: MessageOut) -> str:
    """``[image · image/jpeg · invoice.pdf] caption`` — what the medium is, without its bytes."""
    content = message.content
    kind = "voice message" if content.get("voice") is True else message.type
    details = [kind]
    details.extend(
        value for value in (_text(content, "mime_type"), _text(content, "filename")) if value
    )
    caption = _text(content, "caption")
    label = f"[{' · '.join(details)}]"
    return f"{label} {caption}" if caption else label


DELETED = "🚫 The customer deleted this message"


def is_system_line(message: MessageOut) -> bool:
    """A notice about the customer (a new number, a new account id): a line, not a bubble."""
    return message.type == "system" and message.direction == "in"


def body_text(message: MessageOut) -> str:
    """The bubble's text: the body, a media placeholder, or the daemon's rendering."""
    if message.deleted_at is not None:
        return DELETED
    if is_system_line(message):
        return f"ⓘ {message.text}"
    if is_media(message):
        return media_placeholder(message)
    if message.type == "location":
        content = message.content
        where = ", ".join(v for v in (_text(content, "name"), _text(content, "address")) if v)
        lat, lon = content.get("latitude"), content.get("longitude")
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            place = f"{where} " if where else ""
            return f"📍 {place}({lat:.5f}, {lon:.5f})"
    if message.type == "interactive" and _text(message.content, "title"):
        return f"☐ chose “{_text(message.content, 'title')}”"
    return message.text


def message_marks(message: MessageOut) -> list[str]:
    """What an agent should know besides the text: forwarded, the ad it came from, an edit,
    why WhatsApp could not show it. One short line each, in that order."""
    lines: list[str] = []
    if message.frequently_forwarded:
        lines.append("↠ forwarded many times")
    elif message.forwarded:
        lines.append("→ forwarded")
    referral = message.referral
    if referral is not None:
        what = referral.headline or referral.body or referral.source_id or "an ad"
        kind = "post" if referral.source_type == "post" else "ad"
        where = f" · {referral.source_url}" if referral.source_url else ""
        lines.append(f"📣 came from the {kind} “{what}”{where}")
    if message.edited_at is not None and message.deleted_at is None:
        lines.append(f"✎ edited {clock(message.edited_at)}")
    if message.unsupported_reason is not None and message.deleted_at is None:
        lines.append(f"can't be shown: {message.unsupported_reason}")
    return lines


def reaction_of(message: MessageOut) -> tuple[str, str] | None:
    """``(wamid reacted to, emoji)`` for a reaction message ("" emoji: removed)."""
    if message.type != "reaction":
        return None
    target = _text(message.content, "message_id")
    if target is None:
        return None
    emoji = message.content.get("emoji")
    return target, emoji if isinstance(emoji, str) else ""


def clock(at: datetime) -> str:
    """``14:03`` in the local time zone."""
    return at.astimezone().strftime("%H:%M")


def window_label(window: WindowOut, now: datetime) -> str:
    """The 24-hour window as a countdown: ``window open · 23h 05m left`` / ``window closed``."""
    if window.expires_at is None:
        return "window closed · no customer message yet: templates only"
    left = (window.expires_at - now).total_seconds()
    if not window.open or left <= 0:
        return "window closed · templates only"
    minutes = math.ceil(left / 60)
    hours, minutes = divmod(minutes, 60)
    return f"window open · {hours}h {minutes:02d}m left"


def window_open(window: WindowOut, now: datetime) -> bool:
    """Open by the daemon's word and not yet expired by the local clock."""
    return window.open and window.expires_at is not None and window.expires_at > now
