"""The state of the link to the daemon, as the header and the connection indicator show it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class LinkState(StrEnum):
    """Where the event stream stands."""

    OFFLINE = "offline"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    POLLING = "polling"


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
                return "connecting…"
            case LinkState.DISCONNECTED if self.retry_in is not None:
                return f"disconnected — retrying in {math.ceil(self.retry_in)}s"
            case LinkState.POLLING:
                return "polling — live updates unavailable"
            case _:
                return self.state.value


OFFLINE = ConnectionStatus()
