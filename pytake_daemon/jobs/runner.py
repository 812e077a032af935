"""Runs durable jobs: claims due rows (SKIP LOCKED, under a lease), calls the kind's handler in
the job's tenant scope, deletes the row on success and reschedules it with backoff on failure.

Several runners (tasks or daemon processes) share the table safely. A runner sleeps until the
next job is due, until the next poll, or until ``wake()`` (called after a commit that queued
work in this process), whichever comes first; jobs queued by other processes wait at most one
poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog

from pytake_daemon.db.pool import Pool, tenant_transaction
from pytake_daemon.jobs import db

log = structlog.get_logger("pytake.jobs")


@dataclass(frozen=True)
class Job:
    id: int
    tenant_id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int


JobHandler = Callable[[Job], Awaitable[None]]


class JobRunner:
    def __init__(
        self,
        pool: Pool,
        *,
        batch: int = 100,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        max_backoff_seconds: float = 300.0,
    ) -> None:
        self._pool = pool
        self._batch = batch
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._handlers: dict[str, JobHandler] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.processed = 0
        self.idle = asyncio.Event()

    def register(self, kind: str, handler: JobHandler) -> None:
        self._handlers[kind] = handler

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="job-runner")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        delay = 0.1
        while True:
            try:
                worked = await self.run_once()
                delay = 0.1
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("job runner lost the database; retrying", error=str(exc))
                worked = 0
                # Backoff timer between reconnection attempts (not synchronisation).
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if worked:
                continue
            self.idle.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            self._wake.clear()
            self.idle.clear()

    async def run_once(self) -> int:
        """Claim and run one batch; returns how many jobs were claimed."""
        if not self._handlers:
            return 0
        async with self._pool.acquire() as conn:
            rows = await db.claim(conn, list(self._handlers), self._batch, self._lease)
        for row in rows:
            await self._run_job(
                Job(
                    id=row["id"],
                    tenant_id=row["tenant_id"],
                    kind=row["kind"],
                    payload=row["payload"],
                    attempts=row["attempts"],
                )
            )
        return len(rows)

    async def _run_job(self, job: Job) -> None:
        handler = self._handlers[job.kind]
        try:
            await handler(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            backoff = min(self._max_backoff, 2.0 ** min(job.attempts, 16))
            log.exception("job failed; retrying later", job_id=job.id, kind=job.kind)
            run_after = datetime.now(UTC) + timedelta(seconds=backoff)
            async with tenant_transaction(self._pool, job.tenant_id) as conn:
                await db.retry_later(conn, job.id, run_after, f"{type(exc).__name__}: {exc}")
            return
        async with tenant_transaction(self._pool, job.tenant_id) as conn:
            await db.complete(conn, job.id)
        self.processed += 1
