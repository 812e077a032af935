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
# A pass is one GET (the daemon's Redis client times out after 5 s) and a second's wait.
DEADLINE_SECONDS = 30.0


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
    """This daemon's view of the flag, refreshed every second by :meth:`watch_pass`."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._key = flag_key(prefix)
        self.reason: str | None = None

    async def poll(self) -> None:
        raw = await self._redis.get(self._key)
        reason = raw.decode() if isinstance(raw, bytes) else raw
        if reason != self.reason:
            log.warning("maintenance mode", on=reason is not None, reason=reason)
        self.reason = reason

    async def watch_pass(self) -> None:
        """One poll and its wait: a pass of the ``maintenance-watch`` loop (``Loops``).

        Keeps the last known state when Redis fails: a blip must not end a restore's
        protection. A cancellation that lands in redis-py's command can come out as that
        suppressed ``RedisError`` (Python 3.11's ``wait_for``); ``Loops`` ends the loop all the
        same, since the task is still cancelling when the pass returns.
        """
        with contextlib.suppress(redis.exceptions.RedisError):
            await self.poll()
        await asyncio.sleep(POLL_SECONDS)
