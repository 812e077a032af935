"""What the app posts for each item of the event stream (:meth:`DaemonClient.events`)."""

from __future__ import annotations

from textual.message import Message

from pytake_tui.connection import ConnectionStatus, LinkState
from pytake_tui.messages import (
    ConnectionStateChanged,
    EventReceived,
    ResyncNeeded,
    SessionExpired,
)
from pytake_tui.stream import (
    Connected,
    Connecting,
    Disconnected,
    Polling,
    Received,
    Rejected,
    Resync,
    StreamEvent,
)


def stream_messages(item: StreamEvent) -> list[Message]:
    """What the app posts for one item of :meth:`DaemonClient.events`."""
    match item:
        case Connecting():
            return [ConnectionStateChanged(ConnectionStatus(LinkState.CONNECTING))]
        case Connected(hello):
            return [
                ConnectionStateChanged(ConnectionStatus(LinkState.CONNECTED)),
                EventReceived(hello),
            ]
        case Received(envelope):
            return [EventReceived(envelope)]
        case Resync(reason):
            return [ResyncNeeded(reason)]
        case Disconnected(reason, retry_in):
            status = ConnectionStatus(LinkState.DISCONNECTED, retry_in=retry_in, reason=reason)
            return [ConnectionStateChanged(status)]
        case Polling(reason):
            return [ConnectionStateChanged(ConnectionStatus(LinkState.POLLING, reason=reason))]
        case Rejected(reason):
            return [SessionExpired(reason)]
