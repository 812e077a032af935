"""Supervised background loops: any exception is logged and retried after a bounded backoff,
passes are heartbeats with a deadline, and ``/readyz`` names a loop that stopped or stalled."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from pytake_daemon.keys import LOOPS
from pytake_daemon.loops import Loops
from pytake_daemon.protocol import Readiness
from tests.conftest import ApiClient

TIMEOUT = 10.0


class Clock:
    """A monotonic clock the test moves by hand: deadlines without waiting for them."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def clock() -> Clock:
    return Clock()


@pytest.fixture
async def loops(clock: Clock) -> AsyncIterator[Loops]:
    loops = Loops(clock=clock, backoff_initial=0.001, backoff_max=0.004)
    yield loops
    for report in loops.report():
        loops.forget(report.name)


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_loop_survives_every_kind_of_exception(loops: Loops) -> None:
    errors: list[BaseException] = [
        RuntimeError("bug"),
        KeyError("missing"),
        OSError("connection reset"),
        TypeError("unexpected"),
    ]
    done = asyncio.Event()

    async def one_pass() -> None:
        if errors:
            raise errors.pop(0)
        done.set()
        await asyncio.Event().wait()  # a healthy loop waiting for work

    task = loops.start("flaky", one_pass, deadline=None)
    await asyncio.wait_for(done.wait(), TIMEOUT)
    (report,) = loops.report()
    assert report.alive
    assert report.healthy
    await stop(task)


@pytest.mark.parametrize("turned_into", [ConnectionError("closed by server"), None])
async def test_a_cancellation_a_pass_took_still_ends_the_loop(
    loops: Loops, turned_into: Exception | None
) -> None:
    """redis-py under Python 3.11 can turn a cancellation into its own error or into nothing:
    the loop must end all the same instead of retrying or passing again."""
    waiting = asyncio.Event()
    passes = 0

    async def one_pass() -> None:
        nonlocal passes
        passes += 1
        waiting.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            if turned_into is not None:
                raise turned_into from None

    task = loops.start("takes-cancellations", one_pass, deadline=None)
    await asyncio.wait_for(waiting.wait(), TIMEOUT)
    task.cancel()
    await asyncio.wait([task], timeout=TIMEOUT)
    assert task.cancelled()
    assert passes == 1


async def test_backoff_is_bounded_and_starts_again_after_a_completed_pass() -> None:
    sleeps: list[float] = []
    fail_next = 6
    passed = asyncio.Event()
    hold = asyncio.Event()

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    loops = Loops(backoff_initial=0.001, backoff_max=0.004, sleep=record_sleep)

    async def one_pass() -> None:
        nonlocal fail_next
        if fail_next:
            fail_next -= 1
            raise RuntimeError("down")
        passed.set()
        await hold.wait()
        hold.clear()
        fail_next = 1

    task = loops.start("backoff", one_pass, deadline=None)
    await asyncio.wait_for(passed.wait(), TIMEOUT)
    assert len(sleeps) == 6
    # Doubling from the initial delay up to the ceiling, each jittered into [half, full].
    for n, seconds in enumerate(sleeps):
        ceiling = min(0.004, 0.001 * 2**n)
        assert ceiling / 2 <= seconds <= ceiling
    passed.clear()
    hold.set()
    await asyncio.wait_for(passed.wait(), TIMEOUT)
    # The failure after a completed pass starts from the initial delay again.
    assert len(sleeps) == 7
    assert sleeps[-1] <= 0.001
    await stop(task)


