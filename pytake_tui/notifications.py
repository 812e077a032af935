"""Which events deserve a toast (and a bell), decided without Textual.

The app feeds every event through :class:`Notifier`; the chat screen tells it which conversation
is open (no toast for what the agent is already reading) and which messages this console sent
(their failures are this agent's business even when another conversation is open).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from pytake_daemon.protocol import (
    ContactOut,
    ConversationUpdated,
    EventEnvelope,
    MessageReceived,
    MessageStatus,
    MessageStatusUpdated,
)
from pytake_tui.preferences import Preferences

Severity = Literal["information", "warning", "error"]
_MAX_TEXT = 80


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


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_TEXT else line[: _MAX_TEXT - 1] + "…"


class Notifier:
    """Remembers assignments and this console's sends, to tell what is new."""

    def __init__(self, me: uuid.UUID) -> None:
        self.me = me
        self.open_conversation: uuid.UUID | None = None
        self._assigned: dict[uuid.UUID, uuid.UUID | None] = {}
        self._sent_here: set[uuid.UUID] = set()

    def sent_here(self, message_id: uuid.UUID) -> None:
        """A message this console queued: its failure is toasted wherever the agent is."""
        self._sent_here.add(message_id)

    def toasts(self, envelope: EventEnvelope, preferences: Preferences) -> list[Toast]:
        """The toasts one event calls for (usually none)."""
        event = envelope.event
        match event:
            case MessageReceived(conversation=conversation, message=message):
                self._assigned[conversation.id] = conversation.assigned_user_id
                mine = conversation.assigned_user_id in (None, self.me)
                if (
                    conversation.id == self.open_conversation
                    or not mine
                    or not preferences.toast_new_messages
                ):
                    return []
                return [
                    Toast(
                        f"New message — {contact_name(conversation.contact)}",
                        _short(message.text),
                        bell=preferences.bell_new_messages,
                    )
                ]
            case ConversationUpdated(conversation=conversation):
                before = self._assigned.get(conversation.id)
                now = conversation.assigned_user_id
                self._assigned[conversation.id] = now
                if now == self.me and before != self.me:
                    who = contact_name(conversation.contact)
                    return [
                        Toast(
                            "Conversation assigned to you",
                            f"{who}: {_short(conversation.last_message_preview)}",
                            bell=preferences.bell_new_messages,
                        )
                    ]
                return []
            case MessageStatusUpdated(status=MessageStatus.FAILED, error=error):
                ours = event.message_id in self._sent_here
                if not (ours or event.conversation_id == self.open_conversation):
                    return []
                if not preferences.toast_failures:
                    return []
                reason = error.explanation if error else "WhatsApp did not say why"
                return [Toast("Message not delivered", reason, severity="error")]
            case _:
                return []
