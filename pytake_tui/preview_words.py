"""A message described by its kind, in the console's language: the conversation list's preview,
the queue monitor's last line and a bubble without text of its own
(``protocol/message_preview.py`` says why the daemon stores a kind instead of words).

The daemon words the same kinds for its notifications (``whatsapp/preview_words.py``) with the
same table: each package's catalog is extracted from its own sources, and the console imports
nothing of the daemon but the protocol, so the msgids are written in both."""

from __future__ import annotations

from pytake_daemon.protocol.message_preview import Preview, PreviewKind, parse
from pytake_tui.i18n import N_, _, ngettext

_LABELS = {
    PreviewKind.IMAGE: N_("[image]"),
    PreviewKind.AUDIO: N_("[audio]"),
    PreviewKind.VIDEO: N_("[video]"),
    PreviewKind.DOCUMENT: N_("[document]"),
    PreviewKind.STICKER: N_("[sticker]"),
    PreviewKind.VOICE: N_("[voice message]"),
    PreviewKind.LOCATION: N_("[location]"),
    PreviewKind.CONTACT: N_("[contact]"),
    PreviewKind.CHOICE: N_("[choice]"),
    PreviewKind.BUTTON: N_("[button]"),
    PreviewKind.REACTION_REMOVED: N_("removed a reaction"),
    PreviewKind.SYSTEM: N_("[system message]"),
    PreviewKind.NUMBER_CHANGED: N_("The customer changed their phone number"),
    PreviewKind.ACCOUNT_CHANGED: N_("The customer's WhatsApp account id changed"),
    PreviewKind.EDITED: N_("[edited a message]"),
    PreviewKind.CONTACT_REQUEST: N_("[asked for contact info]"),
}


def preview_line(line: str) -> str:
    """A stored preview (or a message's English description) in the language in force; a
    text as written."""
    return say(parse(line))


def say(preview: Preview) -> str:
    kind, detail = preview.kind, preview.detail
    match kind:
        case None:
            return detail
        case PreviewKind.REACTED:
            return _("reacted {emoji}").format(emoji=detail)
        case PreviewKind.UNSUPPORTED:
            return _("[unsupported message: {type}]").format(type=detail)
        case PreviewKind.DELETED:
            return "🚫 " + _("The customer deleted this message")
        case PreviewKind.ORDER:
            n = preview.count
            line = ngettext("[order] {n} item", "[order] {n} items", n).format(n=n)
            return f"{line}: {detail}" if detail else line
        case PreviewKind.TEMPLATE:
            name, _sep, shown = detail.partition(" ")
            label = _("[template {name}]").format(name=name)
            return f"{label} {shown}" if shown else label
        case PreviewKind.CHOICE:
            return _(_LABELS[kind])
    label = _(_LABELS[kind])
    return f"{label} {detail}" if detail else label
