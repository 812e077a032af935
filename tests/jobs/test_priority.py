"""Acknowledgements first (jobs/priority.py): a claim loop waits while webhooks wait for a
writer, never longer than the bound, and the webhook writer reports its queue."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from pytake_daemon.db.pool import Pool
from pytake_daemon.jobs.priority import QUEUE_DEPTH, QUEUE_MEMORY, AckPriority
from pytake_daemon.jobs.runner import JobRunner
from pytake_daemon.loops import Loops
from pytake_daemon.whatsapp.ingest import IngestWriter
from tests.jobs.test_runner import NEVER, TIMEOUT, Recorder, kind, poll, queue

# Far beyond any test's run: only a report of "nothing waits" lets such a loop claim.
FOREVER = 3600.0


@pytest.fixture
async def priority() -> AckPriority:
    return AckPriority(most_seconds=FOREVER)


@pytest.fixture
async def runner(pool: Pool, priority: AckPriority) -> AsyncIterator[JobRunner]:
    loops = Loops(backoff_initial=0.01, backoff_max=0.05)
    runner = JobRunner(pool, loops=loops, poll_seconds=NEVER, priority=priority)
    yield runner
    await runner.stop()


async def test_a_claim_waits_while_webhooks_wait_for_a_writer(
    runner: JobRunner, priority: AckPriority, pool: Pool, tenant_id: uuid.UUID
) -> None:
    name = kind()
    handler = Recorder()
    runner.register(name, handler)
    await queue(pool, tenant_id, name, [{"n": 1}])
    priority.waiting(3)
    runner.start()

    async def held() -> bool:
        return priority.waits == 1

    await poll(held, "the claim loop to find webhooks waiting")
    # The loop is parked in the wait: nothing was claimed, the job is still queued.
    assert handler.seen == []
    priority.waiting(0)
    await asyncio.wait_for(handler.ran.wait(), TIMEOUT)
    assert [job.payload for job in handler.seen] == [{"n": 1}]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_after_a_deep_queue_a_claim_waits_a_moment_with_none_waiting(
    pool: Pool, tenant_id: uuid.UUID
) -> None:
    """A burst's count falls to zero between its senders' answers and their next requests: the
    claim waits ``QUEUE_MEMORY`` more (on the priority's clock) before it takes the loop."""
    clock = FakeClock()
    priority = AckPriority(most_seconds=FOREVER, clock=clock)
    runner = JobRunner(pool, loops=Loops(), poll_seconds=NEVER, priority=priority)
    name = kind()
    handler = Recorder()
    runner.register(name, handler)
    await queue(pool, tenant_id, name, [{"n": 1}])
    priority.waiting(QUEUE_DEPTH - 1)
    priority.waiting(0)
    shallow_remembered = priority.holding
    assert not shallow_remembered  # a queue shallower than a burst's is not remembered
    priority.waiting(QUEUE_DEPTH)
    priority.waiting(0)
    assert priority.holding
    runner.start()
    try:

        async def held() -> bool:
            return priority.waits == 1

        await poll(held, "the claim loop to find a queue remembered")
        assert handler.seen == []
        clock.now += QUEUE_MEMORY
        await asyncio.wait_for(handler.ran.wait(), TIMEOUT)
        assert [job.payload for job in handler.seen] == [{"n": 1}]
    finally:
        await runner.stop()


async def _runs_once_queued(
    pool: Pool, tenant_id: uuid.UUID, runner: JobRunner, before_start: Callable[[], None]
) -> None:
    """Queue one job for ``runner``, call ``before_start``, start it: returns once it ran."""
    name = kind()
    handler = Recorder()
    runner.register(name, handler)
    await queue(pool, tenant_id, name, [{"n": 1}])
    before_start()
    runner.start()
    try:
        await asyncio.wait_for(handler.ran.wait(), TIMEOUT)
    finally:
        await runner.stop()


async def test_the_wait_is_bounded(pool: Pool, tenant_id: uuid.UUID) -> None:
    """Under a burst that never ends, the follow-up work still runs."""
    priority = AckPriority(most_seconds=0.01)
    runner = JobRunner(pool, loops=Loops(), poll_seconds=NEVER, priority=priority)
    # Five webhooks waiting, and never answered.
    await _runs_once_queued(pool, tenant_id, runner, lambda: priority.waiting(5))
    assert priority.waits >= 1


async def test_a_burst_is_held_up_to_the_longer_bound() -> None:
    """While webhooks queue deep (a burst), a claim waits up to ``burst_seconds``, past
    ``most_seconds``; it goes once the queue is gone."""
    clock = FakeClock()
    priority = AckPriority(most_seconds=1.0, burst_seconds=5.0, clock=clock)
    priority.waiting(QUEUE_DEPTH)
    waiting = asyncio.ensure_future(priority.wait())
    await asyncio.sleep(0)
    # Past the short bound, still within the burst's: the queue is deep again, then answered.
    clock.now = 2.0
    priority.waiting(QUEUE_DEPTH)
    priority.waiting(0)
    for _ in range(5):  # turns of the loop, enough for the claim to decide
        await asyncio.sleep(0)
    assert not waiting.done()
    clock.now = 2.0 + QUEUE_MEMORY  # the burst's senders are gone
    await asyncio.wait_for(waiting, TIMEOUT)
    assert priority.waits == 1


async def test_a_burst_that_never_ends_still_lets_the_work_run(
    pool: Pool, tenant_id: uuid.UUID
) -> None:
    priority = AckPriority(most_seconds=0.01, burst_seconds=0.05)
    runner = JobRunner(pool, loops=Loops(), poll_seconds=NEVER, priority=priority)
    # Webhooks queued deep, and never answered.
    await _runs_once_queued(pool, tenant_id, runner, lambda: priority.waiting(QUEUE_DEPTH))
    assert priority.waits >= 1


async def test_the_webhook_writer_reports_requests_waiting_for_it(pool: Pool) -> None:
    """Requests handed in are reported until they are answered."""
    priority = AckPriority(most_seconds=FOREVER)
    writer = IngestWriter(pool, max_batch=10, writers=1, priority=priority)
    writer.start()
    try:
        # No items: the writer's transaction is empty, but the hand-over is the same.
        submitted = [asyncio.ensure_future(writer.submit([])) for _ in range(3)]
        # One turn of the loop: the three hand their items in (each reports), and the
        # writer, woken by the first, runs only after them.
        await asyncio.sleep(0)
        assert priority.holding
        await asyncio.wait_for(asyncio.gather(*submitted), TIMEOUT)
        assert not priority.holding
    finally:
        await writer.close()
