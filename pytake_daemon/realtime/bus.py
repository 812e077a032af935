"""Publishing events: a per-tenant sequence number from PostgreSQL, immediate delivery to this
process's clients, and Redis pub/sub for every other process.

Redis pub/sub is at-most-once and redis-py doesn't resubscribe by itself, so the subscriber is a
supervised loop; anything missed while it was down shows up to clients as a sequence gap, and
they resync through the REST API. With Redis down, this process's own clients still get events.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import orjson
import structlog
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from pytake_daemon.db.pool import Connection, Pool, tenant_transaction
from pytake_daemon.protocol import EventEnvelope, ServerEvent, parse_server_event
from pytake_daemon.realtime.hub import Hub

log = structlog.get_logger("pytake.realtime")

Listener = Callable[[Sequence[EventEnvelope]], None]

# Frames per Redis round trip: a burst goes out in a few pipelines, not one each.
_PUBLISH_BATCH = 500
# How long a shutdown waits for queued frames to reach Redis.
_FLUSH_SECONDS = 2.0
# Between resubscription attempts: 0.1 s doubling to 5 s, from the first failure after the last
# subscription that worked.
_RESUBSCRIBE_WAIT = wait_exponential(multiplier=0.1, max=5.0)

# Per-tenant sequences (migration 0020): numbering never waits for another transaction, and
# the Hello's number waits for the transactions still holding smaller ones.
_NEXT_SEQ = "SELECT take_event_numbers($1)"
_CURRENT_SEQ = "SELECT current_event_seq()"


async def current_seq(pool: Pool, tenant_id: uuid.UUID) -> int:
    async with tenant_transaction(pool, tenant_id) as conn:
        seq: int | None = await conn.fetchval(_CURRENT_SEQ)
    return seq or 0


async def number_events(
    conn: Connection, tenant_id: uuid.UUID, events: Sequence[ServerEvent]
) -> list[EventEnvelope]:
    """Take sequence numbers for ``events`` in the caller's tenant transaction (one call, the
    last statement before the commit), so a transaction that changes state announces it with no
    transaction of its own. Numbers go up in the order given; another transaction's may fall in
    between (the ordering point puts each tenant's numbers back in order for its clients)."""
    if not events:
        return []
    numbers: list[int] = await conn.fetchval(_NEXT_SEQ, len(events))
    return envelopes(tenant_id, events, numbers)


def envelopes(
    tenant_id: uuid.UUID, events: Sequence[ServerEvent], numbers: Sequence[int]
) -> list[EventEnvelope]:
    """``events`` with the numbers a statement took for them (``take_event_numbers``)."""
    now = datetime.now(UTC)
    return [
        EventEnvelope(seq=seq, tenant_id=tenant_id, at=now, event=event)
        for seq, event in zip(numbers, events, strict=True)
    ]


class EventBus:
    def __init__(
        self, pool: Pool, redis: Redis, hub: Hub, *, channel: str, subscriber: Redis
    ) -> None:
        self._pool = pool
        self._redis = redis
        self._hub = hub
        self._channel = channel
        # A client of its own without a read timeout: a subscriber is idle most of the time.
        self._subscriber = subscriber
        # Frames this process published come back through Redis; the origin tag skips them.
        self._origin = uuid.uuid4().hex
        self.subscribed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._outgoing: list[str] = []
        self._outgoing_ready = asyncio.Event()
        self._flushed = asyncio.Event()
        self._listeners: list[Listener] = []

    def on_delivered(self, listener: Listener) -> None:
        """Also hand this process's committed events to ``listener`` (not those arriving from
        other processes: each event reaches one listener in the installation). It runs on the
        commit path, so it must only queue the envelopes (the notifications' fan-out does)."""
        self._listeners.append(listener)

    async def publish(self, tenant_id: uuid.UUID, event: ServerEvent) -> EventEnvelope:
        """Number the event, deliver it here, and fan it out to the other processes."""
        (envelope,) = await self.publish_many(tenant_id, [event])
        return envelope

    async def publish_many(
        self, tenant_id: uuid.UUID, events: Sequence[ServerEvent]
    ) -> list[EventEnvelope]:
        """Publish several events in one transaction, numbered in the order given (another
        transaction's numbers may fall in between; see ``number_events``)."""
        if not events:
            return []
        async with tenant_transaction(self._pool, tenant_id) as conn:
            envelopes = await number_events(conn, tenant_id, events)
        await self.deliver(envelopes)
        return envelopes

    async def deliver(self, envelopes: Sequence[EventEnvelope]) -> None:
        """Hand numbered events to this process's clients and queue them for the others.

        Call it after the transaction that numbered them has committed. Nothing here waits:
        the publisher loop sends what is queued to Redis in order, many frames per round trip,
        so a commit path (the webhook writer, the sender) never waits on Redis, and a
        cancellation can't be swallowed by a Redis read in the middle of one (redis-py does
        that; a writer task once survived its cancellation that way).
        """
        for envelope in envelopes:
            frame = envelope.model_dump_json()
            self._hub.deliver(envelope, frame)
            self._outgoing.append(f"{self._origin}|{frame}")
        if envelopes:
            self._outgoing_ready.set()
            for listener in self._listeners:
                listener(envelopes)

    async def run_publisher(self) -> None:
        """Send queued frames to Redis until :meth:`stop`; frames that meet Redis away are
        dropped with a warning (other processes' clients see the gap and resync)."""
        while not self._stopping.is_set():
            await self._outgoing_ready.wait()
            self._outgoing_ready.clear()
            self._flushed.clear()
            while self._outgoing:
                frames = self._outgoing[:_PUBLISH_BATCH]
                del self._outgoing[:_PUBLISH_BATCH]
                try:
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for frame in frames:
                            pipe.publish(self._channel, frame)
                        await pipe.execute()
                except (RedisError, OSError) as exc:
                    log.warning(
                        "events not fanned out: redis unavailable",
                        frames=len(frames),
                        error=str(exc),
                    )
            self._flushed.set()

    async def run_subscriber(self) -> None:
        """Deliver other processes' events until :meth:`stop`, resubscribing after failures
        (tenacity's backoff; a cancellation or the stopping flag ends it at once)."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((RedisError, OSError)),
            wait=_RESUBSCRIBE_WAIT,
            stop=lambda _state: self._stopping.is_set(),
            before_sleep=self._lost_redis,
            # Stopped while Redis was away: a shutdown, not a failure.
            retry_error_callback=lambda _state: None,
        ):
            with attempt:
                if self._stopping.is_set():
                    return
                await self._subscribe(attempt.retry_state)

    async def _subscribe(self, state: RetryCallState) -> None:
        try:
            async with self._subscriber.pubsub(ignore_subscribe_messages=True) as pubsub:
                await pubsub.subscribe(self._channel)
                self.subscribed.set()
                # The backoff counts from here: a subscriber that ran for days and then lost
                # Redis starts again at the shortest delay.
                state.attempt_number = 1
                while not self._stopping.is_set():
                    message = await pubsub.get_message(timeout=None)
                    if message is not None:
                        self._on_message(message["data"])
        except (RedisError, OSError):
            self.subscribed.clear()
            raise

    def _lost_redis(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        log.warning(
            "event subscriber lost redis; retrying", error=str(exc), delay=state.upcoming_sleep
        )

    async def stop(self, *tasks: asyncio.Task[None]) -> None:
        """End the subscriber and the publisher (after what it has queued, if Redis takes it).

        The subscriber's reads have no timeout on purpose: redis-py's timed reads can swallow a
        task cancellation (seen here as the task living on through shutdown), so each loop also
        checks the stopping flag.
        """
        if self._outgoing:
            # What was committed before the shutdown still reaches the other processes.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_FLUSH_SECONDS):
                    await self._flushed.wait()
        self._stopping.set()
        self._outgoing_ready.set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _on_message(self, data: bytes | str) -> None:
        text = data.decode() if isinstance(data, bytes) else data
        origin, _, frame = text.partition("|")
        if origin == self._origin:
            return
        if not self._hub.wants(_tenant_of(frame)):
            # Most frames are for tenants without a console here (a web process hears every
            # event the jobs process publishes): reading the tenant alone is a tenth of the
            # cost of the full envelope, which was 8 % of a web process's busy time.
            return
        try:
            envelope = parse_server_event(frame)
        except ValidationError:
            log.warning("malformed event on the bus ignored")
            return
        self._hub.deliver(envelope, frame)


def _tenant_of(frame: str) -> uuid.UUID | None:
    """The frame's tenant, or None when it can't be read cheaply (the full parse then decides,
    and warns if the frame is malformed)."""
    try:
        data = orjson.loads(frame)
        return uuid.UUID(data["tenant_id"])
    except (orjson.JSONDecodeError, TypeError, KeyError, ValueError, AttributeError):
        return None
