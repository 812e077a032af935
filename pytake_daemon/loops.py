"""Background loops that can't die quietly.

Every long-running loop of the daemon (job claimers, the outbox sender, sweepers, the event
subscriber…) is started through :class:`Loops`. A loop is written as one *pass* — a turn of the
loop including its own wait (a claimer: claim, run, wait for a wake-up or the poll interval) —
and the supervisor runs passes forever:

- any ``Exception`` escaping a pass is logged with the loop's name and the pass is tried again
  after a bounded, jittered exponential backoff (tenacity drives the retries; the backoff counts
  the failures since the last completed pass, so a loop that ran for days starts again at the
  shortest delay). Measured before this existed: asyncpg's ``InternalClientError`` from
  ``pool.release`` after a PostgreSQL restart was not among the exceptions the ingest claimer
  caught, and flows, events and AI stopped for every new message while ``/readyz`` said 200;
- each completed pass is a heartbeat, and each loop has a deadline: ``/readyz`` answers 503
  naming a loop that has ended or has not completed a pass within its deadline.

Loops that block until there is work and have no natural period (the event subscriber, the queue
distributors) have no deadline: for them only "still running" is checked. Work driven by
something else (APScheduler, the webhook writer's own tasks) can be *watched*: a probe says
whether it is healthy.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog
from redis.exceptions import RedisError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

log = structlog.get_logger("pytake.loops")

BACKOFF_INITIAL_SECONDS = 0.1
# Short enough that a loop notices a database back from a restart well within the few seconds
# the restart drill allows (tests/test_loop_recovery.py); long enough not to flood the log.
BACKOFF_MAX_SECONDS = 2.0

# A server away or restarting: the error's sentence says it all, and rendering a traceback per
# loop per retry is costly (the console renderer's tracebacks with locals stalled the event loop
# for seconds in the restart drill). asyncpg's InternalClientError is among them: a connection
# the server dropped mid-release raises it ("cannot switch to state 15").
OUTAGE_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    RedisError,
)

# Of those, the ones that say the server itself is away rather than that one statement failed:
# connection errors (SQLSTATE class 08), operator intervention (class 57: shutdown, restart,
# recovery) and the clients' own. A constraint violation is a PostgresError too, but retrying
# the same work won't make it pass, while the work batched with it would.
SERVER_AWAY_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    RedisError,
)

Pass = Callable[[], Awaitable[object]]
Probe = Callable[[], str | None]
"""A watched loop's health: ``None`` when healthy, else why not."""


@dataclass(frozen=True)
class LoopReport:
    """One loop's health as ``/readyz`` shows it."""

    name: str
    alive: bool
    healthy: bool
    last_pass_at: datetime | None
    deadline_seconds: float | None
    reason: str | None
    last_error: str | None = None
    """The last failure since the last completed pass, even while within the deadline."""


@dataclass
class _Loop:
    name: str
    deadline: float | None
    started: float
    task: asyncio.Task[None] | None = None
    last_pass: float | None = None
    last_pass_at: datetime | None = None
    failures: int = 0
    last_error: str | None = None
    passes: int = 0


