"""The state of the link to the daemon, as the header and the connection indicator show it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from pytake_tui.i18n import N_, _


class LinkState(StrEnum):
    """Where the event stream stands."""

    OFFLINE = "offline"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    POLLING = "polling"


_STATE_NAMES = {
    LinkState.OFFLINE: N_("offline"),
    LinkState.CONNECTING: N_("connecting"),
    LinkState.CONNECTED: N_("connected"),
    LinkState.DISCONNECTED: N_("disconnected"),
    LinkState.POLLING: N_("polling"),
}


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    """A link state with what the user needs to know about it."""

    state: LinkState = LinkState.OFFLINE
    retry_in: float | None = None
    reason: str | None = None

    @property
    def label(self) -> str:
        """Short text for the header, e.g. ``disconnected — retrying in 4s``."""
        match self.state:
            case LinkState.CONNECTING:
                return _("connecting…")
            case LinkState.DISCONNECTED if self.retry_in is not None:
                seconds = math.ceil(self.retry_in)
                return _("disconnected — retrying in {seconds}s").format(seconds=seconds)
            case LinkState.POLLING:
                return _("polling — live updates unavailable")
            case _:
                return _(_STATE_NAMES[self.state])


OFFLINE = ConnectionStatus()
