"""How messages, delivery states and the 24-hour window read on screen, without Textual.

Kept apart from the widgets so the wording is tested directly, and so a snapshot change means a
layout change rather than a change of words.
"""

from __future__ import annotations

import math
from datetime import datetime

from pytake_daemon.protocol import MessageOut, MessageStatus, WindowOut
from pytake_i18n import format_datetime
from pytake_tui.i18n import N_, _
from pytake_tui.preview_words import preview_line

MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker"})

_DELIVERY = {
    MessageStatus.PENDING: ("◷", N_("pending")),
    MessageStatus.ACCEPTED: ("◷", N_("pending")),
    MessageStatus.SENT: ("✓", N_("sent")),
    MessageStatus.DELIVERED: ("✓✓", N_("delivered")),
    MessageStatus.READ: ("✓✓", N_("read")),
    MessageStatus.FAILED: ("✗", N_("failed")),
}


def delivery_label(message: MessageOut) -> str:
    """``✓✓ delivered``; empty for a customer's message."""
    mark = _DELIVERY.get(message.status)
    return f"{mark[0]} {_(mark[1])}" if mark is not None else ""


def failure_reason(message: MessageOut) -> str | None:
    """Meta's reason in plain words for a failed message (None when it did not fail)."""
    if message.status is not MessageStatus.FAILED:
        return None
    if message.error is None:
        return _("WhatsApp did not say why")
    return message.error.explanation


def is_media(message: MessageOut) -> bool:
    return message.type in MEDIA_TYPES and bool(message.content.get("id"))


def _text(content: dict[str, object], key: str) -> str | None:
    value = content.get(key)
    return value if isinstance(value, str) and value else None


def media_placeholder(message: MessageOut) -> str:
    """``[image · image/jpeg · invoice.pdf] caption`` — what the medium is, without its bytes."""
    content = message.content
    kind = _("voice message") if content.get("voice") is True else _media_kind(message.type)
    details = [kind]
    details.extend(
        value for value in (_text(content, "mime_type"), _text(content, "filename")) if value
    )
    caption = _text(content, "caption")
    label = f"[{' · '.join(details)}]"
    return f"{label} {caption}" if caption else label


def _media_kind(kind: str) -> str:
    return {
        "image": _("image"),
        "audio": _("audio"),
        "video": _("video"),
        "document": _("document"),
        "sticker": _("sticker"),
    }.get(kind, kind)


_DELETED = N_("The customer deleted this message")
DELETED = f"🚫 {_DELETED}"
"""The deleted message's line in English (shown through the catalog)."""


def is_system_line(message: MessageOut) -> bool:
    """A notice about the customer (a new number, a new account id): a line, not a bubble."""
    return message.type == "system" and message.direction == "in"


def body_text(message: MessageOut) -> str:
    """The bubble's text: the body, a media placeholder, or the daemon's rendering."""
    if message.deleted_at is not None:
        return f"🚫 {_(_DELETED)}"
    if is_system_line(message):
        return f"ⓘ {preview_line(message.text)}"
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
        return "☐ " + _("chose “{option}”").format(option=_text(message.content, "title"))
    # messages.text describes a message without text of its own in English: said again here.
    return preview_line(message.text)


def message_marks(message: MessageOut) -> list[str]:
    """What an agent should know besides the text: forwarded, the ad it came from, an edit,
    why WhatsApp could not show it. One short line each, in that order."""
    lines: list[str] = []
    if message.frequently_forwarded:
        lines.append("↠ " + _("forwarded many times"))
    elif message.forwarded:
        lines.append("→ " + _("forwarded"))
    referral = message.referral
    if referral is not None:
        what = referral.headline or referral.body or referral.source_id or _("an ad")
        came = (
            _("came from the post “{what}”")
            if referral.source_type == "post"
            else _("came from the ad “{what}”")
        )
        where = f" · {referral.source_url}" if referral.source_url else ""
        lines.append("📣 " + came.format(what=what) + where)
    if message.edited_at is not None and message.deleted_at is None:
        lines.append("✎ " + _("edited {time}").format(time=clock(message.edited_at)))
    if message.unsupported_reason is not None and message.deleted_at is None:
        lines.append(_("can't be shown: {reason}").format(reason=message.unsupported_reason))
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
    return format_datetime(at.astimezone(), format="HH:mm")


def window_label(window: WindowOut, now: datetime) -> str:
    """The 24-hour window as a countdown: ``window open · 23h 05m left`` / ``window closed``."""
    if window.expires_at is None:
        return _("window closed · no customer message yet: templates only")
    left = (window.expires_at - now).total_seconds()
    if not window.open or left <= 0:
        return _("window closed · templates only")
    minutes = math.ceil(left / 60)
    hours, minutes = divmod(minutes, 60)
    return _("window open · {hours}h {minutes:02d}m left").format(hours=hours, minutes=minutes)


def window_open(window: WindowOut, now: datetime) -> bool:
    """Open by the daemon's word and not yet expired by the local clock."""
    return window.open and window.expires_at is not None and window.expires_at > now