class Loops:
    """This process's supervised loops and their heartbeats."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        backoff_initial: float = BACKOFF_INITIAL_SECONDS,
        backoff_max: float = BACKOFF_MAX_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        # A monotonic clock for deadlines (wall-clock jumps must not make a loop look stalled);
        # the wall clock only labels the last pass for people.
        self._clock = clock
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._sleep = sleep
        self._loops: dict[str, _Loop] = {}
        self._watched: dict[str, Probe] = {}

    def start(
        self, name: str, run_pass: Pass, *, deadline: float | None, repeat: bool = True
    ) -> asyncio.Task[None]:
        """Run ``run_pass`` again and again under supervision; cancel the task to stop.

        ``deadline``: the longest a healthy loop goes without completing a pass (its poll
        interval or lease, with room), ``None`` for loops that wait for work indefinitely.
        ``repeat=False`` is for a loop that keeps itself going and returns only when asked to
        stop: it is restarted after a failure, and its normal return ends it.
        """
        previous = self._loops.get(name)
        if previous is not None and previous.task is not None and not previous.task.done():
            raise RuntimeError(f"loop {name!r} is already running")
        loop = _Loop(name=name, deadline=deadline, started=self._clock())
        self._loops[name] = loop
        loop.task = asyncio.create_task(self._supervise(loop, run_pass, repeat), name=name)
        return loop.task

    def watch(self, name: str, probe: Probe) -> None:
        """Report on a loop this registry doesn't run (its health comes from ``probe``)."""
        self._watched[name] = probe

    def forget(self, name: str) -> None:
        """Drop a loop that was stopped on purpose (its work ended, not failed)."""
        self._loops.pop(name, None)
        self._watched.pop(name, None)

    def passes(self, name: str) -> int:
        """Passes completed by ``name`` (tests wait on this rather than on time)."""
        return self._loops[name].passes

    def report(self) -> list[LoopReport]:
        now = self._clock()
        reports = [self._report(loop, now) for loop in self._loops.values()]
        for name, probe in self._watched.items():
            try:
                reason = probe()
            except Exception as exc:  # a probe that breaks must not break readiness itself
                reason = f"health probe failed: {type(exc).__name__}: {exc}"
            reports.append(
                LoopReport(
                    name=name,
                    alive=reason is None,
                    healthy=reason is None,
                    last_pass_at=None,
                    deadline_seconds=None,
                    reason=reason,
                )
            )
        return sorted(reports, key=lambda r: r.name)

    def _report(self, loop: _Loop, now: float) -> LoopReport:
        alive = loop.task is not None and not loop.task.done()
        reason: str | None = None
        if not alive:
            reason = "stopped" if loop.last_error is None else f"stopped: {loop.last_error}"
        elif loop.deadline is not None:
            since = loop.last_pass if loop.last_pass is not None else loop.started
            if now - since > loop.deadline:
                reason = f"no completed pass for {now - since:.0f} s (deadline {loop.deadline:g} s)"
                if loop.last_error is not None:
                    reason += f"; last error: {loop.last_error}"
        return LoopReport(
            name=loop.name,
            alive=alive,
            healthy=reason is None,
            last_pass_at=loop.last_pass_at,
            deadline_seconds=loop.deadline,
            reason=reason,
            last_error=loop.last_error,
        )

    async def _supervise(self, loop: _Loop, run_pass: Pass, repeat: bool) -> None:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=lambda _state: self._backoff(loop),
            before_sleep=lambda state: self._failed(loop, state),
            sleep=self._sleep,
            reraise=True,
        )
        # tenacity only runs when a pass fails: the passes themselves loop below it, so a
        # healthy loop pays nothing per pass for its supervision.
        await retrying(self._passes, loop, run_pass, repeat)

    async def _passes(self, loop: _Loop, run_pass: Pass, repeat: bool) -> None:
        while True:
            try:
                await run_pass()
            except Exception as exc:
                # Retrying would keep alive a loop that was told to stop.
                _end_if_cancelled(exc)
                raise
            _end_if_cancelled(None)
            loop.passes += 1
            loop.failures = 0
            loop.last_error = None
            loop.last_pass = self._clock()
            loop.last_pass_at = datetime.now(UTC)
            if not repeat:
                return

    def _backoff(self, loop: _Loop) -> float:
        loop.failures += 1
        ceiling = min(self._backoff_max, self._backoff_initial * 2 ** (loop.failures - 1))
        # Jitter: loops that failed together (a database restart) don't retry in lockstep.
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security

    def _failed(self, loop: _Loop, state: RetryCallState) -> None:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        loop.last_error = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown"
        if isinstance(exc, OUTAGE_ERRORS):
            log.warning(
                "background loop lost a server; retrying",
                loop=loop.name,
                failures=loop.failures,
                retry_in=round(state.upcoming_sleep, 3),
                error=loop.last_error,
            )
            return
        log.error(
            "background loop failed; retrying",
            loop=loop.name,
            failures=loop.failures,
            retry_in=round(state.upcoming_sleep, 3),
            error=loop.last_error,
            # The traceback once per run of failures: the same one again says nothing new.
            exc_info=exc if loop.failures == 1 else None,
        )


def _end_if_cancelled(cause: Exception | None) -> None:
    """Raise the cancellation this task was sent if a pass took it and went on.

    A client library can turn a cancellation that lands in one of its awaits into its own error
    or into nothing (redis-py's commands under Python 3.11's ``wait_for``): the pass then fails
    or completes, and the task would live on, "cancelling", through the process's shutdown.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from cause
