"""Publishing events: a per-tenant sequence number from PostgreSQL, immediate delivery to this
process's clients, and Redis pub/sub for every other process.

Redis pub/sub is at-most-once and redis-py doesn't resubscribe by itself, so the subscriber is a
supervised loop; anything missed while it was down shows up to clients as a sequence gap, and
they resync through the REST API. With Redis down, this process's own clients still get events.

A process publishes only while another one listens. A lone daemon (the usual installation) sent
every frame to Redis and read it back only to skip it: 3 % of its CPU per echoed message, 6 %
while ingesting. Who listens is counted (``PUBSUB NUMSUB``) when this process subscribes and
every few seconds after; a process that subscribes says so on the channel (``!hello``) and each
process already there answers (``!ack``) once it publishes, so a joining process serves no
client before everyone it counted will publish to it. A process that doesn't subscribe (a jobs
process) always publishes: it can't hear a hello.
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
# How long a joining process waits for the acks of the processes it counted (one whose loop is
# stuck, or an older version that doesn't answer, must not hold its start for long).
_JOIN_SECONDS = 2.0
# Between two counts of the processes listening: how long a process goes on publishing to one
# that has left.
_CENSUS_SECONDS = 5.0
CENSUS_DEADLINE = 6 * _CENSUS_SECONDS
"""The census loop's deadline in ``/readyz``: a count (within the client's timeout), then a wait."""
# Control frames start with "!"; an event's frame is a JSON object.
_HELLO = "!hello"
_ACK = "!ack "
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
        """Subscribed, and every process counted at the subscription publishes to this one."""
        self.join_settled = asyncio.Event()
        """The first subscription joined, or failed (Redis away): the app may start serving."""
        # Until a count says nobody else listens; a process that doesn't subscribe (no census)
        # keeps it True.
        self._publishing = True
        self._listening = False  # SUBSCRIBEd (before the handshake completes)
        self._hellos = 0  # hellos heard: a count taken before the last one can't turn us off
        self._acks_due: set[str] | None = None  # while joining: who has answered
        self._acks_expected = 0
        self._join_timer: asyncio.TimerHandle | None = None
        self._stopping = asyncio.Event()
        self._outgoing: list[str] = []
        self._outgoing_ready = asyncio.Event()
        self._flushed = asyncio.Event()
        self._listeners: list[Listener] = []

    @property
    def publishing(self) -> bool:
        """Whether this process's events go to Redis (another process listens, or may)."""
        return self._publishing

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
        publishing = self._publishing
        for envelope in envelopes:
            wanted = self._hub.wants(envelope.tenant_id)
            if not (wanted or publishing):
                # No client of the tenant here and no other process: not even serialised
                # (2-5 % of the daemon's CPU on the message path, most tenants having no
                # console open most of the time).
                continue
            frame = envelope.model_dump_json()
            if wanted:
                self._hub.deliver(envelope, frame)
            if publishing:
                self._outgoing.append(f"{self._origin}|{frame}")
        if not envelopes:
            return
        if publishing:
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
                self._listening = True
                await self._join()
                # The backoff counts from here: a subscriber that ran for days and then lost
                # Redis starts again at the shortest delay.
                state.attempt_number = 1
                while not self._stopping.is_set():
                    message = await pubsub.get_message(timeout=None)
                    if message is not None:
                        self._on_message(message["data"])
        except (RedisError, OSError):
            self._listening = False
            self.subscribed.clear()
            self.join_settled.set()
            raise

    async def _join(self) -> None:
        """Count the processes listening, then say hello; subscribed once each has answered."""
        if self._join_timer is not None:  # an earlier join's, cut short by a lost subscription
            self._join_timer.cancel()
            self._join_timer = None
        hellos = self._hellos
        others = await self._others_listening()
        self._publish_if(others > 0, hellos)
        self._acks_due = set()
        self._acks_expected = others
        self._send_control(_HELLO)
        if others == 0:
            self._joined()
        else:
            self._join_timer = asyncio.get_running_loop().call_later(_JOIN_SECONDS, self._joined)

    def _joined(self) -> None:
        if self._join_timer is not None:
            self._join_timer.cancel()
            self._join_timer = None
        if self._acks_due is not None and len(self._acks_due) < self._acks_expected:
            log.warning(
                "event bus joined without every answer",
                expected=self._acks_expected,
                answered=len(self._acks_due),
            )
        self._acks_due = None
        if self._listening:
            self.subscribed.set()
        self.join_settled.set()

    async def settle_join(self) -> None:
        """Wait until the first subscription has joined or failed (bounded: Redis may hang)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2 * _JOIN_SECONDS):
                await self.join_settled.wait()

    async def run_census(self) -> None:
        """One pass of the census loop (subscribing processes only): count who else listens,
        then wait. Redis errors keep what was known: with Redis away nothing goes out anyway."""
        with contextlib.suppress(RedisError, OSError):
            await self.census()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_CENSUS_SECONDS):
                await self._stopping.wait()

    async def census(self) -> None:
        """Count who else listens now, and publish only if someone does."""
        hellos = self._hellos
        self._publish_if(await self._others_listening() > 0, hellos)

    async def _others_listening(self) -> int:
        counts = dict(await self._redis.pubsub_numsub(self._channel))
        listening = int(counts.get(self._channel.encode(), counts.get(self._channel, 0)))
        return max(0, listening - (1 if self._listening else 0))

    def _publish_if(self, others: bool, hellos: int) -> None:
        """Publish or not after a count; a hello heard since the count began wins over it."""
        if not others and self._hellos != hellos:
            return
        if others != self._publishing:
            log.info("event fan-out", publishing=others)
        self._publishing = others

    def _send_control(self, control: str) -> None:
        self._outgoing.append(f"{self._origin}|{control}")
        self._outgoing_ready.set()

    def _on_control(self, origin: str, control: str) -> None:
        if control == _HELLO:
            # From now on this process publishes; the ack, queued after every frame queued
            # before it, tells the newcomer so.
            self._hellos += 1
            self._publish_if(True, self._hellos)
            self._send_control(_ACK + origin)
        elif control == _ACK + self._origin and self._acks_due is not None:
            self._acks_due.add(origin)
            if len(self._acks_due) >= self._acks_expected:
                self._joined()

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
        if frame.startswith("!"):
            self._on_control(origin, frame)
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
