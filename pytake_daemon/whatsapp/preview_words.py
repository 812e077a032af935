"""A message described by its kind in the reader's language: a reply notification's body and
any other line the daemon words for a person (``protocol/message_preview.py`` says why the
stored preview holds a kind instead of words). The console has its twin
(``pytake_tui/preview_words.py``): each package's catalog is extracted from its own sources."""

from __future__ import annotations

from pytake_daemon.i18n import N_, gettext, ngettext
from pytake_daemon.protocol.message_preview import Preview, PreviewKind, parse

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


def preview_line(line: str, *, language: str | None = None) -> str:
    """A stored preview (or a message's English description) in ``language`` (else the
    language in force); a text as written."""
    return say(parse(line), language=language)


def say(preview: Preview, *, language: str | None = None) -> str:
    kind, detail = preview.kind, preview.detail
    match kind:
        case None:
            return detail
        case PreviewKind.REACTED:
            return gettext("reacted {emoji}", language=language).format(emoji=detail)
        case PreviewKind.UNSUPPORTED:
            return gettext("[unsupported message: {type}]", language=language).format(type=detail)
        case PreviewKind.DELETED:
            return "🚫 " + gettext("The customer deleted this message", language=language)
        case PreviewKind.ORDER:
            n = preview.count
            line = ngettext("[order] {n} item", "[order] {n} items", n, language=language)
            line = line.format(n=n)
            return f"{line}: {detail}" if detail else line
        case PreviewKind.TEMPLATE:
            name, _sep, shown = detail.partition(" ")
            label = gettext("[template {name}]", language=language).format(name=name)
            return f"{label} {shown}" if shown else label
        case PreviewKind.CHOICE:
            return gettext(_LABELS[kind], language=language)
    label = gettext(_LABELS[kind], language=language)
    return f"{label} {detail}" if detail else label
