"""Desktop notifications through the terminal: OSC 777 (rxvt, foot, WezTerm, Ghostty…) and OSC 9
(iTerm2, Windows Terminal, kitty), written together because a terminal ignores the one it does
not know. Pure string building, no Textual: the app writes the result through its driver."""

from __future__ import annotations

import re

from pytake_daemon.protocol.notifications import NotificationSeverity

DESKTOP_SEVERITIES = frozenset({NotificationSeverity.URGENT, NotificationSeverity.WARNING})
"""What may reach the desktop (when the preferences' ``desktop`` channel says so)."""
MAX_FIELD = 120

# C0 and C1 controls and DEL: an ESC or BEL inside a field would end the sequence early and
# let a customer's text drive the user's terminal.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def clean(text: str) -> str:
    """One line without control characters; ``;`` becomes ``,``: it separates OSC 777's fields,
    and ConEmu and Windows Terminal read ``9;<digit>;`` as another OSC 9 command."""
    flat = " ".join(_CONTROLS.sub(" ", text).split()).replace(";", ",")
    return flat if len(flat) <= MAX_FIELD else flat[: MAX_FIELD - 1] + "…"


def desktop_sequence(title: str, body: str) -> str:
    """OSC 777 ``notify;title;body`` followed by OSC 9 ``title: body``, BEL-terminated."""
    head, text = clean(title), clean(body)
    nine = clean(f"{title}: {body}" if body else title)
    return f"\x1b]777;notify;{head};{text}\x07\x1b]9;{nine}\x07"
