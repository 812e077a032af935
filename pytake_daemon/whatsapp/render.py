"""One line of plain text per inbound message: the list preview, the search column, the TUI."""

from __future__ import annotations

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

# When Meta sends a system notice without a body.
_SYSTEM_LINES = {
    "user_changed_number": "The customer changed their phone number",
    "user_changed_user_id": "The customer's WhatsApp account id changed",
}


def render_text(msg_type: str, content: MessageContent) -> str:
    """The body, a caption, or a short description in words (never empty)."""
    match content:
        case TextContent(body=body):
            return body
        case MediaContent(caption=caption, filename=filename, voice=voice):
            kind = "voice message" if voice else msg_type
            label = caption or filename
            return f"[{kind}] {label}" if label else f"[{kind}]"
        case LocationContent(name=name, address=address, latitude=lat, longitude=lon):
            where = ", ".join(part for part in (name, address) if part)
            return f"[location] {where} ({lat:.5f}, {lon:.5f})".replace("]  (", "] (")
        case ContactsContent(contacts=contacts):
            names = [c.name.formatted_name for c in contacts if c.name and c.name.formatted_name]
            return "[contact] " + ", ".join(names) if names else "[contact]"
        case InteractiveContent(title=title, type=subtype):
            return title or f"[{subtype}]"
        case ButtonContent(text=text, payload=payload):
            return text or payload or "[button]"
        case ReactionContent(emoji=emoji):
            return f"reacted {emoji}" if emoji else "removed a reaction"
        case OrderContent(product_items=items, text=text):
            line = f"[order] {len(items)} item(s)"
            return f"{line}: {text}" if text else line
        case SystemContent(body=body, type=system_type):
            if body:
                return body
            return _SYSTEM_LINES.get(system_type or "", "[system message]")
        case EditContent(content=new, message=message):
            new_type = message.get("type")
            if new is not None and isinstance(new_type, str):
                return render_text(new_type, new)
            return "[edited a message]"
        case RevokeContent():
            return "[deleted a message]"
        case UnsupportedContent(type=unsupported_type):
            return f"[unsupported message: {unsupported_type}]"


def preview(text: str) -> str:
    one_line = " ".join(text.split())
    if len(one_line) <= PREVIEW_CHARS:
        return one_line
    return one_line[: PREVIEW_CHARS - 1] + "…"


def render_outgoing(content: OutgoingContent) -> str:
    """The same plain-text rendering for what we send."""
    match content:
        case TextOut(body=body):
            return body
        case TemplateOut(name=name):
            params = content.body_parameters
            if isinstance(params, dict):
                shown = ", ".join(f"{k}={v}" for k, v in params.items())
            else:
                shown = ", ".join(params or [])
            return f"[template {name}] {shown}".rstrip()
        case ButtonsOut(body=body, buttons=buttons):
            return f"{body} [" + " | ".join(b.title for b in buttons) + "]"
        case ListOut(body=body, button=button):
            return f"{body} [{button}]"
        case LocationOut(name=name, address=address, latitude=lat, longitude=lon):
            where = ", ".join(part for part in (name, address) if part)
            return f"[location] {where} ({lat:.5f}, {lon:.5f})".replace("]  (", "] (")
        case ReactionOut(emoji=emoji):
            return f"reacted {emoji}" if emoji else "removed a reaction"
        case RequestContactInfoOut(body=body):
            return f"{body} [Share contact info]"
    caption = getattr(content, "caption", None) or getattr(content, "filename", None)
    return f"[{content.type}] {caption}" if caption else f"[{content.type}]"
