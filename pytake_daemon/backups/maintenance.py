"""Maintenance mode during an in-place restore: every daemon answers 503 + Retry-After.

The flag is a Redis key with a TTL that the restoring process keeps refreshing, so a restore
that dies (kill -9, lost machine) can't leave the installation down for good. Daemons poll the
key once a second instead of reading it per request: the webhook path stays a pure function of
the request, and the restorer waits ``backups.maintenance_grace_seconds`` before touching data.
Webhooks get the 503 too, unacknowledged, so Meta redelivers them once the restore is over.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.exceptions
import structlog
from redis.asyncio import Redis

log = structlog.get_logger("pytake.backups")

KEY = "maintenance"
TTL_SECONDS = 60
POLL_SECONDS = 1.0


def flag_key(prefix: str) -> str:
    return f"{prefix}{KEY}"


@asynccontextmanager
async def maintenance(client: Redis, prefix: str, reason: str) -> AsyncIterator[None]:
    """Hold maintenance mode for the block (refreshing the TTL); always switched off after."""
    key = flag_key(prefix)
    await client.set(key, reason, ex=TTL_SECONDS)

    async def refresh() -> None:
        while True:
            await asyncio.sleep(TTL_SECONDS / 3)
            with contextlib.suppress(redis.exceptions.RedisError):
                await client.set(key, reason, ex=TTL_SECONDS)

    task = asyncio.create_task(refresh(), name="maintenance-refresh")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.delete(key)


class MaintenanceWatch:
    """This daemon's view of the flag, refreshed every second by :meth:`run`."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._key = flag_key(prefix)
        self._stopping = asyncio.Event()
        self.reason: str | None = None

    async def poll(self) -> None:
        raw = await self._redis.get(self._key)
        reason = raw.decode() if isinstance(raw, bytes) else raw
        if reason != self.reason:
            log.warning("maintenance mode", on=reason is not None, reason=reason)
        self.reason = reason

    async def run(self) -> None:
        """Poll until :meth:`stop`."""
        while not self._stopping.is_set():
            # Keep the last known state: Redis blipping must not end a restore's protection.
            with contextlib.suppress(redis.exceptions.RedisError):
                await self.poll()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    await self._stopping.wait()

    async def stop(self, task: asyncio.Task[None]) -> None:
        """End :meth:`run`'s task.

        The flag as well as the cancellation: a cancellation that lands in redis-py's command
        can come out as a ``RedisError`` (Python 3.11's ``wait_for``), which :meth:`run`
        suppresses; the flag ends the loop at its next turn all the same. Seen as a test's app
        that would not close, its watch still polling.
        """
        self._stopping.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
