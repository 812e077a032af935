"""Wake-ups that cross processes: a ``web`` process's commit that queued work for a loop of a
``jobs`` process (server.role) rings that loop's bell through Redis pub/sub.

In one process (role ``all``) a commit wakes its loops in-process (an ``asyncio.Event``) and
nothing here is used. Split in two, the loops that claim and send run elsewhere, and their poll
interval (1 s for the job claimers and the outbox sender) would otherwise be added to every
reply. So a ``web`` process *forwards* its wake-ups: :meth:`Wakeups.ring` only notes the bell
(it runs on commit paths and never waits), and the publisher loop sends whatever was rung since
its last turn as one message, one round trip however many commits rang. A ``jobs`` process's
subscriber loop rings the named bells of its own loops.

At most once, like the event bus: a wake-up lost to a Redis outage costs that work one poll
interval, which is what every claimer falls back to anyway. Redis rather than PostgreSQL's
notifications: the daemons may reach PostgreSQL through PgBouncer in transaction mode, where a
session's subscription doesn't hold, and the processes already share Redis for the events.

A message is the rung bells, one per line: ``name`` or ``name:argument`` (``job:ingest``,
``sender``, ``queue:<tenant>:<queue>``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("pytake.wakeups")

Handler = Callable[[str], None]
"""Called with a bell's argument ("" when it has none)."""


class Wakeups:
    def __init__(self, redis: Redis, *, channel: str, subscriber: Redis | None = None) -> None:
        self._redis = redis
        self._channel = channel
        # A client of its own without a read timeout: a subscriber is idle most of the time.
        self._subscriber = subscriber
        self._rung: dict[str, None] = {}
        """Bells rung since the last message, in order (a dict: each once per message)."""
        self._ready = asyncio.Event()
        self._handlers: dict[str, list[Handler]] = {}
        self._stopping = asyncio.Event()
        self.subscribed = asyncio.Event()
        self.sent = 0
        """Messages published (tests and the bench read it)."""
        self.received = 0

    # --- the web side -------------------------------------------------------------------------

    def ring(self, name: str, argument: str = "") -> None:
        """Wake ``name``'s loop in whichever process runs it; never waits."""
        self._rung[f"{name}:{argument}" if argument else name] = None
        self._ready.set()

    def bell(self, name: str) -> Callable[[], None]:
        """A wake-up callback for ``name`` (what an in-process ``wake`` would have been)."""
        return lambda: self.ring(name)

    async def run_publisher(self) -> None:
        """Send what was rung until :meth:`stop` (a supervised loop, ``repeat=False``)."""
        while not self._stopping.is_set():
            await self._ready.wait()
            self._ready.clear()
            if not self._rung:
                continue
            message = "\n".join(self._rung)
            self._rung.clear()
            try:
                await self._redis.publish(self._channel, message)
                self.sent += 1
            except (RedisError, OSError) as exc:
                # The claimers' polls find the work; a lost wake-up only delays it.
                log.warning("wake-up not sent: redis unavailable", error=str(exc))

    # --- the jobs side ------------------------------------------------------------------------

    def on(self, name: str, handler: Handler) -> None:
        """Call ``handler`` when another process rings ``name`` (several may listen)."""
        self._handlers.setdefault(name, []).append(handler)

    async def run_subscriber(self) -> None:
        """Ring this process's bells as messages arrive, until :meth:`stop`. A Redis error
        escapes to the supervisor (pytake_daemon/loops.py), which subscribes again after its
        backoff; meanwhile the claimers poll."""
        assert self._subscriber is not None, "a subscriber needs its own Redis client"
        try:
            async with self._subscriber.pubsub(ignore_subscribe_messages=True) as pubsub:
                await pubsub.subscribe(self._channel)
                self.subscribed.set()
                # Whatever was rung while this process wasn't listening: look once now.
                self._ring_every_bell()
                while not self._stopping.is_set():
                    # No read timeout: redis-py's timed reads can swallow a cancellation
                    # (realtime/bus.py); stop() sets the flag and cancels.
                    message = await pubsub.get_message(timeout=None)
                    if message is not None:
                        self.deliver(message["data"])
        finally:
            self.subscribed.clear()

    def deliver(self, data: bytes | str) -> None:
        """Ring the bells one message names (bells nobody here listens to are ignored)."""
        self.received += 1
        text = data.decode() if isinstance(data, bytes) else data
        for line in text.splitlines():
            name, _, argument = line.partition(":")
            for handler in self._handlers.get(name, ()):
                try:
                    handler(argument)
                except Exception:  # one bad bell must not silence the others
                    log.exception("wake-up handler failed", bell=line)

    def _ring_every_bell(self) -> None:
        for name, handlers in self._handlers.items():
            for handler in handlers:
                try:
                    handler("")
                except Exception:
                    log.exception("wake-up handler failed", bell=name)

    async def stop(self, *tasks: asyncio.Task[None]) -> None:
        self._stopping.set()
        self._ready.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
