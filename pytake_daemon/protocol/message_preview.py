"""A message's one-line description by kind, stored and sent language-neutral.

A message without text of its own (a voice message, an image, a location) is described by its
kind in the conversation list's preview (``conversations.last_message_preview``, the wire's
``last_message_preview``), the queue monitor's last line and a reply's notification. The line is
written when the message arrives, before anyone reads it, so it is stored as a tag:
``MARK kind[:count] MARK details``, and each reader words the kind from their own catalog
(``pytake_tui/preview_words.py``, ``pytake_daemon/whatsapp/preview_words.py``). A text message's
preview is its text, untagged.

MARK (U+001F) is whitespace to ``str.split``, so ``render.preview`` drops it from anything a
customer wrote: a line that starts with it was tagged by the daemon.

``messages.text`` keeps the English description (``english``: what search finds), and rows
stored before the tag hold it too: ``parse`` recognises those English shapes as well, so both
are worded alike (a customer who typed "[image]" is read as an image's description).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MARK = "\x1f"


class PreviewKind(StrEnum):
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"
    STICKER = "sticker"
    VOICE = "voice"
    LOCATION = "location"
    CONTACT = "contact"
    CHOICE = "choice"  # an interactive reply without a title
    BUTTON = "button"  # a template's button without text or payload
    REACTED = "reacted"
    REACTION_REMOVED = "reaction_removed"
    ORDER = "order"
    SYSTEM = "system"
    NUMBER_CHANGED = "number_changed"
    ACCOUNT_CHANGED = "account_changed"
    EDITED = "edited"
    DELETED = "deleted"
    UNSUPPORTED = "unsupported"
    TEMPLATE = "template"
    CONTACT_REQUEST = "contact_request"


MEDIA_KINDS = frozenset(
    {PreviewKind.IMAGE, PreviewKind.AUDIO, PreviewKind.VIDEO, PreviewKind.DOCUMENT}
    | {PreviewKind.STICKER}
)


@dataclass(frozen=True)
class Preview:
    """``kind`` None: a text, ``detail`` as written. Else the kind and its details (a caption,
    an emoji, the names, the unsupported type); ``count`` is an order's items."""

    kind: PreviewKind | None
    detail: str = ""
    count: int = 0


def tag(preview: Preview) -> str:
    """The stored form (details already on one line)."""
    if preview.kind is None:
        return preview.detail
    kind = f"{preview.kind}:{preview.count}" if preview.kind is PreviewKind.ORDER else preview.kind
    return f"{MARK}{kind}{MARK}{preview.detail}"


_ENGLISH = {
    PreviewKind.VOICE: "[voice message]",
    PreviewKind.LOCATION: "[location]",
    PreviewKind.CONTACT: "[contact]",
    PreviewKind.BUTTON: "[button]",
    PreviewKind.REACTED: "reacted",
    PreviewKind.REACTION_REMOVED: "removed a reaction",
    PreviewKind.SYSTEM: "[system message]",
    PreviewKind.NUMBER_CHANGED: "The customer changed their phone number",
    PreviewKind.ACCOUNT_CHANGED: "The customer's WhatsApp account id changed",
    PreviewKind.EDITED: "[edited a message]",
    PreviewKind.DELETED: "[deleted a message]",
}


def english(preview: Preview) -> str:
    """The English description ``messages.text`` stores (and older previews held)."""
    kind, detail = preview.kind, preview.detail
    if kind is None:
        return detail
    if kind in MEDIA_KINDS:
        label = f"[{kind}]"
    elif kind is PreviewKind.CHOICE:
        label = f"[{detail or 'choice'}]"
        detail = ""
    elif kind is PreviewKind.ORDER:
        line = f"[order] {preview.count} item(s)"
        return f"{line}: {detail}" if detail else line
    elif kind is PreviewKind.UNSUPPORTED:
        return f"[unsupported message: {detail}]"
    elif kind is PreviewKind.TEMPLATE:
        name, _sep, shown = detail.partition(" ")
        return f"[template {name}] {shown}".rstrip()
    elif kind is PreviewKind.CONTACT_REQUEST:
        return f"{detail} [Share contact info]"
    else:
        label = _ENGLISH[kind]
    return f"{label} {detail}" if detail else label


_DELETED = PreviewKind.DELETED
_TAGGED = re.compile(f"{MARK}([a-z_]+)(?::(\\d+))?{MARK}(.*)", re.DOTALL)
_LEGACY = (
    (re.compile(r"\[(image|audio|video|document|sticker)\](?: (.*))?"), None),
    (re.compile(r"\[voice message\](?: (.*))?"), PreviewKind.VOICE),
    (re.compile(r"\[location\] (.*)"), PreviewKind.LOCATION),
    (re.compile(r"\[contact\](?: (.*))?"), PreviewKind.CONTACT),
    (re.compile(r"\[button\]"), PreviewKind.BUTTON),
    (re.compile(r"reacted (\S{1,16})"), PreviewKind.REACTED),
    (re.compile(r"removed a reaction"), PreviewKind.REACTION_REMOVED),
    (re.compile(r"\[system message\]"), PreviewKind.SYSTEM),
    (re.compile(r"The customer changed their phone number"), PreviewKind.NUMBER_CHANGED),
    (re.compile(r"The customer's WhatsApp account id changed"), PreviewKind.ACCOUNT_CHANGED),
    (re.compile(r"\[edited a message\]"), PreviewKind.EDITED),
    (re.compile(r"\[deleted a message\]|🚫 the customer deleted this message"), _DELETED),
    (re.compile(r"\[unsupported message: (.*)\]"), PreviewKind.UNSUPPORTED),
    (re.compile(r"\[template (\S+)\](?: (.*))?"), PreviewKind.TEMPLATE),
    (re.compile(r"(.*) \[Share contact info\]"), PreviewKind.CONTACT_REQUEST),
    (re.compile(r"\[(\w+_reply)\]"), PreviewKind.CHOICE),
)
_ORDER = re.compile(r"\[order\] (\d+) item\(s\)(?:: (.*))?")


def parse(line: str) -> Preview:
    """The kind and details of a stored preview or an English description; a text otherwise."""
    tagged = _TAGGED.fullmatch(line)
    if tagged is not None:
        try:
            kind = PreviewKind(tagged.group(1))
        except ValueError:  # a newer release's kind: its details are all we can show
            return Preview(None, tagged.group(3))
        return Preview(kind, tagged.group(3), int(tagged.group(2) or 0))
    order = _ORDER.fullmatch(line)
    if order is not None:
        return Preview(PreviewKind.ORDER, order.group(2) or "", int(order.group(1)))
    for pattern, legacy_kind in _LEGACY:
        match = pattern.fullmatch(line)
        if match is None:
            continue
        groups = [g or "" for g in match.groups()]
        if legacy_kind is None:  # the media kind is the bracket's word
            return Preview(PreviewKind(groups[0]), groups[1])
        if legacy_kind is PreviewKind.TEMPLATE:
            return Preview(legacy_kind, " ".join(g for g in groups if g))
        return Preview(legacy_kind, groups[0] if groups else "")
    return Preview(None, line)
