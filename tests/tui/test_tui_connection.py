"""How stream items become app messages, and how each link state reads in the header."""

from __future__ import annotations

import pytest

from pytake_tui.connection import ConnectionStatus, LinkState
from pytake_tui.messages import ConnectionStateChanged, ResyncNeeded, SessionExpired
from pytake_tui.stream import Connecting, Disconnected, Polling, Rejected, Resync
from pytake_tui.stream_messages import stream_messages


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (ConnectionStatus(), "offline"),
        (ConnectionStatus(LinkState.CONNECTING), "connecting…"),
        (ConnectionStatus(LinkState.CONNECTED), "connected"),
        (ConnectionStatus(LinkState.DISCONNECTED, retry_in=3.2), "disconnected — retrying in 4s"),
        (ConnectionStatus(LinkState.POLLING), "polling — live updates unavailable"),
    ],
)
def test_labels(status: ConnectionStatus, label: str) -> None:
    assert status.label == label


def test_stream_items_map_to_messages() -> None:
    (connecting,) = stream_messages(Connecting(1))
    assert isinstance(connecting, ConnectionStateChanged)
    assert connecting.status.state is LinkState.CONNECTING

    (down,) = stream_messages(Disconnected("connection lost", 1.5))
    assert isinstance(down, ConnectionStateChanged)
    assert down.status == ConnectionStatus(LinkState.DISCONNECTED, 1.5, "connection lost")

    (polling,) = stream_messages(Polling("WebSocket refused (HTTP 503)", 60))
    assert isinstance(polling, ConnectionStateChanged)
    assert polling.status.state is LinkState.POLLING

    (resync,) = stream_messages(Resync("gap: expected 3, got 5"))
    assert isinstance(resync, ResyncNeeded)
    assert resync.reason == "gap: expected 3, got 5"

    (expired,) = stream_messages(Rejected("token revoked"))
    assert isinstance(expired, SessionExpired)
