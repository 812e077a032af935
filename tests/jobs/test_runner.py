"""The job runner against the real PostgreSQL: supervised claim loops that survive any
exception, wake-ups only for the kind that was queued, completion inside the handler's own
transaction (at-least-once kept), and per-conversation order.

Each test registers kinds of its own, so the session's other runners never claim its jobs.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import pytest

from pytake_daemon.db.pool import Connection, Pool, tenant_transaction
from pytake_daemon.jobs import db
from pytake_daemon.jobs.job import Job
from pytake_daemon.jobs.runner import JobRunner
from pytake_daemon.loops import Loops

TIMEOUT = 10.0
# Claim loops that never poll by themselves: whatever they do here, a wake-up caused.
NEVER = 3600.0


@pytest.fixture
async def runner(pool: Pool) -> AsyncIterator[JobRunner]:
    loops = Loops(backoff_initial=0.01, backoff_max=0.05)
    runner = JobRunner(pool, loops=loops, poll_seconds=NEVER)
    yield runner
    await runner.stop()


def kind() -> str:
    return f"test_{uuid.uuid4().hex[:10]}"


async def queue(
    pool: Pool, tenant_id: uuid.UUID, kind: str, payloads: Sequence[dict[str, Any]]
) -> list[int]:
    async with tenant_transaction(pool, tenant_id) as conn:
        return [await db.insert_job(conn, kind, payload) for payload in payloads]


async def rows(pool: Pool, tenant_id: uuid.UUID, kind: str) -> list[asyncpg.Record]:
    async with tenant_transaction(pool, tenant_id) as conn:
        return list(await conn.fetch("SELECT * FROM jobs WHERE kind = $1 ORDER BY id", kind))


async def poll(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


class Recorder:
    """A handler that records what it ran and signals each run."""

    def __init__(self) -> None:
        self.seen: list[Job] = []
        self.ran = asyncio.Event()

    async def __call__(self, job: Job) -> None:
        self.seen.append(job)
        self.ran.set()


async def test_a_claim_loop_survives_any_exception(
    runner: JobRunner, pool: Pool, tenant_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a PostgreSQL restart once did: asyncpg's InternalClientError (not a PostgresError
    nor an InterfaceError) escaped the claim loop, which died without a word."""
    name = kind()
    handler = Recorder()
    real_claim = db.claim
    failures = Counter[str]()

    async def flaky_claim(conn: Connection, kinds: Sequence[str], *args: Any) -> Any:
        if failures["claim"] < 3:
            failures["claim"] += 1
            raise asyncpg.InternalClientError("cannot switch to state 15")
        return await real_claim(conn, kinds, *args)

    monkeypatch.setattr(db, "claim", flaky_claim)
    runner.register(name, handler)
    runner.start()
    await queue(pool, tenant_id, name, [{"n": 1}])
    runner.wake(name)
    await asyncio.wait_for(handler.ran.wait(), TIMEOUT)
    assert failures["claim"] == 3

    (report,) = [r for r in runner._loops.report() if r.name == f"jobs-{name}"]
    assert report.alive
    assert report.healthy
    await poll(lambda: _none_left(pool, tenant_id, name), "the job to be deleted")


async def _none_left(pool: Pool, tenant_id: uuid.UUID, name: str) -> bool:
    return not await rows(pool, tenant_id, name)


