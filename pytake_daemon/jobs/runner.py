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
        concurrency: int = 16,
    ) -> None:
        self._pool = pool
        self._batch = batch
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._concurrency = asyncio.Semaphore(concurrency)
        self._handlers: dict[str, JobHandler] = {}
        # One claim loop per kind: a slow kind (AI analysis, say) never holds back another
        # (a flow's answer); each loop wakes on its own event.
        self._wakes: dict[str, asyncio.Event] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._started = False
        self.processed = 0

    def register(self, kind: str, handler: JobHandler) -> None:
        self._handlers[kind] = handler
        self._wakes[kind] = asyncio.Event()
        if self._started:
            self._spawn(kind)

    def wake(self, kind: str | None = None) -> None:
        """Look for work now (after a commit that queued some), for one kind or all."""
        for name, event in self._wakes.items():
            if kind is None or name == kind:
                event.set()

    def start(self) -> None:
        self._started = True
        for kind in self._handlers:
            self._spawn(kind)

    def _spawn(self, kind: str) -> None:
        if kind not in self._tasks:
            self._tasks[kind] = asyncio.create_task(self._run(kind), name=f"jobs-{kind}")

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, kind: str) -> None:
        delay = 0.1
        wake = self._wakes[kind]
        while True:
            try:
                worked = await self.run_once(kind)
                delay = 0.1
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("job runner lost the database; retrying", kind=kind, error=str(exc))
                # Backoff timer between reconnection attempts (not synchronisation).
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if worked:
                continue
            with contextlib.suppress(TimeoutError):
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
                # that lands just as the event fires, and stop() then waits for this loop forever.
                async with asyncio.timeout(self._poll):
                    await wake.wait()
            wake.clear()

    async def run_once(self, kind: str) -> int:
        """Claim and run one batch of ``kind``; returns how many jobs were claimed."""
        async with self._pool.acquire() as conn:
            rows = await db.claim(conn, [kind], self._batch, self._lease)
        # Jobs of one conversation run in order (a customer's messages reach a flow in the order
        # they were stored); everything else runs side by side.
        lanes: dict[object, list[Job]] = {}
        for row in rows:
            job = Job(
                id=row["id"],
                tenant_id=row["tenant_id"],
                kind=row["kind"],
                payload=row["payload"],
                attempts=row["attempts"],
            )
            lane = job.payload.get("conversation_id") or job.id
            lanes.setdefault(lane, []).append(job)
        await asyncio.gather(*(self._run_lane(jobs) for jobs in lanes.values()))
        return len(rows)

    async def _run_lane(self, jobs: list[Job]) -> None:
        async with self._concurrency:
            for job in jobs:
                await self._run_job(job)

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
