"""Console presence in Redis, shared by every daemon process.

Each open console (WebSocket) is a member of its user's sorted set, scored with the moment it
stops counting; the process holding the socket pushes that moment forward every third of the
grace period. A closed socket is removed at once; a crashed process simply stops refreshing, so
its sockets lapse on their own. ``presence:known`` holds every user with a console, scored
likewise; the sweep asks Redis (one Lua script, atomic, so one process acts on each) for the
users whose last console lapsed, and sets them away.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("pytake.agents")

_LAPSED = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 500)
local gone = {}
for _, member in ipairs(due) do
    local key = ARGV[2] .. member
    redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
    local live = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    if #live == 0 then
        table.insert(gone, member)
        redis.call('ZREM', KEYS[1], member)
    else
        redis.call('ZADD', KEYS[1], live[2], member)
    end
end
return gone
"""


class Presence:
    def __init__(self, redis: Redis, *, prefix: str, grace_seconds: float) -> None:
        self._redis = redis
        self._user_prefix = f"{prefix}presence:"
        self._known = f"{prefix}presence:known"
        self._grace = grace_seconds
        self._local: dict[str, str] = {}
        """This process's open consoles: connection id → "tenant:user"."""
        self._lapsed = redis.register_script(_LAPSED)

    @property
    def refresh_every(self) -> float:
        return self._grace / 3

    async def connected(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> str:
        """Count a console as present; returns its id for :meth:`disconnected`."""
        connection = uuid.uuid4().hex
        self._local[connection] = f"{tenant_id}:{user_id}"
        await self._touch({connection: self._local[connection]})
        return connection

    async def disconnected(self, connection: str) -> None:
        member = self._local.pop(connection, None)
        if member is None:
            return
        try:
            await self._redis.zrem(self._user_prefix + member, connection)
        except (RedisError, OSError) as exc:
            # It lapses by itself after the grace period.
            log.warning("presence not cleared; it will lapse", error=str(exc))

    async def refresh(self) -> None:
        await self._touch(dict(self._local))

    async def _touch(self, connections: dict[str, str]) -> None:
        if not connections:
            return
        until = time.time() + self._grace
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for connection, member in connections.items():
                    key = self._user_prefix + member
                    pipe.zadd(key, {connection: until})
                    pipe.expire(key, int(self._grace * 3) + 1)
                    pipe.zadd(self._known, {member: until}, gt=True)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("presence not refreshed", error=str(exc))

    async def lapsed(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(tenant, user) of every user whose last console went away; each reported once."""
        try:
            members = await self._lapsed(keys=[self._known], args=[time.time(), self._user_prefix])
        except (RedisError, OSError) as exc:
            log.warning("presence not checked", error=str(exc))
            return []
        gone = []
        for raw in members:
            tenant, _, user = (raw.decode() if isinstance(raw, bytes) else raw).partition(":")
            gone.append((uuid.UUID(tenant), uuid.UUID(user)))
        return gone

    async def run_refresher(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            # A timer: refreshing is periodic by nature.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.refresh_every):
                    await stopping.wait()
            if not stopping.is_set():
                await self.refresh()
