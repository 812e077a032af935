"""A process publishes events to Redis only while another one listens (realtime/bus.py).

On the session's real Redis, with the bus's own loops. What went out is watched through a
pattern subscription, which ``PUBSUB NUMSUB`` doesn't count, so watching changes nothing. A
publisher sends in order, so "not published" is proven by a later frame of the same process
arriving with nothing of the event's before it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from pytake_daemon.config import Settings
from pytake_daemon.protocol import EventEnvelope, TokenRevoked
from pytake_daemon.realtime.bus import EventBus
from pytake_daemon.realtime.hub import Hub
from tests.private_stack import until, until_async

TIMEOUT = 10.0
TENANT = uuid.uuid4()


class RecordingHub(Hub):
    """This process's clients: every tenant wanted (unless said otherwise), every delivery
    recorded."""

    def __init__(self, *, wanted: bool = True) -> None:
        super().__init__(queue_size=4)
        self.wanted = wanted
        self.seqs: list[int] = []

    def wants(self, tenant_id: uuid.UUID | None) -> bool:
        return self.wanted

    def deliver(self, envelope: EventEnvelope, frame: str) -> None:
        self.seqs.append(envelope.seq)


def envelope(seq: int) -> EventEnvelope:
    return EventEnvelope(
        seq=seq, tenant_id=TENANT, at=datetime.now(UTC), event=TokenRevoked(token_id=uuid.uuid4())
    )


class Watcher:
    """Every frame published on the channel, as (origin, frame), in order."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub
        self.frames: list[tuple[str, str]] = []

    async def until(self, found: Callable[[str, str], bool]) -> list[tuple[str, str]]:
        """Read until a frame ``found`` accepts; the frames read up to it."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=None
                )
                if message is None:
                    continue
                origin, _, frame = message["data"].decode().partition("|")
                self.frames.append((origin, frame))
                if found(origin, frame):
                    return self.frames


@dataclass
class Process:
    """One process's bus with its publisher and subscriber loops."""

    bus: EventBus
    hub: RecordingHub
    tasks: list[asyncio.Task[None]]
    clients: list[Redis]

    async def stop(self) -> None:
        if not self.tasks:
            return
        await self.bus.stop(*self.tasks)
        self.tasks = []
        for client in self.clients:
            await client.aclose()


Start = Callable[[], Awaitable[Process]]


@pytest.fixture
async def redis_url(settings: Settings) -> str:
    assert settings.redis.url is not None
    return settings.redis.url.get_secret_value()


@pytest.fixture
def channel() -> str:
    return f"test-fan-out-{uuid.uuid4().hex[:8]}:events"


@pytest.fixture
async def watcher(redis_url: str, channel: str) -> AsyncIterator[Watcher]:
    client = Redis.from_url(redis_url)
    pubsub = client.pubsub()
    await pubsub.psubscribe(channel)
    try:
        yield Watcher(pubsub)
    finally:
        await pubsub.aclose()
        await client.aclose()


@pytest.fixture
async def start(redis_url: str, channel: str) -> AsyncIterator[Start]:
    """Start a subscribing process's bus (publisher, subscriber); stopped at the end."""
    running: list[Process] = []

    async def start_bus() -> Process:
        redis = Redis.from_url(redis_url, socket_timeout=5)
        subscriber = Redis.from_url(redis_url)
        hub = RecordingHub()
        none = cast("Any", None)
        bus = EventBus(none, redis, hub, channel=channel, subscriber=subscriber)
        tasks = [
            asyncio.create_task(bus.run_publisher()),
            asyncio.create_task(bus.run_subscriber()),
        ]
        process = Process(bus, hub, tasks, [redis, subscriber])
        running.append(process)
        await asyncio.wait_for(bus.subscribed.wait(), TIMEOUT)
        return process

    yield start_bus
    for process in running:
        await process.stop()


async def test_a_lone_process_publishes_nothing_until_another_joins(
    start: Start, watcher: Watcher
) -> None:
    a = await start()
    listened: list[int] = []
    a.bus.on_delivered(lambda envelopes: listened.extend(e.seq for e in envelopes))
    await a.bus.deliver([envelope(1)])
    # Its own clients and listeners (notifications, outbound webhooks) get it all the same.
    assert a.hub.seqs == [1]
    assert listened == [1]

    b = await start()  # subscribed: A answered its hello, so A publishes from here on
    await a.bus.deliver([envelope(2)])
    await until(lambda: b.hub.seqs == [2], TIMEOUT, "B to get A's event")

    frames = await watcher.until(lambda _origin, frame: '"seq":2' in frame)
    from_a = [frame for origin, frame in frames if origin == a.bus._origin]
    # Its hello, its answer to B, then the event after the join; never the one before.
    assert from_a[:2] == ["!hello", f"!ack {b.bus._origin}"]
    assert len(from_a) == 3
    assert '"seq":2' in from_a[2]


async def test_a_process_stops_publishing_once_the_others_have_left(
    start: Start, watcher: Watcher
) -> None:
    a = await start()
    b = await start()
    assert a.bus.publishing
    await b.stop()

    async def alone() -> bool:
        await a.bus.census()  # the count its census loop takes every few seconds
        return not a.bus.publishing

    # Redis drops B's subscription when it reads B's connection closed, a moment after.
    await until_async(alone, TIMEOUT, "A to count itself alone")
    await a.bus.deliver([envelope(3)])
    c = await start()  # A answers C's hello: its frames before that answer went out first
    frames = await watcher.until(
        lambda origin, frame: origin == a.bus._origin and frame == f"!ack {c.bus._origin}"
    )
    assert not any('"seq":3' in frame for _, frame in frames)
    await a.bus.deliver([envelope(4)])
    await watcher.until(lambda _origin, frame: '"seq":4' in frame)  # C listens: A publishes


async def test_a_count_taken_before_a_hello_does_not_stop_the_publishing() -> None:
    none = cast("Any", None)
    bus = EventBus(none, none, RecordingHub(), channel="events", subscriber=none)
    bus._publish_if(False, bus._hellos)  # alone
    counted_at = bus._hellos
    bus._on_message(b"newcomer|!hello")  # heard while a count was on its way
    bus._publish_if(False, counted_at)  # that count said "nobody": it is older than the hello
    await bus.deliver([envelope(5)])
    assert bus._outgoing[0] == f"{bus._origin}|!ack newcomer"
    assert '"seq":5' in bus._outgoing[1]


async def test_an_event_nobody_reads_is_not_even_serialised() -> None:
    none = cast("Any", None)
    hub = RecordingHub(wanted=False)  # no console of the tenant in this process
    bus = EventBus(none, none, hub, channel="events", subscriber=none)
    bus._publish_if(False, bus._hellos)  # and no other process
    listened: list[int] = []
    bus.on_delivered(lambda envelopes: listened.extend(e.seq for e in envelopes))
    unserialisable = envelope(6).model_copy(update={"at": object()})  # would raise if dumped
    await bus.deliver([unserialisable])
    assert hub.seqs == []
    assert bus._outgoing == []
    assert listened == [6]  # listeners still get every committed event
