"""A per-tenant ordering point in front of this process's clients.

Events are numbered per tenant inside the transaction that causes them, but they reach the hub
after their commit, from this process or from another through Redis: two commits a millisecond
apart can arrive in either order. Clients treat a number that skips ahead as a gap and resync
through the REST API, so an event that arrives early waits here (at most ``hold`` seconds) for
the numbers before it. A number that never comes (its publisher lost Redis) costs one hold, and
the clients then resync on the gap as before.

State exists only while the tenant has clients in this process, so memory and work follow the
connected tenants, not all of them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from pytake_daemon.protocol import EventEnvelope

Deliver = Callable[[EventEnvelope, str], None]


@dataclass(slots=True)
class _Stream:
    next_seq: int | None = None
    """The number due next; ``None`` until a Hello or the first event sets it."""
    held: dict[int, tuple[EventEnvelope, str]] = field(default_factory=dict)
    arrived: dict[int, float] = field(default_factory=dict)
    """When each held number arrived (event-loop time): each waits one hold at most."""
    timer: asyncio.TimerHandle | None = None


class TenantOrdering:
    """Hands each tenant's envelopes to ``deliver`` in sequence order."""

    def __init__(self, deliver: Deliver, *, hold: float) -> None:
        self._deliver = deliver
        self._hold = hold
        self._streams: dict[uuid.UUID, _Stream] = {}

    def open(self, tenant_id: uuid.UUID) -> None:
        """A tenant got its first client here: start holding its events."""
        self._streams.setdefault(tenant_id, _Stream())

    def close(self, tenant_id: uuid.UUID) -> None:
        """The tenant's last client left: forget its stream (nothing is held for nobody)."""
        stream = self._streams.pop(tenant_id, None)
        if stream is not None and stream.timer is not None:
            stream.timer.cancel()

    def started_at(self, tenant_id: uuid.UUID, seq: int) -> None:
        """A client's Hello carried ``seq``: events up to it are old news for that client."""
        stream = self._streams.get(tenant_id)
        if stream is None or (stream.next_seq is not None and stream.next_seq > seq):
            return
        stream.next_seq = seq + 1
        self._drain(tenant_id, stream)

    def offer(self, envelope: EventEnvelope, frame: str) -> None:
        stream = self._streams.get(envelope.tenant_id)
        if stream is None:
            return  # no client of this tenant here
        if stream.next_seq is None:
            # The first event since the tenant's first client joined starts the stream (holding
            # it for a Hello that may never be sent would delay every fresh tenant).
            stream.next_seq = envelope.seq
        if envelope.seq < stream.next_seq:
            # Late (its hold ran out) or older than the Hello: clients drop it as stale, but the
            # hub must still see it (a token revocation closes its connection).
            self._deliver(envelope, frame)
            return
        stream.held[envelope.seq] = (envelope, frame)
        stream.arrived[envelope.seq] = asyncio.get_running_loop().time()
        self._drain(envelope.tenant_id, stream)

    def _release(self, stream: _Stream, seq: int) -> None:
        del stream.arrived[seq]
        self._deliver(*stream.held.pop(seq))

    def _drain(self, tenant_id: uuid.UUID, stream: _Stream) -> None:
        if stream.next_seq is not None:
            for seq in sorted(s for s in stream.held if s < stream.next_seq):
                self._release(stream, seq)
            while stream.next_seq in stream.held:
                self._release(stream, stream.next_seq)
                stream.next_seq += 1
        if stream.held and stream.timer is None:
            # Due when the oldest held number has waited its hold (not a hold from now: with
            # another process's numbers all missing, Redis away, gaps come one after another,
            # and a hold each, in turn, held this process's own events back without end).
            loop = asyncio.get_running_loop()
            due = min(stream.arrived.values()) + self._hold - loop.time()
            stream.timer = loop.call_later(max(0.0, due), self._give_up_waiting, tenant_id)
        elif not stream.held and stream.timer is not None:
            stream.timer.cancel()
            stream.timer = None

    def _give_up_waiting(self, tenant_id: uuid.UUID) -> None:
        """The missing numbers didn't come in time: go on past every held one that has waited
        its hold (and whatever follows it without a gap)."""
        stream = self._streams.get(tenant_id)
        if stream is None:
            return
        stream.timer = None
        if stream.held:
            now = asyncio.get_running_loop().time()
            waited = [s for s, at in stream.arrived.items() if at + self._hold <= now]
            stream.next_seq = max(waited, default=min(stream.held))
            self._drain(tenant_id, stream)