async def test_a_loop_with_no_pass_within_its_deadline_is_unhealthy(
    loops: Loops, clock: Clock
) -> None:
    turn = asyncio.Event()
    passes_seen = asyncio.Event()

    async def one_pass() -> None:
        await turn.wait()
        turn.clear()
        passes_seen.set()
        raise RuntimeError("database away")

    task = loops.start("claimer", one_pass, deadline=5.0)
    clock.now += 4.0
    assert loops.report()[0].healthy
    clock.now += 2.0
    report = loops.report()[0]
    assert report.alive
    assert not report.healthy
    assert report.reason == "no completed pass for 6 s (deadline 5 s)"

    turn.set()
    await asyncio.wait_for(passes_seen.wait(), TIMEOUT)

    async def error_recorded() -> None:
        while loops.report()[0].reason == "no completed pass for 6 s (deadline 5 s)":
            await asyncio.sleep(0.001)

    await asyncio.wait_for(error_recorded(), TIMEOUT)
    assert loops.report()[0].reason == (
        "no completed pass for 6 s (deadline 5 s); last error: RuntimeError: database away"
    )
    await stop(task)


async def test_a_completed_pass_renews_the_deadline(loops: Loops, clock: Clock) -> None:
    turn = asyncio.Event()

    async def one_pass() -> None:
        await turn.wait()
        turn.clear()

    task = loops.start("sweeper", one_pass, deadline=5.0)
    clock.now += 6.0
    assert not loops.report()[0].healthy
    turn.set()

    async def passed() -> None:
        while loops.passes("sweeper") == 0:
            await asyncio.sleep(0.001)

    await asyncio.wait_for(passed(), TIMEOUT)
    report = loops.report()[0]
    assert report.healthy
    assert report.last_pass_at is not None
    await stop(task)


async def test_a_loop_that_ended_is_reported_stopped(loops: Loops) -> None:
    async def returns() -> None:
        return None

    task = loops.start("once", returns, deadline=None, repeat=False)
    await asyncio.wait_for(task, TIMEOUT)
    (report,) = loops.report()
    assert not report.alive
    assert report.reason == "stopped"


async def test_watched_loops_report_their_probe(loops: Loops) -> None:
    state: dict[str, str | None] = {"reason": None}
    loops.watch("writer", lambda: state["reason"])
    assert loops.report()[0].healthy
    state["reason"] = "every writer task ended"
    report = loops.report()[0]
    assert not report.healthy
    assert report.reason == "every writer task ended"


async def readiness(api: ApiClient) -> tuple[int, Readiness]:
    resp = await api.get("/readyz")
    return resp.status, Readiness.model_validate(await resp.json())


async def test_readyz_lists_the_loops_and_names_one_that_stopped(api: ApiClient) -> None:
    status, ready = await readiness(api)
    assert status == 200, ready
    names = {loop.name for loop in ready.loops}
    assert {
        "event-subscriber",
        "outbox-sender",
        "webhook-writer",
        "jobs-ingest",
        "jobs-flow_inbound",
        "jobs-ai_analysis",
        "queue-sweeper",
        "queue-distributor-0",
        "presence-refresher",
        "maintenance-watch",
    } <= names
    assert all(loop.healthy and loop.alive for loop in ready.loops)

    async def ends() -> None:
        return None

    registry = api.app[LOOPS]
    # A loop that keeps itself going and returned: it is gone.
    await asyncio.wait_for(registry.start("doomed", ends, deadline=None, repeat=False), TIMEOUT)
    status, ready = await readiness(api)
    assert status == 503
    assert not ready.ready
    (doomed,) = [loop for loop in ready.loops if not loop.healthy]
    assert doomed.name == "doomed"
    assert not doomed.alive
    assert doomed.reason == "stopped"
    registry.forget("doomed")
    assert (await readiness(api))[0] == 200


async def test_readyz_names_a_loop_past_its_deadline(api: ApiClient) -> None:
    registry = api.app[LOOPS]
    # A deadline of zero: any time at all without a completed pass is too long.
    task = registry.start("stalled", asyncio.Event().wait, deadline=0.0)
    status, ready = await readiness(api)
    assert status == 503
    (stalled,) = [loop for loop in ready.loops if not loop.healthy]
    assert stalled.name == "stalled"
    assert stalled.alive
    assert stalled.reason is not None
    assert stalled.reason.startswith("no completed pass for")
    await stop(task)
    registry.forget("stalled")
