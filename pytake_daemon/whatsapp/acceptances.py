"""Sends Meta accepted whose acceptance we could not record yet.

Meta's send API has no idempotency key, so a message is sent again only when we can't know
whether Meta took it (the process died mid-call). A failed *recording* is different: we hold the
wamid. The sender keeps retrying the recording, and notes the wamid in Redis first, so that if
the process dies before the database comes back, whoever claims the row next records the wamid
instead of sending the message a second time (docs/whatsapp.md, "Delivery to Meta").
"""

from __future__ import annotations

import uuid

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("pytake.whatsapp")

# Longer than any outage a row's lease could outlive while someone still holds the answer.
_KEEP_SECONDS = 7 * 24 * 3600


class Acceptances:
    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, message_id: uuid.UUID) -> str:
        return f"{self._prefix}accepted:{message_id}"

    async def remember(self, message_id: uuid.UUID, wamid: str) -> None:
        """Best effort: with Redis down too, only this process's retries hold the wamid."""
        try:
            await self._redis.set(self._key(message_id), wamid, ex=_KEEP_SECONDS)
        except (RedisError, OSError) as exc:
            log.warning(
                "accepted send not noted in redis", message_id=str(message_id), error=str(exc)
            )

    async def recall(self, message_id: uuid.UUID) -> str | None:
        """The wamid of an earlier attempt that Meta accepted, if one was noted."""
        try:
            value = await self._redis.get(self._key(message_id))
        except (RedisError, OSError) as exc:
            # Unknown, as after a crash: the send goes ahead (at-least-once).
            log.warning("accepted sends unreadable (redis)", error=str(exc))
            return None
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def forget(self, message_id: uuid.UUID) -> None:
        try:
            await self._redis.delete(self._key(message_id))
        except (RedisError, OSError):
            return  # it expires by itself
