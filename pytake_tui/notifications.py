"""Which events deserve a toast of the console's own, decided without Textual.

Customer messages and assignments are the notification center's (``notification_created``,
delivered as the user's server-side preferences say: quiet hours, do-not-disturb, the console
switch of each category; see ``unread_title.py``). What stays here is this console's business:
a message it sent that failed, and which conversation is open (the center's message toasts
leave out the one the agent is reading).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from pytake_daemon.protocol import (
    ContactOut,
    EventEnvelope,
    MessageStatus,
    MessageStatusUpdated,
)
from pytake_tui.i18n import _
from pytake_tui.preferences import Preferences

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Toast:
    title: str
    message: str
    severity: Severity = "information"
    bell: bool = False


def contact_name(contact: ContactOut) -> str:
    """``@username``, else the WhatsApp profile name, else ``+`` and the number, else the BSUID
    (a username is what the customer chose to be known by; their phone may be hidden)."""
    return contact.display_name


class Notifier:
    """Remembers the open conversation and this console's sends."""

    def __init__(self) -> None:
        self.open_conversation: uuid.UUID | None = None
        self._sent_here: set[uuid.UUID] = set()

    def sent_here(self, message_id: uuid.UUID) -> None:
        """A message this console queued: its failure is toasted wherever the agent is."""
        self._sent_here.add(message_id)

    def toasts(self, envelope: EventEnvelope, preferences: Preferences) -> list[Toast]:
        """The toasts one event calls for (usually none)."""
        event = envelope.event
        match event:
            case MessageStatusUpdated(status=MessageStatus.FAILED, error=error):
                ours = event.message_id in self._sent_here
                if not (ours or event.conversation_id == self.open_conversation):
                    return []
                if not preferences.toast_failures:
                    return []
                reason = error.explanation if error else _("WhatsApp did not say why")
                return [Toast(_("Message not delivered"), reason, severity="error")]
            case _:
                return []
