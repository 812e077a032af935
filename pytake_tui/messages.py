"""Messages shared by the app and its screens.

The app's event-stream worker posts the stream messages to the app, which keeps the connection
state and forwards events to the active screen; they do not bubble, so forwarding cannot loop.
"""

from __future__ import annotations

import uuid

from textual.message import Message
from textual.widget import Widget

from pytake_daemon.protocol import EventEnvelope, LoginResponse, Me, MessageOut
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.connection import ConnectionStatus
from pytake_tui.i18n import _


class ConnectionStateChanged(Message, bubble=False):
    """The link to the daemon changed state."""

    def __init__(self, status: ConnectionStatus) -> None:
        super().__init__()
        self.status = status


class EventReceived(Message, bubble=False):
    """An event arrived on the WebSocket, in sequence order (the Hello included)."""

    def __init__(self, envelope: EventEnvelope) -> None:
        super().__init__()
        self.envelope = envelope


class ResyncNeeded(Message, bubble=False):
    """Events may have been missed (gap, reconnect, polling): re-read shown state over REST."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class SessionExpired(Message):
    """The daemon no longer accepts the token: back to the login screen."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class SessionResumed(Message):
    """A saved token was accepted by ``/auth/me``."""

    def __init__(self, client: DaemonClient, me: Me) -> None:
        super().__init__()
        self.client = client
        self.me = me


class ResumeFailed(Message):
    """A saved session could not be checked (daemon unreachable); the token is kept."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class LoggedIn(Message):
    """The login screen opened a new session."""

    def __init__(self, client: DaemonClient, response: LoginResponse) -> None:
        super().__init__()
        self.client = client
        self.response = response


class LoggedOut(Message):
    """The user logged out (``warning`` is set when the daemon could not be told)."""

    def __init__(self, warning: str | None = None) -> None:
        super().__init__()
        self.warning = warning


class ConversationOpened(Message):
    """The chat screen now shows this conversation (None: none), so its news needs no toast."""

    def __init__(self, conversation_id: uuid.UUID | None) -> None:
        super().__init__()
        self.conversation_id = conversation_id


class MessageQueued(Message):
    """This console queued a message; the app watches for its failure."""

    def __init__(self, message: MessageOut) -> None:
        super().__init__()
        self.message = message


def report_failure(node: Widget, error: DaemonError, title: str) -> None:
    """A failed call as the console shows it: back to login on a 401, else an error toast."""
    if error.unauthorized:
        node.post_message(SessionExpired(_("your session has ended")))
    else:
        node.notify(error.message, title=title, severity="error")
