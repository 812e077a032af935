"""A message in one line: English for ``messages.text`` (search, the CLI), and the conversation's
preview tagged by kind so each reader words it (``protocol/message_preview.py``)."""

from __future__ import annotations

from pytake_daemon.protocol.message_preview import (
    MEDIA_KINDS,
    Preview,
    PreviewKind,
    english,
    tag,
)
from pytake_daemon.protocol.outgoing import (
    ButtonsOut,
    ListOut,
    LocationOut,
    OutgoingContent,
    ReactionOut,
    RequestContactInfoOut,
    TemplateOut,
    TextOut,
)
from pytake_daemon.whatsapp.webhook_content import (
    ButtonContent,
    ContactsContent,
    EditContent,
    InteractiveContent,
    LocationContent,
    MediaContent,
    MessageContent,
    OrderContent,
    ReactionContent,
    RevokeContent,
    SystemContent,
    TextContent,
    UnsupportedContent,
)

PREVIEW_CHARS = 200

_SYSTEM_KINDS = {
    "user_changed_number": PreviewKind.NUMBER_CHANGED,
    "user_changed_user_id": PreviewKind.ACCOUNT_CHANGED,
}


def describe(msg_type: str, content: MessageContent) -> Preview:
    """A message as its text, or its kind and details (``protocol/message_preview.py``)."""
    match content:
        case TextContent(body=body):
            return Preview(None, body)
        case MediaContent(caption=caption, filename=filename, voice=voice):
            kind = PreviewKind.VOICE if voice else _media_kind(msg_type)
            return Preview(kind, caption or filename or "")
        case LocationContent(name=name, address=address, latitude=lat, longitude=lon):
            return Preview(PreviewKind.LOCATION, _place(name, address, lat, lon))
        case ContactsContent(contacts=contacts):
            names = [c.name.formatted_name for c in contacts if c.name and c.name.formatted_name]
            return Preview(PreviewKind.CONTACT, ", ".join(names))
        case InteractiveContent(title=title, type=subtype):
            return Preview(None, title) if title else Preview(PreviewKind.CHOICE, subtype)
        case ButtonContent(text=text, payload=payload):
            said = text or payload
            return Preview(None, said) if said else Preview(PreviewKind.BUTTON)
        case ReactionContent(emoji=emoji):
            return Preview(PreviewKind.REACTED, emoji) if emoji else _REACTION_REMOVED
        case OrderContent(product_items=items, text=text):
            return Preview(PreviewKind.ORDER, text or "", len(items))
        case SystemContent(body=body, type=system_type):
            if body:
                return Preview(None, body)
            return Preview(_SYSTEM_KINDS.get(system_type or "", PreviewKind.SYSTEM))
        case EditContent(content=new, message=message):
            new_type = message.get("type")
            if new is not None and isinstance(new_type, str):
                return describe(new_type, new)
            return Preview(PreviewKind.EDITED)
        case RevokeContent():
            return Preview(PreviewKind.DELETED)
        case UnsupportedContent(type=unsupported_type):
            return Preview(PreviewKind.UNSUPPORTED, unsupported_type)


_REACTION_REMOVED = Preview(PreviewKind.REACTION_REMOVED)


def _media_kind(msg_type: str) -> PreviewKind:
    try:
        kind = PreviewKind(msg_type)
    except ValueError:
        return PreviewKind.DOCUMENT
    return kind if kind in MEDIA_KINDS else PreviewKind.DOCUMENT


def _place(name: str | None, address: str | None, lat: float, lon: float) -> str:
    where = ", ".join(part for part in (name, address) if part)
    return f"{where} ({lat:.5f}, {lon:.5f})" if where else f"({lat:.5f}, {lon:.5f})"


def render_text(msg_type: str, content: MessageContent) -> str:
    """The body, a caption, or a short description in English (never empty): ``messages.text``,
    which search reads."""
    return english(describe(msg_type, content))


def preview(text: str) -> str:
    one_line = " ".join(text.split())
    if len(one_line) <= PREVIEW_CHARS:
        return one_line
    return one_line[: PREVIEW_CHARS - 1] + "…"


def stored_preview(described: Preview) -> str:
    """The conversation's preview: a text on one line, or the tagged kind with its details."""
    return tag(Preview(described.kind, preview(described.detail), described.count))


def describe_outgoing(content: OutgoingContent) -> Preview:
    """What we send, described as :func:`describe` does what we receive."""
    match content:
        case TextOut(body=body):
            return Preview(None, body)
        case TemplateOut(name=name):
            params = content.body_parameters
            if isinstance(params, dict):
                shown = ", ".join(f"{k}={v}" for k, v in params.items())
            else:
                shown = ", ".join(params or [])
            return Preview(PreviewKind.TEMPLATE, f"{name} {shown}".rstrip())
        case ButtonsOut(body=body, buttons=buttons):
            # The flow's or agent's own words: shown as written.
            return Preview(None, f"{body} [" + " | ".join(b.title for b in buttons) + "]")
        case ListOut(body=body, button=button):
            return Preview(None, f"{body} [{button}]")
        case LocationOut(name=name, address=address, latitude=lat, longitude=lon):
            return Preview(PreviewKind.LOCATION, _place(name, address, lat, lon))
        case ReactionOut(emoji=emoji):
            return Preview(PreviewKind.REACTED, emoji) if emoji else _REACTION_REMOVED
        case RequestContactInfoOut(body=body):
            return Preview(PreviewKind.CONTACT_REQUEST, body)
    caption = getattr(content, "caption", None) or getattr(content, "filename", None)
    return Preview(_media_kind(content.type), caption or "")


def render_outgoing(content: OutgoingContent) -> str:
    """The same English rendering for what we send."""
    return english(describe_outgoing(content))
