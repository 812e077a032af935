"""A one-line view of the app's link to the daemon, coloured by state."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from pytake_tui.connection import OFFLINE, ConnectionStatus, LinkState


class ConnectionIndicator(Static):
    """``● connected``; follows the app's ``connection`` reactive."""

    DEFAULT_CSS = """
    ConnectionIndicator {
        width: auto;
        height: 1;
        color: $text-muted;
    }
    ConnectionIndicator.-connected { color: $text-success; }
    ConnectionIndicator.-connecting, ConnectionIndicator.-polling { color: $text-warning; }
    ConnectionIndicator.-disconnected { color: $text-error; }
    """

    status: reactive[ConnectionStatus] = reactive(OFFLINE)

    def on_mount(self) -> None:
        self.watch(self.app, "connection", self._follow)

    def _follow(self, status: ConnectionStatus) -> None:
        self.status = status

    def watch_status(self, status: ConnectionStatus) -> None:
        for state in LinkState:
            self.set_class(state is status.state, f"-{state.value}")
        text = Content.assemble(("● ", "bold"), status.label)
        if status.reason and status.state in (LinkState.DISCONNECTED, LinkState.POLLING):
            text += Content(f" ({status.reason})")
        self.update(text)
