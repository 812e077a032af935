"""Acknowledgements first: work that can wait yields the event loop to webhooks waiting for
their commit.

A webhook is answered only once what it carries is committed, and Meta retries (and, past its
timeouts, disables) a webhook that answers slowly; what follows the commit (the fan-out with its
flow step, the AI's analysis) has no such deadline. All of it shares one event loop and two
cores. Measured in a burst (``bench/ingest.py``): once the fan-out kept pace with the webhooks,
it took half of the loop and the acknowledgements fell from 1,653/s to 827 to 881/s.

So the webhook writer reports how many requests wait for their commit (queued for a writer or
in the commit in flight), and each job claim loop, before it claims, waits until none does, for
at most ``most_seconds``. Bounded: under a
sustained burst the follow-up work still runs, in larger batches (cheaper per message), and a
reply is late by at most that bound per pass. Out of a burst nothing waits: a request is
handed to a writer at once and the counter is back to zero before the fan-out is woken.

Work with no one waiting on it (the AI's analysis) asks for more: ``quiet_seconds`` without a
webhook waiting, not just a moment. Under a burst the counter touches zero after every commit
(the clients' next requests arrive a loop turn later), and a plain wait let the analysis claim at
each of those moments, taking a sixth of the loop in the middle of the burst; it now runs in the
burst's gaps or, past ``most_seconds``, in larger batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import time


class AckPriority:
    def __init__(self, most_seconds: float = 0.05) -> None:
        self._most = most_seconds
        self._clear = asyncio.Event()
        self._clear.set()
        self._cleared_at = -float("inf")
        """time.monotonic() when the last webhook waiting was answered (never: quiet)."""
        self.waits = 0
        """Claims that found acknowledgements waiting (for tests and the metrics)."""

    def waiting(self, requests: int) -> None:
        """The webhook writer's count of requests handed in and not yet answered."""
        if requests:
            self._clear.clear()
        elif not self._clear.is_set():
            self._cleared_at = time.monotonic()
            self._clear.set()

    @property
    def holding(self) -> bool:
        """True while webhooks wait for their commit (claims wait)."""
        return not self._clear.is_set()

    def quiet_for(self) -> float:
        """Seconds since the last webhook waiting was answered; 0.0 while one waits."""
        if not self._clear.is_set():
            return 0.0
        return time.monotonic() - self._cleared_at

    async def wait(self, *, most_seconds: float | None = None, quiet_seconds: float = 0.0) -> None:
        """Return once no webhook has waited for its commit for ``quiet_seconds`` (0: once none
        waits), or after ``most_seconds`` (the instance's bound unless given)."""
        if self._clear.is_set() and self.quiet_for() >= quiet_seconds:
            return
        self.waits += 1
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._most if most_seconds is None else most_seconds):
                while True:
                    await self._clear.wait()
                    left = quiet_seconds - self.quiet_for()
                    if left <= 0:
                        return
                    # A timer, then look again: the burst may have resumed meanwhile.
                    await asyncio.sleep(left)
