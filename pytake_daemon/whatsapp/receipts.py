"""Read receipts and the typing indicator on the customer's phone.

Best effort by design: a lost blue tick or "typing…" harms nobody, so these calls run in the
background, are not queued durably, and failures are only logged. Meta clears "typing…" after
25 s or when our reply arrives, so the indicator is sent at most once per 20 s per conversation
(a Redis key shared by every process).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from pytake_daemon.db.pool import Pool, tenant_transaction
from pytake_daemon.whatsapp import outbox_db
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.meta_errors import GraphError
from pytake_daemon.whatsapp.secretbox import SecretBox

log = structlog.get_logger("pytake.whatsapp")

TYPING_INTERVAL_MS = 20_000


class ReadReceipts:
    def __init__(
        self, pool: Pool, graph: GraphClient, box: SecretBox, redis: Redis, *, prefix: str
    ) -> None:
        self._pool = pool
        self._graph = graph
        self._box = box
        self._redis = redis
        self._prefix = prefix
        self._tasks: set[asyncio.Task[None]] = set()

    def conversation_read(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
        """An agent read the conversation: mark the customer's last message read."""
        self._spawn(self._send(tenant_id, conversation_id, typing=False))

    def agent_typing(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
        self._spawn(self._typing(tenant_id, conversation_id))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _typing(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
        key = f"{self._prefix}typing:{conversation_id}"
        try:
            first = await self._redis.set(key, "1", nx=True, px=TYPING_INTERVAL_MS)
        except (RedisError, OSError):
            return
        if first:
            await self._send(tenant_id, conversation_id, typing=True)

    async def _send(
        self, tenant_id: uuid.UUID, conversation_id: uuid.UUID, *, typing: bool
    ) -> None:
        try:
            async with tenant_transaction(self._pool, tenant_id) as conn:
                target = await outbox_db.last_inbound(conn, conversation_id)
            if target is None:
                return
            await self._graph.mark_read(
                target["phone_number_id"],
                self._box.decrypt(target["access_token_enc"]),
                target["wa_message_id"],
                typing=typing,
            )
        except GraphError as exc:
            log.info("read receipt not sent", code=exc.code, error=exc.message)
        except Exception:
            log.exception("read receipt failed")
