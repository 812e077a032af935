"""The event stream's vocabulary and rules, with no I/O: what :meth:`DaemonClient.events` yields,
how it backs off, and how sequence numbers are checked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pydantic import ValidationError
from tenacity import RetryCallState, Retrying, wait_exponential

from pytake_daemon.protocol import EventEnvelope, parse_server_event


@dataclass(frozen=True, slots=True)
class Connecting:
    """A WebSocket connection attempt is starting."""

    attempt: int


@dataclass(frozen=True, slots=True)
class Connected:
    """The WebSocket is open; ``hello.seq`` is the tenant's current sequence number."""

    hello: EventEnvelope


@dataclass(frozen=True, slots=True)
class Received:
    """A new event, in sequence order (stale and duplicate frames are dropped)."""

    envelope: EventEnvelope


@dataclass(frozen=True, slots=True)
class Resync:
    """State shown from REST may be out of date (gap, reconnect, polling): read it again."""

    reason: str


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The WebSocket is down; the next attempt is in ``retry_in`` seconds."""

    reason: str
    retry_in: float


@dataclass(frozen=True, slots=True)
class Polling:
    """The WebSocket keeps failing while REST works: :class:`Resync` arrives periodically instead,
    and the WebSocket is tried again every ``retry_in`` seconds."""

    reason: str
    retry_in: float


@dataclass(frozen=True, slots=True)
class Rejected:
    """The token is no longer accepted (HTTP 401 at upgrade, or closed with 1008); the stream
    ends after this."""

    reason: str


StreamEvent = Connecting | Connected | Received | Resync | Disconnected | Polling | Rejected


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """How the event stream retries. Tests shrink every number."""

    initial_delay: float = 0.5
    max_delay: float = 30.0
    stable_after: float = 10.0
    """A connection that stayed up this long resets the backoff; a flapping one does not."""
    failures_before_polling: int = 5
    """Consecutive WebSocket failures (with REST healthy) before falling back to polling."""
    poll_interval: float = 15.0
    polling_retry_interval: float = 60.0
    """While polling, the WebSocket is retried this often."""
    open_timeout: float = 10.0

    def delay(self, failures: int, rng: random.Random) -> float:
        """Exponential backoff with "equal jitter": in [ceiling/2, ceiling], ceiling ≤ max_delay.

        The ceiling is tenacity's exponential wait (the daemon's retries use the same); the
        jitter draws from ``rng`` so a test can seed it."""
        state = RetryCallState(Retrying(), None, (), {})
        state.attempt_number = max(failures, 1)
        ceiling = float(wait_exponential(multiplier=self.initial_delay, max=self.max_delay)(state))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(slots=True)
class StreamState:
    """What the event stream remembers across connections."""

    last_seq: int | None = None
    failures: int = 0
    """Consecutive failed (or short-lived) connections."""
    polling: bool = False

    def accept(self, raw: str | bytes) -> list[StreamEvent]:
        """Check one frame after the Hello against the sequence: drop stale ones, flag gaps."""
        try:
            envelope = parse_server_event(raw)
        except ValidationError:
            return [Resync("unreadable event")]
        last = envelope.seq - 1 if self.last_seq is None else self.last_seq
        if envelope.seq <= last:
            return []
        items: list[StreamEvent] = []
        if envelope.seq > last + 1:
            items.append(Resync(f"gap: expected {last + 1}, got {envelope.seq}"))
        self.last_seq = envelope.seq
        items.append(Received(envelope))
        return items
