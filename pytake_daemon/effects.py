"""What a transaction leaves to do after its commit: events, the outbox, distribution.

Attendance rules fill it and the conversations, flows, app and CLI that call them act on it, so it
sits below all of them (it imports only the protocol)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from pytake_daemon.protocol import ServerEvent


@dataclass
class Effects:
    """Collected inside a transaction, acted on only once it has committed (an event about a
    rolled-back assignment would be a lie)."""

    events: list[ServerEvent] = field(default_factory=list)
    messages_queued: bool = False
    """Outbox rows were written: wake the sender."""
    distribute: set[uuid.UUID] = field(default_factory=set)
    """Queues whose items may now be assigned (a new item)."""
    capacity_freed: bool = False
    """An agent became available: every queue of the tenant may now assign."""

    def merge(self, other: Effects) -> None:
        """Add what another transaction part (a savepoint that held) left to do."""
        self.events.extend(other.events)
        self.messages_queued = self.messages_queued or other.messages_queued
        self.distribute |= other.distribute
        self.capacity_freed = self.capacity_freed or other.capacity_freed
