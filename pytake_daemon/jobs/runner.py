"""Runs durable jobs: claims due rows (SKIP LOCKED, under a lease), calls the kind's handler in
the job's tenant scope, deletes the row on success and reschedules it with backoff on failure.

Several runners (tasks or daemon processes) share the table safely. Each kind has its own claim
loop, supervised by :class:`~pytake_daemon.loops.Loops` (any exception is logged and retried
after a bounded backoff; ``/readyz`` names a loop that stalls). A loop sleeps until the next
poll or until ``wake()`` for its kind, after a commit that queued such work here or in a ``web``
process (``forward``, pytake_daemon/wakeups.py); other jobs wait at most one poll interval. Given an
:class:`~pytake_daemon.jobs.priority.AckPriority`, a loop first lets waiting webhooks through.

A kind registered with :meth:`JobRunner.register_batch` gets each claim's jobs of one tenant
together, completed in the handler's first transaction: the ingest fan-out takes whatever the
webhook writer committed since its last pass as one batch (one transaction for all of it). A
batch that fails is run again job by job, so one bad job costs only itself. Work off the reply's
path (the AI's analysis) may gather: woken, its loop waits a moment so that one claim takes
what arrived meanwhile (a pass costs about the same for one job as for fifty). The inbound
stage lingers: the same wait, but only while work flows, so a message after a quiet moment
is claimed at once.

A job is completed in its handler's transaction when the kind is registered with
``one_transaction=True``: the DELETE joins the first tenant transaction the handler commits, so
the work and its completion commit together (one transaction fewer per job). Otherwise the
runner deletes the row itself once the handler returns. Either way delivery is at-least-once:
a row is only gone once its work committed, and a row whose outcome could not be recorded
comes back when its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from tenacity import wait_exponential

from pytake_daemon import backoff
from pytake_daemon.db.pool import (
    BeforeCommit,
    Connection,
    Pool,
    before_next_commit,
    tenant_transaction,
)
from pytake_daemon.jobs import db
from pytake_daemon.jobs.job import BatchHandler, Job, JobHandler, retried_alone
from pytake_daemon.jobs.priority import AckPriority
from pytake_daemon.loops import OUTAGE_ERRORS, SERVER_AWAY_ERRORS, Loops
from pytake_daemon.metrics import families

log = structlog.get_logger("pytake.jobs")


@dataclass(frozen=True)
class _Registration:
    handler: JobHandler | None
    one_transaction: bool
    batch: BatchHandler | None = None
    gather_seconds: float = 0.0
    linger_seconds: float = 0.0


# The share of the lease this process trusts its claim for (clocks and the claim's round trip).
_LEASE_TRUST = 0.8


class JobRunner:
    def __init__(
        self,
        pool: Pool,
        *,
        loops: Loops | None = None,
        batch: int = 100,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        max_backoff_seconds: float = 300.0,
        concurrency: int = 16,
        priority: AckPriority | None = None,
        forward: Callable[[str], None] | None = None,
        claimer: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._pool = pool
        self._sleep = sleep  # the gathering wait (tests hold it open)
        self._claimer = claimer  # Claimer.tag: a restart takes this run's claims back at once
        self._priority = priority
        self._forward = forward  # a web process's wake-ups go to the jobs process (roles.py)
        self._loops = loops if loops is not None else Loops()
        self._batch = batch
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._concurrency = asyncio.Semaphore(concurrency)
        self._handlers: dict[str, _Registration] = {}
        # One claim loop per kind: a slow kind (AI analysis, say) never holds back another
        # (a flow's answer); each loop wakes on its own event.
        self._wakes: dict[str, asyncio.Event] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._started = False
        # Outcomes the database was too far away to take (a restart): recorded by the kind's next
        # pass while the claim holds, not left to the lease (60 s after a restart: tests/replicas).
        self._unrecorded: dict[str, dict[int, tuple[Job, str | None]]] = {}
        self.processed = 0
        self.completed_in_handler = 0
        """Jobs whose DELETE committed with their handler's own transaction."""

    def register(self, kind: str, handler: JobHandler, *, one_transaction: bool = False) -> None:
        """Run ``handler`` for jobs of ``kind``.

        ``one_transaction``: the handler's durable work is the first tenant transaction it
        commits (what follows, such as publishing events or waking a worker, is best effort),
        so the job is completed inside that transaction. Leave it off for a handler whose
        later steps must be retried when they fail (the ingest fan-out's hooks).
        """
        self._add(kind, _Registration(handler, one_transaction))

    def register_batch(
        self,
        kind: str,
        handler: BatchHandler,
        *,
        gather_seconds: float = 0.0,
        linger_seconds: float = 0.0,
    ) -> None:
        """Run ``handler`` once per tenant for each claim's jobs of ``kind``; the jobs are
        completed inside the first tenant transaction it commits (see ``one_transaction``).

        ``gather_seconds``: once woken by new work, wait this long before claiming, so that
        one batch takes what arrives meanwhile (only for work nobody is waiting on).

        ``linger_seconds``: the same wait, but only while work flows (the loop's last claim
        found some): a message after a quiet spell is claimed at once, while under a steady
        stream each pass takes a few more (the inbound stage: a pass costs nearly as much for
        one webhook as for ten).
        """
        self._add(kind, _Registration(None, True, handler, gather_seconds, linger_seconds))

    def _add(self, kind: str, registration: _Registration) -> None:
        self._handlers[kind] = registration
        self._wakes[kind] = asyncio.Event()
        families.JOB_KINDS.add(kind)
        if self._started:
            self._spawn(kind)

    def wake(self, kind: str | None = None) -> None:
        """Look for work now, after a commit that queued some.

        With ``kind``: that kind's claim loop. Without: the loops of the kinds this task queued
        since its last wake-up (``jobs.db`` notes each insert), never every kind: waking every
        loop after every commit cost ≈ 34 empty claims per echoed message.
        """
        self._ring((kind,) if kind is not None else db.take_queued_kinds(self._wakes))

    def wake_all(self) -> None:
        """Every claim loop looks now (work queued behind the runner's back, e.g. by SQL)."""
        self._ring(list(self._wakes))

    def _ring(self, kinds: Iterable[str]) -> None:
        ring = self._forward or (lambda name: self._wakes[name].set())
        for name in filter(self._wakes.__contains__, kinds):
            ring(name)

    def start(self) -> None:
        self._started = True
        for kind in self._handlers:
            self._spawn(kind)

    def _spawn(self, kind: str) -> None:
        if kind not in self._tasks:
            # A pass is one claim plus its jobs plus the idle wait; one that takes longer than
            # the lease is already wrong (its jobs get claimed again elsewhere).
            self._tasks[kind] = self._loops.start(
                f"jobs-{kind}", lambda: self._pass(kind), deadline=self._lease + 2 * self._poll
            )

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for kind, task in self._tasks.items():
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._loops.forget(f"jobs-{kind}")
        self._tasks.clear()
        self._started = False

    async def _pass(self, kind: str) -> None:
        wake = self._wakes[kind]
        if self._priority is not None:
            await self._priority.wait()
        claimed = await self.run_once(kind)
        if claimed >= self._batch:
            return  # a full batch: more is probably waiting
        # Not after a partial batch: whatever was queued since the claim set ``wake`` already,
        # so an empty claim right after each batch would be a wasted round trip.
        with contextlib.suppress(TimeoutError):
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that lands just as the event fires, and stop() then waits for this loop forever.
            async with asyncio.timeout(self._poll):
                await wake.wait()
        registration = self._handlers[kind]
        gather = registration.gather_seconds or (registration.linger_seconds if claimed else 0.0)
        if gather > 0 and wake.is_set():
            # Cleared after the wait, so the wake-ups of what it gathered cost no extra pass.
            await self._sleep(gather)
        wake.clear()

    async def run_once(self, kind: str) -> int:
        """Claim and run one batch of ``kind``; returns how many jobs were claimed."""
        await self._record_left_over(kind)
        # Taken before the claim, a margin short of the lease: the row's locked_until is later.
        lease_ends = asyncio.get_running_loop().time() + self._lease * _LEASE_TRUST
        async with self._pool.acquire() as conn:
            rows = await db.claim(conn, [kind], self._batch, self._lease, self._claimer)
        # Jobs of one conversation run in order (a customer's messages reach a flow in the order
        # they were stored); everything else runs side by side.
        lanes: dict[object, list[Job]] = {}
        batched = self._handlers[kind].batch is not None
        # By id, i.e. the order they were queued: claim_jobs picks the oldest, but an UPDATE's
        # RETURNING comes back in whatever order it touched the rows (seen here: 0, 2, 1, 4, 3).
        for row in sorted(rows, key=lambda r: r["id"]):
            job = Job(
                id=row["id"],
                tenant_id=row["tenant_id"],
                kind=row["kind"],
                payload=row["payload"],
                attempts=row["attempts"],
                lease_ends=lease_ends,
            )
            lane = job.tenant_id if batched else job.payload.get("conversation_id") or job.id
            lanes.setdefault(lane, []).append(job)
        if batched:
            await asyncio.gather(*(self._run_batch(jobs) for jobs in lanes.values()))
        else:
            await asyncio.gather(*(self._run_lane(jobs) for jobs in lanes.values()))
        return len(rows)

    async def _run_batch(self, jobs: list[Job]) -> None:
        async with self._concurrency:
            # First optimistically (a handler may skip its per-item savepoints, see
            # ``retrying_alone``), even for one job; then, if that failed, each job alone.
            if await self._try_batch(jobs, last_try=False):
                return
            # One bad job must not hold back the others: each alone, failures retried later.
            with retried_alone():
                for job in jobs:
                    await self._try_batch([job], last_try=True)

    async def _try_batch(self, jobs: list[Job], *, last_try: bool) -> bool:
        """Run one tenant's jobs as a batch; False if it failed and nothing was recorded."""
        registration = self._handlers[jobs[0].kind]
        assert registration.batch is not None
        tenant_id = jobs[0].tenant_id
        joined = BeforeCommit(tenant_id, _completer([job.id for job in jobs]))
        try:
            with before_next_commit(joined):
                await registration.batch(tenant_id, jobs)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if joined.committed:
                _log_failure("job's follow-up failed after its commit", jobs[0], exc)
                return True
            # Joined but not committed (the COMMIT failed: PostgreSQL went away) is a failure
            # like any other, recorded now or on the next pass, not left to the 60 s lease.
            # A statement's own error (a constraint, a bad value) is one job's: the others go
            # on alone. Only a server that is away fails them all together.
            if not last_try and not isinstance(exc, SERVER_AWAY_ERRORS):
                log.info(
                    "job batch failed; its jobs run again one by one",
                    kind=jobs[0].kind,
                    jobs=len(jobs),
                    error=str(exc),
                    error_kind=type(exc).__name__,
                )
                return False
            families.job_counter(jobs[0].kind, "failed").inc(len(jobs))
            for job in jobs:
                _log_failure("job failed; retrying later", job, exc)
                await self._retry_later(job, exc)
            return True
        if joined.committed:
            self.completed_in_handler += len(jobs)
        else:
            for job in jobs:
                await self._complete(job)
        self.processed += len(jobs)
        families.job_counter(jobs[0].kind, "done").inc(len(jobs))
        return True

    async def _run_lane(self, jobs: list[Job]) -> None:
        async with self._concurrency:
            for job in jobs:
                await self._run_job(job)

    async def _run_job(self, job: Job) -> None:
        registration = self._handlers[job.kind]
        assert registration.handler is not None
        joined: BeforeCommit | None = None
        try:
            if registration.one_transaction:
                joined = BeforeCommit(job.tenant_id, _completer([job.id]))
                with before_next_commit(joined):
                    await registration.handler(job)
            else:
                await registration.handler(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if joined is not None and joined.committed:
                # The completion went with the handler's transaction, which committed: the job
                # is done and only best-effort follow-up failed.
                _log_failure("job's follow-up failed after its commit", job, exc)
                return
            _log_failure("job failed; retrying later", job, exc)
            families.job_counter(job.kind, "failed").inc()
            await self._retry_later(job, exc)
            return
        if joined is not None and joined.committed:
            self.completed_in_handler += 1
        else:
            await self._complete(job)
        self.processed += 1
        families.job_counter(job.kind, "done").inc()

    async def _complete(self, job: Job) -> None:
        try:
            async with tenant_transaction(self._pool, job.tenant_id) as conn:
                await db.complete(conn, job.id)
        except Exception as exc:
            # Not a reason to stop the lane or the loop: the work is done and idempotent; the
            # next pass deletes the row, or else it comes back when its lease runs out.
            self._unrecorded.setdefault(job.kind, {})[job.id] = (job, None)
            log.warning(
                "job done but not deleted; retried by the next pass",
                job_id=job.id,
                error=f"{type(exc).__name__}: {exc}",
            )

    async def _retry_later(self, job: Job, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        try:
            await self._record_failure(job, error)
        except Exception as record_exc:
            self._unrecorded.setdefault(job.kind, {})[job.id] = (job, error)
            log.warning(
                "job failure not recorded; retried by the next pass",
                job_id=job.id,
                error=f"{type(record_exc).__name__}: {record_exc}",
            )

    async def _record_failure(self, job: Job, error: str, *, at_once: bool = False) -> None:
        backoff = 0.0 if at_once else self._backoff(job.attempts)
        run_after = datetime.now(UTC) + timedelta(seconds=backoff)
        async with tenant_transaction(self._pool, job.tenant_id) as conn:
            await db.retry_later(conn, job.id, run_after, error)

    def _backoff(self, attempts: int) -> float:
        """Seconds before a failed job's next try: 2 s, 4 s, 8 s… up to the maximum (tenacity's
        exponential wait, counted by the row's attempts: the retry is durable, a row
        rescheduled, not a task sleeping)."""
        return backoff.delay(wait_exponential(multiplier=1, max=self._max_backoff), attempts + 1)

    async def _record_left_over(self, kind: str) -> None:
        """Record what an outage kept from being recorded, while the claim still holds (past
        it the row may be another process's; its lease brings it back to everyone)."""
        left = self._unrecorded.get(kind)
        if not left:
            return
        now = asyncio.get_running_loop().time()
        for job_id, (job, error) in list(left.items()):
            if job.lease_ends > now:
                if error is None:
                    async with tenant_transaction(self._pool, job.tenant_id) as conn:
                        await db.complete(conn, job.id)
                else:
                    # It failed because the database was away, which it no longer is.
                    await self._record_failure(job, error, at_once=True)
            del left[job_id]


def _completer(job_ids: list[int]) -> Callable[[Connection], Awaitable[None]]:
    async def complete(conn: Connection) -> None:
        await db.complete_many(conn, job_ids)

    return complete


def _log_failure(event: str, job: Job, exc: Exception) -> None:
    if isinstance(exc, OUTAGE_ERRORS):
        # The database or Redis away: the sentence is enough, and a traceback for each of a
        # batch of jobs costs more than the outage tells.
        log.warning(event, job_id=job.id, kind=job.kind, error=f"{type(exc).__name__}: {exc}")
    else:
        log.error(event, job_id=job.id, kind=job.kind, exc_info=exc)