async def test_a_completion_that_fails_is_recorded_by_the_next_pass(
    runner: JobRunner, pool: Pool, tenant_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The measured failure came from ``pool.release`` after the work: the lane goes on with
    the next job, and the kind's next pass deletes the row while this process's claim still
    holds, instead of leaving it to its lease (60 s of waiting after a PostgreSQL restart)."""
    name = kind()
    handler = Recorder()
    real_complete = db.complete
    broken: list[int] = []

    async def complete_once_broken(conn: Connection, job_id: int) -> None:
        if not broken:
            broken.append(job_id)
            raise asyncpg.InternalClientError("cannot switch to state 15")
        await real_complete(conn, job_id)

    monkeypatch.setattr(db, "complete", complete_once_broken)
    conversation = str(uuid.uuid4())
    first, _ = await queue(pool, tenant_id, name, [{"conversation_id": conversation}] * 2)
    runner.register(name, handler)
    runner.start()
    runner.wake(name)

    async def both_ran() -> bool:
        return len(handler.seen) == 2

    await poll(both_ran, "both jobs of the lane")
    assert broken == [first]
    runner.wake(name)  # the next pass, as the next job queued of this kind would bring
    await poll(lambda: _none_left(pool, tenant_id, name), "both jobs' deletion")
    assert runner.processed == 2  # each handled once: the retry records, it doesn't rerun


async def test_wake_after_a_commit_wakes_only_the_kind_queued(
    runner: JobRunner, pool: Pool, tenant_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued, idle = kind(), kind()
    handler = Recorder()
    claims = Counter[str]()
    real_claim = db.claim

    async def counting_claim(conn: Connection, kinds: Sequence[str], *args: Any) -> Any:
        claims.update(kinds)
        return await real_claim(conn, kinds, *args)

    monkeypatch.setattr(db, "claim", counting_claim)
    runner.register(queued, handler)
    runner.register(idle, Recorder())
    runner.start()

    async def both_looked_once() -> bool:
        return claims[queued] == 1 and claims[idle] == 1

    await poll(both_looked_once, "each loop's first claim")
    await queue(pool, tenant_id, queued, [{"n": 1}])
    # What every caller does after its commit: wake() without naming a kind.
    runner.wake()
    assert runner._wakes[queued].is_set()
    assert not runner._wakes[idle].is_set()
    await asyncio.wait_for(handler.ran.wait(), TIMEOUT)
    assert claims[idle] == 1
    # Nothing queued since: a second wake-up wakes nobody.
    runner.wake()
    assert not runner._wakes[idle].is_set()


async def test_queued_kinds_are_per_task(pool: Pool, tenant_id: uuid.UUID) -> None:
    name = kind()

    other = kind()

    async def queue_in_another_task() -> tuple[frozenset[str], frozenset[str]]:
        await queue(pool, tenant_id, name, [{}])
        await queue(pool, tenant_id, other, [{}])
        # A runner takes only its own kinds: another runner's wake-up still finds the rest.
        return db.take_queued_kinds({name}), db.take_queued_kinds({name, other})

    assert await asyncio.create_task(queue_in_another_task()) == (
        frozenset({name}),
        frozenset({other}),
    )
    # The other task's inserts are not this task's to wake.
    assert db.take_queued_kinds({name, other}) == frozenset()
    async with tenant_transaction(pool, tenant_id) as conn:
        await conn.execute("DELETE FROM jobs WHERE kind = ANY($1)", [name, other])


async def test_a_one_transaction_job_is_completed_in_its_handlers_transaction(
    runner: JobRunner, pool: Pool, tenant_id: uuid.UUID
) -> None:
    name, marker = kind(), kind()
    done = asyncio.Event()

    async def handler(job: Job) -> None:
        async with tenant_transaction(pool, job.tenant_id) as conn:
            # The handler's own write; the job's DELETE commits with it.
            await db.insert_job(conn, marker, {"for": job.id})
        done.set()

    runner.register(name, handler, one_transaction=True)
    runner.start()
    (job_id,) = await queue(pool, tenant_id, name, [{}])
    runner.wake(name)
    await asyncio.wait_for(done.wait(), TIMEOUT)

    async def completed() -> bool:
        return runner.processed == 1

    await poll(completed, "the runner to count the job")
    assert runner.completed_in_handler == 1
    assert await rows(pool, tenant_id, name) == []
    assert [r["payload"] for r in await rows(pool, tenant_id, marker)] == [{"for": job_id}]


async def test_a_one_transaction_job_whose_transaction_rolls_back_stays(
    runner: JobRunner, pool: Pool, tenant_id: uuid.UUID
) -> None:
    """At-least-once: the handler's work and the completion roll back together, and the job is
    rescheduled like any failed job."""
    name, marker = kind(), kind()
    tried = asyncio.Event()

    async def handler(job: Job) -> None:
        tried.set()
        async with tenant_transaction(pool, job.tenant_id) as conn:
            await db.insert_job(conn, marker, {})
            raise RuntimeError("the handler's step failed")

    runner.register(name, handler, one_transaction=True)
    runner.start()
    (job_id,) = await queue(pool, tenant_id, name, [{}])
    runner.wake(name)
    await asyncio.wait_for(tried.wait(), TIMEOUT)

    async def rescheduled() -> bool:
        left = await rows(pool, tenant_id, name)
        return bool(left) and left[0]["last_error"] is not None

    await poll(rescheduled, "the job to be rescheduled")
    (row,) = await rows(pool, tenant_id, name)
    assert row["id"] == job_id
    assert row["last_error"] == "RuntimeError: the handler's step failed"
    assert await rows(pool, tenant_id, marker) == []
    assert runner.processed == 0


async def test_a_one_transaction_job_whose_commit_fails_is_retried_not_left_to_its_lease(
    runner: JobRunner, pool: Pool, tenant_id: uuid.UUID
) -> None:
    """The completion joined the transaction, then its COMMIT failed (here a deferred
    constraint; in the replicas' fault test, PostgreSQL shutting down): nothing committed, so
    the job is a failure recorded now, not "done" and left claimed until its lease runs out
    (60 s of a message's flow step and events after a PostgreSQL restart)."""
    name = kind()
    tried = asyncio.Event()

    async def handler(job: Job) -> None:
        tried.set()
        async with tenant_transaction(pool, job.tenant_id) as conn:
            await conn.execute(
                "CREATE TEMP TABLE once (n int UNIQUE DEFERRABLE INITIALLY DEFERRED)"
                " ON COMMIT DROP; INSERT INTO once VALUES (1), (1)"
            )

    runner.register(name, handler, one_transaction=True)
    runner.start()
    (job_id,) = await queue(pool, tenant_id, name, [{}])
    runner.wake(name)
    await asyncio.wait_for(tried.wait(), TIMEOUT)

    async def rescheduled() -> bool:
        left = await rows(pool, tenant_id, name)
        return bool(left) and left[0]["last_error"] is not None

    await poll(rescheduled, "the job to be rescheduled")
    (row,) = await rows(pool, tenant_id, name)
    assert row["id"] == job_id
    assert row["last_error"].startswith("UniqueViolationError")
    assert runner.processed == 0
    assert runner.completed_in_handler == 0


async def test_a_one_transaction_job_without_a_transaction_is_completed_by_the_runner(
    runner: JobRunner, pool: Pool, tenant_id: uuid.UUID
) -> None:
    name = kind()
    handler = Recorder()
    runner.register(name, handler, one_transaction=True)
    runner.start()
    await queue(pool, tenant_id, name, [{}])
    runner.wake(name)
    await asyncio.wait_for(handler.ran.wait(), TIMEOUT)
    await poll(lambda: _none_left(pool, tenant_id, name), "the job to be deleted")
    assert runner.completed_in_handler == 0


@pytest.mark.parametrize("one_transaction", [False, True])
async def test_a_conversations_jobs_run_in_the_order_they_were_queued(
    runner: JobRunner, pool: Pool, tenant_id: uuid.UUID, one_transaction: bool
) -> None:
    name = kind()
    conversation, other = str(uuid.uuid4()), str(uuid.uuid4())
    order: list[tuple[str, int]] = []
    release = asyncio.Event()

    async def handler(job: Job) -> None:
        if job.payload["n"] == 0 and job.payload["conversation_id"] == conversation:
            # The first job is slow: the conversation's later jobs must wait for it, the other
            # conversation's don't.
            await release.wait()
        async with tenant_transaction(pool, job.tenant_id) as conn:
            await conn.execute("SELECT 1")
        order.append((job.payload["conversation_id"], job.payload["n"]))
        if job.payload["conversation_id"] == other:
            release.set()

    runner.register(name, handler, one_transaction=one_transaction)
    await queue(
        pool,
        tenant_id,
        name,
        [{"conversation_id": conversation, "n": n} for n in range(5)]
        + [{"conversation_id": other, "n": 0}],
    )
    runner.start()
    runner.wake(name)

    async def all_ran() -> bool:
        return len(order) == 6

    await poll(all_ran, "every job")
    assert order[0] == (other, 0)
    assert [n for c, n in order if c == conversation] == [0, 1, 2, 3, 4]
    await poll(lambda: _none_left(pool, tenant_id, name), "every job deleted")
    assert runner.completed_in_handler == (6 if one_transaction else 0)
